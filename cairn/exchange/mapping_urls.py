"""Imports from other tools' exports (Jira, Azure DevOps, a planning tool's .xlsx): the
mapping step, remembered per organisation."""

from django.urls import path

from cairn.exchange import mapping_views

urlpatterns = [
    path("", mapping_views.from_tool, name="from_tool"),
    path("<int:upload_id>/", mapping_views.from_tool_map, name="from_tool_map"),
    path("<int:upload_id>/discard/", mapping_views.from_tool_discard, name="from_tool_discard"),
]
