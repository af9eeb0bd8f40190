"""The load's phases: the people and what each writes, one phase of locust, and the faults
started beside it (an app server killed, PostgreSQL restarted)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

from common import (
    BROWSERS,
    BURST_WRITERS,
    FAULT_AT,
    LOAD,
    OUT,
    ROOT,
    SIGN_INS_PER_SECOND,
    TOOLS,
    WRITERS,
    Cluster,
    api,
    log,
)


def make_plan(cluster: Cluster) -> dict:
    """Tokens for everyone, and for each writer a KPI and an initiative of its own."""
    data = cluster.db("tokens")
    people = {p["username"]: p for p in data["people"] if p["username"].startswith("load-")}
    names = sorted(people)
    proxy = cluster.env["PROXY_URL"]

    def writer(name: str, what: str) -> dict:
        me = people[name]
        base = f"{proxy}/api/v1/orgs/{me['org']}"
        title = f"Load test: {name}, {what}"
        kpi = api(f"{base}/kpis", me["token"], "POST", json={"name": title})
        initiative = api(f"{base}/initiatives", me["token"], "POST", json={"title": title})
        kpi.raise_for_status()
        initiative.raise_for_status()
        return {**me, "kpi": kpi.json()["id"], "initiative": initiative.json()["id"]}

    return {
        "password": cluster.env["LOAD_PASSWORD"],
        "browsers": [people[n] for n in names[:BROWSERS]],
        "writers": [writer(n, "writer") for n in names[BROWSERS : BROWSERS + WRITERS]],
        # The burst's writers: people who read in the other phases (signed in already).
        "burst": [writer(n, "burst") for n in names[:BURST_WRITERS]],
        "kpis": data["kpis"],
        # Two editors of Summit Outfitters for the conflicts (odd numbers are in Summit).
        "rivals": [people[n] for n in names[BROWSERS + WRITERS :] if people[n]["org"] == "summit"][
            :2
        ],
    }


def run_locust(
    cluster: Cluster, plan: dict, phase: str, seconds: int, fault=None, burst: bool = False
) -> dict:
    """One phase of load; ``fault(started)`` runs beside it. Returns its requests and times.

    People sign in at the start of their cluster's first phase, a few a second (Argon2 makes
    each sign-in cost a tenth of a second of a core, on purpose), and stay signed in for the
    later phases; the figures leave out the first seconds, while they arrive."""
    sessions = OUT / f"sessions-{cluster.kind}.jsonl"
    if sessions.exists():
        plan["sessions"] = {
            row["username"]: row["cookies"]
            for row in map(json.loads, sessions.read_text().splitlines())
        }
    arriving = not plan.get("sessions")
    users = BURST_WRITERS if burst else BROWSERS + WRITERS
    spawn_rate = SIGN_INS_PER_SECOND if arriving else users
    settle = users / spawn_rate + (3 if arriving else 1)
    seconds += round(settle)  # the figures are of the seconds after everyone arrived
    plan_file = OUT / f"{phase}-plan.json"
    plan_file.write_text(json.dumps(plan))
    records = OUT / f"{phase}-requests.jsonl"
    records.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LOADTEST_PLAN": str(plan_file),
        "LOADTEST_RECORDS": str(records),
        "LOADTEST_WRITES": str(OUT / f"writes-{cluster.kind}.jsonl"),
        "LOADTEST_SESSIONS": str(sessions),
        "LOADTEST_BURST": "1" if burst else "",
    }
    command = [
        TOOLS / "bin" / "locust",
        "-f",
        ROOT / "loadtest" / "locustfile.py",
        "--headless",
        "--host",
        cluster.env["PROXY_URL"],
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--csv",
        OUT / phase,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *(["Writer"] if burst else []),
    ]
    who = f"{users} writing without a pause" if burst else f"{BROWSERS} reading, {WRITERS} writing"
    log(f"phase {phase}: {who} for {seconds} s")
    LOAD.append(f"{phase.split('-')[0]} {os.getloadavg()[0]:.1f}")
    started = time.time()
    with open(OUT / f"{phase}-locust.log", "w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        outcome = {}
        worker = None
        if fault:
            worker = threading.Thread(target=lambda: outcome.update(fault(started)), daemon=True)
            worker.start()
        try:
            code = process.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        if worker:
            worker.join(timeout=120)
    if code != 0:
        raise RuntimeError(f"locust exited with {code}: see {OUT / (phase + '-locust.log')}")
    rows = [json.loads(line) for line in records.read_text().splitlines() if line]
    return {
        "started": started,
        "settled": started + settle,
        "ended": time.time(),
        "rows": rows,
        **outcome,
    }


def kill_app_server(cluster: Cluster):
    """SIGKILL app server 1 (its whole process group) part-way; start it again 2 s later."""

    def fault(started: float) -> dict:
        time.sleep(max(0, started + FAULT_AT - time.time()))
        pid = int(cluster.env["APP1_PID"])
        killed = time.time()
        os.killpg(pid, signal.SIGKILL)
        log(f"app server 1 (process group {pid}) killed")
        time.sleep(2)  # then started again, as a supervisor would
        cluster.script("start-app", "1", str(cluster.dir))
        ready = time.time()
        cluster.reload()
        log(f"app server 1 started again, ready {ready - killed:.1f} s after the kill")
        return {"killed": killed, "restarted": ready}

    return fault


def restart_database(cluster: Cluster):
    """Restart PostgreSQL as an operator would (pg_ctl restart -m fast), then, 10 s later,
    stop it for 5 s (a slower restart, a failover) and start it again."""

    def fault(started: float) -> dict:
        outages = []
        for at, down, how in ((FAULT_AT, 0, "restart -m fast"), (FAULT_AT + 10, 5, "down 5 s")):
            time.sleep(max(0, started + at - time.time()))
            began = time.time()
            cluster.script("restart-pg", str(cluster.dir), str(down))
            back = time.time()
            log(f"PostgreSQL {how}: back after {back - began:.1f} s")
            outages.append({"how": how, "began": began, "back": back})
        return {"outages": outages}

    return fault


def requests_to(cluster: Cluster, port: str, since: float) -> int:
    """Requests nginx sent to the app server on ``port`` since ``since`` (its access log)."""
    count = 0
    for line in (Path(cluster.env["LOGS"]) / "nginx.log").read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        when = datetime.fromisoformat(entry["time"]).timestamp()
        if when >= since and entry["upstream"].split(", ")[-1].endswith(f":{port}"):
            count += 1
    return count
