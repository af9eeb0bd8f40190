"""Where a KPI stands: progress, status against the straight path, forecast, staleness.

Pure Python, no Django, no database: each rule is one function whose
docstring is what Cairn tells its users, tested on hand-worked examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
    NOT_SET = "not_set"

    @property
    def label(self) -> str:
        return {
            "achieved": "Target reached",
            "on_track": "On track",
            "at_risk": "At risk",
            "off_track": "Off track",
            "no_data": "Not measured yet",
            "not_set": "No baseline or target",
        }[self.value]

    @property
    def colour(self) -> str:
        return {
            "achieved": "green",
            "on_track": "green",
            "at_risk": "yellow",
            "off_track": "red",
            "no_data": "secondary",
            "not_set": "secondary",
        }[self.value]

    @property
    def rank(self) -> int:
        """Worse is higher: used to roll statuses up and to sort."""
        return {
            "achieved": 0,
            "on_track": 1,
            "at_risk": 2,
            "off_track": 3,
            "no_data": -1,
            "not_set": -1,
        }[self.value]


@dataclass(frozen=True)
class Plan:
    """A KPI's baseline, target and the tolerance of its status."""

    higher_is_better: bool
    baseline: float
    baseline_date: date
    target: float
    target_date: date
    tolerance: float = 0.10  # a share of the distance from baseline to target

    @property
    def span(self) -> float:
        """The distance from baseline to target (1 if they are equal, so nothing divides by 0)."""
        return abs(self.target - self.baseline) or abs(self.target) or 1.0

    def expected(self, on: date) -> float:
        """The value on the straight path from baseline to target, on a date."""
        total = (self.target_date - self.baseline_date).days
        if total <= 0 or on >= self.target_date:
            return self.target
        if on <= self.baseline_date:
            return self.baseline
        share = (on - self.baseline_date).days / total
        return self.baseline + (self.target - self.baseline) * share

    def reached(self, value: float) -> bool:
        return value >= self.target if self.higher_is_better else value <= self.target


def rule(tolerance_percent: int) -> str:
    """The status rule, as shown to users (``headline`` applies it)."""
    t = tolerance_percent
    return (
        f"On track when the latest value is no more than {t}% of the way from baseline to target "
        "behind the straight line from the baseline to the target on the date it was measured, "
        f"and the forecast does not miss the target by more than {t}% of that distance; "
        f"at risk when it is up to {2 * t}% behind the line, or on the line but the forecast "
        f"misses by more than {t}%; off track when it is further behind, or behind and the "
        f"forecast misses by more than {2 * t}%. "
        "A KPI whose latest value meets the target has reached it."
    )


STATUS_RULE = rule(10)  # the sentence for the usual tolerance; each KPI shows its own


def progress(plan: Plan, value: float) -> float:
    """How far the latest value has come from baseline to target: 0 at the baseline, 1 at the
    target (below 0 when it moved the wrong way, above 1 when it went past the target)."""
    if plan.target == plan.baseline:
        return 1.0 if plan.reached(value) else 0.0
    return (value - plan.baseline) / (plan.target - plan.baseline)


def status(plan: Plan, value: float, on: date) -> Status:
    """The status of a value measured on a date.

    The value is compared with the straight path from baseline to target at
    that date; how far behind it is, as a share of the whole distance from
    baseline to target, decides: up to the tolerance is on track, up to twice
    the tolerance at risk, further off track. Meeting the target is reached.
    """
    if plan.reached(value):
        return Status.ACHIEVED
    sign = 1.0 if plan.higher_is_better else -1.0
    behind = (plan.expected(on) - value) * sign / plan.span
    if behind <= plan.tolerance + 1e-9:
        return Status.ON_TRACK
    if behind <= 2 * plan.tolerance + 1e-9:
        return Status.AT_RISK
    return Status.OFF_TRACK


@dataclass(frozen=True)
class Forecast:
    """The value expected at the target date at the recent pace, with a likely range."""

    value: float
    low: float
    high: float
    meets_target: bool
    points_used: int
    within_tolerance: bool = True  # misses the target by no more than the tolerance

    @property
    def verdict(self) -> str:
        if self.meets_target:
            return "will meet the target at this pace"
        if self.within_tolerance:
            return "will come within the tolerance of the target at this pace"
        return "will miss the target at this pace"


FORECAST_POINTS = 12  # the recent trend: the last twelve measurements
FORECAST_RULE = (
    "The forecast draws the straight line that best fits the last twelve measurements and "
    "extends it to the target date; the range is where the value would land nineteen times "
    "out of twenty if the recent ups and downs continue."
)


def forecast(points: list[tuple[date, float]], plan: Plan, today: date) -> Forecast | None:
    """A least-squares line through the recent measurements, extended to the target date.

    The range is about two standard errors of a prediction either side
    (roughly 95%). None when there are fewer than three measurements on
    different dates or the target date is already behind the latest one.
    """
    recent = sorted(points)[-FORECAST_POINTS:]
    if len(recent) < 3 or plan.target_date <= max(recent[-1][0], today):
        return None
    origin = recent[0][0]
    xs = [(d - origin).days for d, _ in recent]
    ys = [v for _, v in recent]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    x0 = (plan.target_date - origin).days
    value = intercept + slope * x0
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    spread = math.sqrt(residual / (n - 2)) if n > 2 else 0.0
    margin = 2 * spread * math.sqrt(1 + 1 / n + (x0 - mean_x) ** 2 / sxx)
    if not math.isfinite(value) or not math.isfinite(margin):
        return None
    sign = 1.0 if plan.higher_is_better else -1.0
    close = (plan.target - value) * sign / plan.span <= plan.tolerance + 1e-9
    return Forecast(value, value - margin, value + margin, plan.reached(value), n, close)


