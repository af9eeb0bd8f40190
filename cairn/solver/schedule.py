"""Schedule projects over periods so that no resource is overloaded in any period.

The resource-constrained project scheduling problem: each project runs for a whole number
of periods and needs a fixed amount of each resource in every period it runs; a project
starts only after the projects it follows have ended; capacities may change from period to
period; starts may be pinned; deadlines bound the end. Solved with OR-Tools CP-SAT
(interval variables and cumulative constraints), starting from a serial schedule built
with the latest-finish-time rule, so the answer is never worse than that heuristic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cairn.solver.portfolio import ProblemError

MAX_PROJECTS = 5_000
MAX_HORIZON = 10_000
OBJECTIVES = ("makespan", "weighted_completion")


@dataclass(frozen=True)
class Project:
    id: str
    duration: int
    demand: Mapping[str, Decimal] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    earliest: int = 0
    deadline: int | None = None  # the project must have ended by this period (end ≤ deadline)
    weight: Decimal = Decimal(1)
    start: int | None = None  # pinned by hand


@dataclass(frozen=True)
class Schedule:
    projects: tuple[Project, ...]
    capacity: Mapping[str, tuple[Decimal, ...]]  # one value per period, horizon long
    horizon: int
    objective: str = "makespan"
    time_limit_s: float = 10.0
    workers: int = 8

    def cap(self, resource: str, period: int) -> Decimal:
        return self.capacity[resource][period]


@dataclass
class Answer:
    status: str  # optimal | feasible | infeasible
    start: dict[str, int]
    makespan: int | None
    lower_bound: float | None
    solve_time_s: float
    objective_value: float | None = None
    reasons: list[str] = field(default_factory=list)
    source: str = "solver"
    why: list[Reason] = field(default_factory=list)  # the reasons, structured

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "start": self.start,
            "makespan": self.makespan,
            "lower_bound": self.lower_bound,
            "solve_time_s": round(self.solve_time_s, 3),
        }
        if self.reasons:
            out["reasons"] = self.reasons
        return out


# --- Reading a problem


def _int(value: Any, where: str, low: int = 0, high: int = MAX_HORIZON) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{where} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise ProblemError(f"{where} must be between {low} and {high}")
    return value


def _num(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ProblemError(f"{where} must be a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProblemError(f"{where} must be a number, not {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ProblemError(f"{where} must be a number of at least 0")
    return number


def parse_schedule(data: Any) -> Schedule:
    """A Schedule from JSON-like data, or ProblemError naming the first thing that is wrong."""
    if not isinstance(data, dict):
        raise ProblemError("the problem must be a JSON object")
    for key in ("projects", "capacity", "horizon"):
        if key not in data:
            raise ProblemError(f"missing field {key!r}")
    horizon = _int(data["horizon"], "horizon", 1)
    if not isinstance(data["capacity"], dict):
        raise ProblemError("'capacity' must be an object")
    capacity: dict[str, tuple[Decimal, ...]] = {}
    for name, value in data["capacity"].items():
        if isinstance(value, list):
            if not value:
                raise ProblemError(f"capacity {name!r} must not be an empty list")
            values = [_num(v, f"capacity {name!r}") for v in value][:horizon]
            values += [values[-1]] * (horizon - len(values))  # the last value carries on
        else:
            values = [_num(value, f"capacity {name!r}")] * horizon
        capacity[str(name)] = tuple(values)
    if not isinstance(data["projects"], list):
        raise ProblemError("'projects' must be a list")
    if len(data["projects"]) > MAX_PROJECTS:
        raise ProblemError(f"at most {MAX_PROJECTS} projects")
    projects = []
    for n, raw in enumerate(data["projects"]):
        if not isinstance(raw, dict):
            raise ProblemError(f"project {n} must be an object")
        for key in ("id", "duration"):
            if key not in raw:
                raise ProblemError(f"project {n} is missing field {key!r}")
        pid = str(raw["id"])
        demand = raw.get("demand") or {}
        if not isinstance(demand, dict):
            raise ProblemError(f"project {pid!r}: 'demand' must be an object")
        for resource in demand:
            if resource not in capacity:
                raise ProblemError(f"project {pid!r} needs {resource!r}, which capacity lacks")
        after = raw.get("after") or []
        if not isinstance(after, list):
            raise ProblemError(f"project {pid!r}: 'after' must be a list of ids")
        deadline, start = raw.get("deadline"), raw.get("start")
        projects.append(
            Project(
                id=pid,
                duration=_int(raw["duration"], f"project {pid!r} duration"),
                demand={
                    str(r): _num(v, f"project {pid!r} demand {r!r}") for r, v in demand.items()
                },
                after=tuple(str(a) for a in after),
                earliest=_int(raw.get("earliest", 0), f"project {pid!r} earliest"),
                deadline=None if deadline is None else _int(deadline, f"project {pid!r} deadline"),
                weight=_num(raw.get("weight", 1), f"project {pid!r} weight"),
                start=None if start is None else _int(start, f"project {pid!r} start"),
            )
        )
    objective = data.get("objective", "makespan")
    if objective not in OBJECTIVES:
        raise ProblemError("objective must be 'makespan' or 'weighted_completion'")
    limit = data.get("time_limit_s", 10)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 < limit <= 3600:
        raise ProblemError("time_limit_s must be a number of seconds between 0 and 3600")
    problem = Schedule(tuple(projects), capacity, horizon, objective, float(limit))
    validate(problem)
    return problem


def validate(problem: Schedule) -> None:
    """Unique ids, known predecessors, no cycle, projects that fit the horizon."""
    ids: set[str] = set()
    for p in problem.projects:
        if p.id in ids:
            raise ProblemError(f"project id {p.id!r} appears twice")
        ids.add(p.id)
    for p in problem.projects:
        for a in p.after:
            if a not in ids:
                raise ProblemError(f"project {p.id!r} follows unknown project {a!r}")
            if a == p.id:
                raise ProblemError(f"project {p.id!r} follows itself")
        if p.duration > problem.horizon:
            raise ProblemError(f"project {p.id!r} lasts longer than the horizon")
    order = topological(problem)
    if order is None:
        raise ProblemError("the 'after' links go round in a circle")


def topological(problem: Schedule) -> list[Project] | None:
    """Projects with every predecessor first; None when the links form a cycle."""
    by_id = {p.id: p for p in problem.projects}
    remaining = {p.id: len(set(p.after)) for p in problem.projects}
    successors: dict[str, list[str]] = {p.id: [] for p in problem.projects}
    for p in problem.projects:
        for a in set(p.after):
            successors[a].append(p.id)
    ready = [p.id for p in problem.projects if remaining[p.id] == 0]
    order = []
    while ready:
        current = ready.pop()
        order.append(by_id[current])
        for s in successors[current]:
            remaining[s] -= 1
            if remaining[s] == 0:
                ready.append(s)
    return order if len(order) == len(problem.projects) else None


# --- Reasons: what a schedule breaks, or why none exists, kept structured


@dataclass(frozen=True)
class Reason:
    """One rule broken, or one reason no schedule fits, as data: the kind, the projects it
    names, the resource, the 0-based periods and the figures. ``text`` puts it in words, with
    the caller's names for projects and periods (plain ids and "period 3" by default), so a
    project id is never confused with a period number."""

    kind: str
    items: tuple[str, ...] = ()
    resource: str = ""
    periods: tuple[int, ...] = ()
    numbers: tuple[Decimal, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "items": list(self.items),
            "resource": self.resource,
            "periods": list(self.periods),
            "numbers": [str(n) for n in self.numbers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            data["kind"],
            tuple(data.get("items", ())),
            data.get("resource", ""),
            tuple(data.get("periods", ())),
            tuple(Decimal(n) for n in data.get("numbers", ())),
        )

    def text(self, name=None, period=None) -> str:
        """In words. ``name(id)`` names a project and ``period(index)`` a period; without
        ``period`` periods are "period N" (the solver's own numbering)."""
        name = name or str
        labelled = period is not None
        label = period or (lambda t: f"period {t}")
        items = [name(i) for i in self.items]
        p, n, r = self.periods, self.numbers, self.resource
        kind = self.kind
        if kind == "no_start":
            return f"{items[0]} has no start"
        if kind == "before_earliest":
            if labelled:
                return f"{items[0]} starts in {label(p[0])}, before its earliest {label(p[1])}"
            return f"{items[0]} starts at {p[0]}, before its earliest {p[1]}"
        if kind == "past_horizon":
            return f"{items[0]} ends after the horizon"
        if kind == "moved_pin":
            if labelled:
                return f"{items[0]} was kept in {label(p[0])} but starts in {label(p[1])}"
            return f"{items[0]} was pinned to {p[0]} but starts at {p[1]}"
        if kind == "late":
            if labelled:
                return (
                    f"{items[0]} runs until the end of {label(p[0] - 1)}, after its deadline "
                    f"(finished before {label(p[1])})"
                )
            return f"{items[0]} ends at {p[0]}, after its deadline {p[1]}"
        if kind == "order":
            if labelled:
                return f"{items[0]} starts in {label(p[0])} before {items[1]} has ended"
            return f"{items[0]} starts at {p[0]} before {items[1]} has ended"
        if kind == "over":
            if labelled:
                return (
                    f"{r} is over capacity in {label(p[0])}: needs {_fmt(n[0])}, has {_fmt(n[1])}"
                )
            return f"{r} is over capacity in period {p[0]}: {n[0]} > {n[1]}"
        if kind == "never_fits":
            return (
                f"{items[0]} needs {_fmt(n[0])} of {r} for {n[2]} period(s) in a row, but {r} "
                f"never has more than {_fmt(n[1])} for that long"
            )
        if kind == "deadline":
            blocked = f" because it must follow {' → '.join(items[1:])}" if items[1:] else ""
            if labelled:
                return (
                    f"{items[0]} must be finished before {label(p[0])} starts, but cannot "
                    f"finish before the end of {label(p[1] - 1)}{blocked}"
                )
            return (
                f"{items[0]} cannot end by period {p[0]}: it cannot end before "
                f"period {p[1]}{blocked}"
            )
        if kind == "pin_order":
            if labelled:
                return (
                    f"{items[0]} is kept to start in {label(p[0])}, before {items[1]} can "
                    f"finish (at the end of {label(p[1] - 1)})"
                )
            return (
                f"{items[0]} is pinned to start in period {p[0]}, before "
                f"{items[1]} can end (period {p[1]})"
            )
        if kind == "pin_early":
            if labelled:
                return (
                    f"{items[0]} is kept to start in {label(p[0])}, before its earliest start "
                    f"{label(p[1])}"
                )
            return f"{items[0]} is pinned before its earliest start {p[1]}"
        if kind == "horizon":
            if labelled:
                return (
                    f"{items[0]} cannot finish within the roadmap (by the end of {label(p[0] - 1)})"
                )
            return f"{items[0]} cannot end within the horizon of {p[0]} periods"
        if kind == "pinned_overload":
            if labelled:
                return (
                    f"{r} is over capacity in {_periods([label(t) for t in p])} from the "
                    f"initiatives kept in place alone"
                )
            return (
                f"{r} is over capacity in period(s) {_periods(list(p))} from the "
                f"pinned projects alone"
            )
        if kind == "total_work":
            if labelled:
                return (
                    f"{r}: the work needs {_fmt(n[0])} in all, but the whole roadmap offers "
                    f"only {_fmt(n[1])}"
                )
            return (
                f"{r}: the work needs {_fmt(n[0])} in all but the horizon offers only {_fmt(n[1])}"
            )
        return (
            "the projects do not fit together within capacity, deadlines and pins; "
            "extend the horizon, add capacity, or relax a deadline"
        )


# --- An independent check


def check(problem: Schedule, start: Mapping[str, int]) -> list[str]:
    """Every way a schedule breaks the rules, in words (empty when it is valid)."""
    return [r.text() for r in check_reasons(problem, start)]


def check_reasons(problem: Schedule, start: Mapping[str, int]) -> list[Reason]:
    """Every way a schedule breaks the rules, structured (empty when it is valid)."""
    problems = []
    by_id = {p.id: p for p in problem.projects}
    for p in problem.projects:
        s = start.get(p.id)
        if s is None:
            problems.append(Reason("no_start", (p.id,)))
            continue
        if s < p.earliest:
            problems.append(Reason("before_earliest", (p.id,), periods=(s, p.earliest)))
        if s + p.duration > problem.horizon:
            problems.append(Reason("past_horizon", (p.id,)))
        if p.start is not None and s != p.start:
            problems.append(Reason("moved_pin", (p.id,), periods=(p.start, s)))
        if p.deadline is not None and s + p.duration > p.deadline:
            problems.append(Reason("late", (p.id,), periods=(s + p.duration, p.deadline)))
        for a in p.after:
            if a in start and start[a] + by_id[a].duration > s:
                problems.append(Reason("order", (p.id, a), periods=(s,)))
    for resource in problem.capacity:
        for t in range(problem.horizon):
            used = sum(
                (
                    p.demand.get(resource, Decimal(0))
                    for p in problem.projects
                    if p.id in start and start[p.id] <= t < start[p.id] + p.duration
                ),
                Decimal(0),
            )
            if used > problem.cap(resource, t):
                problems.append(
                    Reason(
                        "over",
                        resource=resource,
                        periods=(t,),
                        numbers=(used, problem.cap(resource, t)),
                    )
                )
    return problems


def load(problem: Schedule, start: Mapping[str, int]) -> dict[str, list[Decimal]]:
    """Demand on each resource in each period for a set of starts."""
    use = {r: [Decimal(0)] * problem.horizon for r in problem.capacity}
    for p in problem.projects:
        if p.id not in start:
            continue
        for resource, amount in p.demand.items():
            for t in range(start[p.id], min(start[p.id] + p.duration, problem.horizon)):
                use[resource][t] += amount
    return use


# --- The heuristic most tools use: serial schedule generation, latest finish first


def latest_finish(problem: Schedule) -> dict[str, int]:
    """Latest finish of each project ignoring resources: the horizon (or deadline) minus the
    longest chain of work that must follow it."""
    order = topological(problem) or []
    successors: dict[str, list[Project]] = {p.id: [] for p in problem.projects}
    for p in problem.projects:
        for a in p.after:
            successors[a].append(p)
    lft: dict[str, int] = {}
    for p in reversed(order):
        bound = problem.horizon if p.deadline is None else min(problem.horizon, p.deadline)
        for s in successors[p.id]:
            bound = min(bound, lft[s.id] - s.duration)
        lft[p.id] = bound
    return lft


def serial_schedule(problem: Schedule) -> dict[str, int] | None:
    """Place projects one at a time, smallest latest finish first, each at its earliest
    resource-feasible start. Pinned projects are placed first. None when it fails."""
    lft = latest_finish(problem)
    free = {r: list(problem.capacity[r]) for r in problem.capacity}
    start: dict[str, int] = {}
    by_id = {p.id: p for p in problem.projects}

    def fits(p: Project, s: int) -> bool:
        return all(
            free[r][t] >= amount
            for r, amount in p.demand.items()
            if amount
            for t in range(s, s + p.duration)
        )

    def place(p: Project, s: int) -> None:
        start[p.id] = s
        for r, amount in p.demand.items():
            for t in range(s, s + p.duration):
                free[r][t] -= amount

    for p in problem.projects:
        if p.start is not None:
            if p.start + p.duration > problem.horizon or not fits(p, p.start):
                return None
            place(p, p.start)
    pending = {p.id for p in problem.projects if p.start is None}
    while pending:
        eligible = [by_id[i] for i in pending if all(a in start for a in by_id[i].after)]
        if not eligible:
            return None
        p = min(eligible, key=lambda q: (lft[q.id], q.id))
        earliest = max([p.earliest, *(start[a] + by_id[a].duration for a in p.after)])
        s = next((s for s in range(earliest, problem.horizon - p.duration + 1) if fits(p, s)), None)
        if s is None:
            return None
        place(p, s)
        pending.discard(p.id)
    if check(problem, start):
        return None
    return start


def objective_value(problem: Schedule, start: Mapping[str, int]) -> Decimal:
    ends = {p.id: start[p.id] + p.duration for p in problem.projects}
    if problem.objective == "makespan":
        return Decimal(max(ends.values(), default=0))
    return sum((p.weight * ends[p.id] for p in problem.projects), Decimal(0))


# --- The optimiser


def _scale(values) -> int:
    digits = 0
    for v in values:
        exponent = Decimal(str(v)).normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            digits = max(digits, -exponent)
    return 10 ** min(digits, 6)


def lower_bound(problem: Schedule) -> int:
    """A makespan no schedule can beat: the longest chain of work, and for each resource the
    periods its total work needs at its largest capacity."""
    ends: dict[str, int] = {}
    for p in topological(problem) or []:
        ends[p.id] = max([p.earliest, *(ends[a] for a in p.after)]) + p.duration
    bound = max(ends.values(), default=0)
    for resource, caps in problem.capacity.items():
        work = sum(
            (p.demand.get(resource, Decimal(0)) * p.duration for p in problem.projects), Decimal(0)
        )
        top = max(caps, default=Decimal(0))
        if work and top:
            bound = max(bound, math.ceil(work / top))
    return min(bound, problem.horizon)


def solve_schedule(problem: Schedule) -> Answer:
    """The best schedule within capacity, precedence, pins and deadlines, with its status."""
    from ortools.sat.python import cp_model

    validate(problem)
    started = time.perf_counter()
    model = cp_model.CpModel()
    starts, ends, intervals = {}, {}, {}
    for n, p in enumerate(problem.projects):
        low, high = p.earliest, problem.horizon - p.duration
        if p.start is not None:
            if not low <= p.start <= high:  # a pin must respect the earliest start too
                return _infeasible(problem, started)
            low = high = p.start
        if low > high:
            return _infeasible(problem, started)
        starts[p.id] = model.new_int_var(low, high, f"s{n}")
        ends[p.id] = model.new_int_var(0, problem.horizon, f"e{n}")
        intervals[p.id] = model.new_interval_var(starts[p.id], p.duration, ends[p.id], f"i{n}")
        if p.deadline is not None:
            model.add(ends[p.id] <= p.deadline)
    for p in problem.projects:
        for a in p.after:
            model.add(starts[p.id] >= ends[a])
    for resource, caps in problem.capacity.items():
        users = [p for p in problem.projects if p.demand.get(resource) and p.duration]
        if not users:
            continue
        scale = _scale([*caps, *(p.demand[resource] for p in users)])
        top = int(max(caps) * scale)
        demands = [int(p.demand[resource] * scale) for p in users]
        boxes = [intervals[p.id] for p in users]
        # A period with less capacity holds a fixed block taking up the difference.
        for t, cap in enumerate(caps):
            gap = top - int(cap * scale)
            if gap > 0:
                boxes.append(model.new_fixed_size_interval_var(t, 1, f"cap_{resource}_{t}"))
                demands.append(gap)
        model.add_cumulative(boxes, demands, top)
    if problem.objective == "makespan":
        makespan = model.new_int_var(0, problem.horizon, "makespan")
        model.add_max_equality(makespan, list(ends.values()) or [0])
        model.add(makespan >= lower_bound(problem))  # helps the solver prove its bound
        model.minimize(makespan)
        weight_scale = 1
    else:
        weight_scale = _scale(p.weight for p in problem.projects)
        model.minimize(sum(int(p.weight * weight_scale) * ends[p.id] for p in problem.projects))

    heuristic = serial_schedule(problem)
    if heuristic is not None:
        for p in problem.projects:
            model.add_hint(starts[p.id], heuristic[p.id])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = problem.time_limit_s
    solver.parameters.num_workers = problem.workers
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        start = {p.id: solver.value(starts[p.id]) for p in problem.projects}
        value = objective_value(problem, start)
        bound = solver.best_objective_bound / weight_scale
        if heuristic is not None and objective_value(problem, heuristic) < value:
            start, value = heuristic, objective_value(problem, heuristic)  # time ran out
        makespan = max((start[p.id] + p.duration for p in problem.projects), default=0)
        return Answer(
            "optimal" if status == cp_model.OPTIMAL and value <= bound + 1e-9 else "feasible",
            start,
            makespan,
            round(math.ceil(bound - 1e-9), 6)
            if problem.objective == "makespan"
            else round(bound, 6),
            elapsed,
            float(value),
        )
    if status == cp_model.INFEASIBLE:
        return _infeasible(problem, started)
    if heuristic is not None:
        value = objective_value(problem, heuristic)
        makespan = max((heuristic[p.id] + p.duration for p in problem.projects), default=0)
        return Answer(
            "feasible", heuristic, makespan, None, elapsed, float(value), source="heuristic"
        )
    return Answer("unknown", {}, None, None, elapsed)


def _infeasible(problem: Schedule, started: float) -> Answer:
    why = diagnose_reasons(problem)
    return Answer(
        "infeasible",
        {},
        None,
        None,
        time.perf_counter() - started,
        reasons=[r.text() for r in why],
        why=why,
    )


# --- Saying why no plan fits


def diagnose(problem: Schedule) -> list[str]:
    """Plain sentences on why no schedule exists (see ``diagnose_reasons``)."""
    return [r.text() for r in diagnose_reasons(problem)]


def diagnose_reasons(problem: Schedule) -> list[Reason]:
    """Why no schedule exists, structured: a project that can never fit a resource, a
    deadline its predecessors make impossible, a pin that breaks an order, or periods where
    the fixed work alone is too much."""
    reasons: list[Reason] = []
    by_id = {p.id: p for p in problem.projects}
    order = topological(problem) or []
    earliest_end: dict[str, int] = {}
    for p in order:
        begin = max([p.earliest, *(earliest_end[a] for a in p.after)])
        if p.start is not None:
            begin = max(begin, p.start)
        earliest_end[p.id] = begin + p.duration
    for p in problem.projects:
        for resource, amount in p.demand.items():
            if not amount or not p.duration:
                continue
            best = max(
                (
                    min(problem.capacity[resource][t : t + p.duration])
                    for t in range(problem.horizon - p.duration + 1)
                ),
                default=Decimal(0),
            )
            if amount > best:
                reasons.append(
                    Reason(
                        "never_fits",
                        (p.id,),
                        resource,
                        numbers=(amount, best, Decimal(p.duration)),
                    )
                )
        if p.deadline is not None and earliest_end[p.id] > p.deadline:
            chain = _chain(p, by_id, earliest_end)
            reasons.append(
                Reason("deadline", (p.id, *chain), periods=(p.deadline, earliest_end[p.id]))
            )
        if p.start is not None:
            for a in p.after:
                if p.start < earliest_end[a]:
                    reasons.append(
                        Reason("pin_order", (p.id, a), periods=(p.start, earliest_end[a]))
                    )
            if p.start < p.earliest:
                reasons.append(Reason("pin_early", (p.id,), periods=(p.start, p.earliest)))
        if earliest_end.get(p.id, 0) > problem.horizon:
            reasons.append(Reason("horizon", (p.id,), periods=(problem.horizon,)))
    pinned = {p.id: p.start for p in problem.projects if p.start is not None}
    use = load(problem, pinned)
    for resource, values in use.items():
        over = [t for t, v in enumerate(values) if v > problem.cap(resource, t)]
        if over:
            reasons.append(Reason("pinned_overload", resource=resource, periods=tuple(over)))
    for resource in problem.capacity:
        need = sum(
            (p.demand.get(resource, Decimal(0)) * p.duration for p in problem.projects), Decimal(0)
        )
        have = sum(problem.capacity[resource], Decimal(0))
        if need > have:
            reasons.append(Reason("total_work", resource=resource, numbers=(need, have)))
    if not reasons:
        reasons.append(Reason("tangled"))
    return reasons


def _chain(p: Project, by_id, earliest_end) -> list[str]:
    """The chain of predecessors that sets a project's earliest end."""
    chain, current = [], p
    while current.after:
        before = max(current.after, key=lambda a: earliest_end[a])
        chain.append(before)
        current = by_id[before]
    return list(reversed(chain))


def _periods(periods: list) -> str:
    if len(periods) > 6:
        return ", ".join(map(str, periods[:6])) + f" and {len(periods) - 6} more"
    return ", ".join(map(str, periods))


def _fmt(number: Decimal) -> str:
    return f"{number:,.2f}".rstrip("0").rstrip(".")
