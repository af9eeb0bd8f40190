"""The figures of execution, for a page, the dashboard card or the API: each initiative's
latest report, its report state and forecast finish, spend against plan for initiatives,
budget lines and the whole portfolio, and each benefit's realised figures.

A fixed number of queries whatever the number of initiatives, reports or actuals: actuals
are summed by the database (per initiative, month and kind), reports and measurements are
read once for the whole organisation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cairn.core.calendar import add_months
from cairn.core.models import Organization
from cairn.core.services import data_version
from cairn.execution import rules
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.kpis.models import Measurement
from cairn.portfolio.models import Initiative, Status
from cairn.roadmap.models import BudgetLine, Milestone, Plan, RoadmapItem

UNDER_WAY = (Status.APPROVED, Status.IN_PROGRESS)
EXECUTED = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)


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


def latest_reports(org: Organization, ids=None) -> dict[int, StatusReport]:
    """Each initiative's latest status report, in one query (a correlated subquery, so only
    the latest rows are read, however many reports there are)."""
    newest = StatusReport.objects.filter(initiative=OuterRef("initiative")).order_by(
        "-reported_on", "-pk"
    )
    found = StatusReport.objects.filter(
        organization=org, pk=Subquery(newest.values("pk")[:1])
    ).select_related("created_by")
    if ids is not None:
        found = found.filter(initiative_id__in=ids)
    return {r.initiative_id: r for r in found}


@dataclass
class Figures:
    """One initiative's execution figures, worked out from plain values the database summed
    (no model instances): cheap enough for every initiative of a large organisation, so that
    pages can sort and count them all and show a page of them."""

    pk: int
    title: str
    status: str
    budget_line_id: int | None
    started: date | None
    planned_finish: date | None
    forecast_finish: date | None
    health: str | None
    percent_complete: int | None
    reported_on: date | None
    report_state: rules.ReportState
    spend: rules.Spend
    not_started: bool
    one_off: Decimal = Decimal(0)
    running: Decimal = Decimal(0)
    span: tuple[date, date] | None = None  # first month of one-off spend, month after last

    @property
    def late_by_days(self) -> int:
        if self.forecast_finish and self.planned_finish:
            return max((self.forecast_finish - self.planned_finish).days, 0)
        return 0

    @property
    def attention(self) -> int:
        """Higher needs the committee more: red, amber, then a missing report."""
        rank = rules.Health(self.health).rank if self.health else 0
        return rank * 2 + (self.report_state == rules.ReportState.MISSING)


@dataclass
class Row:
    """One initiative as the committee reviews it: its figures, the initiative and its latest
    report; the months of its plan and spend when asked for (``rows(..., monthly=True)``)."""

    figures: Figures
    initiative: Initiative
    report: StatusReport | None
    plan_by_month: dict[date, Decimal] = field(default_factory=dict)
    actual_by_month: dict[date, Decimal] = field(default_factory=dict)

    def __getattr__(self, name):  # started, spend, report_state, … are the figures'
        if name == "figures":
            raise AttributeError(name)
        return getattr(self.figures, name)


def _months(first: date, last: date) -> int:
    """Months from ``first`` to ``last``, both firsts of months (0 when the same)."""
    return (last.year - first.year) * 12 + last.month - first.month


def plan_span(
    start: int | None, duration: int | None, plan: Plan, started: date | None
) -> tuple[date, date] | None:
    """The first month of an initiative's one-off spend and the month after its last: its
    slot on the roadmap, from its first report when that is earlier."""
    if start is None:
        return None
    first = plan.period_start(start)
    end = add_months(first, max(duration or 0, 1) * plan.months_per_period)
    if started is not None and started < first:
        first = started.replace(day=1)
    return first, end


def planned_figures(
    one_off: Decimal, running: Decimal, span, closed: date, month: date
) -> tuple[Decimal, Decimal, int]:
    """(planned to the end of ``closed``, planned in all, plan months after ``closed``) for
    the plan ``planned_spend`` spells out month by month, worked out without the months."""
    if span is None:
        return Decimal(0), Decimal(0), 0
    first, end = span
    months = _months(first, end)
    share = (one_off / months).quantize(Decimal("0.01")) if months and one_off else Decimal(0)
    done = min(max(_months(first, closed) + 1, 0), months) if one_off else 0
    to_date = one_off if done == months and one_off else share * done
    total = one_off if one_off and months else Decimal(0)
    left = (months - done) if one_off else 0
    if running:
        monthly = (running / 12).quantize(Decimal("0.01"))
        planned_running = max(_months(end, month) + 1, 0)
        running_to_date = max(_months(end, closed) + 1, 0)
        to_date += monthly * running_to_date
        total += monthly * planned_running
        left += planned_running - running_to_date
    return to_date, total, left


CACHE_SECONDS = 600


def _cached(org: Organization, name: str, today: date, compute):
    """What ``compute`` gives, kept until anything of the organisation changes (its newest
    audit event: every change is audited) or the day changes, as the dashboard does."""
    key = f"cairn:execution:{name}:{org.pk}:{data_version(org)}:{today}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def figures(org: Organization, *, today: date | None = None, pks=None) -> list[Figures]:
    """Every approved, in-progress or done initiative's figures (``compute_figures``), kept
    in the cache until the organisation's data or the day changes."""
    today = today or timezone.localdate()
    if pks is not None:
        return compute_figures(org, today=today, pks=pks)
    return _cached(org, "figures", today, lambda: compute_figures(org, today=today))


