"""The scheduling problem as data: projects, capacity per period, the answer, reading JSON.

Shared by the optimiser (``schedule``), the heuristics (``constructive``), the lower bounds
(``schedule_bounds``) and the explanations (``schedule_reasons``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from cairn.solver.portfolio import ProblemError

if TYPE_CHECKING:
    from cairn.solver.schedule_reasons import Reason

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

    @property
    def gap_percent(self) -> float | None:
        """How far the objective may be above the optimum, in percent of the lower bound."""
        if self.objective_value is None or not self.lower_bound:
            return None
        return round((self.objective_value - self.lower_bound) / self.lower_bound * 100, 2)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "start": self.start,
            "makespan": self.makespan,
            "lower_bound": self.lower_bound,
            "solve_time_s": round(self.solve_time_s, 3),
        }
        if self.status == "feasible" and self.gap_percent is not None:
            out["gap_percent"] = self.gap_percent
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


def objective_value(problem: Schedule, start: Mapping[str, int]) -> Decimal:
    ends = {p.id: start[p.id] + p.duration for p in problem.projects}
    if problem.objective == "makespan":
        return Decimal(max(ends.values(), default=0))
    return sum((p.weight * ends[p.id] for p in problem.projects), Decimal(0))


def scale_for(values) -> int:
    """The power of ten that makes every value a whole number (at most six decimals)."""
    digits = 0
    for v in values:
        exponent = Decimal(str(v)).normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            digits = max(digits, -exponent)
    return 10 ** min(digits, 6)
