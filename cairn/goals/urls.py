from django.urls import path

from cairn.goals import views

app_name = "goals"
urlpatterns = [
    path("destination/", views.destination, name="destination"),
    path("goals/new/", views.goal_create, name="goal_create"),
    path("goals/<int:goal_id>/", views.goal_detail, name="goal_detail"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="goal_delete"),
    path("missions/new/", views.mission_create, name="mission_create"),
    path("missions/<int:mission_id>/edit/", views.mission_edit, name="mission_edit"),
    path("missions/<int:mission_id>/delete/", views.mission_delete, name="mission_delete"),
    path("interviews/", views.interview_list, name="interview_list"),
    path("interviews/new/", views.interview_create, name="interview_create"),
    path("interviews/<int:interview_id>/", views.interview_detail, name="interview_detail"),
    path("interviews/<int:interview_id>/edit/", views.interview_edit, name="interview_edit"),
    path("interviews/<int:interview_id>/delete/", views.interview_delete, name="interview_delete"),
    path("pain-points/", views.painpoint_list, name="painpoint_list"),
    path("pain-points/new/", views.painpoint_create, name="painpoint_create"),
    path("pain-points/<int:painpoint_id>/edit/", views.painpoint_edit, name="painpoint_edit"),
    path("pain-points/<int:painpoint_id>/delete/", views.painpoint_delete, name="painpoint_delete"),
    path(
        "pain-points/<int:painpoint_id>/make-goal/",
        views.painpoint_make_goal,
        name="painpoint_make_goal",
    ),
]
