"""What each extra unit of a limit buys: the efficient frontier of a portfolio problem.

The best value for each amount of one limit (from zero to twice the current amount, other
limits held), re-solved exactly with the portfolio solver at each point: about twenty evenly
spaced points, then more where the curve bends most. The curve never goes down as the limit
grows: a point whose solver answer is worse than the point below it keeps that point's choice,
which still fits. Shadow prices are found the same way, by re-solving with one step more of
each limit (exact for the step, not a linear-programming dual).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from cairn.solver.portfolio import Answer, Problem, ProblemError, parse_problem, solve

GRID = 20  # evenly spaced steps from zero to twice the current amount
MAX_POINTS = 40  # with the points added where the curve bends
TEAM_FACTORS = (Decimal("0.5"), Decimal("0.75"), Decimal(1), Decimal("1.25"), Decimal("1.5"), 2)
KNEE_MIN = 0.1  # a knee is shown only when the curve bends at least this much (0–1 scale)

Progress = Callable[[int, int], None]


@dataclass
class Point:
    amount: Decimal
    value: float
    bound: float
    status: str  # optimal | feasible | infeasible | unknown
    selected: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """How far the value may be from the best (0–1), None when no choice fits."""
        if self.status not in ("optimal", "feasible"):
            return None
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.value) / self.bound)

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount": float(self.amount),
            "value": self.value,
            "bound": self.bound,
            "status": self.status,
            "gap": None if self.gap is None else round(self.gap, 4),
            "selected": self.selected,
        }


def nice_step(amount: Decimal, *, whole: bool = False) -> Decimal:
    """A round step near a tenth of an amount: 1, 2 or 5 times a power of ten (100,000 for
    900,000). ``whole``: never less than 1 (FTE-months)."""
    if amount <= 0:
        return Decimal(1)
    tenth = float(amount) / 10
    power = 10 ** math.floor(math.log10(tenth))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / tenth)))
    step = Decimal(str(step)).normalize()
    return max(step, Decimal(1)) if whole else step


def at(problem: Problem, limit: str, amount: Decimal, time_limit_s: float) -> Answer:
    """The best choice with one limit set to an amount, the others as they are."""
    capacity = {**problem.capacity, limit: amount}
    return solve(replace(problem, capacity=capacity, time_limit_s=time_limit_s))


class _Curve:
    """Points solved so far along one limit, kept non-decreasing in value."""

    def __init__(self, problem: Problem, limit: str, time_limit_s: float, tick: Callable):
        self.problem, self.limit, self.time_limit_s, self.tick = problem, limit, time_limit_s, tick
        self.points: dict[Decimal, Point] = {}

    def solve(self, amounts) -> None:
        for amount in sorted(set(amounts) - set(self.points)):
            answer = at(self.problem, self.limit, amount, self.time_limit_s)
            self.points[amount] = Point(
                amount, answer.value, answer.bound, answer.status, sorted(answer.selected)
            )
            self.tick()
        self._monotone()

    def _monotone(self) -> None:
        ordered = self.sorted()
        best: Point | None = None
        for p in ordered:  # a smaller amount's choice still fits a larger one
            if best is not None and p.status != "optimal" and best.value > p.value:
                p.value, p.selected, p.status = best.value, list(best.selected), "feasible"
            if p.status in ("optimal", "feasible") and (best is None or p.value >= best.value):
                best = p
        for lower, upper in zip(ordered[-2::-1], ordered[:0:-1], strict=True):
            lower.bound = min(lower.bound, upper.bound)  # a bound holds for every smaller amount
            lower.bound = max(lower.bound, lower.value)

    def sorted(self) -> list[Point]:
        return [self.points[a] for a in sorted(self.points)]


def _bends(points: list[Point], room: int) -> list[Decimal]:
    """Midpoints on both sides of the points where the slope changes most."""
    feasible = [p for p in points if p.status in ("optimal", "feasible")]
    if len(feasible) < 3 or room <= 0:
        return []
    turns = []
    for a, b, c in zip(feasible, feasible[1:], feasible[2:], strict=False):
        left = (b.value - a.value) / float(b.amount - a.amount)
        right = (c.value - b.value) / float(c.amount - b.amount)
        turns.append((abs(left - right), a, b, c))
    turns.sort(key=lambda t: -t[0])
    out: list[Decimal] = []
    for change, a, b, c in turns:
        if change <= 0 or len(out) >= room:
            break
        for lo, hi in ((a, b), (b, c)):
            middle = (lo.amount + hi.amount) / 2
            if hi.value != lo.value and middle not in out and len(out) < room:
                out.append(middle.quantize(Decimal("0.01")))
    return out


def knee(points: list[Point]) -> int | None:
    """Where the curve bends most (the largest distance above the straight line from the
    first point that fits to the last), as an index into ``points``; None when it is nearly
    straight."""
    usable = [(n, p) for n, p in enumerate(points) if p.status in ("optimal", "feasible")]
    if len(usable) < 3:
        return None
    x0, x1 = float(usable[0][1].amount), float(usable[-1][1].amount)
    y0, y1 = usable[0][1].value, usable[-1][1].value
    if x1 <= x0 or y1 <= y0:
        return None
    best, where = 0.0, None
    for n, p in usable:
        lift = (p.value - y0) / (y1 - y0) - (float(p.amount) - x0) / (x1 - x0)
        if lift > best:
            best, where = lift, n
    return where if best >= KNEE_MIN else None


def _change(base: Point, other: Point) -> dict[str, Any]:
    return {
        "amount": float(other.amount),
        "value": round(other.value - base.value, 6),
        "added": sorted(set(other.selected) - set(base.selected)),
        "dropped": sorted(set(base.selected) - set(other.selected)),
        "status": other.status,
    }


def frontier(
    problem: Problem,
    limit: str | None = None,
    *,
    time_limit_s: float | None = None,
    teams: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The curve along ``limit`` (the first limit by default), the curves of the staff
    limits from half to double, and a shadow price per limit; as JSON-ready data."""
    limit = limit or next(iter(problem.capacity))
    if limit not in problem.capacity:
        raise ProblemError(f"there is no limit {limit!r}")
    started = time.perf_counter()
    per_point = time_limit_s or min(problem.time_limit_s, 2.0)
    current = problem.capacity[limit]
    step = nice_step(current)
    staff = [k for k in problem.capacity if k != limit and teams and _is_staff(k)]
    others = [k for k in problem.capacity if k != limit]
    total = GRID + 1 + 2 + len(staff) * len(TEAM_FACTORS) + len(others) + (MAX_POINTS - GRID - 3)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(min(done, total - 1), total)

    curve = _Curve(problem, limit, per_point, tick)
    top = current * 2 if current > 0 else sum((i.cost.get(limit, 0) for i in problem.items), 0)
    top = Decimal(top) or Decimal(1)
    grid = [(top * n / GRID).quantize(Decimal("0.01")) for n in range(GRID + 1)]
    curve.solve([*grid, current, current + step, max(current - step, Decimal(0))])
    while len(curve.points) < MAX_POINTS:
        extra = _bends(curve.sorted(), MAX_POINTS - len(curve.points))
        extra = [a for a in extra if a not in curve.points]
        if not extra:
            break
        curve.solve(extra)
    points = curve.sorted()
    base = curve.points[current]
    staff_curves = []
    for name in staff:
        amount = problem.capacity[name]
        team_curve = _Curve(problem, name, per_point, tick)
        team_curve.solve([(amount * Decimal(f)).quantize(Decimal("0.1")) for f in TEAM_FACTORS])
        team_points = team_curve.sorted()
        here = team_curve.points.get(amount.quantize(Decimal("0.1")), team_points[2])
        more = [p for p in team_points if p.amount > here.amount]
        per_month = None
        if more and more[0].status in ("optimal", "feasible"):
            per_month = (more[0].value - here.value) / float(more[0].amount - here.amount)
        staff_curves.append(
            {
                "limit": name,
                "current": float(amount),
                "points": [p.as_dict() for p in team_points],
                "per_month": None if per_month is None else round(per_month, 4),
            }
        )
    shadow = []
    for name in problem.capacity:
        amount = problem.capacity[name]
        unit = nice_step(amount, whole=_is_staff(name))
        if name == limit:
            up = curve.points[current + step]
            unit = step
        else:
            answer = at(problem, name, amount + unit, per_point)
            up = Point(amount + unit, answer.value, answer.bound, answer.status, answer.selected)
            if up.status != "optimal" and up.value < base.value and base.status != "infeasible":
                up = replace(up, value=base.value, selected=base.selected, status="feasible")
            tick()
        shadow.append(
            {
                "limit": name,
                "current": float(amount),
                "unit": float(unit),
                "value": None
                if base.status not in ("optimal", "feasible")
                else round(up.value - base.value, 6),
                "proven": base.status == "optimal" and up.status == "optimal",
            }
        )
    if progress:
        progress(total, total)
    where = knee(points)
    below = curve.points[max(current - step, Decimal(0))]
    return {
        "limit": limit,
        "current": float(current),
        "step": float(step),
        "points": [p.as_dict() for p in points],
        "knee": where,
        "at_current": base.as_dict(),
        "more": _change(base, curve.points[current + step]),
        "less": _change(base, below) if below.amount < current else None,
        "staff": staff_curves,
        "shadow": shadow,
        "proven": sum(p.status == "optimal" for p in points),
        "solve_time_s": round(time.perf_counter() - started, 3),
    }


def _is_staff(limit: str) -> bool:
    return limit == "staff effort" or limit.startswith("team ")


def parse_frontier(data: Any) -> tuple[Problem, str | None]:
    """A portfolio problem as ``cairn solve-portfolio`` reads it, plus an optional "limit"
    naming the limit to vary."""
    problem = parse_problem(data)
    limit = data.get("limit")
    if limit is not None and limit not in problem.capacity:
        raise ProblemError(f"limit {limit!r} is not a capacity")
    return problem, limit
