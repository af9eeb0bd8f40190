"""The figures of execution, for a page, the dashboard card or the API: each initiative's
latest report, its report state and forecast finish, spend against plan for initiatives,
budget lines and the whole portfolio, and each benefit's realised figures.

A fixed number of queries whatever the number of initiatives, reports or actuals: actuals
are summed by the database (per initiative, month and kind), reports and measurements are
read once for the whole organisation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max, Min, OuterRef, Subquery, Sum
from django.utils import timezone

from cairn.core.calendar import add_months
from cairn.core.models import Organization
from cairn.execution import rules
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.kpis.models import Measurement
from cairn.portfolio.models import Initiative, Status
from cairn.roadmap.models import BudgetLine, Milestone, Plan, RoadmapItem

UNDER_WAY = (Status.APPROVED, Status.IN_PROGRESS)
EXECUTED = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)


@dataclass
class Row:
    """One initiative as the committee reviews it."""

    initiative: Initiative
    report: StatusReport | None
    report_state: rules.ReportState
    started: date | None
    planned_finish: date | None
    forecast_finish: date | None
    spend: rules.Spend
    plan_by_month: dict[date, Decimal] = field(default_factory=dict)
    actual_by_month: dict[date, Decimal] = field(default_factory=dict)
    not_started: bool = False

    @property
    def health(self) -> str | None:
        return self.report.health if self.report else None

    @property
    def percent_complete(self) -> int:
        return self.report.percent_complete if self.report else 0

    @property
    def late_by_days(self) -> int:
        if self.forecast_finish and self.planned_finish:
            return max((self.forecast_finish - self.planned_finish).days, 0)
        return 0


def this_month(today: date | None = None) -> date:
    return (today or timezone.localdate()).replace(day=1)


def closed_month(today: date | None = None) -> date:
    """Last month: the latest the finance system has closed, so "to date" runs to its end."""
    return add_months(this_month(today), -1)


def planned_spend(
    item: RoadmapItem | None,
    initiative: Initiative,
    plan: Plan,
    month: date,
    started: date | None = None,
):
    """What the plan says an initiative spends each month: its one-off cost spread over the
    months it runs (from its start, or its first status report when that is earlier, to the
    end the roadmap gives it), and a twelfth of its yearly running cost for each month from
    its finish up to ``month``."""
    if item is None or item.start is None:
        return {}
    first = plan.period_start(item.start)
    end = add_months(first, max(item.duration, 1) * plan.months_per_period)
    if started is not None and started < first:
        first = started.replace(day=1)
    months = (end.year - first.year) * 12 + end.month - first.month
    by_month = rules.spread(initiative.one_off_cost, first, months)
    if initiative.running_cost:
        monthly = (initiative.running_cost / 12).quantize(Decimal("0.01"))
        day = end
        while day <= month:
            by_month[day] = by_month.get(day, Decimal(0)) + monthly
            day = add_months(day, 1)
    return by_month


def first_reports(org: Organization) -> dict[int, date]:
    """The date of each initiative's first status report."""
    return dict(
        StatusReport.objects.filter(organization=org)
        .values("initiative_id")
        .annotate(first=Min("reported_on"))
        .values_list("initiative_id", "first")
    )


def started_on(item: RoadmapItem | None, plan: Plan, first_report: date | None) -> date | None:
    """When an initiative started: its start on the roadmap, or its first status report when
    that is earlier (it was under way before the roadmap began)."""
    started = plan.period_start(item.start) if item is not None and item.start is not None else None
    if first_report is not None and (started is None or first_report < started):
        return first_report
    return started


def latest_reports(org: Organization) -> dict[int, StatusReport]:
    """Each initiative's latest status report, in one query (a correlated subquery, so only
    the latest rows are read, however many reports there are)."""
    newest = StatusReport.objects.filter(initiative=OuterRef("initiative")).order_by(
        "-reported_on", "-pk"
    )
    found = StatusReport.objects.filter(
        organization=org, pk=Subquery(newest.values("pk")[:1])
    ).select_related("created_by")
    return {r.initiative_id: r for r in found}


