"""Schedule projects over periods so that no resource is overloaded in any period.

The resource-constrained project scheduling problem: each project runs for a whole number
of periods and needs a fixed amount of each resource in every period it runs; a project
starts only after the projects it follows have ended; capacities may change from period to
period; starts may be pinned; deadlines bound the end.

How it is solved (``solve_schedule``): a strong start from the schedule generation schemes
and priority rules of ``constructive``; OR-Tools CP-SAT (interval variables and cumulative
constraints) hinted with it; then, while time is left, large-neighbourhood search over
windows of time (projects before the window keep their starts, those after it their
order, those inside are solved again). The lower bounds of ``schedule_bounds`` and the
solver's own prove the result optimal or state the gap. The answer is never worse than
the start it was given.

The problem's data types live in ``schedule_model`` and the explanations in
``schedule_reasons``; both are imported from here too.
"""

from __future__ import annotations

import math
import time

from cairn.solver.constructive import Instance, construct, latest_finish, serial_schedule
from cairn.solver.schedule_bounds import makespan_bounds
from cairn.solver.schedule_model import (
    MAX_HORIZON,
    MAX_PROJECTS,
    OBJECTIVES,
    Answer,
    Project,
    Schedule,
    load,
    objective_value,
    parse_schedule,
    scale_for,
    topological,
    validate,
)
from cairn.solver.schedule_reasons import (
    Reason,
    check,
    check_reasons,
    diagnose,
    diagnose_reasons,
)
from cairn.solver.schedule_search import window_search

__all__ = [
    "MAX_HORIZON",
    "MAX_PROJECTS",
    "METHODS",
    "OBJECTIVES",
    "Answer",
    "Project",
    "Reason",
    "Schedule",
    "check",
    "check_reasons",
    "diagnose",
    "diagnose_reasons",
    "latest_finish",
    "load",
    "lower_bound",
    "objective_value",
    "parse_schedule",
    "serial_schedule",
    "solve_schedule",
    "topological",
    "validate",
]

# plain: CP-SAT hinted with one serial pass (the scheduler before issue 19);
# hinted: CP-SAT hinted with the best constructive plan; lns: that, then window search.
METHODS = ("plain", "hinted", "lns")


def lower_bound(problem: Schedule) -> int:
    """A makespan no schedule can beat: the best of the critical path, the energy bounds
    and the one-machine bound (see ``schedule_bounds``)."""
    return min(max(makespan_bounds(problem).values(), default=0), problem.horizon)


class _Model:
    """The CP-SAT model of a problem, with its start and end variables."""

    def __init__(self, problem: Schedule, upper: int | None):
        from ortools.sat.python import cp_model

        self.problem = problem
        self.model = model = cp_model.CpModel()
        self.starts, self.ends = {}, {}
        self.feasible = True
        intervals = {}
        end_high = problem.horizon if upper is None else min(problem.horizon, upper)
        for n, p in enumerate(problem.projects):
            low, high = p.earliest, min(problem.horizon, end_high) - p.duration
            if p.deadline is not None:
                high = min(high, p.deadline - p.duration)
            if p.start is not None:
                if not p.earliest <= p.start <= problem.horizon - p.duration:
                    self.feasible = False  # a pin must respect the earliest start too
                low = high = p.start
            if low > high:
                self.feasible = False
                low = high = max(0, min(low, problem.horizon - p.duration))
            self.starts[p.id] = model.new_int_var(low, high, f"s{n}")
            self.ends[p.id] = model.new_int_var(0, problem.horizon, f"e{n}")
            intervals[p.id] = model.new_interval_var(
                self.starts[p.id], p.duration, self.ends[p.id], f"i{n}"
            )
            if p.deadline is not None:
                model.add(self.ends[p.id] <= p.deadline)
        for p in problem.projects:
            for a in p.after:
                model.add(self.starts[p.id] >= self.ends[a])
        for resource, caps in problem.capacity.items():
            users = [p for p in problem.projects if p.demand.get(resource) and p.duration]
            if not users:
                continue
            scale = scale_for([*caps, *(p.demand[resource] for p in users)])
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
        self.weight_scale = 1
        if problem.objective == "makespan":
            self.makespan = model.new_int_var(0, end_high, "makespan")
            model.add_max_equality(self.makespan, list(self.ends.values()) or [0])
            model.minimize(self.makespan)
        else:
            self.weight_scale = scale_for(p.weight for p in problem.projects)
            model.minimize(
                sum(int(p.weight * self.weight_scale) * self.ends[p.id] for p in problem.projects)
            )

    def hint(self, start: dict[str, int]) -> None:
        for p in self.problem.projects:
            self.model.add_hint(self.starts[p.id], start[p.id])

    def solve(self, seconds: float, workers: int, seed: int = 0):
        """(status, starts or None, the proven bound on the objective)."""
        from ortools.sat.python import cp_model

        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(seconds, 0.05)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        status = solver.solve(self.model)
        found = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = {p.id: solver.value(self.starts[p.id]) for p in self.problem.projects}
        names = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}
        names[cp_model.INFEASIBLE] = "infeasible"
        bound = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            bound = solver.best_objective_bound / self.weight_scale
        return names.get(status, "unknown"), found, bound


