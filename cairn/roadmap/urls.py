from django.urls import path

from cairn.roadmap import risk_views as r
from cairn.roadmap import views as v

app_name = "roadmap"
urlpatterns = [
    path("roadmap/", v.gantt, name="gantt"),
    path("roadmap/schedule/", v.schedule, name="schedule"),
    path("roadmap/status/", v.status, name="status"),
    path("roadmap/capacity/", v.capacity, name="capacity"),
    path("roadmap/risk/", r.risk_page, name="risk"),
    path("roadmap/risk/status/", r.risk_status, name="risk_status"),
    path("roadmap/risk/run/", r.risk_run, name="risk_run"),
    path("roadmap/board/", v.board, name="board"),
    path("roadmap/settings/", v.settings_page, name="settings"),
    path("roadmap/resources/", v.resources_page, name="resources"),
    path("roadmap/resources/capacity/", v.capacity_save, name="capacity_save"),
    path("roadmap/budget-lines/new/", v.budget_create, name="budget_create"),
    path("roadmap/budget-lines/<int:budget_id>/edit/", v.budget_edit, name="budget_edit"),
    path("roadmap/budget-lines/<int:budget_id>/delete/", v.budget_delete, name="budget_delete"),
    path("roadmap/items/<int:item_id>/edit/", v.item_edit, name="item_edit"),
    path("roadmap/items/<int:item_id>/move/", v.item_move, name="item_move"),
    path("roadmap/milestones/", v.milestone_list, name="milestones"),
    path("roadmap/milestones/new/", v.milestone_create, name="milestone_create"),
    path("roadmap/milestones/<int:milestone_id>/edit/", v.milestone_edit, name="milestone_edit"),
    path(
        "roadmap/milestones/<int:milestone_id>/delete/", v.milestone_delete, name="milestone_delete"
    ),
    path("roadmap/milestones.ics", v.milestones_ics, name="milestones_ics"),
    path("roadmap/export.<slug:fmt>", v.export, name="export"),
]
