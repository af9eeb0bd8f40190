"""Makespans no schedule can beat, so a plan can be proven optimal or its gap stated.

Three bounds, each valid with pins, earliest starts and capacity that changes per period:
the longest chain of work (critical path); the energy of each resource, also within
windows set by the heads and tails of the projects; and a one-machine bound over a set of
projects no two of which can ever run together (a clique of incompatible projects).
"""

from __future__ import annotations

import math

from cairn.solver.constructive import Instance
from cairn.solver.schedule_model import Schedule


def heads_and_tails(inst: Instance) -> tuple[list[int], list[int]]:
    """The earliest each project can start (chains, earliest starts, pins) and the least
    work that must follow its end."""
    n = len(inst.ids)
    head, tail = [0] * n, [0] * n
    for k in inst.order:
        head[k] = max([inst.earliest[k], *(head[a] + inst.duration[a] for a in inst.preds[k])])
        if inst.pin[k] is not None:
            head[k] = max(head[k], inst.pin[k])
    for k in reversed(inst.order):
        tail[k] = max([0, *(inst.duration[s] + tail[s] for s in inst.succs[k])])
    return head, tail


def critical_path(inst: Instance, head: list[int]) -> int:
    return max((h + d for h, d in zip(head, inst.duration, strict=True)), default=0)


def energy(inst: Instance, head: list[int], tail: list[int]) -> int:
    """Per resource: the periods its whole work needs from the start (capacity summed period
    by period), and for every set of projects starting no earlier than some head, the head
    plus the least tail plus their work at the largest capacity."""
    bound = 0
    for r, caps in enumerate(inst.capacity):
        users = [(k, a) for k in range(len(inst.ids)) for q, a in inst.demand[k] if q == r]
        work = sum(a * inst.duration[k] for k, a in users)
        if not work:
            continue
        top = max(caps)
        if not top:
            continue
        total, t = 0, 0
        while t < len(caps) and total < work:
            total += caps[t]
            t += 1
        bound = max(bound, t)
        for low in sorted({head[k] for k, _ in users}):
            chosen = sorted(
                ((tail[k], a * inst.duration[k]) for k, a in users if head[k] >= low), reverse=True
            )
            cumulative = 0
            for least_tail, e in chosen:
                cumulative += e
                bound = max(bound, low + least_tail + math.ceil(cumulative / top))
    return bound


def one_machine(inst: Instance, head: list[int], tail: list[int], seeds: int = 24) -> int:
    """Projects that can never overlap (they follow one another, or together need more of a
    resource than it ever has) run one after another: for greedy cliques of them, the
    least head plus their durations plus the least tail, over every head/tail threshold."""
    n = len(inst.ids)
    top = [max(caps, default=0) for caps in inst.capacity]
    amount = [dict(inst.demand[k]) for k in range(n)]
    busy = [k for k in range(n) if inst.duration[k] > 0]
    reach = [0] * n  # bit masks of projects that transitively follow
    for k in reversed(inst.order):
        for s in inst.succs[k]:
            reach[k] |= reach[s] | (1 << s)
    apart = [0] * n
    for i in busy:
        for j in busy:
            if i < j and (
                reach[i] >> j & 1
                or reach[j] >> i & 1
                or any(a + amount[j].get(r, 0) > top[r] for r, a in amount[i].items())
            ):
                apart[i] |= 1 << j
                apart[j] |= 1 << i
    bound = 0
    by_length = sorted(busy, key=lambda k: -inst.duration[k])
    for seed in by_length[:seeds]:
        clique, candidates = [seed], apart[seed]
        for k in by_length:
            if candidates >> k & 1:
                clique.append(k)
                candidates &= apart[k]
        if len(clique) < 2:
            continue
        for low in sorted({head[k] for k in clique}):
            chosen = sorted(
                ((tail[k], inst.duration[k]) for k in clique if head[k] >= low), reverse=True
            )
            cumulative = 0
            for least_tail, d in chosen:
                cumulative += d
                bound = max(bound, low + cumulative + least_tail)
    return bound


def makespan_bounds(problem: Schedule, inst: Instance | None = None) -> dict[str, int]:
    """Each lower bound on the makespan by name."""
    inst = inst or Instance.of(problem)
    head, tail = heads_and_tails(inst)
    found = {"critical_path": critical_path(inst, head)}
    if inst.exact:  # rounded demands could overstate what cannot run together
        found["energy"] = energy(inst, head, tail)
        found["one_machine"] = one_machine(inst, head, tail)
    return found
