"""Each initiative's execution figures (health, report state, forecast finish, spend against
plan), from sums the database makes, and the whole portfolio's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from cairn.core.calendar import add_months
from cairn.core.models import Organization
from cairn.execution import rules
from cairn.execution.models import Actual, StatusReport
from cairn.execution.services.benefits import benefit_counts
from cairn.execution.services.common import (
    EXECUTED,
    UNDER_WAY,
    _cached,
    _months,
    closed_month,
    first_reports,
    latest_reports,
    planned_spend,
    this_month,
    tolerance,
)
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import Milestone, Plan


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
