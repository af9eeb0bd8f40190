from django.urls import path

from cairn.execution import views as v

app_name = "execution"
urlpatterns = [
    path("execution/", v.overview, name="overview"),
    path("execution/initiatives/<int:initiative_id>/", v.initiative, name="initiative"),
    path(
        "execution/initiatives/<int:initiative_id>/report/",
        v.report_create,
        name="report_create",
    ),
    path("execution/reports/<int:report_id>/edit/", v.report_edit, name="report_edit"),
    path("execution/reports/<int:report_id>/delete/", v.report_delete, name="report_delete"),
    path("execution/spend/", v.spend_list, name="spend"),
    path("execution/spend/new/", v.actual_create, name="actual_create"),
    path("execution/spend/import/", v.actual_import, name="actual_import"),
    path(
        "execution/spend/import/template.<str:fmt>",
        v.actual_import_template,
        name="actual_import_template",
    ),
    path("execution/spend/<int:actual_id>/edit/", v.actual_edit, name="actual_edit"),
    path("execution/spend/<int:actual_id>/delete/", v.actual_delete, name="actual_delete"),
    path("execution/benefits/", v.benefit_list, name="benefits"),
    path("execution/benefits/new/", v.benefit_create, name="benefit_create"),
    path("execution/benefits/<int:benefit_id>/edit/", v.benefit_edit, name="benefit_edit"),
    path("execution/benefits/<int:benefit_id>/delete/", v.benefit_delete, name="benefit_delete"),
]
