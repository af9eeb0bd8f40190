"""``make loadtest``: Cairn on a production-shaped cluster under load and faults, in one table.

Starts scripts/cluster.sh (PostgreSQL, Redis, nginx, two app servers, two workers) and puts on
it, through the proxy, 50 people reading pages and the API and 5 writing (loadtest/
locustfile.py), in phases:

  a  steady load;
  b  the same, one app server killed (SIGKILL) part-way, then started again;
  c  the same, PostgreSQL restarted (pg_ctl restart -m fast), then stopped for 5 s (the app
     servers are left running);
  d  two people saving the same initiative at once, one through each app server, a few times
     (the API, then the web form);
  f  20 writers without a pause (how many writes a second the database takes);
  e, g  the load of a, then the burst of f, on SQLite with one app server and no proxy
     (started beside the cluster at the beginning, idle until then).

Then one table (stdout, test-artifacts/loadtest.md and .json) with each page's figures and a
row per fault, and the rows of test-artifacts/faults.json if the fault tests wrote it. Exits
non-zero when a check fails: an error under steady load, an acknowledged write missing or
half-written, a wrong conflict outcome, no recovery. The latency goal (p95 under 300 ms for
pages) is reported, not enforced: machines differ. The clusters are always stopped.

Run with any Python: it installs locust into .venv-tools if needed and runs itself there.
Its parts: common.py (paths, sizes, the clusters), phases.py (the load and the faults),
conflicts.py (phase d) and report.py (the figures and the table).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / ".venv-tools"
LOCUST = "locust==2.47.0"


def in_tools_venv() -> None:
    """Re-run this script with the tools virtualenv's Python, installing locust first."""
    python = TOOLS / "bin" / "python"
    locust = TOOLS / "bin" / "locust"
    version = LOCUST.split("==")[1]
    installed = ""
    if locust.exists():  # a fresh checkout has no tools virtualenv yet
        check = subprocess.run([locust, "--version"], capture_output=True, text=True, check=False)
        installed = check.stdout + check.stderr
    if version not in installed:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", TOOLS], check=True)
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", LOCUST],
            check=True,
        )
    os.execv(python, [python, __file__, *sys.argv[1:]])


if Path(sys.prefix).resolve() != TOOLS.resolve():
    in_tools_venv()

