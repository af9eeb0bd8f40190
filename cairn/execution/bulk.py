"""Actual spend recorded in bulk (the API's ``POST /actuals``): every item checked as the
actual spend form checks it, then all written in one transaction, or none."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction

from cairn.core import services as core
from cairn.core.models import AuditAction, AuditVia, Organization
from cairn.execution.models import Actual
from cairn.execution.services import EXECUTED
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import BudgetLine

MAX_PROBLEMS = 500  # listed in the answer; the rest are left off
BATCH = 2000


class ActualsRefused(Exception):
    """Items refused: (index, field, message) for each problem; nothing was written."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def record_actuals(
    org: Organization, items: list[dict[str, Any]], *, actor, via: AuditVia = AuditVia.API
) -> int:
    """Add many actuals at once, all or none. Each item has ``initiative_id`` (approved, in
    progress or done, of ``org``), ``month`` (any day of it), ``amount``, ``kind``, and
    optionally ``budget_line_id`` (of ``org``) and ``source``. Returns how many were added;
    raises ActualsRefused with every problem. One audit event per initiative written."""
    wanted = {item["initiative_id"] for item in items}
    initiatives = {
        i.pk: i
        for i in Initiative.objects.filter(organization=org, pk__in=wanted).only("title", "status")
    }
    line_ids = {item["budget_line_id"] for item in items if item.get("budget_line_id")}
    lines = set(
        BudgetLine.objects.filter(organization=org, pk__in=line_ids).values_list("pk", flat=True)
    )
    problems: list[tuple[int, str, str]] = []
    rows: list[Actual] = []
    for index, item in enumerate(items):
        initiative = initiatives.get(item["initiative_id"])
        if initiative is None:
            problems.append((index, "initiative_id", "No such initiative in this organisation."))
        elif initiative.status not in EXECUTED:
            problems.append(
                (
                    index,
                    "initiative_id",
                    f"“{initiative.title[:60]}” has the status "
                    f"{initiative.get_status_display()}: only approved, in progress or done "
                    "initiatives have spend.",
                )
            )
        line_id = item.get("budget_line_id")
        if line_id and line_id not in lines:
            problems.append((index, "budget_line_id", "No such budget line in this organisation."))
        rows.append(
            Actual(
                organization=org,
                created_by=actor if actor and actor.pk else None,
                initiative_id=item["initiative_id"],
                budget_line_id=line_id or None,
                month=item["month"].replace(day=1),
                amount=item["amount"],
                kind=item["kind"],
                source=item.get("source") or "",
            )
        )
    if problems:
        raise ActualsRefused(problems[:MAX_PROBLEMS])
    touched = Counter(row.initiative_id for row in rows)
    with transaction.atomic():
        Actual.objects.bulk_create(rows, batch_size=BATCH)
        core.AuditEvent.objects.bulk_create(
            core.audit_event(
                org,
                actor=actor,
                action=AuditAction.UPDATE,
                obj=Initiative(pk=pk, title=initiatives[pk].title),
                before=None,
                after={"spend recorded": n},
                via=via,
            )
            for pk, n in sorted(touched.items())
        )
    return len(rows)
