"""Resource-constrained project scheduling at PSPLIB-like sizes (30, 60, 120 projects,
4 resources): solve time, proof, gap to the lower bound and to the serial heuristic.

Pure Python (no Django): ``python benchmarks/schedule.py`` runs it alone.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cairn.solver.schedule import (  # noqa: E402
    Project,
    Schedule,
    check,
    lower_bound,
    objective_value,
    serial_schedule,
    solve_schedule,
)

SIZES = tuple(int(s) for s in __import__("os").environ.get("BENCH_SIZES", "30,60,120").split(","))
INSTANCES = 5  # per size
STRENGTHS = (0.2, 0.25, 0.3, 0.4, 0.5)
RESOURCES = ("R1", "R2", "R3", "R4")


def generate(n: int, seed: int, strength: float) -> Schedule:
    """An instance shaped like PSPLIB's: durations 1–10, about 1.8 predecessors each, each
    project needing some of 4 resources (1–10 units), capacity between the largest single
    need and the peak of the earliest-start plan, set by the resource strength."""
    rng = random.Random(seed)
    projects = []
    for i in range(n):
        after = ()
        if i >= 3:
            k = rng.choice([1, 1, 2, 2, 2, 3])
            pool = list(range(max(0, i - 12), i))
            after = tuple(f"j{a}" for a in rng.sample(pool, min(k, len(pool))))
        demand = {r: Decimal(rng.randint(1, 10)) for r in RESOURCES if rng.random() < 0.75}
        projects.append(
            Project(id=f"j{i}", duration=rng.randint(1, 10), demand=demand, after=after)
        )
    horizon = sum(p.duration for p in projects)
    by_id = {p.id: p for p in projects}
    es: dict[str, int] = {}
    for p in projects:  # already in precedence order
        es[p.id] = max([0, *(es[a] + by_id[a].duration for a in p.after)])
    capacity = {}
    for r in RESOURCES:
        peak = max(
            sum(
                (
                    p.demand.get(r, Decimal(0))
                    for p in projects
                    if es[p.id] <= t < es[p.id] + p.duration
                ),
                Decimal(0),
            )
            for t in range(horizon)
        )
        single = max((p.demand.get(r, Decimal(0)) for p in projects), default=Decimal(0))
        capacity[r] = (Decimal(round(float(single) + strength * float(peak - single))),) * horizon
    return Schedule(tuple(projects), capacity, horizon, "makespan", time_limit_s=10.0)


def critical_path(problem: Schedule) -> int:
    ends: dict[str, int] = {}
    for p in problem.projects:
        ends[p.id] = max([0, *(ends[a] for a in p.after)]) + p.duration
    return max(ends.values())


def run(n: int, seed: int) -> dict:
    # Resource strength as PSPLIB varies it: from tight (0.2) to loose (0.5).
    problem = generate(n, seed, strength=STRENGTHS[(seed - 1) % len(STRENGTHS)])
    started = time.perf_counter()
    answer = solve_schedule(problem)
    seconds = time.perf_counter() - started
    assert check(problem, answer.start) == [], "the schedule breaks a rule"
    heuristic = serial_schedule(problem)
    h = int(objective_value(problem, heuristic)) if heuristic else None
    bound = max(answer.lower_bound or 0, critical_path(problem), lower_bound(problem))
    return {
        "projects": n,
        "seed": seed,
        "status": answer.status,
        "seconds": round(seconds, 2),
        "makespan": answer.makespan,
        "lower_bound": bound,
        "gap_percent": round((answer.makespan - bound) / bound * 100, 2),
        "heuristic": h,
        "better_than_heuristic_percent": round((h - answer.makespan) / h * 100, 2) if h else None,
    }


def bench_schedule() -> dict:
    rows = [run(n, seed) for n in SIZES for seed in range(1, INSTANCES + 1)]
    summary = []
    for n in SIZES:
        group = [r for r in rows if r["projects"] == n]
        summary.append(
            {
                "projects": n,
                "instances": len(group),
                "optimal": sum(r["status"] == "optimal" for r in group),
                "mean_seconds": round(statistics.mean(r["seconds"] for r in group), 2),
                "max_seconds": max(r["seconds"] for r in group),
                "mean_gap_percent": round(statistics.mean(r["gap_percent"] for r in group), 2),
                "max_gap_percent": max(r["gap_percent"] for r in group),
                "mean_gain_over_heuristic_percent": round(
                    statistics.mean(r["better_than_heuristic_percent"] for r in group), 2
                ),
                "never_worse_than_heuristic": all(r["makespan"] <= r["heuristic"] for r in group),
            }
        )
    return {
        "name": "schedule projects (makespan, 4 resources, 10 s limit)",
        "target": "30 projects optimal in < 1 s; 120 within 3% of the bound in 10 s; never "
        "worse than the serial latest-finish heuristic",
        "rows": rows,
        "summary": summary,
    }


def print_table(result: dict) -> None:
    print(f"\n{result['name']}\n  target: {result['target']}")
    print(
        f"{'projects':>8} {'optimal':>8} {'mean s':>7} {'max s':>6} {'mean gap %':>10} "
        f"{'max gap %':>9} {'vs heuristic %':>14}"
    )
    for s in result["summary"]:
        print(
            f"{s['projects']:>8} {s['optimal']:>4}/{s['instances']:<3} {s['mean_seconds']:>7} "
            f"{s['max_seconds']:>6} {s['mean_gap_percent']:>10} {s['max_gap_percent']:>9} "
            f"{s['mean_gain_over_heuristic_percent']:>14}"
        )


if __name__ == "__main__":
    print_table(bench_schedule())
