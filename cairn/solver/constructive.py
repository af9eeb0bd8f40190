"""Good schedules without a solver: schedule generation schemes and priority rules.

The serial scheme places projects one at a time at their earliest feasible start; the
parallel scheme walks through time and starts whatever fits. Each takes a list of projects
in priority order (latest finish, latest start, most successors, greatest rank, or a
random draw biased by regret), and every result is improved by forward–backward
justification: shift everything as late as it can go, then as early, which never makes a
schedule longer. All of it honours capacity that changes per period, pins, earliest starts
and deadlines; the best schedule found is kept (``construct``).
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from cairn.solver.schedule_model import Project, Schedule, objective_value, scale_for, topological
from cairn.solver.schedule_reasons import check

Starts = list[int]


@dataclass
class Instance:
    """A problem in whole numbers and indexes, for fast inner loops: demands scaled per
    resource (rounded up) and capacities (rounded down), so a plan valid here is valid."""

    ids: list[str]
    duration: list[int]
    demand: list[list[tuple[int, int]]]  # per project: (resource index, amount) when > 0
    capacity: list[list[int]]  # per resource, one value per period
    preds: list[list[int]]
    succs: list[list[int]]
    earliest: list[int]
    latest_end: list[int]  # horizon, deadline, pinned successors: end must be ≤ this
    pin: list[int | None]
    weight: list[float]
    order: list[int]  # topological
    horizon: int
    changes: list[int]  # periods where a capacity changes, pins start or end
    makespan_objective: bool
    exact: bool = True  # False when a demand or capacity had more than six decimals

    @classmethod
    def of(cls, problem: Schedule) -> Instance:
        index = {p.id: n for n, p in enumerate(problem.projects)}
        resources = list(problem.capacity)
        capacity, demand = [], [[] for _ in problem.projects]
        exact = True
        for r, name in enumerate(resources):
            amounts = [p.demand.get(name, Decimal(0)) for p in problem.projects]
            scale = scale_for([*problem.capacity[name], *amounts])
            exact = exact and all(v * scale % 1 == 0 for v in [*problem.capacity[name], *amounts])
            capacity.append([math.floor(c * scale) for c in problem.capacity[name]])
            for n, amount in enumerate(amounts):
                if amount and problem.projects[n].duration:
                    demand[n].append((r, math.ceil(amount * scale)))
        preds = [sorted({index[a] for a in p.after}) for p in problem.projects]
        succs: list[list[int]] = [[] for _ in problem.projects]
        for n, before in enumerate(preds):
            for a in before:
                succs[a].append(n)
        order = [index[p.id] for p in topological(problem) or []]
        duration = [p.duration for p in problem.projects]
        pin = [p.start for p in problem.projects]
        latest_end = [
            min(problem.horizon, p.deadline if p.deadline is not None else problem.horizon)
            for p in problem.projects
        ]
        for n in reversed(order):
            if pin[n] is not None:
                latest_end[n] = min(latest_end[n], pin[n] + duration[n])
            for s in succs[n]:
                latest_end[n] = min(latest_end[n], latest_end[s] - duration[s])
        changes = {t for row in capacity for t in range(1, problem.horizon) if row[t] != row[t - 1]}
        for n, s in enumerate(pin):
            if s is not None:
                changes |= {s, s + duration[n]}
        return cls(
            [p.id for p in problem.projects],
            duration,
            demand,
            capacity,
            preds,
            succs,
            [p.earliest for p in problem.projects],
            latest_end,
            pin,
            [float(p.weight) for p in problem.projects],
            order,
            problem.horizon,
            sorted(changes),
            problem.objective == "makespan",
            exact,
        )

    def value(self, start: Starts) -> float:
        """Makespan, or the weighted sum of ends."""
        if self.makespan_objective:
            return max((s + d for s, d in zip(start, self.duration, strict=True)), default=0)
        return sum(w * (s + d) for s, d, w in zip(start, self.duration, self.weight, strict=True))


# --- Placing one project into free capacity


class _Free:
    """Capacity left in each period of each resource."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.free = [row[:] for row in inst.capacity]

    def place(self, n: int, s: int) -> None:
        for r, amount in self.inst.demand[n]:
            row = self.free[r]
            for t in range(s, s + self.inst.duration[n]):
                row[t] -= amount

    def fits(self, n: int, s: int) -> bool:
        return self.conflict(n, s) < 0

    def conflict(self, n: int, s: int) -> int:
        """The last period of [s, s + duration) without room for project n, or -1."""
        d = self.inst.duration[n]
        worst = -1
        for r, amount in self.inst.demand[n]:
            row = self.free[r]
            for t in range(s + d - 1, max(s, worst + 1) - 1, -1):
                if row[t] < amount:
                    worst = t
                    break
        return worst

    def first_conflict(self, n: int, s: int) -> int:
        """The first period of [s, s + duration) without room for project n, or -1."""
        d = self.inst.duration[n]
        first = s + d
        for r, amount in self.inst.demand[n]:
            row = self.free[r]
            for t in range(s, min(s + d, first)):
                if row[t] < amount:
                    first = t
                    break
        return first if first < s + d else -1

    def earliest(self, n: int, low: int, high: int) -> int | None:
        """The first start in [low, high] where project n fits."""
        s = low
        while s <= high:
            bad = self.conflict(n, s)
            if bad < 0:
                return s
            s = bad + 1
        return None

    def latest(self, n: int, high: int, low: int) -> int | None:
        """The last start in [low, high] where project n fits."""
        s = high
        d = self.inst.duration[n]
        while s >= low:
            bad = self.first_conflict(n, s)
            if bad < 0:
                return s
            s = bad - d
        return None