def shortfall(plan: Plan, outlook: Forecast) -> float:
    """How far the forecast falls short of the target, as a share of the distance from
    baseline to target (0 when it meets it)."""
    sign = 1.0 if plan.higher_is_better else -1.0
    return max((plan.target - outlook.value) * sign / plan.span, 0.0)


def headline(plan: Plan, value: float, on: date, outlook: Forecast | None) -> Status:
    """The one status a KPI shows (see ``rule``): the status against the straight path,
    made worse by a forecast that misses the target by more than the tolerance.

    On the path but heading for a miss beyond the tolerance is at risk; already behind the
    path (at risk) and heading for a miss beyond twice the tolerance is off track. A
    forecast never makes a status better.
    """
    now = status(plan, value, on)
    if outlook is None or now in (Status.ACHIEVED, Status.OFF_TRACK):
        return now
    miss = shortfall(plan, outlook)
    if now == Status.ON_TRACK and miss > plan.tolerance + 1e-9:
        return Status.AT_RISK
    if now == Status.AT_RISK and miss > 2 * plan.tolerance + 1e-9:
        return Status.OFF_TRACK
    return now


JUMP_FACTOR = 5  # a step this many times the usual one is questioned
JUMP_POINTS = 4  # the usual step is only known from this many values on
INPUT_RULE = (
    "Cairn asks before it keeps a value outside 0–100 for a KPI in %, outside the KPI's own "
    "lowest and highest possible values, dated before its baseline, or that jumps from the "
    f"value before it by more than {JUMP_FACTOR} times the usual step (the median change from "
    f"one measurement to the next, once there are {JUMP_POINTS} values). Future dates are refused."
)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def questions(
    day: date,
    value: float,
    *,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    baseline_date: date | None = None,
    points: list[tuple[date, float]] = (),
) -> list[tuple[str, str]]:
    """What is doubtful about a measurement (see INPUT_RULE), as (field, reason) pairs; a
    doubtful value is kept only once confirmed. ``points`` is the KPI's series so far."""
    found: list[tuple[str, str]] = []
    if unit.strip() == "%" and not 0 <= value <= 100:
        found.append(("value", f"{value:g}% is outside 0–100%."))
    if low is not None and value < low:
        found.append(("value", f"{value:g} is below this KPI's lowest possible value, {low:g}."))
    if high is not None and value > high:
        found.append(("value", f"{value:g} is above this KPI's highest possible value, {high:g}."))
    if baseline_date is not None and day < baseline_date:
        found.append(
            ("date", f"{day.isoformat()} is before the baseline date, {baseline_date.isoformat()}.")
        )
    series = sorted((d, v) for d, v in points if d != day)
    if len(series) >= JUMP_POINTS:
        usual = _median([abs(b[1] - a[1]) for a, b in zip(series, series[1:], strict=False)])
        before = [v for d, v in series if d < day]
        previous = before[-1] if before else series[0][1]
        step = abs(value - previous)
        if usual > 0 and step > JUMP_FACTOR * usual:
            found.append(
                (
                    "value",
                    f"{value:g} is {step:g} away from the value before it ({previous:g}), more "
                    f"than {JUMP_FACTOR} times the usual step of {usual:g}.",
                )
            )
    return found


# How long a KPI may go without a new measurement before it is flagged stale.
ALLOWED_DAYS = {"weekly": 10, "monthly": 45, "quarterly": 120}
STALE_RULE = (
    "A KPI is stale when it has not been measured for longer than its rhythm allows: "
    "10 days for a weekly KPI, 45 days for a monthly one, 120 days for a quarterly one."
)


def is_stale(rhythm: str, latest: date | None, today: date) -> bool:
    """Not measured for longer than its rhythm allows (see STALE_RULE); never-measured KPIs are
    shown as "not measured yet" instead."""
    return latest is not None and (today - latest).days > ALLOWED_DAYS[rhythm]


ROLL_UP_RULE = (
    "A goal's progress is the average progress of its KPIs; its status is that of its "
    "worst KPI (off track if any is off track, at risk if any is at risk)."
)


def roll_up(kpis: list[tuple[Status, float | None]]) -> tuple[Status, float | None]:
    """A goal's status and progress from its KPIs' (see ROLL_UP_RULE). KPIs without data
    or a target do not count; a goal none of whose KPIs count has no data."""
    counted = [(s, p) for s, p in kpis if s.rank >= 0]
    if not counted:
        return (Status.NOT_SET if not kpis else Status.NO_DATA), None
    worst = max(counted, key=lambda sp: sp[0].rank)[0]
    shares = [p for _, p in counted if p is not None]
    mean = sum(min(max(p, 0.0), 1.0) for p in shares) / len(shares) if shares else None
    return worst, mean
