"""Spend by budget line and for the whole portfolio, month by month, for the charts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cairn.core.calendar import add_months
from cairn.core.models import Organization
from cairn.execution import rules
from cairn.execution.models import Actual
from cairn.execution.services.common import _cached, _months, closed_month, this_month
from cairn.execution.services.figures import Figures
from cairn.roadmap.models import BudgetLine


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

    def chart(self) -> dict:
        """What the page's chart draws (charts.js ``cairnSpend``)."""
        return {
            "labels": [f"{m:%b %Y}" for m in self.months],
            "plan": self.plan,
            "actual": self.actual,
            "forecast": self.forecast,
        }


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
