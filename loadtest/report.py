"""The figures of a phase (percentiles by page, errors) and the one table of the run."""

from __future__ import annotations

import json
import os
from collections import defaultdict

from common import ARTIFACTS, BROWSERS, PAGE_GOAL_MS, PAGES, SIGN_IN, WRITERS


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of them at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-share * len(ordered) // 1)) - 1))]


def failed(row: dict) -> bool:
    """An error status, no answer, or an answer locust was told is wrong (signed out)."""
    return not 200 <= row["status"] < 400 or bool(row.get("error"))


def figures(rows: list[dict], seconds: float) -> dict:
    times = [r["ms"] for r in rows]
    return {
        "requests": len(rows),
        "rps": round(len(rows) / seconds, 1) if seconds else 0,
        "p50": round(percentile(times, 0.50)),
        "p95": round(percentile(times, 0.95)),
        "p99": round(percentile(times, 0.99)),
        "errors": sum(failed(r) for r in rows),
    }


def by_page(result: dict) -> dict[str, dict]:
    """Each page's figures once everyone has arrived; sign-in apart (once, at the start)."""
    rows = [r for r in result["rows"] if r["name"] not in SIGN_IN and r["t"] >= result["settled"]]
    seconds = result["ended"] - result["settled"]
    groups = defaultdict(list)
    for row in rows:
        groups[row["name"]].append(row)
    table = {name: figures(group, seconds) for name, group in sorted(groups.items())}
    table["all pages"] = figures([r for r in rows if r["name"] in PAGES], seconds)
    table["all API calls"] = figures([r for r in rows if r["name"].startswith("API")], seconds)
    signing_in = [r for r in result["rows"] if r["name"] == "sign in"]
    table["sign in"] = figures(signing_in, result["settled"] - result["started"])
    return table


def statuses(rows: list[dict]) -> str:
    counts = defaultdict(int)
    for row in rows:
        counts[row["status"] or "no answer"] += 1
    return ", ".join(f"{n}× {s}" for s, n in sorted(counts.items(), key=str))


def add_pages(table: list[dict], phase: str, pages: dict[str, dict]) -> None:
    order = [*PAGES, "all pages"]
    api_rows = sorted(n for n in pages if n.startswith("API"))
    for name in [*order, *api_rows, "all API calls", "sign in"]:
        if name in pages and pages[name]["requests"]:
            row = {"phase": phase, "page": name, **pages[name], "result": ""}
            if name in PAGES or name == "all pages":
                row["result"] = "p95 goal met" if row["p95"] < PAGE_GOAL_MS else "p95 over goal"
            table.append(row)


def add_total(table: list[dict], phase: str, result: dict) -> None:
    rows = [r for r in result["rows"] if r["name"] not in SIGN_IN]
    table.append(
        {
            "phase": phase,
            "page": "all requests",
            **figures(rows, result["ended"] - result["started"]),
            "result": "",
        }
    )


def fault_row(phase: str, page: str, count, result: str, **extra) -> dict:
    return {"phase": phase, "page": page, "requests": count, "result": result, **extra}


def write_summary(verified: dict) -> str:
    return (
        f"{verified['measurements_acknowledged']} measurements and "
        f"{verified['initiative_saves_acknowledged']} initiative saves acknowledged: "
        f"{verified['measurements_missing']} missing, {len(verified['initiatives_lost'])} lost, "
        f"{len(verified['initiatives_half_written'])} half-written"
    )


def fault_test_rows() -> list[dict]:
    """The rows the fault tests (pytest) left in test-artifacts/faults.json, if any."""
    path = ARTIFACTS / "faults.json"
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return [fault_row("fault tests", "test-artifacts/faults.json", None, "unreadable")]
    rows = data.get("rows", data.get("faults", data)) if isinstance(data, dict) else data
    if isinstance(rows, dict):
        rows = [
            {"name": k, **(v if isinstance(v, dict) else {"result": v})} for k, v in rows.items()
        ]
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        row = dict(row)
        if {"name", "checked", "figure"} <= row.keys():  # the fault tests' own rows
            where = f" ({row['database']})" if row.get("database") else ""
            result = f"{row['checked']}: {row['figure']} {row.get('unit', '')}".rstrip()
            outcome = row.get("outcome", "")
            out.append(
                fault_row(
                    "fault tests (pytest)",
                    row["name"] + where,
                    None,
                    f"{result}; {outcome}" if outcome else result,
                )
            )
            continue
        name = str(row.pop("name", row.pop("fault", row.pop("check", "fault"))))
        result = row.pop("result", "")
        rest = ", ".join(f"{k}: {v}" for k, v in row.items())
        out.append(
            fault_row(
                "fault tests (pytest)", name, None, "; ".join(filter(None, [str(result), rest]))
            )
        )
    return out


def render(table: list[dict], checks, report: dict) -> str:
    def cell(value) -> str:
        return "" if value is None else str(value)

    lines = [
        "# Cairn under load and faults (`make loadtest`)",
        "",
        f"{BROWSERS} people reading (a page every 3–9 s), {WRITERS} writing (every 1–3 s), "
        f"across two organisations; {report.get('seconds', '?')} s in all; the PostgreSQL "
        f"cluster started in {report.get('cluster_start_seconds', '?')} s, the SQLite server "
        f"beside it in {report.get('sqlite_start_seconds', '?')} s. Times in ms, from the "
        "moment everyone had arrived (signed in); requests a second over that time; the goal "
        f"for pages is p95 under {PAGE_GOAL_MS} ms. {os.cpu_count()} cores; the machine's "
        f"load average at each phase's start: {report.get('load', '?')}.",
        "",
        "| Phase | Page or check | Requests | Req/s | p50 | p95 | p99 | Errors | Result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in table:
        lines.append(
            "| "
            + " | ".join(
                cell(row.get(k))
                for k in (
                    "phase",
                    "page",
                    "requests",
                    "rps",
                    "p50",
                    "p95",
                    "p99",
                    "errors",
                    "result",
                )
            )
            + " |"
        )
    lines += ["", "Checks:"]
    for what, passed, detail in checks:
        lines.append(f"- {'PASS' if passed else 'FAIL'} {what}: {detail}")
    return "\n".join(lines)
