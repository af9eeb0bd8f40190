"""Large-neighbourhood search over windows of time, for the scheduler.

Take a window of the current plan holding a couple of dozen projects. Projects that end
before it keep their starts; projects that start after it keep their starts relative to
one another and move together by one shift; the projects inside are placed again by
CP-SAT. The sub-model holds only the projects inside and the shift (the fixed work is
taken off the capacity), so it solves in a fraction of a second, and a plan no worse is
kept. The window's size grows when its sub-model is solved to the end and shrinks when
it is cut short.
"""

from __future__ import annotations

import random
import time

from cairn.solver.constructive import Instance


def window_search(
    inst: Instance,
    start: list[int],
    deadline: float,
    bound: float = 0.0,
    seed: int = 0,
    workers: int = 1,
    stats: dict | None = None,
    size: int = 12,
    limit_s: float = 0.3,
) -> list[int]:
    """The best plan found by re-solving windows until ``deadline`` (a perf_counter time)
    or until the plan reaches ``bound``."""
    rng = random.Random(seed)
    value = inst.value(start)
    n = len(start)
    movable = [k for k in range(n) if inst.pin[k] is None]
    size = min(len(movable), size)
    stats = stats if stats is not None else {}
    stats.update(windows=0, improved=0)
    while movable and time.perf_counter() < deadline - 0.02 and value > bound + 1e-9:
        ordered = sorted(movable, key=lambda k: (start[k], k))
        if rng.random() < 0.25:  # the tail of the plan: nothing after it to shift
            first = max(0, len(ordered) - size)
        else:
            first = rng.randrange(max(1, len(ordered) - size + 1))
        chosen = set(ordered[first : first + size])
        limit = min(limit_s, deadline - time.perf_counter() - 0.01)
        if limit < 0.02:
            break
        found, complete = _resolve(inst, start, chosen, value, limit, workers, rng.randrange(10**6))
        stats["windows"] += 1
        if found is not None:
            new = inst.value(found)
            if new < value:
                stats["improved"] += 1
            if new <= value:
                start, value = found, new
        size = min(len(movable), size + 2) if complete else max(6, size - 2)
    return start


def _resolve(inst, start, chosen, value, limit, workers, seed):
    """Place the chosen projects again; (new plan or None, solved to the end)."""
    from ortools.sat.python import cp_model

    d = inst.duration
    n = len(start)
    end = [start[k] + d[k] for k in range(n)]
    low = min(start[k] for k in chosen)
    high = max(end[k] for k in chosen)
    # Projects overlapping the window but not chosen are free too; those after it shift.
    free = {
        k
        for k in range(n)
        if inst.pin[k] is None and (k in chosen or (start[k] < high and end[k] > low))
    }
    after = [k for k in range(n) if k not in free and inst.pin[k] is None and start[k] >= high]
    fixed = [k for k in range(n) if k not in free and k not in after]
    after_set = set(after)
    upper = int(value) if inst.makespan_objective else inst.horizon
    model = cp_model.CpModel()
    shift = model.new_int_var(-(high - low), 0, "shift") if after else 0
    begin, finish = {}, {}
    for k in fixed:
        begin[k] = finish[k] = None
    for k in free:
        begin[k] = model.new_int_var(
            inst.earliest[k], min(upper, inst.latest_end[k]) - d[k], f"s{k}"
        )
        finish[k] = begin[k] + d[k]
        model.add_hint(begin[k], start[k])
    for k in after:
        begin[k] = shift + start[k]
        finish[k] = shift + end[k]
        if start[k] - inst.earliest[k] < high - low:
            model.add(shift >= inst.earliest[k] - start[k])
    if after:
        model.add_hint(shift, 0)

    def s(k):
        return start[k] if begin[k] is None else begin[k]

    def e(k):
        return end[k] if finish[k] is None else finish[k]

    for k in range(n):
        if k in fixed:
            continue
        for a in inst.preds[k]:
            if not (a in after_set and k in after_set):  # both shift: holds already
                model.add(s(k) >= e(a))
        for b in inst.succs[k]:
            if b in fixed:
                model.add(e(k) <= start[b])
    for r, caps in enumerate(inst.capacity):
        users = [(k, a) for k in (*free, *after) for q, a in inst.demand[k] if q == r]
        if not users:
            continue
        room = list(caps[:upper])
        for k in fixed:
            for q, a in inst.demand[k]:
                if q == r:
                    for t in range(start[k], min(end[k], upper)):
                        room[t] -= a
        top = max(room, default=0)
        intervals, demands = [], []
        for k, a in users:
            if k in free:
                intervals.append(model.new_interval_var(begin[k], d[k], finish[k], f"i{k}"))
            else:
                intervals.append(model.new_fixed_size_interval_var(begin[k], d[k], f"i{k}"))
            demands.append(a)
        t = 0
        while t < len(room):  # the work fixed in place, as blocks of taken capacity
            u = t
            while u < len(room) and room[u] == room[t]:
                u += 1
            if top - room[t] > 0:
                intervals.append(model.new_fixed_size_interval_var(t, u - t, f"b{r}_{t}"))
                demands.append(top - room[t])
            t = u
        if min(room, default=0) < 0:
            return None, True
        model.add_cumulative(intervals, demands, top)
    ends = [e(k) for k in (*free, *after)]
    if inst.makespan_objective:
        makespan = model.new_int_var(0, upper, "makespan")
        model.add_max_equality(makespan, [*ends, max((end[k] for k in fixed), default=0)])
        model.minimize(makespan)
    else:
        model.minimize(sum(round(inst.weight[k] * 1000) * e(k) for k in (*free, *after)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed % 1000
    solver.parameters.cp_model_presolve = False  # on a sub-model this small it costs more
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status == cp_model.INFEASIBLE
    moved = shift if isinstance(shift, int) else solver.value(shift)
    new = list(start)
    for k in free:
        new[k] = solver.value(begin[k])
    for k in after:
        new[k] = start[k] + moved
    return new, status == cp_model.OPTIMAL