def compute_figures(org: Organization, *, today: date | None = None, pks=None) -> list[Figures]:
    """Every approved, in-progress or done initiative's figures, the ones needing the
    committee first (red, amber, no report), then the most overspent. Six queries, whatever
    the number of initiatives, reports and actuals."""
    today = today or timezone.localdate()
    month, closed = this_month(today), closed_month(today)
    plan = Plan.for_org(org)
    newest = StatusReport.objects.filter(initiative=OuterRef("pk")).order_by("-reported_on", "-pk")
    initiatives = (
        Initiative.objects.filter(organization=org, status__in=EXECUTED)
        .annotate(
            last_on=Subquery(newest.values("reported_on")[:1]),
            last_health=Subquery(newest.values("health")[:1]),
            last_percent=Subquery(newest.values("percent_complete")[:1]),
        )
        .values(
            "pk",
            "title",
            "status",
            "one_off_cost",
            "running_cost",
            "last_on",
            "last_health",
            "last_percent",
            "roadmap_item__start",
            "roadmap_item__duration",
            "roadmap_item__budget_line_id",
        )  # fmt: skip
    )
    if pks is not None:  # only these initiatives (one initiative's page)
        initiatives = initiatives.filter(pk__in=pks)
    first_report = first_reports(org)
    spent = {
        r["initiative_id"]: r
        for r in Actual.objects.filter(organization=org, month__lte=closed)
        .values("initiative_id")
        .annotate(
            to_date=Sum("amount"),
            recent=Sum("amount", filter=Q(month__gt=add_months(closed, -3))),
        )
    }
    earliest_open = dict(
        Milestone.objects.filter(organization=org, done=False, due__lt=today)
        .values("initiative_id")
        .annotate(first=Min("due"))
        .values_list("initiative_id", "first")
    )
    zero = Decimal(0)
    result = []
    for i in initiatives:
        start, duration = i["roadmap_item__start"], i["roadmap_item__duration"]
        scheduled = start is not None
        first = plan.period_start(start) if scheduled else None
        reported_first = first_report.get(i["pk"])
        started = (
            reported_first if reported_first and (not first or reported_first < first) else first
        )
        finish = plan.period_start(start + (duration or 0)) if scheduled else None
        under_way = i["status"] in UNDER_WAY and (started is None or started <= today)
        state = (
            rules.report_state(
                i["last_on"], started, today, org.report_every_months, org.fiscal_year_start
            )
            if under_way
            else rules.ReportState.NOT_DUE
        )
        forecast = (
            rules.forecast_finish(
                finish,
                started,
                i["last_percent"],
                i["last_on"],
                [earliest_open[i["pk"]]] if i["pk"] in earliest_open else [],
                today,
            )
            if finish
            else None
        )
        span = plan_span(start, duration, plan, started)
        to_date, total, left = planned_figures(
            i["one_off_cost"], i["running_cost"], span, closed, month
        )
        actual = spent.get(i["pk"], {})
        result.append(
            Figures(
                pk=i["pk"],
                title=i["title"],
                status=i["status"],
                budget_line_id=i["roadmap_item__budget_line_id"],
                started=started,
                planned_finish=finish,
                forecast_finish=forecast,
                health=i["last_health"],
                percent_complete=i["last_percent"],
                reported_on=i["last_on"],
                report_state=state,
                spend=rules.spend_figures(
                    planned_to_date=to_date,
                    planned_total=total,
                    months_left=left,
                    actual_to_date=actual.get("to_date") or zero,
                    last_three_months=actual.get("recent") or zero,
                ),
                not_started=started is None or started > today,
                one_off=i["one_off_cost"],
                running=i["running_cost"],
                span=span,
            )
        )
    result.sort(key=lambda f: (-f.attention, -f.spend.variance, f.title))
    return result


def rows(
    org: Organization,
    *,
    today: date | None = None,
    found: list[Figures] | None = None,
    monthly: bool = False,
) -> list[Row]:
    """Rows for ``found`` (by default every initiative's figures, in the same order), with
    the initiatives and latest reports; ``monthly`` adds the plan and spend by month."""
    today = today or timezone.localdate()
    found = figures(org, today=today) if found is None else found
    ids = [f.pk for f in found]
    initiatives = (
        Initiative.objects.filter(pk__in=ids).select_related("roadmap_item__budget_line").in_bulk()
    )
    latest = latest_reports(org, ids)
    by_month: dict[int, dict[date, Decimal]] = defaultdict(dict)
    if monthly:
        for r in (
            Actual.objects.filter(initiative_id__in=ids)
            .values("initiative_id", "month")
            .annotate(total=Sum("amount"))
        ):
            by_month[r["initiative_id"]][r["month"]] = r["total"]
        plan = Plan.for_org(org)
    result = []
    for f in found:
        initiative = initiatives[f.pk]
        row = Row(figures=f, initiative=initiative, report=latest.get(f.pk))
        if monthly:
            item = getattr(initiative, "roadmap_item", None)
            row.plan_by_month = planned_spend(item, initiative, plan, this_month(today), f.started)
            row.actual_by_month = by_month.get(f.pk, {})
        result.append(row)
    return result