# The rest needs the tools virtualenv's requests.
from common import (  # noqa: E402
    ARTIFACTS,
    BURST,
    BURST_WRITERS,
    FAULT,
    LOAD,
    OUT,
    STEADY,
    Cluster,
    background,
    log,
)
from conflicts import conflicts  # noqa: E402
from phases import kill_app_server, make_plan, requests_to, restart_database, run_locust  # noqa: E402
from report import (  # noqa: E402
    add_pages,
    add_total,
    by_page,
    failed,
    fault_row,
    fault_test_rows,
    figures,
    percentile,
    render,
    statuses,
    write_summary,
)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in [*OUT.glob("writes-*.jsonl"), *OUT.glob("sessions-*.jsonl")]:
        old.unlink()
    checks: list[tuple[str, bool, str]] = []  # (what, passed, detail)
    table: list[dict] = []
    report: dict = {"started": datetime.now().isoformat(timespec="seconds"), "phases": {}}
    clusters: list[Cluster] = []
    lite_started = None
    # SIGTERM (CI cancelling) stops the clusters too, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    try:
        pg = Cluster("postgresql")
        lite = Cluster("sqlite", {"APP1_PORT": 8491})
        clusters += [pg, lite]
        # The SQLite server is made ready at the same time (migrations, the demo): it waits,
        # idle, until its phase; the two starts overlap on a machine with two cores.
        log("starting the PostgreSQL cluster and, beside it, one app server on SQLite")
        lite_started = background(lite.start)
        pg.start()
        report["cluster_start_seconds"] = round(pg.started_in)
        plan = make_plan(pg)
        phases = {}

        def load(name, seconds, fault=None, index=0, cluster=pg, the_plan=plan, burst=False):
            for writer in the_plan["writers"] + the_plan["burst"]:
                writer["first_day"] = index * 3000  # the writer's days, new in each phase
            phases[name] = run_locust(cluster, the_plan, name, seconds, fault, burst)
            return phases[name]

        def burst(name, phase, cluster, the_plan, index):
            result = load(name, BURST, index=index, cluster=cluster, the_plan=the_plan, burst=True)
            rows = [r for r in result["rows"] if r["t"] >= result["settled"]]
            row = figures(rows, result["ended"] - result["settled"])
            busy = [r for r in rows if r["status"] == 503]
            table.append(
                {
                    "phase": phase,
                    "page": f"{BURST_WRITERS} writers without a pause: all writes",
                    **row,
                    "result": f"{statuses([r for r in rows if failed(r)]) or 'none failed'}"
                    + (" (503: the database busy, nothing saved, try again)" if busy else ""),
                }
            )
            return row

        a = load("a-steady", STEADY)
        pages_a = by_page(a)
        add_pages(table, "a. steady, PostgreSQL, 2 app servers behind nginx", pages_a)
        checks.append(
            (
                "no error under steady load",
                pages_a["all pages"]["errors"] + pages_a["all API calls"]["errors"] == 0
                and pages_a["sign in"]["errors"] == 0,
                statuses([r for r in a["rows"] if failed(r)]) or "none",
            )
        )

        b = load("b-app-killed", FAULT, kill_app_server(pg), index=1)
        fail_b = [r for r in b["rows"] if failed(r)]
        # In flight on the killed server: at most its processes × threads at the moment.
        in_flight = int(pg.env.get("WEB_CONCURRENCY", 2)) * int(pg.env.get("CAIRN_THREADS", 4))
        # In flight: sent before the kill (or within 2 s after, on a kept-alive connection
        # nginx had not yet seen closed) and not answered before it.
        late = [
            r
            for r in fail_b
            if not (r["t"] <= b["killed"] + 2 and r["t"] + r["ms"] / 1000 >= b["killed"] - 0.5)
        ]
        rejoined = requests_to(pg, pg.env["APP1_URL"].rsplit(":", 1)[1], b["restarted"])
        add_total(table, "b. app server 1 killed (SIGKILL)", b)
        table.append(
            fault_row(
                "b. app server 1 killed (SIGKILL)",
                "requests failed (in flight on it)",
                len(fail_b),
                f"{len(fail_b)} of {len(b['rows'])} ({statuses(fail_b) or 'none'}); "
                f"started again: ready {b['restarted'] - b['killed']:.1f} s after the kill, "
                f"{rejoined} requests through nginx to it since",
            )
        )
        checks.append(
            (
                "killed app server: only requests in flight failed",
                len(fail_b) <= in_flight and not late,
                f"{len(fail_b)} failed (at most {in_flight} in flight), {len(late)} not in "
                "flight at the kill",
            )
        )
        checks.append(("killed app server rejoined", rejoined > 0, f"{rejoined} requests"))

        c = load("c-database-restarted", FAULT, restart_database(pg), index=2)
        phase_c = "c. PostgreSQL restarted, the app servers left running"
        add_total(table, phase_c, c)
        for outage in c["outages"]:
            # Failures from this outage: from 2 s before it began (requests in flight) until
            # the next one's window.
            after = [o["began"] - 2 for o in c["outages"] if o["began"] > outage["began"]]
            until = min(after, default=c["ended"] + 60)
            fails = [r for r in c["rows"] if failed(r) and outage["began"] - 2 <= r["t"] < until]
            # Recovered: the first request sent after the last failure answered well, this
            # long after the database was back.
            last = max((r["t"] for r in fails), default=outage["began"])
            answered = [
                r["t"] + r["ms"] / 1000 for r in c["rows"] if r["t"] > last and not failed(r)
            ]
            recovered = max(0.0, min(answered, default=c["ended"]) - outage["back"])
            times = [r["ms"] for r in fails]
            table.append(
                fault_row(
                    phase_c,
                    f"{outage['how']}: requests failed",
                    len(fails),
                    f"{statuses(fails) or 'none failed'} while the database was away "
                    f"{outage['back'] - outage['began']:.1f} s; answered in p95 "
                    f"{percentile(times, 0.95):.0f} ms, at most {max(times, default=0):.0f} ms; "
                    f"requests answered well again {recovered:.1f} s after it was back",
                    p95=round(percentile(times, 0.95)) if times else None,
                    errors=len(fails),
                )
            )
            checks.append(
                (
                    f"database {outage['how']}: failures are 503s, answered fast (no hang)",
                    all(r["status"] in (502, 503) for r in fails)
                    and all(r["ms"] < 15000 for r in fails),
                    statuses(fails) or "none failed",
                )
            )
            checks.append(
                (
                    f"database {outage['how']}: recovered without restarting the apps",
                    recovered < 15,
                    f"{recovered:.1f} s after the database was back",
                )
            )
        tail_failures = [r for r in c["rows"] if failed(r) and r["t"] > c["ended"] - 8]
        checks.append(
            (
                "database restarts: every request answered again by the end",
                not tail_failures,
                f"{len(tail_failures)} failures in the last 8 s",
            )
        )

        log("phase d: two people saving the same initiative at once, one on each app server")
        outcomes = conflicts(pg, plan)
        for via in ("API", "web form"):
            rounds = [o for o in outcomes if o["via"] == via]
            won = sum(o["ok"] for o in rounds)
            table.append(
                fault_row(
                    "d. the same initiative saved at once on both app servers",
                    f"conflicts, {via}",
                    None,
                    f"{won} of {len(rounds)} rounds: 1 saved, 1 told of the conflict "
                    f"({'409' if via == 'API' else 'the form again with the message, 409'})",
                )
            )
            checks.append((f"conflict outcome ({via})", won == len(rounds), json.dumps(rounds)))

        report["burst_postgresql"] = burst(
            "f-burst-postgresql", "f. writes only, PostgreSQL, 2 app servers", pg, plan, 4
        )
        verified = pg.db("verify", str(OUT / "writes-postgresql.jsonl"))
        report["verify_postgresql"] = verified
        table.append(
            fault_row(
                "a–f. writes on PostgreSQL",
                "acknowledged writes kept",
                None,
                write_summary(verified),
            )
        )
        checks.append(
            (
                "PostgreSQL: nothing acknowledged lost or half-written",
                verified["ok"],
                write_summary(verified),
            )
        )
        pg.stop()
        clusters.remove(pg)

        lite_started()
        report["sqlite_start_seconds"] = round(lite.started_in)
        lite_plan = make_plan(lite)
        e = load("e-sqlite", STEADY, index=3, cluster=lite, the_plan=lite_plan)
        pages_e = by_page(e)
        add_pages(table, "e. the same load on SQLite, 1 app server, no proxy", pages_e)
        report["burst_sqlite"] = burst(
            "g-burst-sqlite", "g. writes only, SQLite, 1 app server", lite, lite_plan, 5
        )
        verified = lite.db("verify", str(OUT / "writes-sqlite.jsonl"))
        report["verify_sqlite"] = verified
        checks.append(
            (
                "SQLite: nothing acknowledged lost or half-written",
                verified["ok"],
                write_summary(verified),
            )
        )
        table.append(
            fault_row(
                "e. writes on SQLite", "acknowledged writes kept", None, write_summary(verified)
            )
        )
        report["phases"] = {
            name: {k: v for k, v in result.items() if k != "rows"}
            for name, result in phases.items()
        }
    finally:
        if lite_started:  # a start still going on would leave what it starts after the stop
            with contextlib.suppress(Exception):  # it is stopped below either way
                lite_started()
        for cluster in clusters:
            cluster.stop()
    table.extend(fault_test_rows())
    report["seconds"] = round(time.monotonic() - began)
    report["load"] = ", ".join(LOAD)
    report["table"] = table
    report["checks"] = [{"check": c, "passed": p, "detail": d} for c, p, d in checks]
    text = render(table, checks, report)
    print(text)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "loadtest.md").write_text(text + "\n")
    (ARTIFACTS / "loadtest.json").write_text(json.dumps(report, indent=1) + "\n")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
