"""How an initiative is going: its health, whether its report is missing, when it will
really finish, what it costs against plan, and whether it delivers the benefit it promised.

Pure Python, no Django, no database: each rule is one function whose docstring is what Cairn
tells its users (the pages show it), tested on hand-worked examples in
tests/test_execution_rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cairn.core.calendar import add_months


class Health(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return {"green": "On track", "amber": "Needs attention", "red": "In trouble"}[self.value]

    @property
    def rank(self) -> int:
        return {"green": 0, "amber": 1, "red": 2}[self.value]


def worst(*healths: Health | str) -> Health:
    """The overall health a report suggests: the worst of scope, schedule and cost."""
    return max((Health(h) for h in healths), key=lambda h: h.rank)


# --- Reporting periods ---------------------------------------------------------------------


def period_of(day: date, every_months: int = 1, fiscal_year_start: int = 1) -> date:
    """The first day of the reporting period that contains ``day``: months, or quarters of
    the organisation's financial year."""
    months_since_start = (day.month - fiscal_year_start) % every_months
    return add_months(date(day.year, day.month, 1), -months_since_start)


class ReportState(StrEnum):
    REPORTED = "reported"  # a report in this period or the one before
    MISSING = "missing"  # the period after the last report ended without one
    NOT_DUE = "not_due"  # not started long enough ago to owe a report

    @property
    def label(self) -> str:
        return {"reported": "Reported", "missing": "No report", "not_due": "Not due yet"}[
            self.value
        ]


REPORT_RULE = (
    "An initiative under way reports once a period. Its report is missing when a whole "
    "period has ended since its last report (or since it started) without a new one."
)


def report_state(
    last_report: date | None,
    started: date | None,
    today: date,
    every_months: int = 1,
    fiscal_year_start: int = 1,
) -> ReportState:
    """Whether an initiative under way owes a status report (``REPORT_RULE``)."""
    current = period_of(today, every_months, fiscal_year_start)
    previous = add_months(current, -every_months)
    if last_report is not None and period_of(last_report, every_months, fiscal_year_start) >= (
        previous
    ):
        return ReportState.REPORTED
    since = last_report or started
    if since is None or period_of(since, every_months, fiscal_year_start) >= previous:
        return ReportState.NOT_DUE
    return ReportState.MISSING


# --- Forecast finish -----------------------------------------------------------------------

FORECAST_RULE = (
    "The forecast finish is the planned finish moved by the longest delay of a milestone "
    "still open, or, where it is later, the date the pace of percent complete leads to."
)


def forecast_finish(
    planned_finish: date,
    started: date | None,
    percent_complete: int | None,
    reported_on: date | None,
    open_milestones_due: list[date],
    today: date,
) -> date:
    """When an initiative will really finish (``FORECAST_RULE``): ``percent_complete`` is
    the latest report's, as of ``reported_on``; at 100% it finished on that report's date."""
    if percent_complete is not None and percent_complete >= 100 and reported_on is not None:
        return reported_on
    slip = max(((today - due) for due in open_milestones_due if due < today), default=timedelta())
    forecast = planned_finish + slip
    if percent_complete and started is not None and reported_on is not None:
        elapsed = (reported_on - started).days
        if elapsed > 0:
            pace = started + timedelta(days=round(elapsed * 100 / percent_complete))
            forecast = max(forecast, pace)
    return forecast


# --- Spend against plan --------------------------------------------------------------------

SPEND_RULE = (
    "Spend is compared with the plan to the end of last month, the last month the books "
    "are closed for. The forecast at completion is what was spent so far plus what the plan "
    "still holds from this month on, or, where it is higher, the average of the last three "
    "months' spend for each month left."
)


@dataclass(frozen=True)
class Spend:
    """Planned and actual spend of an initiative, a budget line or the whole portfolio."""

    planned_to_date: Decimal
    actual_to_date: Decimal
    planned_total: Decimal
    forecast: Decimal

    @property
    def variance(self) -> Decimal:
        """Actual less planned, to date: above zero is an overspend."""
        return self.actual_to_date - self.planned_to_date

    @property
    def variance_share(self) -> float | None:
        """The variance as a share of the plan to date (None when nothing was planned yet)."""
        if not self.planned_to_date:
            return None
        return float(self.variance / self.planned_to_date)

    @property
    def forecast_variance(self) -> Decimal:
        return self.forecast - self.planned_total

    def overspent(self, tolerance: float) -> bool:
        """Beyond the organisation's tolerance, to date or at completion."""
        limit = Decimal(str(1 + tolerance))
        to_date = self.actual_to_date > self.planned_to_date * limit and self.actual_to_date > 0
        at_end = self.planned_total > 0 and self.forecast > self.planned_total * limit
        unplanned = not self.planned_total and self.actual_to_date > 0
        return to_date or at_end or unplanned


