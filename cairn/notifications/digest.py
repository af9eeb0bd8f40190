"""The weekly digest: what changed since the last one, what is off track, and the wins.

Read in a fixed number of queries whatever the size of the data: the changes are counted by
the database from the audit trail, the notable ones read from its newest rows; the KPIs'
status is the one stored with them (the dashboard's); the initiatives' health is the
execution figures'. Every line is (text, path), the path empty where no page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.apps import apps
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from cairn.core.models import AuditAction, AuditEvent, Organization
from cairn.execution import rules as execution_rules
from cairn.execution import services as execution
from cairn.kpis.models import Kpi, Win
from cairn.kpis.status import Status as KpiStatus
from cairn.portfolio.models import Status

NOTABLE_SHOWN = 5  # the few most notable changes of each sort
NOTABLE_READ = 500  # the newest audit rows read for them: a digest is a glimpse, not a trail
OFF_TRACK_SHOWN = 10
WINS_SHOWN = 10

Line = tuple[str, str]  # (text, path)

ACTIONS = {
    AuditAction.CREATE: "added",
    AuditAction.UPDATE: "changed",
    AuditAction.DELETE: "deleted",
    AuditAction.RESTORE: "restored",
}


@dataclass(frozen=True)
class Digest:
    """What the weekly digest says, each part a tuple of (text, path) lines."""

    since: datetime
    today: date
    changed: tuple[Line, ...]
    off_track: tuple[Line, ...]
    wins: tuple[Line, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.off_track or self.wins)


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _names(object_type: str, n: int) -> str:
    """ "1 KPI", "3 decisions": the kind of object in words, from its model."""
    try:
        meta = apps.get_model(object_type)._meta
    except (LookupError, ValueError):
        word = object_type.split(".")[-1]
        return f"{n} {word}" if n == 1 else f"{n} {word}s"
    return f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}"


def _counts(org: Organization, since: datetime) -> list[Line]:
    """One line per kind of object changed: "2 decisions added, 1 changed"."""
    by_type: dict[str, dict[str, int]] = {}
    for object_type, action, n in (
        AuditEvent.objects.filter(organization=org, created__gte=since)
        .values("object_type", "action")
        .annotate(n=Count("id"))
        .values_list("object_type", "action", "n")
        .order_by("object_type", "action")
    ):
        by_type.setdefault(object_type, {})[action] = n
    activity = reverse("activity", args=[org.slug])
    lines = []
    order = list(ACTIONS)
    for object_type, actions in sorted(by_type.items(), key=lambda kv: -sum(kv[1].values())):
        (first, n), *rest = sorted(actions.items(), key=lambda an: order.index(an[0]))
        text = f"{_names(object_type, n)} {ACTIONS[first]}"
        text += "".join(f", {m} {ACTIONS[action]}" for action, m in rest)
        lines.append((text + ".", f"{activity}?type={object_type}"))
    return lines


def _notable(org: Organization, since: datetime, kpi_names: dict[int, str]) -> list[Line]:
    """Decisions recorded, initiatives whose status changed, values recorded: the newest
    few of each, from the audit trail."""
    slug = org.slug
    events = AuditEvent.objects.filter(
        organization=org,
        created__gte=since,
        object_type__in=[
            "governance.decision",
            "portfolio.initiative",
            "kpis.measurement",
            "kpis.kpi",
        ],
        action__in=[AuditAction.CREATE, AuditAction.UPDATE],
    ).only("object_type", "object_id", "object_repr", "action", "before", "after")[:NOTABLE_READ]
    decisions: list[Line] = []
    moves: list[Line] = []
    values: dict[int, int] = {}  # KPI id: values recorded
    seen_moves: set[int] = set()
    for e in events:
        before, after = e.before or {}, e.after or {}
        if e.object_type == "governance.decision" and e.action == AuditAction.CREATE:
            decisions.append(
                (f"Decision: {e.object_repr}", reverse("governance:decision_list", args=[slug]))
            )
        elif e.object_type == "portfolio.initiative" and e.action == AuditAction.UPDATE:
            old, new = before.get("status"), after.get("status")
            if old and new and old != new and e.object_id not in seen_moves:
                seen_moves.add(e.object_id)  # the newest move of each initiative
                labels = dict(Status.choices)
                moves.append(
                    (
                        f"“{e.object_repr}”: {labels.get(old, old).lower()} → "
                        f"{labels.get(new, new).lower()}",
                        reverse("portfolio:initiative_detail", args=[slug, e.object_id]),
                    )
                )
        elif e.object_type == "kpis.measurement" and e.action == AuditAction.CREATE:
            kpi_id = after.get("kpi")
            if kpi_id in kpi_names:
                values[kpi_id] = values.get(kpi_id, 0) + 1
        elif e.object_type == "kpis.kpi" and e.object_id in kpi_names:
            n = after.get("measurements recorded")  # a bulk write: one event per KPI
            if isinstance(n, int):
                values[e.object_id] = values.get(e.object_id, 0) + n
    recorded = [
        (
            f"“{kpi_names[pk]}”: {n} new value{'s' if n != 1 else ''}",
            reverse("kpis:kpi_detail", args=[slug, pk]),
        )
        for pk, n in sorted(values.items(), key=lambda kv: (-kv[1], kpi_names[kv[0]]))
        if n
    ]
    return decisions[:NOTABLE_SHOWN] + moves[:NOTABLE_SHOWN] + recorded[:NOTABLE_SHOWN]


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "none"
    return f"{value:g}%" if unit.strip() == "%" else f"{value:g} {unit}".strip()


def digest(org: Organization, since: datetime | date, today: date) -> Digest:
    """The digest of what happened from ``since`` (a moment, or the start of a day) to
    ``today``, in 9 queries: the changes counted and the notable ones, the KPIs, the
    execution figures (five queries) and the wins."""
    if not isinstance(since, datetime):
        since = timezone.make_aware(datetime.combine(since, time.min))
    slug = org.slug
    kpis = list(
        Kpi.objects.filter(organization=org).values_list(
            "pk", "name", "status_code", "latest_value", "target_value", "unit"
        )
    )
    changed = _counts(org, since) + _notable(org, since, {k[0]: k[1] for k in kpis})
    bad = (KpiStatus.OFF_TRACK, KpiStatus.AT_RISK)
    worst = sorted(
        (k for k in kpis if k[2] in bad),
        key=lambda k: (-KpiStatus(k[2]).rank, k[1]),
    )
    off_track: list[Line] = [
        (
            f"“{name}” is {KpiStatus(code).label.lower()}: {_number(latest, unit)} against a "
            f"target of {_number(target, unit)}",
            reverse("kpis:kpi_detail", args=[slug, pk]),
        )
        for pk, name, code, latest, target, unit in worst[:OFF_TRACK_SHOWN]
    ]
    troubled = sorted(
        (
            f
            for f in execution.compute_figures(org, today=today)
            if f.status in execution.UNDER_WAY
            and f.health in (execution_rules.Health.RED, execution_rules.Health.AMBER)
        ),
        key=lambda f: (-execution_rules.Health(f.health).rank, f.title),
    )
    off_track += [
        (
            f"“{f.title}”: {execution_rules.Health(f.health).label.lower()} "
            f"(report of {_day(f.reported_on)})",
            reverse("execution:initiative", args=[slug, f.pk]),
        )
        for f in troubled[:OFF_TRACK_SHOWN]
    ]
    wins = [
        (
            f"{w.title} ({_day(w.achieved_on)})",
            reverse("kpis:win_list", args=[slug]),
        )
        for w in Win.objects.filter(
            organization=org,
            achieved_on__gte=timezone.localtime(since).date(),
            achieved_on__lte=today,
        ).only("title", "achieved_on")[:WINS_SHOWN]
    ]
    return Digest(
        since=since,
        today=today,
        changed=tuple(changed),
        off_track=tuple(off_track),
        wins=tuple(wins),
    )
