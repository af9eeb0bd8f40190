"""The benefits initiatives promised, and what has been realised of them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from cairn.core.models import Organization
from cairn.execution import rules
from cairn.execution.models import Actual, Benefit
from cairn.execution.services.common import _cached, first_reports, started_on
from cairn.kpis.models import Measurement
from cairn.roadmap.models import Plan


@dataclass
class BenefitRow:
    benefit_id: int
    initiative_id: int
    baseline: float | None
    latest: float | None
    started: date | None
    realised: rules.Realised
    others: int = 0  # other initiatives claiming the same KPI
    spent: Decimal | None = None  # on the initiative so far, where the page wants it
    benefit: Benefit | None = None  # read by ``attach_benefits``


def benefits(
    org: Organization,
    *,
    today: date | None = None,
    initiative_id: int | None = None,
    attach: bool = True,
) -> list[BenefitRow]:
    """Every promised benefit (or those of one initiative) with what has been realised of it
    (``compute_benefits``). The figures are kept in the cache until the organisation's data
    or the day changes; ``attach`` reads the benefits themselves (with their initiative, KPI
    and its goals) for the rows asked for only, so a page of a large register stays cheap:
    ``attach_benefits(page)``."""
    today = today or timezone.localdate()
    found = _cached(org, "benefits", today, lambda: compute_benefits(org, today=today))
    if initiative_id is not None:
        found = [b for b in found if b.initiative_id == initiative_id]
    return attach_benefits(found) if attach else found


def attach_benefits(found: list[BenefitRow]) -> list[BenefitRow]:
    """The rows with their benefits read (in three queries)."""
    objs = (
        Benefit.objects.filter(pk__in=[b.benefit_id for b in found])
        .select_related("initiative", "kpi")
        .prefetch_related("kpi__goals")
        .in_bulk()
    )
    return [replace(b, benefit=objs[b.benefit_id]) for b in found if b.benefit_id in objs]


def benefit_counts(org: Organization, *, today: date | None = None) -> tuple[int, int]:
    """(promised, realised) benefits: the cards need no more."""
    states = [b.realised.state for b in benefits(org, today=today, attach=False)]
    return len(states), sum(s == rules.BenefitState.REALISED for s in states)


def compute_benefits(org: Organization, *, today: date | None = None) -> list[BenefitRow]:
    """Every promised benefit with what has been realised of it (``rules.BENEFIT_RULE``): the
    KPI's value when the initiative started (its last measurement before the start, else its
    first after) against its latest. Plain figures, without the benefits themselves."""
    today = today or timezone.localdate()
    plan = Plan.for_org(org)
    found = list(
        Benefit.objects.filter(organization=org)
        .select_related("initiative__roadmap_item", "kpi")
        .order_by("kpi__name", "due")
    )
    first_report = first_reports(org)
    kpi_ids = {b.kpi_id for b in found}
    values = defaultdict(list)
    for kpi_id, day, value in (
        Measurement.objects.filter(kpi_id__in=kpi_ids)
        .order_by("kpi_id", "date")
        .values_list("kpi_id", "date", "value")
    ):
        values[kpi_id].append((day, value))
    claims = defaultdict(set)
    for b in found:
        claims[b.kpi_id].add(b.initiative_id)
    result = []
    for b in found:
        started = started_on(
            getattr(b.initiative, "roadmap_item", None), plan, first_report.get(b.initiative_id)
        )
        series = values.get(b.kpi_id, [])
        baseline = latest = None
        if started is not None and series:
            before = [v for d, v in series if d <= started]
            after = [v for d, v in series if d > started]
            baseline = before[-1] if before else (after[0] if after else None)
            latest = series[-1][1]
        realised = rules.realised(
            b.change, b.kpi.direction == "up", baseline, latest, started, b.due, today
        )
        result.append(
            BenefitRow(
                benefit_id=b.pk,
                initiative_id=b.initiative_id,
                baseline=baseline,
                latest=latest,
                started=started,
                realised=realised,
                others=len(claims[b.kpi_id]) - 1,
            )
        )
    return result


def register(found: list[BenefitRow]) -> tuple[list[BenefitRow], dict[str, list[BenefitRow]]]:
    """A page of the benefits register: the rows with their benefits and the money spent so
    far on each one's initiative, and the same rows under each goal their KPI measures."""
    found = attach_benefits(found)
    spent = dict(
        Actual.objects.filter(initiative_id__in={b.initiative_id for b in found})
        .values("initiative_id")
        .annotate(total=Sum("amount"))
        .values_list("initiative_id", "total")
    )
    by_goal: dict[str, list[BenefitRow]] = {}
    for row in found:
        row.spent = spent.get(row.initiative_id)
        for goal in [g.title for g in row.benefit.kpi.goals.all()] or ["Not linked to a goal"]:
            by_goal.setdefault(goal, []).append(row)
    return found, by_goal


def benefit_charts(promised: list[BenefitRow]) -> list[dict]:
    """For each benefit under way: its KPI's values since a month before the initiative
    started, and the promise as a straight path from the value at the start to the promised
    value by its date (the KPI page's chart, with the promise for a target)."""
    shown = [b for b in promised if b.started is not None and b.baseline is not None]
    since = min((b.started for b in shown), default=None)
    series: dict[int, list] = {}
    if shown:
        for kpi_id, day, value in (
            Measurement.objects.filter(
                kpi_id__in={b.benefit.kpi_id for b in shown}, date__gte=since - timedelta(days=31)
            )
            .order_by("date")
            .values_list("kpi_id", "date", "value")
        ):
            series.setdefault(kpi_id, []).append((day, value))
    charts = []
    for b in shown:
        kpi = b.benefit.kpi
        sign = 1 if kpi.direction == "up" else -1
        values = [(d, v) for d, v in series.get(kpi.pk, []) if d >= b.started - timedelta(days=31)]
        charts.append(
            {
                "id": b.benefit_id,
                "title": f"{kpi.name}: {b.realised.state.label.lower()}",
                "data": {
                    "unit": kpi.unit,
                    "values": [(d.isoformat(), v) for d, v in values],
                    "baseline": (b.started.isoformat(), b.baseline),
                    "target": (b.benefit.due.isoformat(), b.baseline + sign * b.benefit.change),
                    "pathLabel": "The promise's path",
                    "targetLabel": "Promised",
                },
            }
        )
    return charts
