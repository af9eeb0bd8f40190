from django.urls import path

from cairn.portfolio import frontier_views as f
from cairn.portfolio import views as v

app_name = "portfolio"
urlpatterns = [
    path("path/", v.overview, name="overview"),
    path("path/balance/", v.balance, name="balance"),
    path("path/initiatives/", v.initiative_list, name="initiative_list"),
    path("path/initiatives/new/", v.initiative_create, name="initiative_create"),
    path("path/initiatives/<int:initiative_id>/", v.initiative_detail, name="initiative_detail"),
    path("path/initiatives/<int:initiative_id>/edit/", v.initiative_edit, name="initiative_edit"),
    path(
        "path/initiatives/<int:initiative_id>/delete/",
        v.initiative_delete,
        name="initiative_delete",
    ),
    path(
        "path/initiatives/<int:initiative_id>/efforts/",
        v.initiative_efforts,
        name="initiative_efforts",
    ),
    path("path/criteria/", v.criteria, name="criteria"),
    path("path/criteria/standard/", v.criteria_standard, name="criteria_standard"),
    path("path/criteria/new/", v.criterion_create, name="criterion_create"),
    path("path/criteria/<int:criterion_id>/edit/", v.criterion_edit, name="criterion_edit"),
    path("path/criteria/<int:criterion_id>/delete/", v.criterion_delete, name="criterion_delete"),
    path("path/criteria/<int:criterion_id>/scores/", v.criterion_scores, name="criterion_scores"),
    path("path/scenarios/", v.scenario_list, name="scenario_list"),
    path("path/scenarios/new/", v.scenario_create, name="scenario_create"),
    path("path/scenarios/<int:scenario_id>/", v.scenario_detail, name="scenario_detail"),
    path("path/scenarios/<int:scenario_id>/edit/", v.scenario_edit, name="scenario_edit"),
    path("path/scenarios/<int:scenario_id>/delete/", v.scenario_delete, name="scenario_delete"),
    path("path/scenarios/<int:scenario_id>/status/", v.scenario_status, name="scenario_status"),
    path("path/scenarios/<int:scenario_id>/run/", v.scenario_run, name="scenario_run"),
    path("path/scenarios/<int:scenario_id>/apply/", v.scenario_apply, name="scenario_apply"),
    path("path/scenarios/<int:scenario_id>/limits/", v.scenario_limits, name="scenario_limits"),
    path("path/scenarios/<int:scenario_id>/frontier/", f.frontier_page, name="frontier"),
    path(
        "path/scenarios/<int:scenario_id>/frontier/status/",
        f.frontier_status,
        name="frontier_status",
    ),
    path("path/scenarios/<int:scenario_id>/frontier/run/", f.frontier_run, name="frontier_run"),
]
