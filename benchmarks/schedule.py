"""The roadmap scheduler on instances shaped like PSPLIB's j30, j60 and j120 (see psplib.py).

For a sample of each size: the priority rules alone (one serial pass by latest finish, as
Cairn did before; and the best of every rule and scheme with justification), CP-SAT as
Cairn ran it before (hinted with the one serial pass), and the scheduler now, each with a
10 s limit; and for j30 how many reach a proven optimum within 2 s.

Best-known makespans exist only for PSPLIB's own files, which stay out of the repository,
so the reference for each generated instance is the best makespan of: a 60 s run of the
scheduler (cached in benchmarks/var/schedule_reference.json by
``python benchmarks/schedule.py --reference``), and every run of this benchmark. When the
reference equals a proven lower bound it is the optimum. Without the cache the reference
is only the best of this run, and the table says so.

Pure Python (no Django): ``python benchmarks/schedule.py`` runs it alone.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from psplib import describe, generate, parameters, sample  # noqa: E402

from cairn.solver.constructive import construct, serial_schedule  # noqa: E402
from cairn.solver.schedule import (  # noqa: E402
    Schedule,
    check,
    lower_bound,
    objective_value,
    solve_schedule,
)

SIZES = tuple(int(s) for s in os.environ.get("BENCH_SIZES", "30,60,120").split(","))
COUNT = int(os.environ.get("BENCH_SCHEDULE_COUNT", "10"))  # instances per size
LIMIT_S = 10.0
REFERENCE_S = 60.0
REFERENCE = Path(__file__).with_name("var") / "schedule_reference.json"
METHODS = {  # label: how it is run
    "LFT serial": "rule",
    "rules + justification": "rules",
    "CP-SAT as before": "plain",
    "scheduler now": "lns",
}


def _load_reference() -> dict:
    try:
        return json.loads(REFERENCE.read_text())
    except (OSError, ValueError):
        return {}


def _machine() -> dict:
    load1, load5, _ = os.getloadavg()
    return {"cores": os.cpu_count(), "load_1min": round(load1, 2), "load_5min": round(load5, 2)}


def _solve(problem: Schedule, how: str, limit: float) -> dict:
    started = time.perf_counter()
    bound = None
    if how == "rule":
        start = serial_schedule(problem)
        status = "heuristic"
    elif how == "rules":
        start = construct(problem, 0.0).start
        status = "heuristic"
    else:
        answer = solve_schedule(replace(problem, time_limit_s=limit), method=how)
        start, status, bound = answer.start, answer.status, answer.lower_bound
    seconds = time.perf_counter() - started
    assert start is not None and check(problem, start) == [], f"{how}: a rule is broken"
    return {
        "makespan": int(objective_value(problem, start)),
        "status": status,
        "lower_bound": bound,
        "seconds": round(seconds, 2),
    }


def run(n: int, index: int, reference: dict) -> dict:
    problem = generate(n, index)
    nc, rf, rs = parameters(index)
    runs = {label: _solve(problem, how, LIMIT_S) for label, how in METHODS.items()}
    if n == 30:
        runs["scheduler now, 2 s"] = _solve(problem, "lns", 2.0)
    cached = reference.get(f"{n}-{index}")
    bound = max(
        [lower_bound(problem), *(r["lower_bound"] or 0 for r in runs.values())]
        + ([cached["lower_bound"]] if cached else [])
    )
    best = min([r["makespan"] for r in runs.values()] + ([cached["makespan"]] if cached else []))
    for r in runs.values():
        r["above_reference_percent"] = round((r["makespan"] - best) / best * 100, 2)
    return {
        "activities": n,
        "index": index,
        "network_complexity": nc,
        "resource_factor": rf,
        "resource_strength": rs,
        "measured": describe(problem),
        "reference": best,
        "reference_is_optimal": best <= bound,
        "reference_from_long_run": bool(cached),
        "lower_bound": bound,
        "runs": runs,
    }


def bench_schedule() -> dict:
    reference = _load_reference()
    machine_before = _machine()
    started = time.perf_counter()
    rows = [run(n, index, reference) for n in SIZES for index in sample(COUNT)]
    summary = []
    for n in SIZES:
        group = [r for r in rows if r["activities"] == n]
        for label in group[0]["runs"]:
            runs = [r["runs"][label] for r in group]
            summary.append(
                {
                    "activities": n,
                    "method": label,
                    "instances": len(group),
                    "mean_above_reference_percent": round(
                        statistics.mean(x["above_reference_percent"] for x in runs), 2
                    ),
                    "max_above_reference_percent": max(x["above_reference_percent"] for x in runs),
                    "at_reference": sum(x["above_reference_percent"] == 0 for x in runs),
                    "proven_optimal": sum(x["status"] == "optimal" for x in runs),
                    "mean_seconds": round(statistics.mean(x["seconds"] for x in runs), 2),
                    "max_seconds": max(x["seconds"] for x in runs),
                }
            )
        summary.append(
            {
                "activities": n,
                "method": "reference vs lower bound",
                "instances": len(group),
                "mean_above_reference_percent": round(
                    statistics.mean(
                        (r["reference"] - r["lower_bound"]) / r["lower_bound"] * 100 for r in group
                    ),
                    2,
                ),
                "references_optimal": sum(r["reference_is_optimal"] for r in group),
                "references_from_long_run": sum(r["reference_from_long_run"] for r in group),
            }
        )
    return {
        "name": f"schedule {COUNT} PSPLIB-shaped instances per size (makespan, 4 resources)",
        "target": "j30 all optimal within 2 s; j60 ≤ 0.3% and j120 ≤ 2% above the reference "
        "at 10 s; never worse than the constructive start",
        "reference": f"best of a {REFERENCE_S:.0f} s run (cached) and every run here; "
        "'reference vs lower bound' is how far it may still be from the optimum",
        "machine_before": machine_before,
        "machine_after": _machine(),
        "seconds": round(time.perf_counter() - started),
        "rows": rows,
        "summary": summary,
    }


def print_table(result: dict) -> None:
    print(f"\n{result['name']}\n  target: {result['target']}\n  reference: {result['reference']}")
    print(f"  machine: before {result['machine_before']}, after {result['machine_after']}")
    print(
        f"{'size':>5} {'method':<26} {'% above ref':>11} {'max %':>6} {'at ref':>7} "
        f"{'optimal':>8} {'mean s':>7} {'max s':>6}"
    )
    for s in result["summary"]:
        if s["method"] == "reference vs lower bound":
            print(
                f"{s['activities']:>5} {s['method']:<26} {s['mean_above_reference_percent']:>11} "
                f"(references optimal {s['references_optimal']}/{s['instances']}, "
                f"from the long run {s['references_from_long_run']}/{s['instances']})"
            )
            continue
        print(
            f"{s['activities']:>5} {s['method']:<26} {s['mean_above_reference_percent']:>11} "
            f"{s['max_above_reference_percent']:>6} {s['at_reference']:>3}/{s['instances']:<3} "
            f"{s['proven_optimal']:>4}/{s['instances']:<3} {s['mean_seconds']:>7} "
            f"{s['max_seconds']:>6}"
        )


def compute_reference() -> None:
    """The 60 s runs, once: an instance proven optimal sooner stops sooner."""
    reference = _load_reference()
    for n in SIZES:
        for index in sample(COUNT):
            key = f"{n}-{index}"
            if key in reference:
                continue
            problem = replace(generate(n, index), time_limit_s=REFERENCE_S)
            answer = solve_schedule(problem)
            assert check(problem, answer.start) == []
            reference[key] = {
                "makespan": answer.makespan,
                "lower_bound": answer.lower_bound,
                "status": answer.status,
                "seconds": round(answer.solve_time_s, 1),
            }
            print(key, reference[key], flush=True)
            REFERENCE.parent.mkdir(exist_ok=True)
            REFERENCE.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    if "--reference" in sys.argv:
        compute_reference()
    else:
        result = bench_schedule()
        print_table(result)
        if "--json" in sys.argv:
            print(json.dumps(result["summary"], indent=1))
