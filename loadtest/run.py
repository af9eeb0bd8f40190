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
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".venv-tools"
LOCUST = "locust==2.47.0"
ARTIFACTS = ROOT / "test-artifacts"
OUT = ARTIFACTS / "loadtest"
BROWSERS, WRITERS = 50, 5
PAGE_GOAL_MS = 300
SIGN_INS_PER_SECOND = 3
BURST_WRITERS, BURST = 20, 15  # writers without a pause, for this many seconds
# Seconds measured in each phase, after everyone has arrived (signed in at the first).
STEADY = int(os.environ.get("LOADTEST_STEADY_SECONDS", 30))
FAULT = int(os.environ.get("LOADTEST_FAULT_SECONDS", 40))
FAULT_AT = 10  # seconds into a fault phase
CONFLICT_ROUNDS = 5
PAGES = ["dashboard", "path", "roadmap", "KPIs", "KPI page"]
SIGN_IN = {"sign-in form", "sign in"}
LOAD: list[str] = []  # the machine's load average as each phase starts: it is shared


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

import loopback  # noqa: E402, F401 - Secure cookies sent to 127.0.0.1 (DEBUG is off)
import requests  # noqa: E402 - from the tools virtualenv, which locust brings it into


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


class Cluster:
    """One scripts/cluster.sh cluster: started, read from its cluster.env, always stopped."""

    def __init__(self, kind: str, ports: dict[str, int] | None = None):
        self.kind = kind
        self.dir = Path(tempfile.mkdtemp(prefix=f"cairn-load-{kind}."))
        self.ports = {f"CLUSTER_{k}": str(v) for k, v in (ports or {}).items()}
        self.env: dict[str, str] = {}

    def script(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ROOT / "scripts" / "cluster.sh", *args],
            env={**os.environ, **self.ports},
            check=check,
        )

    def start(self) -> None:
        started = time.monotonic()
        self.script("start" if self.kind == "postgresql" else "start-sqlite", str(self.dir))
        self.started_in = time.monotonic() - started
        self.reload()

    def reload(self) -> None:
        self.env = {}
        for line in (self.dir / "cluster.env").read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                self.env[key] = value

    def stop(self) -> None:
        self.script("stop", str(self.dir), check=False)

    def db(self, *args: str) -> dict:
        """loadtest/db.py with Cairn's Python and the cluster's environment."""
        env = {**os.environ, **self.env}
        answer = subprocess.run(
            [Path(self.env["CAIRN_BIN"]) / "python", ROOT / "loadtest" / "db.py", *args],
            env={k: v for k, v in env.items() if k != "VIRTUAL_ENV"},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(answer.stdout.strip().splitlines()[-1])


def api(url: str, token: str, method: str = "GET", **kwargs) -> requests.Response:
    return requests.request(
        method, url, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs
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


# --- Figures


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


# --- Faults


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


class FormFields(HTMLParser):
    """The fields a browser would send with the form posting to ``action``."""

    def __init__(self, action: str):
        super().__init__()
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == self.action:
            self.in_form = True
        if not self.in_form or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append(
                    (a["name"], a.get("value") or ("on" if kind == "checkbox" else ""))
                )
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False


def browser(base: str, person: dict, password: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": person["username"], "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{person['username']} could not sign in: {answer.status_code}")
    return session


def at_once(*calls):
    """Run the calls in threads released together; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def conflicts(cluster: Cluster, plan: dict) -> list[dict]:
    """Two people save the same initiative from the same version at once, one through each
    app server: one is saved, the other told of the conflict. Through the API, then the form."""
    first, second = plan["rivals"]
    app1, app2 = cluster.env["APP1_URL"], cluster.env["APP2_URL"]
    path = "api/v1/orgs/summit/initiatives"
    made = api(f"{app1}/{path}", first["token"], "POST", json={"title": "Load test: rivals"})
    made.raise_for_status()
    item = made.json()["id"]
    outcomes = []
    for round_ in range(CONFLICT_ROUNDS):
        version = api(f"{app1}/{path}/{item}", first["token"]).json()["version"]
        texts = [f"API round {round_}: {who['username']}" for who in (first, second)]
        answers = at_once(
            *[
                lambda base=base, who=who, text=text, version=version: api(
                    f"{base}/{path}/{item}",
                    who["token"],
                    "PATCH",
                    json={"description": text, "version": version},
                )
                for base, who, text in zip((app1, app2), (first, second), texts, strict=True)
            ]
        )
        codes = sorted(a.status_code for a in answers)
        stored = api(f"{app1}/{path}/{item}", first["token"]).json()
        winner = [t for t, a in zip(texts, answers, strict=True) if a.status_code == 200]
        outcomes.append(
            {
                "via": "API",
                "statuses": codes,
                "ok": codes == [200, 409]
                and stored["description"] == winner[0]
                and stored["version"] == version + 1,
            }
        )
    sessions = [browser(app1, first, plan["password"]), browser(app2, second, plan["password"])]
    edit = f"o/summit/path/initiatives/{item}/edit/"
    for round_ in range(3):
        forms = []
        for base, session in zip((app1, app2), sessions, strict=True):
            parser = FormFields(f"/{edit}")
            parser.feed(session.get(f"{base}/{edit}", timeout=30).text)
            forms.append(parser.fields)
        texts = [f"Form round {round_}: {who['username']}" for who in (first, second)]
        posts = [
            [(k, text if k == "description" else v) for k, v in fields]
            for fields, text in zip(forms, texts, strict=True)
        ]
        answers = at_once(
            *[
                lambda base=base, session=session, data=data: session.post(
                    f"{base}/{edit}",
                    data=data,
                    headers={"Referer": f"{base}/{edit}"},
                    allow_redirects=False,
                    timeout=30,
                )
                for base, session, data in zip((app1, app2), sessions, posts, strict=True)
            ]
        )
        codes = sorted(a.status_code for a in answers)
        told = any(
            a.status_code == 409 and "Someone else changed this initiative" in a.text
            for a in answers
        )
        stored = api(f"{app1}/{path}/{item}", first["token"]).json()
        winner = [t for t, a in zip(texts, answers, strict=True) if a.status_code == 302]
        outcomes.append(
            {
                "via": "web form",
                "statuses": codes,
                "ok": codes == [302, 409] and told and stored["description"] == winner[0],
            }
        )
    return outcomes


# --- The whole run


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


def background(call):
    """Run ``call`` in a thread; the function returned waits for it and raises its error."""
    failure = []

    def run():
        try:
            call()
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
            failure.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait():
        thread.join()
        if failure:
            raise failure[0]

    return wait


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


if __name__ == "__main__":
    sys.exit(main())
