"""How likely the dates are: a Monte-Carlo simulation of a roadmap's schedule and cost.

Each item's duration is drawn from a three-point estimate (best case, most likely, worst
case) as a PERT beta distribution, rounded to whole periods; each initiative's one-off cost
the same way. Every run re-plays the schedule's order (items placed one at a time, in the
order the schedule starts them, each as early as its predecessors and the teams' capacity
allow; an item kept by hand keeps its start). All runs are simulated at once, one item at a
time, with numpy arrays of shape (periods, runs): 10,000 runs of 120 items take a few
seconds. Seeded, so a result can be reproduced.

For each item: the P50 / P80 / P95 finish, the chance of meeting its deadline, and how
often it is on the critical chain (the chain of items each starting the moment the one
before ends, by precedence or by waiting for the same team, up to the last finish). For the
portfolio: the finish and total cost percentiles, and which items move the finish most.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cairn.solver.portfolio import ProblemError
from cairn.solver.schedule import Schedule, parse_schedule, topological

RUNS = 10_000
MAX_RUNS = 100_000
PERT_LAMBDA = 4.0
PERCENTILES = (50, 80, 95)
TORNADO = 8  # items shown on the tornado chart


@dataclass(frozen=True)
class Estimate:
    """Best case, most likely, worst case."""

    low: float
    likely: float
    high: float

    def check(self, where: str) -> None:
        if not 0 <= self.low <= self.likely <= self.high:
            raise ProblemError(
                f"{where}: the best case, most likely and worst case must be in that order"
            )


@dataclass(frozen=True)
class Risk:
    schedule: Schedule
    order: tuple[str, ...]  # the schedule's order: items by planned start
    durations: Mapping[str, Estimate]
    costs: Mapping[str, Estimate] = field(default_factory=dict)
    due: Mapping[str, float] = field(default_factory=dict)  # milestone → period it is due by
    at: Mapping[str, tuple[str, float]] = field(default_factory=dict)  # milestone → (item, share)
    budget: float | None = None
    runs: int = RUNS
    seed: int = 1


def pert(rng: np.random.Generator, e: Estimate, runs: int) -> np.ndarray:
    """Draws from the PERT beta distribution of an estimate (the value itself when fixed)."""
    if e.high <= e.low:
        return np.full(runs, e.likely, dtype=float)
    a = 1 + PERT_LAMBDA * (e.likely - e.low) / (e.high - e.low)
    b = 1 + PERT_LAMBDA * (e.high - e.likely) / (e.high - e.low)
    return e.low + (e.high - e.low) * rng.beta(a, b, runs)


def whole_periods(draws: np.ndarray, e: Estimate) -> np.ndarray:
    """Durations in whole periods: rounded to the nearest, within the estimate."""
    return np.clip(np.floor(draws + 0.5), e.low, e.high).astype(np.int32)


def simulate(risk: Risk) -> dict[str, Any]:
    """The simulation's figures, JSON-ready (see the module's docstring)."""
    started = time.perf_counter()
    problem, runs = risk.schedule, risk.runs
    rng = np.random.default_rng(risk.seed)
    by_id = {p.id: p for p in problem.projects}
    order = list(risk.order)
    rank = {pid: n for n, pid in enumerate(order)}
    draws = {
        pid: whole_periods(pert(rng, risk.durations[pid], runs), risk.durations[pid])
        for pid in order
    }
    # Room for late runs: the plan's periods, then half of every item's worst-case excess.
    excess = sum(int(risk.durations[pid].high - risk.durations[pid].likely) for pid in order)
    longest = max((int(risk.durations[pid].high) for pid in order), default=0)
    horizon = problem.horizon + excess // 2 + longest + 1
    free = {}
    for r in problem.capacity:
        caps = np.array([float(c) for c in problem.capacity[r]], dtype=np.float32)
        caps = np.concatenate([caps, np.full(horizon - len(caps), caps[-1] if len(caps) else 0)])
        free[r] = np.repeat(caps[:, None], runs, axis=1)  # (periods, runs): rows contiguous
    periods = np.arange(horizon, dtype=np.int32)
    rows = np.arange(runs)
    start, finish, pushed = {}, {}, {}
    beyond = np.zeros(runs, dtype=bool)  # a run where some item found no room in time
    for pid in order:
        p, d = by_id[pid], draws[pid]
        ready = np.full(runs, p.earliest, dtype=np.int32)
        for a in p.after:
            ready = np.maximum(ready, finish[a])
        used = [r for r, amount in p.demand.items() if amount and r in free]
        if p.start is not None:  # kept by hand: it starts when planned, whatever happens
            s = (
                np.maximum(np.full(runs, p.start, dtype=np.int32), ready)
                if p.after
                else ready * 0 + p.start
            )
        elif used and d.max() > 0:
            s = _first_room(free, p.demand, used, ready, d, horizon, periods, rows)
            over = s < 0
            beyond |= over
            s = np.where(over, ready, s)
        else:
            s = ready
        end = s + d
        if p.start is None and used and d.max() > 0:
            lo, hi = int(s.min()), min(int(end.max()), horizon)
            span = periods[lo:hi]
            window = (span[:, None] >= s[None, :]) & (span[:, None] < end[None, :])
            for r in used:
                free[r][lo:hi] -= window * np.float32(float(p.demand[r]))
        start[pid], finish[pid], pushed[pid] = s, end, s > ready
    makespan = np.max(np.stack([finish[pid] for pid in order]), axis=0) if order else np.zeros(runs)
    critical = _critical(problem, order, rank, start, finish, pushed, makespan)
    items = {}
    for pid in order:
        p = by_id[pid]
        row = {
            "finish": _percentiles(finish[pid]),
            "start": _percentiles(start[pid]),
            "critical": round(float(critical[pid].mean()), 4),
            "mean_duration": round(float(draws[pid].mean()), 3),
        }
        if p.deadline is not None:
            row["deadline"] = p.deadline
            row["chance"] = round(float((finish[pid] <= p.deadline).mean()), 4)
        items[pid] = row
    milestones = {}
    for name, due in risk.due.items():
        item, share = risk.at[name]
        reached = start[item] + share * draws[item]
        milestones[name] = {
            "item": item,
            "due": due,
            "finish": _percentiles(np.ceil(reached - 1e-9)),
            "chance": round(float((reached <= due + 1e-9).mean()), 4),
            "curve": _curve(reached),
        }
    out: dict[str, Any] = {
        "runs": runs,
        "seed": risk.seed,
        "items": items,
        "milestones": milestones,
        "finish": {**_percentiles(makespan), "curve": _curve(makespan)},
        "tornado": _tornado(order, draws, makespan),
        "beyond": round(float(beyond.mean()), 4),
    }
    if risk.costs:
        total = np.zeros(runs)
        for e in risk.costs.values():
            total += pert(rng, e, runs)
        out["cost"] = {
            **{f"p{q}": round(float(np.percentile(total, q)), 2) for q in PERCENTILES},
            "likely": round(sum(e.likely for e in risk.costs.values()), 2),
            "budget": risk.budget,
            "chance": None
            if risk.budget is None
            else round(float((total <= risk.budget + 1e-9).mean()), 4),
        }
    out["solve_time_s"] = round(time.perf_counter() - started, 3)
    return out


def _first_room(free, demand, used, ready, d, horizon, periods, rows) -> np.ndarray:
    """Per run, the first start at or after ``ready`` with room for the item for ``d``
    periods on every resource it uses; -1 where there is none before the horizon. Looks in
    a band of columns just past the runs' ready times, widened only for runs it cannot place."""
    lo = int(ready.min())  # no run starts before this: the columns before it stay out
    hi = min(horizon, int(ready.max()) + 2 * int(d.max()) + 8)
    while True:
        blocked = np.zeros((hi - lo, len(ready)), dtype=bool)
        for r in used:
            blocked |= free[r][lo:hi] < np.float32(float(demand[r]) - 1e-6)
        # last[t]: the last period at or before t without room (lo - 1 when none); a loop
        # over the band's rows is many times faster than numpy's accumulate along them
        last = np.empty(blocked.shape, dtype=np.int32)
        previous = np.full(len(ready), lo - 1, dtype=np.int32)
        for k in range(hi - lo):
            previous = np.where(blocked[k], np.int32(lo + k), previous)
            last[k] = previous
        s = ready.copy()
        while True:  # jump past the last period without room in the window, until none
            fits = s + d <= hi
            end = np.clip(s + d - 1 - lo, 0, hi - lo - 1)
            inside = np.where((d > 0) & fits, last[end, rows], lo - 1)
            late = inside >= s
            if not late.any():
                break
            s = np.where(late, inside + 1, s)
        if (s + d <= hi).all():
            return s
        if hi >= horizon:
            return np.where(s + d <= hi, s, -1)
        hi = min(horizon, lo + 2 * (hi - lo))


