"""Exports as Jira, Azure DevOps and MS Project write them, for the tests of imports from
other tools (and a stored upload for the role × endpoint matrix)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

# Jira Cloud's "Export CSV (all fields)": Labels repeated once per label of the issue
# that has the most, link columns by link type, custom fields by their name; Parent is the
# parent's issue id (a number), Parent summary its summary.
JIRA_HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
    "Priority", "Assignee", "Reporter", "Created", "Updated", "Due Date", "Labels", "Labels",
    "Labels", "Description", "Custom field (Story Points)", "Custom field (Cost)",
    "Inward issue link (Blocks)", "Outward issue link (Blocks)", "Parent", "Parent summary",
]  # fmt: skip


def jira_row(summary, key, kind="Epic", status="To Do", **kw) -> list[str]:
    labels = (kw.get("labels", []) + ["", "", ""])[:3]
    return [
        summary, key, key.split("-")[1] + "000", kind, status, "CRM", "CRM rebuild", "Medium",
        kw.get("assignee", "Maria Keller"), "Raj Patel", "05/Jan/26 10:00 AM",
        "12/Feb/26 4:15 PM", kw.get("due", ""), *labels, kw.get("description", ""),
        kw.get("points", ""), kw.get("cost", ""), kw.get("blocked_by", ""),
        kw.get("blocks", ""), kw.get("parent", ""), kw.get("parent_summary", ""),
    ]  # fmt: skip


JIRA_ROWS = [
    jira_row(
        "Online quoting", "CRM-1", status="In Progress", labels=["sales", "web"],
        description="Customers build quotes themselves", points="40", cost="$120,000.00",
        blocked_by="CRM-2",
    ),
    jira_row("Customer data cleanup", "CRM-2", status="Done", labels=["data"], points="20",
             cost="15000"),
    jira_row("Quote PDF layout", "CRM-3", kind="Story", status="To Do", parent="1000",
             parent_summary="Online quoting"),
    jira_row("Partner portal", "CRM-4", status="To Do", blocked_by="CRM-3", assignee=""),
]  # fmt: skip

ADO_HEADER = [
    "ID", "Work Item Type", "Title", "State", "Assigned To", "Area Path", "Iteration Path",
    "Tags", "Parent", "Effort", "Story Points", "Target Date", "Description",
]  # fmt: skip
ADO_ROWS = [
    ["101", "Epic", "Self-service billing", "Active", "Ana Lopez <ana@example.org>",
     "Finance\\Billing", "Finance\\2026 Q1", "billing; web", "", "30", "",
     "6/30/2026 12:00:00 AM", "<div>Invoices online</div>"],
    ["102", "Epic", "Retire the fax server", "New", "", "IT\\Ops", "IT\\2026 Q1", "",
     "", "4", "", "", ""],
    ["103", "Feature", "Card payments", "Closed", "Ana Lopez <ana@example.org>",
     "Finance\\Billing", "Finance\\2026 Q1", "", "101", "", "8", "", ""],
]  # fmt: skip

MSP_HEADER = [
    "ID", "Unique ID", "Outline Level", "Name", "Duration", "Start", "Finish", "Predecessors",
    "Resource Names", "Cost", "% Complete",
]  # fmt: skip
MSP_ROWS = [
    [1, 1, 1, "ERP upgrade", "60 days", datetime(2026, 1, 5, 8), datetime(2026, 3, 27, 17), "",
     "Anna Berg[50%],Tom Li", 48000, "25%"],
    [2, 2, 1, "Warehouse scanners", "4 wks", datetime(2026, 3, 30, 8), datetime(2026, 4, 24, 17),
     "1FS+2 days", "Tom Li", "$9,500.00", "0%"],
    [3, 3, 1, "Go-live support", "3 mons", datetime(2026, 4, 27, 8), datetime(2026, 7, 17, 17),
     "1;2SS", "", 0, "100%"],
]  # fmt: skip


def csv_bytes(header: list, rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(header: list, rows: list[list], title: str = "Task_Table1") -> bytes:
    """A workbook as MS Project's "Save As Excel Workbook" writes one: one sheet, a header."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def jira_file(rows=None, header=None, name="Jira.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(header or JIRA_HEADER, rows or JIRA_ROWS))


def stored_jira(org, actor=None):
    """A Jira export uploaded and waiting to be mapped."""
    from cairn.exchange import from_tools

    return from_tools.store(org, jira_file(), "jira", actor=actor)