def solve_schedule(problem: Schedule, *, method: str = "lns", seed: int = 0) -> Answer:
    """The best schedule within capacity, precedence, pins and deadlines, with its status,
    the best proven lower bound and, when not proven optimal, the gap to it."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    validate(problem)
    started = time.perf_counter()
    deadline = started + problem.time_limit_s
    makespan_goal = problem.objective == "makespan"
    inst = Instance.of(problem)
    start, source = serial_schedule(problem), "heuristic"
    if method != "plain":
        source = "constructive"
        # A tenth of the time (at most a second and a half) for the constructive start.
        budget = min(1.5, 0.1 * problem.time_limit_s, 0.05 + 0.004 * len(problem.projects))
    bound = 0.0
    if makespan_goal:
        bound = float(max(makespan_bounds(problem, inst).values(), default=0))
    if method != "plain":
        start = construct(problem, budget, seed, stop_at=bound if makespan_goal else None).start
    value = None if start is None else float(objective_value(problem, start))
    if makespan_goal and value is not None and value <= bound:
        return _answer(problem, start, "optimal", bound, started, source)

    upper = int(value) if makespan_goal and value is not None else None
    model = _Model(problem, upper)
    if not model.feasible:
        return _infeasible(problem, started)
    if start is not None:
        model.hint(start)
    if makespan_goal:
        model.model.add(model.makespan >= int(bound))  # helps the solver prove its bound
    workers = problem.workers
    # With window search to follow, the full model gets part of the time: enough to
    # prove small problems, the rest goes to the windows.
    share = 1.0 if method != "lns" or start is None else 0.5
    status, found, proven = model.solve((deadline - time.perf_counter()) * share, workers, seed)
    if status == "infeasible":
        return _infeasible(problem, started)
    if proven is not None:
        bound = max(bound, proven)
    if found is not None:
        found_value = float(objective_value(problem, found))
        if value is None or found_value <= value:
            start, value, source = found, found_value, "solver"
    if start is None:
        return Answer("unknown", {}, None, None, time.perf_counter() - started)
    if status == "optimal":  # the solver's plan is optimal, and ours no worse
        return _answer(problem, start, "optimal", max(bound, value), started, source)
    if method == "lns" and not (makespan_goal and value <= bound):
        improved = window_search(
            inst,
            [start[k] for k in inst.ids],
            deadline,
            bound if makespan_goal else 0.0,
            seed,
            max(1, min(problem.workers, 2)),
        )
        plan = dict(zip(inst.ids, improved, strict=True))
        if not check(problem, plan) and float(objective_value(problem, plan)) <= value:
            start, value, source = plan, float(objective_value(problem, plan)), "solver"
    proven_optimal = value <= bound + 1e-9
    return _answer(
        problem, start, "optimal" if proven_optimal else "feasible", bound, started, source
    )


def _answer(
    problem: Schedule,
    start: dict[str, int],
    status: str,
    bound: float,
    started: float,
    source: str,
) -> Answer:
    value = objective_value(problem, start)
    makespan = max((start[p.id] + p.duration for p in problem.projects), default=0)
    if problem.objective == "makespan":
        reported: float = min(math.ceil(bound - 1e-9), makespan)
    else:
        reported = round(min(bound, float(value)), 6)
    answer = Answer(
        status,
        start,
        makespan,
        reported,
        time.perf_counter() - started,
        float(value),
        source=source,
    )
    return answer


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
