"""Imports from other tools' exports (Jira, Azure DevOps, a planning tool's .xlsx): the
mapping step, remembered per organisation."""

urlpatterns: list = []