def rows(org: Organization, *, today: date | None = None) -> list[Row]:
    """Every approved, in-progress or done initiative with its execution figures, the ones
    needing attention first (red, amber, no report, most overspent)."""
    today = today or timezone.localdate()
    month = this_month(today)
    plan = Plan.for_org(org)
    initiatives = list(
        Initiative.objects.filter(organization=org, status__in=EXECUTED)
        .select_related("roadmap_item__budget_line")
        .order_by("title")
    )
    latest = latest_reports(org)
    first_report = first_reports(org)
    actual = defaultdict(dict)
    for row in (
        Actual.objects.filter(organization=org)
        .values("initiative_id", "month")
        .annotate(total=Sum("amount"))
    ):
        actual[row["initiative_id"]][row["month"]] = row["total"]
    open_due = defaultdict(list)
    for m in Milestone.objects.filter(organization=org, done=False).values("initiative_id", "due"):
        open_due[m["initiative_id"]].append(m["due"])
    result = []
    for initiative in initiatives:
        item = getattr(initiative, "roadmap_item", None)
        scheduled = item is not None and item.start is not None
        started = started_on(item, plan, first_report.get(initiative.pk))
        finish = plan.period_start(item.end) if scheduled else None
        report = latest.get(initiative.pk)
        by_month = planned_spend(item, initiative, plan, month, started)
        spent = actual.get(initiative.pk, {})
        under_way = initiative.status in UNDER_WAY and (started is None or started <= today)
        state = (
            rules.report_state(
                report.reported_on if report else None,
                started,
                today,
                org.report_every_months,
                org.fiscal_year_start,
            )
            if under_way
            else rules.ReportState.NOT_DUE
        )
        forecast = (
            rules.forecast_finish(
                finish,
                started,
                report.percent_complete if report else None,
                report.reported_on if report else None,
                open_due.get(initiative.pk, []),
                today,
            )
            if finish
            else None
        )
        result.append(
            Row(
                initiative=initiative,
                report=report,
                report_state=state,
                started=started,
                planned_finish=finish,
                forecast_finish=forecast,
                spend=rules.spend(by_month, spent, closed_month(today)),
                plan_by_month=by_month,
                actual_by_month=spent,
                not_started=started is None or started > today,
            )
        )
    result.sort(key=lambda r: (-_attention(r), -(r.spend.variance), r.initiative.title))
    return result


def tolerance(org: Organization) -> float:
    """The overspend the organisation tolerates, as a share of the plan (0.10 for 10%)."""
    return org.overspend_tolerance_percent / 100


def _attention(row: Row) -> int:
    rank = rules.Health(row.health).rank if row.health else 0
    return rank * 2 + (row.report_state == rules.ReportState.MISSING)


@dataclass
class Portfolio:
    """The whole portfolio's execution at a glance (the dashboard's card)."""

    by_health: dict[str, int]
    missing_reports: int
    spend: rules.Spend
    overspent: list[Row]
    benefits_promised: int
    benefits_realised: int


def portfolio(org: Organization, found: list[Row] | None = None, *, today=None) -> Portfolio:
    found = rows(org, today=today) if found is None else found
    plan: dict[date, Decimal] = defaultdict(Decimal)
    actual: dict[date, Decimal] = defaultdict(Decimal)
    for row in found:
        for m, v in row.plan_by_month.items():
            plan[m] += v
        for m, v in row.actual_by_month.items():
            actual[m] += v
    by_health = {h.value: 0 for h in rules.Health}
    for row in found:
        if row.health and row.initiative.status in UNDER_WAY:
            by_health[row.health] += 1
    benefit_states = [b.realised.state for b in benefits(org, today=today)]
    return Portfolio(
        by_health=by_health,
        missing_reports=sum(r.report_state == rules.ReportState.MISSING for r in found),
        spend=rules.spend(plan, actual, closed_month(today)),
        overspent=[r for r in found if r.spend.overspent(tolerance(org))],
        benefits_promised=len(benefit_states),
        benefits_realised=sum(s == rules.BenefitState.REALISED for s in benefit_states),
    )


@dataclass
class BenefitRow:
    benefit: Benefit
    baseline: float | None
    latest: float | None
    started: date | None
    realised: rules.Realised
    others: int = 0  # other initiatives claiming the same KPI
    spent: Decimal | None = None  # on the initiative so far, where the page wants it