def _percentiles(values: np.ndarray) -> dict[str, float]:
    """P50, P80, P95 as the smallest value reached in at least that share of runs."""
    ordered = np.sort(values)
    n = len(ordered)
    return {f"p{q}": float(ordered[min(n - 1, int(np.ceil(q / 100 * n)) - 1)]) for q in PERCENTILES}


def _curve(values: np.ndarray) -> list[list[float]]:
    """The chance of being done by each whole period from the first to the last seen."""
    whole = np.ceil(values - 1e-9).astype(int)
    low, high = int(whole.min()), int(whole.max())
    counts = np.bincount(whole - low, minlength=high - low + 1).cumsum() / len(whole)
    return [[low + k, round(float(c), 4)] for k, c in enumerate(counts)]


def _critical(problem, order, rank, start, finish, pushed, makespan) -> dict[str, np.ndarray]:
    """In each run, whether an item is on the critical chain: it ends last, or a tight
    successor (one starting the moment it ends, after it or waiting for the same team) is."""
    by_id = {p.id: p for p in problem.projects}
    successors: dict[str, list[str]] = {pid: [] for pid in order}
    for pid in order:
        for a in by_id[pid].after:
            successors[a].append(pid)
    sharing: dict[str, list[str]] = {pid: [] for pid in order}
    uses = {pid: {r for r, a in by_id[pid].demand.items() if a} for pid in order}
    for i, pid in enumerate(order):
        for later in order[i + 1 :]:
            if uses[pid] & uses[later] and later not in successors[pid]:
                sharing[pid].append(later)
    critical: dict[str, np.ndarray] = {}
    for pid in reversed(order):
        on = finish[pid] == makespan
        for s in successors[pid]:
            on |= critical[s] & (start[s] == finish[pid])
        for s in sharing[pid]:
            on |= critical[s] & pushed[s] & (start[s] == finish[pid])
        critical[pid] = on
    return critical


