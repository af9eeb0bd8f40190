"""Decisions under uncertainty: the Monte-Carlo simulation of a 120-item, 4-team roadmap
(10,000 runs; the goal is under 10 s on 2 cores), against the same runs played one at a time
in plain Python (timed on a sample and scaled), and the efficient frontier of a 60-initiative
portfolio (seconds per point)."""

from __future__ import annotations

import random
import time
from decimal import Decimal

RUNS, ITEMS, TEAMS, SAMPLE = 10_000, 120, 4, 50


def roadmap(seed: int = 5) -> dict:
    rng = random.Random(seed)
    projects = []
    for n in range(ITEMS):
        after = sorted({f"p{rng.randrange(n)}" for _ in range(rng.randint(0, 2))}) if n else []
        d = rng.randint(1, 6)
        projects.append(
            {
                "id": f"p{n}",
                "duration": d,
                "after": after,
                "demand": {f"t{k}": rng.choice([0, 0.5, 1, 2]) for k in range(TEAMS)},
                "estimate": {"low": max(0, d - 1), "high": d + rng.randint(0, 4)},
                "cost": {"low": 80, "likely": 100, "high": 180},
            }
        )
    return {"projects": projects, "capacity": {f"t{k}": 4 for k in range(TEAMS)}, "horizon": 120}


def one_run(risk, rng: random.Random) -> int:
    """One run the plain way: each item in the schedule's order at its first start with room."""
    by_id = {p.id: p for p in risk.schedule.projects}
    free: dict[str, list[float]] = {r: [4.0] * 2000 for r in risk.schedule.capacity}
    finish: dict[str, int] = {}
    for pid in risk.order:
        p, e = by_id[pid], risk.durations[pid]
        d = (
            round(
                e.low
                + (e.high - e.low)
                * rng.betavariate(
                    1 + 4 * (e.likely - e.low) / max(e.high - e.low, 1e-9),
                    1 + 4 * (e.high - e.likely) / max(e.high - e.low, 1e-9),
                )
            )
            if e.high > e.low
            else int(e.likely)
        )
        s = max([p.earliest, *(finish[a] for a in p.after)])
        need = {r: float(a) for r, a in p.demand.items() if a}
        while any(free[r][t] < need[r] for r in need for t in range(s, s + d)):
            s += 1
        for r in need:
            for t in range(s, s + d):
                free[r][t] -= need[r]
        finish[pid] = s + d
    return max(finish.values())


def bench_uncertainty() -> dict:
    from cairn.solver.frontier import frontier
    from cairn.solver.portfolio import Item, Problem
    from cairn.solver.risk import parse_risk, simulate

    risk = parse_risk(roadmap())
    started = time.perf_counter()
    figures = simulate(risk)
    vectorised = time.perf_counter() - started
    rng = random.Random(1)
    started = time.perf_counter()
    for _ in range(SAMPLE):
        one_run(risk, rng)
    plain = (time.perf_counter() - started) / SAMPLE * RUNS

    rng = random.Random(9)
    items = tuple(
        Item(
            f"i{n}",
            Decimal(rng.randint(1, 50)),
            {"budget": Decimal(rng.randint(10, 200) * 1000), "team": Decimal(rng.randint(0, 8))},
            requires=(f"i{rng.randrange(n)}",) if n and rng.random() < 0.2 else (),
        )
        for n in range(60)
    )
    problem = Problem(items, {"budget": Decimal(2_000_000), "team": Decimal(120)}, workers=2)
    started = time.perf_counter()
    curve = frontier(problem, "budget", time_limit_s=1.0)
    curve_s = time.perf_counter() - started
    return {
        "simulation": {
            "runs": RUNS,
            "items": ITEMS,
            "teams": TEAMS,
            "seconds": round(vectorised, 2),
            "goal_seconds": 10,
            "plain_python_seconds": round(plain, 1),
            "speed_up": round(plain / vectorised, 1),
            "p80_finish": figures["finish"]["p80"],
        },
        "frontier": {
            "initiatives": 60,
            "points": len(curve["points"]),
            "proven": curve["proven"],
            "seconds": round(curve_s, 2),
            "knee": curve["knee"],
        },
    }


def print_uncertainty(r: dict) -> None:
    s, f = r["simulation"], r["frontier"]
    print(
        f"simulation: {s['runs']:,} runs of {s['items']} items, {s['teams']} teams: "
        f"{s['seconds']} s (goal < {s['goal_seconds']} s); the same runs one at a time in plain "
        f"Python: {s['plain_python_seconds']} s ({s['speed_up']}x slower)"
    )
    print(
        f"frontier: {f['points']} points of a {f['initiatives']}-initiative portfolio in "
        f"{f['seconds']} s, {f['proven']} proven optimal"
    )