def benefits(org: Organization, *, today: date | None = None) -> list[BenefitRow]:
    """Every promised benefit with what has been realised of it (``rules.BENEFIT_RULE``): the
    KPI's value when the initiative started (its last measurement before the start, else its
    first after) against its latest."""
    today = today or timezone.localdate()
    plan = Plan.for_org(org)
    found = list(
        Benefit.objects.filter(organization=org)
        .select_related("initiative__roadmap_item", "kpi")
        .prefetch_related("kpi__goals")
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
                benefit=b,
                baseline=baseline,
                latest=latest,
                started=started,
                realised=realised,
                others=len(claims[b.kpi_id]) - 1,
            )
        )
    return result


def last_report_dates(org: Organization) -> dict[int, date]:
    """The date of each initiative's latest report (for reminders and the roadmap)."""
    return dict(
        StatusReport.objects.filter(organization=org)
        .values("initiative_id")
        .annotate(last=Max("reported_on"))
        .values_list("initiative_id", "last")
    )


def spent_by_initiative(org: Organization) -> dict[int, Decimal]:
    """Everything spent on each initiative so far, summed by the database."""
    return dict(
        Actual.objects.filter(organization=org)
        .values("initiative_id")
        .annotate(total=Sum("amount"))
        .values_list("initiative_id", "total")
    )


@dataclass
class LineSpend:
    """A budget line's spend month by month, cumulated: the plan, the actuals to date and the
    forecast to the end of the plan (for the chart), with the figures."""

    name: str
    months: list[date]
    plan: list[float]
    actual: list[float | None]
    forecast: list[float | None]
    spend: rules.Spend


def budget_lines(org: Organization, found: list[Row], *, today: date | None = None):
    """Spend by budget line, and for the whole portfolio last. An amount booked on a line
    counts there; one booked without a line counts on the line its initiative draws on."""
    closed = closed_month(today)
    line_of = {
        r.initiative.pk: getattr(getattr(r.initiative, "roadmap_item", None), "budget_line", None)
        for r in found
    }
    plans: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    actuals: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in found:
        line = line_of.get(row.initiative.pk)
        for m, v in row.plan_by_month.items():
            plans[line.name if line else ""][m] += v
    names = dict(BudgetLine.objects.filter(organization=org).values_list("pk", "name"))
    for row in (
        Actual.objects.filter(organization=org)
        .values("budget_line_id", "initiative_id", "month")
        .annotate(total=Sum("amount"))
    ):
        line_id = row["budget_line_id"]
        if line_id is None:
            fallback = line_of.get(row["initiative_id"])
            line_id = fallback.pk if fallback else None
        actuals[names.get(line_id, "")][row["month"]] += row["total"]
    result = []
    for name in sorted(set(plans) | set(actuals), key=lambda n: (n == "", n)):
        result.append(_line(name or "No budget line", plans[name], actuals[name], closed))
    if len(result) > 1:
        total_plan: dict[date, Decimal] = defaultdict(Decimal)
        total_actual: dict[date, Decimal] = defaultdict(Decimal)
        for name in set(plans) | set(actuals):
            for m, v in plans[name].items():
                total_plan[m] += v
            for m, v in actuals[name].items():
                total_actual[m] += v
        result.append(_line("Whole portfolio", total_plan, total_actual, closed))
    return result


def _line(name, plan, actual, closed) -> LineSpend:
    figures = rules.spend(plan, actual, closed)
    first = min([*plan, *actual], default=closed)
    last = max([*plan, *actual, closed])
    months, day = [], first
    while day <= last:
        months.append(day)
        day = add_months(day, 1)
    cum_plan, cum_actual, forecast = [], [], []
    p = a = Decimal(0)
    future = [m for m in months if m > closed]
    for m in months:
        p += plan.get(m, Decimal(0))
        cum_plan.append(float(p))
        if m <= closed:
            a += actual.get(m, Decimal(0))
            cum_actual.append(float(a))
            forecast.append(float(a) if m == closed else None)
        else:
            cum_actual.append(None)
            step = (figures.forecast - figures.actual_to_date) / len(future)
            forecast.append(float(figures.actual_to_date + step * (future.index(m) + 1)))
    return LineSpend(name, months, cum_plan, cum_actual, forecast, figures)