def spend(plan: dict[date, Decimal], actual: dict[date, Decimal], through: date) -> Spend:
    """The spend figures from the plan and the actuals by month, to date meaning up to and
    including the month ``through`` (the last month the books are closed for:
    ``SPEND_RULE``)."""
    zero = Decimal(0)
    planned_to_date = sum((v for m, v in plan.items() if m <= through), zero)
    remaining = [v for m, v in plan.items() if m > through]
    return spend_figures(
        planned_to_date=planned_to_date,
        planned_total=sum(plan.values(), zero),
        months_left=len(remaining),
        actual_to_date=sum((v for m, v in actual.items() if m <= through), zero),
        last_three_months=sum((actual.get(add_months(through, -k), zero) for k in range(3)), zero),
    )


def spend_figures(
    *,
    planned_to_date: Decimal,
    planned_total: Decimal,
    months_left: int,
    actual_to_date: Decimal,
    last_three_months: Decimal,
) -> Spend:
    """``spend`` from totals the database summed: the same rule, without the months."""
    remaining_plan = planned_total - planned_to_date
    by_run_rate = (last_three_months / 3 * months_left).quantize(Decimal("0.01"))
    return Spend(
        planned_to_date=planned_to_date,
        actual_to_date=actual_to_date,
        planned_total=planned_total,
        forecast=actual_to_date + max(remaining_plan, by_run_rate),
    )


def spread(amount: Decimal, first_month: date, months: int) -> dict[date, Decimal]:
    """An amount spread evenly over ``months`` months from ``first_month``, in cents, the
    rounding left in the last month so the months add up to the amount exactly."""
    if months <= 0 or not amount:
        return {}
    share = (amount / months).quantize(Decimal("0.01"))
    plan = {add_months(first_month, k): share for k in range(months)}
    last = add_months(first_month, months - 1)
    plan[last] = amount - share * (months - 1)
    return plan


# --- Benefits ------------------------------------------------------------------------------


class BenefitState(StrEnum):
    NOT_STARTED = "not_started"
    ON_THE_WAY = "on_the_way"
    REALISED = "realised"
    BEHIND = "behind"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "on_the_way": "On the way",
            "realised": "Realised",
            "behind": "Behind",
            "missed": "Missed",
        }[self.value]

    @property
    def colour(self) -> str:
        return {
            "not_started": "secondary",
            "on_the_way": "green",
            "realised": "green",
            "behind": "yellow",
            "missed": "red",
        }[self.value]


BENEFIT_RULE = (
    "A benefit is realised once the KPI has moved by the promised amount, in its good "
    "direction, since the initiative started. Before its date it is on the way while the "
    "movement keeps at least half the pace of a straight path to the promise, and behind "
    "below that; after its date, a benefit not realised is missed."
)


@dataclass(frozen=True)
class Realised:
    state: BenefitState
    movement: float | None  # the KPI's change since the start, in its good direction
    share: float | None  # movement as a share of the promise (1.0 is all of it)


def realised(
    promise: float,
    higher_is_better: bool,
    baseline: float | None,
    latest: float | None,
    started: date | None,
    due: date,
    today: date,
) -> Realised:
    """How much of a promised change in a KPI has happened (``BENEFIT_RULE``).

    ``promise`` is the size of the change (positive: in the KPI's good direction);
    ``baseline`` the KPI's value when the initiative started; ``latest`` its latest value.
    """
    if started is None or started > today or baseline is None or latest is None:
        missed = started is not None and today > due
        return Realised(BenefitState.MISSED if missed else BenefitState.NOT_STARTED, None, None)
    movement = (latest - baseline) if higher_is_better else (baseline - latest)
    share = movement / promise if promise else None
    if share is not None and share >= 1:
        state = BenefitState.REALISED
    elif today > due:
        state = BenefitState.MISSED
    else:
        total = max((due - started).days, 1)
        expected_share = min(max((today - started).days, 0) / total, 1)
        on_pace = share is not None and share >= expected_share / 2
        state = BenefitState.ON_THE_WAY if on_pace else BenefitState.BEHIND
    return Realised(state, movement, share)