def tolerance(org: Organization) -> float:
    """The overspend the organisation tolerates, as a share of the plan (0.10 for 10%)."""
    return org.overspend_tolerance_percent / 100


@dataclass
class Portfolio:
    """The whole portfolio's execution at a glance (the dashboard's card)."""

    by_health: dict[str, int]
    missing_reports: int
    spend: rules.Spend
    overspent: list[Figures]
    benefits_promised: int
    benefits_realised: int


def portfolio(org: Organization, found=None, *, today=None) -> Portfolio:
    """The totals of ``found`` (figures or rows; by default every initiative's figures)."""
    found = figures(org, today=today) if found is None else found
    zero = Decimal(0)
    spends = [f.spend for f in found]
    by_health = {h.value: 0 for h in rules.Health}
    for f in found:
        if f.health and f.status in UNDER_WAY:
            by_health[f.health] += 1
    promised, realised = benefit_counts(org, today=today)
    limit = tolerance(org)
    return Portfolio(
        by_health=by_health,
        missing_reports=sum(f.report_state == rules.ReportState.MISSING for f in found),
        spend=rules.Spend(
            planned_to_date=sum((s.planned_to_date for s in spends), zero),
            actual_to_date=sum((s.actual_to_date for s in spends), zero),
            planned_total=sum((s.planned_total for s in spends), zero),
            forecast=sum((s.forecast for s in spends), zero),
        ),
        overspent=[f for f in found if f.spend.overspent(limit)],
        benefits_promised=promised,
        benefits_realised=realised,
    )


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


def budget_lines(org: Organization, found: list[Figures], *, today: date | None = None):
    """``compute_budget_lines``, kept in the cache until the organisation's data or the day
    changes."""
    today = today or timezone.localdate()
    return _cached(org, "lines", today, lambda: compute_budget_lines(org, found, today=today))


def compute_budget_lines(org: Organization, found: list[Figures], *, today=None):
    """Spend by budget line, and for the whole portfolio last. An amount booked on a line
    counts there; one booked without a line counts on the line its initiative draws on.
    The plans add up by month without spelling out each initiative's months (a change at
    its first month and at the month after its last), so a line of 2,000 initiatives costs
    no more than its months."""
    closed, month = closed_month(today), this_month(today)
    names = dict(BudgetLine.objects.filter(organization=org).values_list("pk", "name"))
    steps: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    lasts: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for f in found:
        if f.span is None:
            continue
        name = names.get(f.budget_line_id, "")
        first, end = f.span
        months = _months(first, end)
        if f.one_off and months:
            share = (f.one_off / months).quantize(Decimal("0.01"))
            steps[name][first] += share
            steps[name][end] -= share
            lasts[name][add_months(end, -1)] += f.one_off - share * months  # the rounding
        if f.running and end <= month:
            monthly = (f.running / 12).quantize(Decimal("0.01"))
            steps[name][end] += monthly
            steps[name][add_months(month, 1)] -= monthly
    actuals: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in (
        Actual.objects.filter(organization=org)
        .values(line=Coalesce("budget_line_id", "initiative__roadmap_item__budget_line_id"))
        .values("line", "month")
        .annotate(total=Sum("amount"))
    ):
        actuals[names.get(row["line"], "")][row["month"]] += row["total"]
    plans = {name: _add_up(steps[name], lasts[name]) for name in set(steps) | set(lasts)}
    result = []
    every = sorted(set(plans) | set(actuals), key=lambda n: (n == "", n))
    for name in every:
        result.append(_line(name or "No budget line", plans.get(name, {}), actuals[name], closed))
    if len(result) > 1:
        total_plan: dict[date, Decimal] = defaultdict(Decimal)
        total_actual: dict[date, Decimal] = defaultdict(Decimal)
        for name in every:
            for m, v in plans.get(name, {}).items():
                total_plan[m] += v
            for m, v in actuals[name].items():
                total_actual[m] += v
        result.append(_line("Whole portfolio", total_plan, total_actual, closed))
    return result


def _add_up(steps: dict[date, Decimal], lasts: dict[date, Decimal]) -> dict[date, Decimal]:
    """Monthly amounts from the changes at the months they start and stop."""
    if not steps and not lasts:
        return {}
    first, last = min([*steps, *lasts]), max([*steps, *lasts])
    result, level, day = {}, Decimal(0), first
    while day <= last:
        level += steps.get(day, Decimal(0))
        amount = level + lasts.get(day, Decimal(0))
        if amount:
            result[day] = amount
        day = add_months(day, 1)
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
