from django.urls import path

from cairn.kpis import connector_views as c
from cairn.kpis import views as v

app_name = "kpis"
urlpatterns = [
    path("getting-started/", v.getting_started_page, name="getting_started"),
    path("ascent/kpis/", v.kpi_list, name="kpi_list"),
    path("ascent/kpis/new/", v.kpi_create, name="kpi_create"),
    path("ascent/kpis/<int:kpi_id>/", v.kpi_detail, name="kpi_detail"),
    path("ascent/kpis/<int:kpi_id>/edit/", v.kpi_edit, name="kpi_edit"),
    path("ascent/kpis/<int:kpi_id>/delete/", v.kpi_delete, name="kpi_delete"),
    path("ascent/kpis/<int:kpi_id>/export.<str:fmt>", v.kpi_export, name="kpi_export"),
    path("ascent/kpis/<int:kpi_id>/measurements/", v.measurement_add, name="measurement_add"),
    path(
        "ascent/kpis/<int:kpi_id>/measurements/<int:measurement_id>/delete/",
        v.measurement_delete,
        name="measurement_delete",
    ),
    path("ascent/kpis/<int:kpi_id>/connector/", c.connector_page, name="connector"),
    path("ascent/kpis/<int:kpi_id>/connector/edit/", c.connector_edit, name="connector_edit"),
    path("ascent/kpis/<int:kpi_id>/connector/test/", c.connector_test, name="connector_test"),
    path("ascent/kpis/<int:kpi_id>/connector/run/", c.connector_run, name="connector_run"),
    path("ascent/kpis/<int:kpi_id>/connector/delete/", c.connector_delete, name="connector_delete"),
    path("ascent/formula-check/", v.formula_check, name="formula_check"),
    path("ascent/library/", v.library, name="library"),
    path("ascent/library/add/", v.library_add, name="library_add"),
    path("ascent/import/", v.import_page, name="import"),
    path("ascent/import/template.<str:fmt>", v.import_template, name="import_template"),
    path("ascent/wins/", v.win_list, name="win_list"),
    path("ascent/wins/new/", v.win_create, name="win_create"),
    path("ascent/wins/<int:win_id>/edit/", v.win_edit, name="win_edit"),
    path("ascent/wins/<int:win_id>/delete/", v.win_delete, name="win_delete"),
]
