from django.urls import path

from cairn.assessment import views

app_name = "assessment"
urlpatterns = [
    path("terrain/swot/", views.swot, name="swot"),
    path("terrain/swot/new/", views.swot_create, name="swot_create"),
    path("terrain/swot/<int:swot_id>/edit/", views.swot_edit, name="swot_edit"),
    path("terrain/swot/<int:swot_id>/move/", views.swot_move, name="swot_move"),
    path("terrain/swot/<int:swot_id>/delete/", views.swot_delete, name="swot_delete"),
    path("terrain/gaps/", views.gap_analysis, name="gaps"),
    path("terrain/capabilities/", views.capability_list, name="capability_list"),
    path("terrain/capabilities/new/", views.capability_create, name="capability_create"),
    path(
        "terrain/capabilities/<int:capability_id>/edit/",
        views.capability_edit,
        name="capability_edit",
    ),
    path(
        "terrain/capabilities/<int:capability_id>/delete/",
        views.capability_delete,
        name="capability_delete",
    ),
    path("terrain/teams/", views.team_list, name="team_list"),
    path("terrain/teams/new/", views.team_create, name="team_create"),
    path("terrain/teams/<int:team_id>/edit/", views.team_edit, name="team_edit"),
    path("terrain/teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("terrain/processes/", views.process_list, name="process_list"),
    path("terrain/processes/new/", views.process_create, name="process_create"),
    path("terrain/processes/<int:process_id>/edit/", views.process_edit, name="process_edit"),
    path("terrain/processes/<int:process_id>/delete/", views.process_delete, name="process_delete"),
    path("terrain/applications/", views.application_list, name="application_list"),
    path("terrain/applications/new/", views.application_create, name="application_create"),
    path(
        "terrain/applications/<int:application_id>/edit/",
        views.application_edit,
        name="application_edit",
    ),
    path(
        "terrain/applications/<int:application_id>/delete/",
        views.application_delete,
        name="application_delete",
    ),
]
