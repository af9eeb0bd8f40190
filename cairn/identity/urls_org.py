"""Identity pages under /o/<org_slug>/ (included in cairn/urls.py's org_patterns)."""

from django.urls import path

from cairn.identity import session_views

urlpatterns = [
    path("members/locked/", session_views.locked_members, name="locked_members"),
]