def _pinned(inst: Instance) -> tuple[_Free, Starts] | None:
    free, start = _Free(inst), [-1] * len(inst.ids)
    for n, s in enumerate(inst.pin):
        if s is not None:
            if (
                s < inst.earliest[n]
                or s + inst.duration[n] > inst.latest_end[n]  # horizon, deadline, later pins
                or not free.fits(n, s)
            ):
                return None
            free.place(n, s)
            start[n] = s
    return free, start


# --- Schedule generation schemes


def serial_sgs(inst: Instance, order: Sequence[int]) -> Starts | None:
    """Each project in turn (a precedence-feasible order) at its earliest feasible start."""
    pinned = _pinned(inst)
    if pinned is None:
        return None
    free, start = pinned
    for n in order:
        if inst.pin[n] is not None:
            continue
        low = max([inst.earliest[n], *(start[a] + inst.duration[a] for a in inst.preds[n])])
        s = free.earliest(n, low, inst.latest_end[n] - inst.duration[n])
        if s is None:
            return None
        free.place(n, s)
        start[n] = s
    return start if _orderly(inst, start) else None


def parallel_sgs(inst: Instance, order: Sequence[int]) -> Starts | None:
    """Walk through the periods; at each, start every eligible project that fits, in the
    order's priority. Projects whose latest start is reached and cannot start fail it."""
    pinned = _pinned(inst)
    if pinned is None:
        return None
    free, start = pinned
    rank = {n: k for k, n in enumerate(order)}
    waiting = sorted((n for n in range(len(start)) if inst.pin[n] is None), key=rank.__getitem__)
    missing = [sum(1 for a in inst.preds[n] if inst.pin[a] is None) for n in range(len(start))]
    events = [*inst.changes, *inst.earliest]
    heapq.heapify(events)
    t = 0
    while waiting:
        placed = True
        while placed:  # a milestone placed at t may free its successors at t
            placed = False
            left = []
            for n in waiting:
                if (
                    missing[n] == 0
                    and inst.earliest[n] <= t
                    and all(start[a] + inst.duration[a] <= t for a in inst.preds[n])
                    and t + inst.duration[n] <= inst.latest_end[n]
                    and free.fits(n, t)
                ):
                    free.place(n, t)
                    start[n] = t
                    heapq.heappush(events, t + inst.duration[n])
                    for s in inst.succs[n]:
                        missing[s] -= 1
                    placed = placed or inst.duration[n] == 0
                elif inst.latest_end[n] - inst.duration[n] <= t:
                    return None
                else:
                    left.append(n)
            waiting = left
        while events and events[0] <= t:
            heapq.heappop(events)
        t = events[0] if events else t + 1
        if t > inst.horizon:
            return None
    return start if _orderly(inst, start) else None


def _orderly(inst: Instance, start: Starts) -> bool:
    return all(
        start[a] + inst.duration[a] <= start[n] for n in range(len(start)) for a in inst.preds[n]
    )


# --- Forward–backward improvement (justification)


def justify_right(inst: Instance, start: Starts, end: int) -> Starts:
    """Every project as late as it fits by ``end``, latest finishing first; no start moves
    earlier, so a valid plan stays valid."""
    pinned = _pinned(inst)
    assert pinned is not None
    free, new = pinned
    d = inst.duration
    by_end = sorted(
        (n for n in range(len(start)) if inst.pin[n] is None),
        key=lambda n: (-(start[n] + d[n]), -_topo(inst)[n]),
    )
    for n in by_end:
        high = min([end, inst.latest_end[n], *(new[s] for s in inst.succs[n])]) - d[n]
        s = free.latest(n, high, start[n])
        assert s is not None  # its old start still fits
        free.place(n, s)
        new[n] = s
    return new


def justify_left(inst: Instance, start: Starts) -> Starts:
    """Every project as early as it fits, earliest starting first; none starts later."""
    pinned = _pinned(inst)
    assert pinned is not None
    free, new = pinned
    d = inst.duration
    by_start = sorted(
        (n for n in range(len(start)) if inst.pin[n] is None),
        key=lambda n: (start[n], _topo(inst)[n]),
    )
    for n in by_start:
        low = max([inst.earliest[n], *(new[a] + d[a] for a in inst.preds[n])])
        s = free.earliest(n, low, start[n])
        assert s is not None
        free.place(n, s)
        new[n] = s
    return new


def _topo(inst: Instance) -> list[int]:
    position = getattr(inst, "_position", None)
    if position is None:
        position = [0] * len(inst.ids)
        for k, n in enumerate(inst.order):
            position[n] = k
        inst._position = position  # type: ignore[attr-defined]
    return position