def _tornado(order, draws, makespan) -> list[dict[str, Any]]:
    """The items whose duration moves the last finish most: the mean finish when the item
    goes well (its shortest tenth of runs) and badly (its longest tenth), against the median."""
    median = float(np.median(makespan))
    rows = []
    for pid in order:
        d = draws[pid]
        low_cut, high_cut = np.percentile(d, 10), np.percentile(d, 90)
        if low_cut == high_cut:
            continue
        good = float(makespan[d <= low_cut].mean()) - median
        bad = float(makespan[d >= high_cut].mean()) - median
        if bad - good > 1e-9:
            rows.append({"item": pid, "low": round(good, 3), "high": round(bad, 3)})
    rows.sort(key=lambda r: -(r["high"] - r["low"]))
    return rows[:TORNADO]


def _estimate(raw: Any, likely: float, where: str) -> Estimate:
    if raw is None:
        return Estimate(likely, likely, likely)
    if not isinstance(raw, dict):
        raise ProblemError(f"{where} must be an object with 'low' and 'high'")
    values = []
    for key, default in (("low", likely), ("likely", likely), ("high", likely)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProblemError(f"{where} {key!r} must be a number")
        values.append(float(value))
    estimate = Estimate(*values)
    estimate.check(where)
    return estimate


def parse_risk(data: Any) -> Risk:
    """A simulation from the JSON of ``cairn schedule`` plus, per project, an optional
    "estimate": {"low", "high"} (periods; "likely" is the duration) and "cost": {"low",
    "likely", "high"}; and at the top an optional "start" (planned starts, from the
    schedule's answer; else the order of the projects), "runs", "seed" and "budget"."""
    schedule = parse_schedule(data)
    durations, costs = {}, {}
    for raw in data["projects"]:
        pid = str(raw["id"])
        duration = float(raw["duration"])
        durations[pid] = _estimate(raw.get("estimate"), duration, f"project {pid!r} estimate")
        if durations[pid].likely != duration:
            raise ProblemError(f"project {pid!r}: the estimate's most likely is its duration")
        if any(v != int(v) for v in (durations[pid].low, durations[pid].high)):
            raise ProblemError(f"project {pid!r}: an estimate is in whole periods")
        if raw.get("cost") is not None:
            likely = raw["cost"].get("likely") if isinstance(raw["cost"], dict) else None
            if isinstance(likely, bool) or not isinstance(likely, int | float):
                raise ProblemError(f"project {pid!r} cost needs a number 'likely'")
            costs[pid] = _estimate(raw["cost"], float(likely), f"project {pid!r} cost")
    planned = data.get("start") or {}
    if not isinstance(planned, dict):
        raise ProblemError("'start' must be an object of planned starts")
    position = {p.id: n for n, p in enumerate(topological(schedule) or [])}
    order = sorted(
        (p.id for p in schedule.projects),
        key=lambda pid: (planned.get(pid, 10**9), position[pid]),
    )
    runs = data.get("runs", RUNS)
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
        raise ProblemError(f"runs must be a whole number from 1 to {MAX_RUNS}")
    seed = data.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ProblemError("seed must be a whole number of at least 0")
    budget = data.get("budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float)):
        raise ProblemError("budget must be a number")
    return Risk(
        schedule,
        _respecting(schedule, order),
        durations,
        costs,
        budget=None if budget is None else float(budget),
        runs=runs,
        seed=seed,
    )


def _respecting(schedule: Schedule, order: list[str]) -> tuple[str, ...]:
    """The order given, moved only where an item would come before one it follows."""
    by_id = {p.id: p for p in schedule.projects}
    placed: list[str] = []
    waiting = list(order)
    done: set[str] = set()
    while waiting:
        for n, pid in enumerate(waiting):
            if all(a in done for a in by_id[pid].after):
                placed.append(pid)
                done.add(pid)
                del waiting[n]
                break
    return tuple(placed)
