"""Events read from the audit trail: every change, by page, API, command or import, writes an
audit row, so that one place sees them all.

``candidates`` says, from the row alone (no query), which events it may be; ``derive`` makes
the envelope of each one a subscribed webhook wants (a query or two for a measurement).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from cairn.core.models import AuditAction, AuditEvent, Organization
from cairn.webhooks import formats
from cairn.webhooks.models import TEST_EVENT, Event


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def candidates(audit: AuditEvent) -> set[str]:
    """The events this audit row may be (a measurement is one only if its KPI's status moved)."""
    kind, action = audit.object_type, audit.action
    before, after = audit.before or {}, audit.after or {}
    if kind == "governance.decision" and action == AuditAction.CREATE:
        return {Event.DECISION_RECORDED}
    completed = after.get("completed_on") and not before.get("completed_on")
    if kind == "governance.review" and completed and action != AuditAction.DELETE:
        return {Event.REVIEW_COMPLETED}
    moved = "status" in before and "status" in after and before["status"] != after["status"]
    if kind == "portfolio.initiative" and action == AuditAction.UPDATE and moved:
        return {Event.INITIATIVE_STATUS_CHANGED}
    if kind == "kpis.measurement" and action == AuditAction.CREATE:
        return {Event.MEASUREMENT_ADDED, Event.KPI_STATUS_CHANGED}
    if kind == "kpis.measurement" and action == AuditAction.UPDATE:
        return {Event.KPI_STATUS_CHANGED}  # a corrected value can move the status too
    return set()


def _value(value: float, unit: str) -> str:
    unit = (unit or "").strip()
    return f"{value:g}{unit}" if unit in ("%", "") else f"{value:g} {unit}"


def derive(audit: AuditEvent, wanted: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """(event, envelope) for each event of this row among ``wanted``."""
    org = audit.organization
    before, after = audit.before or {}, audit.after or {}
    kind, pk = audit.object_type, audit.object_id
    found: list[tuple[str, dict[str, Any]]] = []

    def add(event: str, obj: dict, data: dict, text: str) -> None:
        found.append(
            (event, formats.envelope(event, org, audit.created, obj=obj, data=data, text=text))
        )

    if kind == "governance.decision" and Event.DECISION_RECORDED in wanted:
        title = after.get("title") or audit.object_repr
        outcome = str(after.get("outcome") or "")
        short = outcome if len(outcome) <= 200 else outcome[:199] + "…"
        add(
            Event.DECISION_RECORDED,
            _obj("decision", pk, title, formats.link("governance:decision_list", org)),
            {
                "outcome": outcome,
                "decided_on": after.get("decided_on"),
                "change": after.get("change") or None,
                "initiatives": after.get("initiatives") or [],
            },
            f"{org.name} recorded a decision: “{title}”. {short}".strip(),
        )
    elif kind == "governance.review" and Event.REVIEW_COMPLETED in wanted:
        from cairn.governance.models import ReviewKind

        title = after.get("title") or audit.object_repr
        kind_label = dict(ReviewKind.choices).get(after.get("kind"), "review")
        add(
            Event.REVIEW_COMPLETED,
            _obj("review", pk, title, formats.link("governance:review_detail", org, pk)),
            {
                "kind": after.get("kind"),
                "completed_on": after.get("completed_on"),
                "summary": after.get("summary") or "",
            },
            f"{org.name} completed its {kind_label.lower()}: “{title}”.",
        )
    elif kind == "portfolio.initiative" and Event.INITIATIVE_STATUS_CHANGED in wanted:
        from cairn.portfolio.models import Status

        labels = dict(Status.choices)
        title = after.get("title") or audit.object_repr
        old, new = before["status"], after["status"]
        add(
            Event.INITIATIVE_STATUS_CHANGED,
            _obj("initiative", pk, title, formats.link("portfolio:initiative_detail", org, pk)),
            {"from": old, "to": new, "from_label": labels.get(old), "to_label": labels.get(new)},
            f"In {org.name}, the initiative “{title}” went from "
            f"{labels.get(old, old).lower()} to {labels.get(new, new).lower()}.",
        )
    elif kind == "kpis.measurement":
        found += _measurement(audit, org, wanted)
    return found


def _obj(kind: str, pk, name: str, url: str) -> dict[str, Any]:
    return {"type": kind, "id": pk, "name": name, "url": url}


def _measurement(audit: AuditEvent, org: Organization, wanted: set[str]) -> list:
    """measurement.added for a new value; kpi.status_changed if the KPI's headline status
    with the value differs from its status without it (or with the value it replaced)."""
    from cairn.kpis.models import SPARK_POINTS, Kpi, Measurement

    after = audit.after or {}
    kpi = Kpi.objects.filter(pk=after.get("kpi"), organization=org).first()
    if kpi is None:  # deleted since
        return []
    day, value = _day(after.get("date")), after.get("value")
    obj = _obj("kpi", kpi.pk, kpi.name, formats.link("kpis:kpi_detail", org, kpi.pk))
    found = []
    if Event.MEASUREMENT_ADDED in wanted and audit.action == AuditAction.CREATE:
        data = {
            "measurement_id": audit.object_id,
            "date": day,
            "value": value,
            "unit": kpi.unit,
            "source": after.get("source") or "",
        }
        text = f"In {org.name}, “{kpi.name}” was measured at {_value(value, kpi.unit)} on {day}."
        found.append((Event.MEASUREMENT_ADDED, data, text))
    if Event.KPI_STATUS_CHANGED in wanted:
        points = list(
            Measurement.objects.filter(kpi=kpi)
            .exclude(date=day)
            .order_by("-date")
            .values_list("date", "value")[:SPARK_POINTS]
        )
        if audit.before:  # a corrected value: the one it replaced was there before
            points.append((day, audit.before.get("value")))
            points.sort(reverse=True)
            points = points[:SPARK_POINTS]
        points.reverse()
        without = copy.copy(kpi)
        without.recent = [[d.isoformat(), v] for d, v in points]
        without.latest_date, without.latest_value = points[-1] if points else (None, None)
        old, new = without.computed_status(), kpi.computed_status()
        if old != new:
            data = {
                "from": old.value,
                "to": new.value,
                "from_label": old.label,
                "to_label": new.label,
                "latest_value": kpi.latest_value,
                "latest_date": kpi.latest_date,
                "unit": kpi.unit,
            }
            text = (
                f"In {org.name}, the KPI “{kpi.name}” is now {new.label.lower()} "
                f"(it was {old.label.lower()})."
            )
            found.append((Event.KPI_STATUS_CHANGED, data, text))
    return [
        (event, formats.envelope(event, org, audit.created, obj=obj, data=data, text=text))
        for event, data, text in found
    ]


def test_envelope(org: Organization, webhook_name: str, occurred) -> dict[str, Any]:
    """What the "Send a test" button sends."""
    return formats.envelope(
        TEST_EVENT,
        org,
        occurred,
        obj=_obj("organization", org.pk, org.name, formats.link("org_home", org)),
        data={"webhook": webhook_name},
        text=f"A test from Cairn for {org.name}: the webhook “{webhook_name}” works.",
    )
