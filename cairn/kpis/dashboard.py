"""The figures of the organisation's dashboard, in a fixed number of queries.

Sums and counts are made by the database; each KPI is one row carrying its
latest value and recent points (kept current by ``services.refresh``), so
neither the number of measurements nor of initiatives changes the number
of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce

from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal
from cairn.kpis import status as rules
from cairn.kpis.models import Kpi, Win
from cairn.portfolio.models import Initiative, Kind, Status

OPEN = (Status.IDEA, Status.PROPOSED, Status.APPROVED, Status.IN_PROGRESS, Status.DEFERRED)
KPIS_PER_GOAL = 6  # the rest are one click away: a CEO reads the ones that need attention
SHINY_SHOWN = 8
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))


@dataclass
class GoalRow:
    goal: BusinessGoal
    status: rules.Status
    progress: float | None
    kpis: list[Kpi]
    more: int
    initiatives: int

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)


@dataclass
class Dashboard:
    goals: list[GoalRow]
    kpi_count: int
    by_status: dict[str, int]
    stale: list[Kpi]
    unlinked_kpis: list[Kpi]
    spend_total: Decimal
    spend_aligned: Decimal
    shiny: list[Initiative]
    shiny_count: int
    goals_without_kpi: list[BusinessGoal]
    goals_without_initiative: list[BusinessGoal]
    mix: dict[str, Decimal]
    change_target: int
    wins: list[Win]
    proposals: list[Kpi]
    today: date
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def aligned_percent(self) -> int | None:
        if not self.spend_total:
            return None
        return round(self.spend_aligned / self.spend_total * 100)

    @property
    def change_percent(self) -> int | None:
        total = self.mix["run"] + self.mix["change"]
        return round(self.mix["change"] / total * 100) if total else None

    @property
    def run_percent(self) -> int | None:
        change = self.change_percent
        return None if change is None else 100 - change


def annotate(kpi: Kpi, today: date) -> Kpi:
    """Attach what the pages show about a KPI: status, stale, forecast."""
    kpi.current_status = kpi.status
    kpi.stale = kpi.is_stale(today)
    return kpi


def figures(org: Organization, today: date) -> Dashboard:
    """Everything the dashboard shows (six queries, whatever the size of the data)."""
    goals = list(
        BusinessGoal.objects.filter(organization=org).annotate(
            open_initiatives=Count("initiatives", filter=Q(initiatives__status__in=OPEN))
        )
    )
    kpis = list(
        Kpi.objects.filter(organization=org)
        .annotate(has_win=Exists(Win.objects.filter(kpi=OuterRef("pk"))))
        .prefetch_related(Prefetch("goals", queryset=BusinessGoal.objects.only("id")))
    )
    by_goal: dict[int, list[Kpi]] = {g.pk: [] for g in goals}
    by_status: dict[str, int] = {s.value: 0 for s in rules.Status}
    stale, unlinked, proposals = [], [], []
    for kpi in kpis:
        annotate(kpi, today)
        by_status[kpi.current_status.value] += 1
        if kpi.stale:
            stale.append(kpi)
        if kpi.current_status == rules.Status.ACHIEVED and not kpi.has_win:
            proposals.append(kpi)
        goal_ids = [g.pk for g in kpi.goals.all()]
        if not goal_ids:
            unlinked.append(kpi)
        for goal_id in goal_ids:
            by_goal[goal_id].append(kpi)
    rows = []
    for goal in goals:
        measured = by_goal[goal.pk]
        state, share = rules.roll_up([(k.current_status, k.progress) for k in measured])
        measured.sort(key=lambda k: (-k.current_status.rank, not k.stale, k.name))
        shown = measured[:KPIS_PER_GOAL]
        for kpi in shown:
            kpi.outlook = kpi.forecast(today)
        rows.append(
            GoalRow(goal, state, share, shown, len(measured) - len(shown), goal.open_initiatives)
        )
    initiatives = Initiative.objects.filter(organization=org, status__in=OPEN)
    serving = Exists(Initiative.goals.through.objects.filter(initiative_id=OuterRef("pk")))
    cost = F("one_off_cost") + F("running_cost")
    spend = initiatives.annotate(serves=serving).aggregate(
        total=Coalesce(Sum(cost), ZERO),
        aligned=Coalesce(Sum(cost, filter=Q(serves=True)), ZERO),
        shiny=Count("pk", filter=Q(serves=False)),
        run=Coalesce(Sum("one_off_cost", filter=Q(kind=Kind.RUN)), ZERO),
        change=Coalesce(Sum("one_off_cost", filter=Q(kind=Kind.CHANGE)), ZERO),
    )
    shiny = list(
        initiatives.annotate(serves=serving)
        .filter(serves=False)
        .annotate(cost=cost)
        .order_by("-cost", "title")
        .only("id", "title", "one_off_cost", "running_cost", "status")[:SHINY_SHOWN]
    )
    wins = list(Win.objects.filter(organization=org).select_related("goal", "kpi")[:5])
    return Dashboard(
        goals=rows,
        kpi_count=len(kpis),
        by_status=by_status,
        stale=stale,
        unlinked_kpis=unlinked,
        spend_total=spend["total"],
        spend_aligned=spend["aligned"],
        shiny=shiny,
        shiny_count=spend["shiny"],
        goals_without_kpi=[g for g in goals if not by_goal[g.pk]],
        goals_without_initiative=[g for g in goals if not g.open_initiatives],
        mix={"run": spend["run"], "change": spend["change"]},
        change_target=org.change_target_percent,
        wins=wins,
        proposals=proposals,
        today=today,
    )
