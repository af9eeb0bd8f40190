"""The figures of the organisation's dashboard, in a fixed number of queries.

Every count, sum and roll-up is made by the database. Each KPI row carries
its latest value, recent points and the status of that value (kept current
by ``services.refresh`` and ``Kpi.save``), so neither the number of
measurements nor the number of KPIs changes the work done in Python: only
the KPIs shown — the six needing most attention per goal — are loaded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from cairn.aigov.models import AiPolicy
from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal
from cairn.governance.models import Review
from cairn.kpis import status as rules
from cairn.kpis.models import Kpi, Win
from cairn.kpis.services import win_proposals
from cairn.links import suggest
from cairn.portfolio.models import Initiative, Kind, Status

OPEN = (Status.IDEA, Status.PROPOSED, Status.APPROVED, Status.IN_PROGRESS, Status.DEFERRED)
KPIS_PER_GOAL = 5  # the rest are one click away: a CEO reads the ones that need attention
SHINY_SHOWN = 8
REVIEW_SOON = 31  # days: a review due within a month shows
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))
RANKS = {s.rank: s for s in rules.Status if s.rank >= 0}


def stale_q(today: date) -> Q:
    """KPIs not measured for longer than their rhythm allows (``status.is_stale`` in SQL)."""
    q = Q(pk__in=[])
    for rhythm, days in rules.ALLOWED_DAYS.items():
        q |= Q(rhythm=rhythm, latest_date__lt=today - timedelta(days=days))
    return q


def annotate(kpi: Kpi, today: date) -> Kpi:
    """Attach what the pages show about a KPI beside its stored status: whether it is stale."""
    kpi.stale = kpi.is_stale(today)
    return kpi


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
    stale: list[dict]
    spend_total: Decimal
    spend_aligned: Decimal
    shiny: list[Initiative]
    shiny_count: int
    goals_without_kpi: list[BusinessGoal]
    goals_without_initiative: list[BusinessGoal]
    mix: dict[str, Decimal]
    change_target: int
    wins: list[Win]
    proposals: list[Kpi]  # at their target with no win recorded
    waiting: int  # initiatives proposed, waiting for the committee's decision
    reviews_due: list[Review]  # within a month, or overdue
    policies_overdue: list[AiPolicy]  # AI policies past their review date
    today: date

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


def goal_roll_ups(org: Organization) -> list[BusinessGoal]:
    """The organisation's goals, each with its KPIs' roll-up (``status.roll_up`` in SQL):
    ``worst`` status rank and ``mean`` progress of the KPIs that count, the number of KPIs,
    and of open initiatives that serve it (two queries)."""
    links = Initiative.goals.through.objects.filter(
        businessgoal_id=OuterRef("pk"), initiative__status__in=OPEN
    )
    serving = links.values("businessgoal_id").annotate(n=Count("*")).values("n")
    goals = list(
        BusinessGoal.objects.filter(organization=org).annotate(
            open_initiatives=Coalesce(Subquery(serving, output_field=IntegerField()), 0)
        )
    )
    counted = Q(kpi__status_rank__gte=0)
    roll_ups = {
        row["businessgoal_id"]: row
        for row in Kpi.goals.through.objects.filter(businessgoal__organization=org)
        .values("businessgoal_id")
        .annotate(
            kpi_count=Count("*"),
            worst=Max("kpi__status_rank", filter=counted),
            mean=Avg("kpi__progress_share", filter=counted),
        )
        .order_by()
    }
    for goal in goals:
        row = roll_ups.get(goal.pk, {})
        goal.kpi_count = row.get("kpi_count", 0)
        goal.worst, goal.mean = row.get("worst"), row.get("mean")
    return goals


def roll_up_of(goal) -> rules.Status:
    if goal.worst is not None:
        return RANKS[goal.worst]
    return rules.Status.NO_DATA if goal.kpi_count else rules.Status.NOT_SET


def figures(org: Organization, today: date) -> Dashboard:
    """Everything the dashboard shows, in eleven queries whatever the size of the data (and
    three more for the goal suggested for each initiative that serves none, when any does)."""
    goals = goal_roll_ups(org)
    kpis = Kpi.objects.filter(organization=org)
    by_status = {s.value: 0 for s in rules.Status}
    by_status.update(kpis.values_list("status_code").annotate(n=Count("id")).order_by())
    stale = list(kpis.filter(stale_q(today)).values("id", "name").order_by("name"))
    proposals = list(win_proposals(org))
    # The KPIs shown under each goal: worst status first, then stale ones, then by name.
    stale_first = Case(When(stale_q(today), then=True), default=False, output_field=BooleanField())
    shown = (
        kpis.filter(goals__organization=org)
        .annotate(
            goal_id=F("goals__id"),
            place=Window(
                RowNumber(),
                partition_by=F("goals__id"),
                order_by=[F("status_rank").desc(), stale_first.desc(), F("name").asc()],
            ),
        )
        .filter(place__lte=KPIS_PER_GOAL)
        .defer("description", "replaces")
    )
    by_goal: dict[int, list[Kpi]] = {g.pk: [] for g in goals}
    for kpi in sorted(shown, key=lambda k: k.place):
        annotate(kpi, today)
        kpi.outlook = kpi.forecast(today)
        by_goal[kpi.goal_id].append(kpi)
    rows = [
        GoalRow(
            goal,
            roll_up_of(goal),
            goal.mean,
            by_goal[goal.pk],
            goal.kpi_count - len(by_goal[goal.pk]),
            goal.open_initiatives,
        )
        for goal in goals
    ]
    initiatives = Initiative.objects.filter(organization=org, status__in=OPEN)
    serving = Exists(Initiative.goals.through.objects.filter(initiative_id=OuterRef("pk")))
    cost = F("one_off_cost") + F("running_cost")
    spend = initiatives.annotate(serves=serving).aggregate(
        total=Coalesce(Sum(cost), ZERO),
        aligned=Coalesce(Sum(cost, filter=Q(serves=True)), ZERO),
        shiny=Count("pk", filter=Q(serves=False)),
        run=Coalesce(Sum("one_off_cost", filter=Q(kind=Kind.RUN)), ZERO),
        change=Coalesce(Sum("one_off_cost", filter=Q(kind=Kind.CHANGE)), ZERO),
        waiting=Count("pk", filter=Q(status=Status.PROPOSED)),
    )
    shiny = list(
        initiatives.annotate(serves=serving)
        .filter(serves=False)
        .annotate(cost=cost)
        .order_by("-cost", "title")
        .only("id", "title", "description", "one_off_cost", "running_cost", "status")[:SHINY_SHOWN]
    )
    # The goal each seems to serve, from the words they share (three queries, when any).
    suggested = suggest.top_goals(org, shiny, goals)
    for initiative in shiny:
        initiative.suggestion = suggested.get(initiative.pk)
    wins = list(Win.objects.filter(organization=org).select_related("goal")[:5])
    reviews = list(
        Review.objects.filter(
            organization=org, completed_on=None, due__lte=today + timedelta(days=REVIEW_SOON)
        )
    )
    policies = list(AiPolicy.objects.filter(organization=org, review_by__lt=today))
    return Dashboard(
        goals=rows,
        kpi_count=sum(by_status.values()),
        by_status=by_status,
        stale=stale,
        spend_total=spend["total"],
        spend_aligned=spend["aligned"],
        shiny=shiny,
        shiny_count=spend["shiny"],
        goals_without_kpi=[g for g in goals if not g.kpi_count],
        goals_without_initiative=[g for g in goals if not g.open_initiatives],
        mix={"run": spend["run"], "change": spend["change"]},
        change_target=org.change_target_percent,
        wins=wins,
        proposals=proposals,
        waiting=spend["waiting"],
        reviews_due=reviews,
        policies_overdue=policies,
        today=today,
    )


@dataclass
class Execution:
    """The dashboard's execution card: how the initiatives under way are going."""

    portfolio: object  # execution.services.Portfolio
    attention: list  # execution.services.Figures, red and amber first, then missing reports
    overspent: list  # beyond the organisation's tolerance
    tolerance_percent: int
    count: int

    @property
    def reported(self) -> int:
        return sum(self.portfolio.by_health.values())


def execution(org: Organization, today: date) -> Execution | None:
    """The execution card's figures (``execution.services.figures`` and ``portfolio``: a
    fixed number of queries), or None when no initiative is approved yet."""
    from cairn.execution import services as going
    from cairn.execution.rules import ReportState

    found = going.figures(org, today=today)
    if not found:
        return None
    totals = going.portfolio(org, found, today=today)
    return Execution(
        portfolio=totals,
        attention=[
            f
            for f in found
            if f.status in going.UNDER_WAY
            and (f.health in ("red", "amber") or f.report_state == ReportState.MISSING)
        ][:SHINY_SHOWN],
        overspent=totals.overspent,
        tolerance_percent=org.overspend_tolerance_percent,
        count=len(found),
    )