def improve(inst: Instance, start: Starts, rounds: int = 4) -> Starts:
    """Forward–backward passes while they shorten the plan."""
    best, value = start, inst.value(start)
    for _ in range(rounds):
        end = max((s + d for s, d in zip(best, inst.duration, strict=True)), default=0)
        candidate = justify_left(inst, justify_right(inst, best, end))
        new = inst.value(candidate)
        if new >= value:
            break
        best, value = candidate, new
    return best


# --- Priority rules: a smaller key goes first


def _rules(inst: Instance) -> dict[str, list[float]]:
    n = len(inst.ids)
    d = inst.duration
    lft = [float(x) for x in inst.latest_end]
    successors = [0] * n
    reach: list[set[int]] = [set() for _ in range(n)]
    for k in reversed(inst.order):
        for s in inst.succs[k]:
            reach[k] |= reach[s] | {s}
        successors[k] = len(reach[k])
    rules = {
        "LFT": lft,
        "LST": [lft[k] - d[k] for k in range(n)],
        "MTS": [-float(successors[k]) for k in range(n)],
        "GRPW": [-float(d[k] + sum(d[s] for s in inst.succs[k])) for k in range(n)],
    }
    if not inst.makespan_objective:
        rules["WSPT"] = [-inst.weight[k] / max(d[k], 0.5) for k in range(n)]
    return rules


def activity_list(
    inst: Instance, key: Sequence[float], rng: random.Random | None = None
) -> list[int]:
    """A precedence-feasible order: the eligible project with the smallest key next, or with
    ``rng`` one drawn with probability growing with its regret (how much better its key is
    than the worst eligible one's)."""
    missing = [len(p) for p in inst.preds]
    ready = [k for k in range(len(missing)) if missing[k] == 0]
    order = []
    while ready:
        if rng is None:
            pick = min(range(len(ready)), key=lambda i: (key[ready[i]], ready[i]))
        else:
            worst = max(key[k] for k in ready)
            weights = [(worst - key[k] + 1.0) ** 2 for k in ready]
            pick = rng.choices(range(len(ready)), weights)[0]
        n = ready[pick]
        ready[pick] = ready[-1]
        ready.pop()
        order.append(n)
        for s in inst.succs[n]:
            missing[s] -= 1
            if missing[s] == 0:
                ready.append(s)
    return order


@dataclass
class Construction:
    """The best plan found, its value, which rule and scheme made it, and every try."""

    start: dict[str, int] | None
    value: float | None
    rule: str
    tries: dict[str, float]


def construct(
    problem: Schedule, budget_s: float = 0.5, seed: int = 0, stop_at: float | None = None
) -> Construction:
    """The best plan from both schemes under every priority rule, each improved by
    justification, then regret-biased random orders until ``budget_s`` has passed (or a
    plan reaches ``stop_at``, a lower bound)."""
    started = time.perf_counter()
    inst = Instance.of(problem)
    rng = random.Random(seed)
    best: Starts | None = None
    best_value, best_rule = math.inf, ""
    tries: dict[str, float] = {}
    schemes: dict[str, Callable[[Instance, Sequence[int]], Starts | None]] = {
        "serial": serial_sgs,
        "parallel": parallel_sgs,
    }

    def attempt(label: str, order: list[int], scheme: str) -> None:
        nonlocal best, best_value, best_rule
        start = schemes[scheme](inst, order)
        if start is None:
            return
        start = improve(inst, start)
        value = inst.value(start)
        tries[label] = min(value, tries.get(label, math.inf))
        if value < best_value:
            best, best_value, best_rule = start, value, label

    rules = _rules(inst)
    for name, key in rules.items():
        order = activity_list(inst, key)
        for scheme in schemes:
            attempt(f"{scheme} {name}", order, scheme)
    names = ["LFT", "LST", "MTS"] + ([] if inst.makespan_objective else ["WSPT"])
    round_ = 0
    rounds = 20 * len(inst.ids)  # a small problem has few orders worth drawing
    while (
        round_ < rounds
        and time.perf_counter() - started < budget_s
        and not (stop_at is not None and best_value <= stop_at)
    ):
        name = names[round_ % len(names)]
        scheme = "serial" if round_ % 2 == 0 else "parallel"
        attempt(f"{scheme} {name} sampled", activity_list(inst, rules[name], rng), scheme)
        round_ += 1
    if best is None:
        return Construction(None, None, "", tries)
    plan = dict(zip(inst.ids, best, strict=True))
    if check(problem, plan):  # rounding of exact demands never lets this happen; be safe
        return Construction(None, None, "", tries)
    return Construction(plan, float(objective_value(problem, plan)), best_rule, tries)


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
    """One serial pass, smallest latest finish first (no justification), each at its
    earliest feasible start; pinned projects placed first. None when it fails."""
    inst = Instance.of(problem)
    start = serial_sgs(inst, activity_list(inst, _rules(inst)["LFT"]))
    if start is None:
        return None
    plan = dict(zip(inst.ids, start, strict=True))
    return None if check(problem, plan) else plan
