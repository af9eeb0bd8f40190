"""Instances shaped like PSPLIB's single-mode sets (j30, j60, j120), generated here.

PSPLIB's public files stay out of the repository; these follow the parameters of ProGen
(Kolisch, Sprecher and Drexl 1995) that made them: n activities with durations 1–10,
4 renewable resources, three start and three end activities, at most three successors
and predecessors each, a network complexity (non-redundant arcs per activity, the dummy
source and sink counted) of 1.5, 1.8 or 2.1, a resource factor (the share of the
resources each activity uses) of 0.25–1, demands 1–10, and a resource strength of 0.2–0.7
placing each capacity between the largest single demand and the peak of the
earliest-start plan. The same seed always gives the same instance.
"""

from __future__ import annotations

import random
from decimal import Decimal

from cairn.solver.schedule import Project, Schedule

RESOURCES = ("R1", "R2", "R3", "R4")
COMPLEXITIES = (1.5, 1.8, 2.1)
FACTORS = (0.25, 0.5, 0.75, 1.0)
STRENGTHS = (0.2, 0.5, 0.7)
MAX_LINKS = 3  # successors and predecessors per activity, as in ProGen


def parameters(index: int) -> tuple[float, float, float]:
    """Network complexity, resource factor and strength of cell ``index`` (mod 36) of
    PSPLIB's full-factorial design (3 × 4 × 3 cells)."""
    index %= len(COMPLEXITIES) * len(FACTORS) * len(STRENGTHS)
    nc = COMPLEXITIES[index % 3]
    rf = FACTORS[(index // 3) % 4]
    rs = STRENGTHS[index // 12]
    return nc, rf, rs


def sample(count: int) -> list[int]:
    """``count`` cells spread over the design (seven apart, so all of it is visited)."""
    return [k * 7 % 36 for k in range(count)]


def network(n: int, complexity: float, rng: random.Random) -> list[set[int]]:
    """Predecessors of each of n activities (0..n-1, in topological order), with no
    redundant arc, about ``complexity`` × (n + 2) arcs counting the dummies' arcs."""
    starts, ends = set(range(3)), set(range(n - 3, n))
    preds: list[set[int]] = [set() for _ in range(n)]
    succs: list[set[int]] = [set() for _ in range(n)]
    reach = [1 << i for i in range(n)]  # bit i: activity i reaches itself

    def reaches(i: int, j: int) -> bool:
        return bool(reach[i] >> j & 1)

    def refresh() -> None:
        for i in reversed(range(n)):
            mask = 1 << i
            for s in succs[i]:
                mask |= reach[s]
            reach[i] = mask

    def redundant(i: int, j: int) -> bool:
        """Arc i→j adds nothing, or makes an existing arc a→b redundant."""
        if reaches(i, j):
            return True
        for a in range(i + 1):
            if not (a == i or reaches(a, i)):
                continue
            for b in succs[a]:
                if reaches(j, b) and (a, b) != (i, j):
                    return True
        return False

    def link(i: int, j: int) -> None:
        preds[j].add(i)
        succs[i].add(j)
        refresh()

    for j in range(n):  # every non-start activity follows one earlier activity
        if j in starts:
            continue
        pool = [i for i in range(j) if i not in ends and len(succs[i]) < MAX_LINKS]
        rng.shuffle(pool)
        for i in pool:
            if not redundant(i, j):
                link(i, j)
                break
    for i in range(n):  # every non-end activity leads to a later one
        if i in ends or succs[i]:
            continue
        pool = [j for j in range(i + 1, n) if j not in starts and len(preds[j]) < MAX_LINKS]
        rng.shuffle(pool)
        for j in pool:
            if not redundant(i, j):
                link(i, j)
                break
    dummy_arcs = len(starts) + sum(1 for i in range(n) if not succs[i])
    target = round(complexity * (n + 2)) - dummy_arcs
    arcs = sum(len(p) for p in preds)
    for _ in range(20 * n):
        if arcs >= target:
            break
        i = rng.randrange(n - 1)
        j = rng.randrange(i + 1, min(n, i + 1 + max(6, n // 4)))
        if (
            i in ends
            or j in starts
            or len(succs[i]) >= MAX_LINKS
            or len(preds[j]) >= MAX_LINKS
            or redundant(i, j)
        ):
            continue
        link(i, j)
        arcs += 1
    return preds


def generate(n: int, index: int) -> Schedule:
    """The instance of n activities in cell ``index`` of the design (its seed too)."""
    nc, rf, rs = parameters(index)
    rng = random.Random(f"psplib-{n}-{index}")
    preds = network(n, nc, rng)
    durations = [rng.randint(1, 10) for _ in range(n)]
    k = max(1, round(rf * len(RESOURCES)))
    demand = []
    for _ in range(n):
        used = rng.sample(RESOURCES, k)
        demand.append({r: rng.randint(1, 10) for r in used})
    es: list[int] = []
    for j in range(n):
        es.append(max([0, *(es[i] + durations[i] for i in preds[j])]))
    horizon = sum(durations)
    capacity = {}
    for r in RESOURCES:
        profile = [0] * horizon
        for j in range(n):
            for t in range(es[j], es[j] + durations[j]):
                profile[t] += demand[j].get(r, 0)
        low = max((d.get(r, 0) for d in demand), default=0)
        high = max(profile, default=0)
        capacity[r] = (Decimal(low + round(rs * (high - low))),) * horizon
    projects = tuple(
        Project(
            id=f"a{j + 1}",
            duration=durations[j],
            demand={r: Decimal(v) for r, v in demand[j].items()},
            after=tuple(f"a{i + 1}" for i in sorted(preds[j])),
        )
        for j in range(n)
    )
    return Schedule(projects, capacity, horizon, "makespan", time_limit_s=10.0)


def describe(problem: Schedule) -> dict:
    """The measured parameters of an instance: network complexity, resource factor."""
    n = len(problem.projects)
    arcs = sum(len(p.after) for p in problem.projects)
    followed = {a for p in problem.projects for a in p.after}
    starts = sum(1 for p in problem.projects if not p.after)
    ends = sum(1 for p in problem.projects if p.id not in followed)
    used = sum(len(p.demand) for p in problem.projects) / (n * len(problem.capacity))
    return {
        "activities": n,
        "network_complexity": round((arcs + starts + ends) / (n + 2), 2),
        "resource_factor": round(used, 2),
    }
