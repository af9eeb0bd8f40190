"""What people do to Cairn under load: read its pages and its API, and record and edit.

Run by loadtest/run.py (``locust --headless``), which writes the plan this file reads
(``LOADTEST_PLAN``: who signs in where, with which token, and what each writer owns; the
cookies of those who signed in during an earlier phase, from ``LOADTEST_SESSIONS``). Every
request is also written to ``LOADTEST_RECORDS`` (one JSON line: when, which page, status,
milliseconds), from which run.py works out each phase's figures; every write a writer sends
goes to ``LOADTEST_WRITES`` with whether it was acknowledged, to check afterwards that
nothing acknowledged was lost.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta

import loopback  # noqa: F401 - Secure cookies sent to 127.0.0.1 (DEBUG is off)
from locust import HttpUser, between, constant, events, task

with open(os.environ["LOADTEST_PLAN"]) as _plan_file:
    PLAN = json.load(_plan_file)
_records = open(os.environ["LOADTEST_RECORDS"], "a", buffering=1)  # noqa: SIM115 - whole run
_writes = open(os.environ["LOADTEST_WRITES"], "a", buffering=1)  # noqa: SIM115
_sessions = open(os.environ["LOADTEST_SESSIONS"], "a", buffering=1)  # noqa: SIM115
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIRST_DAY = date(1950, 1, 1)  # writers' measurements: days of their own, long past


@events.request.add_listener
def _record(request_type, name, response_time, response, exception, start_time=None, **kw):
    status = getattr(response, "status_code", 0) if response is not None else 0
    _records.write(
        json.dumps(
            {
                "t": start_time or time.time(),
                "name": name,
                "method": request_type,
                "status": status,
                "ms": round(response_time, 1),
                "error": str(exception)[:200] if exception else "",
            }
        )
        + "\n"
    )


class Person(HttpUser):
    """Someone signed in through the real sign-in form, with an API token of their own."""

    abstract = True
    pool: list[dict] = []
    _numbers = itertools.count()

    def on_start(self):
        number = next(type(self)._numbers)
        self.me = self.pool[number % len(self.pool)]
        self.org = self.me["org"]
        self.api = {"Authorization": f"Bearer {self.me['token']}"}
        session = PLAN.get("sessions", {}).get(self.me["username"])
        if session:  # signed in during an earlier phase: the same browser, still signed in
            self.client.cookies.update(session)
        else:
            self.sign_in()

    def sign_in(self):
        form = self.client.get("/accounts/login/", name="sign-in form")
        match = CSRF.search(form.text or "")
        if not match:
            return
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.me["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": match.group(1),
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in answered {answer.status_code}, not a redirect")
                return
        cookies = {"username": self.me["username"], "cookies": self.client.cookies.get_dict()}
        _sessions.write(json.dumps(cookies) + "\n")

    def page(self, path: str, name: str):
        with self.client.get(f"/o/{self.org}/{path}", name=name, catch_response=True) as answer:
            if "/accounts/login/" in answer.url:
                answer.failure("sent to the sign-in page: signed out")


class Browser(Person):
    """Reads the dashboard, the path, the roadmap, the KPIs and the API: a page every 3-9 s
    (a person reading, on a busy morning)."""

    pool = PLAN["browsers"]
    _numbers = itertools.count()
    wait_time = between(3, 9)

    @task(3)
    def dashboard(self):
        self.page("", "dashboard")

    @task(2)
    def path(self):
        self.page("path/", "path")

    @task(2)
    def roadmap(self):
        self.page("roadmap/", "roadmap")

    @task(2)
    def kpis(self):
        self.page("ascent/kpis/", "KPIs")

    @task(1)
    def kpi(self):
        self.page(f"ascent/kpis/{random.choice(PLAN['kpis'][self.org])}/", "KPI page")

    @task(2)
    def api_initiatives(self):
        self.client.get(
            f"/api/v1/orgs/{self.org}/initiatives?limit=50",
            headers=self.api,
            name="API: initiatives",
        )

    @task(1)
    def api_kpis(self):
        self.client.get(
            f"/api/v1/orgs/{self.org}/kpis?limit=50", headers=self.api, name="API: KPIs"
        )


class Writer(Person):
    """Records measurements on a KPI of its own and edits an initiative of its own, with the
    version it read, through the API; a write every 1-3 s (a script or a busy editor)."""

    # LOADTEST_BURST: writers only, each writing again as soon as answered (run.py names this
    # class alone then): how many writes a second the database takes.
    burst = bool(os.environ.get("LOADTEST_BURST"))
    pool = PLAN["burst"] if burst else PLAN["writers"]
    _numbers = itertools.count()
    fixed_count = len(pool)
    wait_time = constant(0) if burst else between(1, 3)

    def on_start(self):
        super().on_start()
        # Each phase starts its writers on days of their own (run.py): every write is new.
        self.day = FIRST_DAY + timedelta(days=self.me["first_day"])

    def log(self, **row):
        _writes.write(json.dumps(row) + "\n")

    @task(2)
    def record_measurement(self):
        self.day += timedelta(days=1)
        value = round(random.uniform(10, 90), 2)
        item = {"kpi": self.me["kpi"], "date": self.day.isoformat(), "value": value}
        answer = self.client.post(
            f"/api/v1/orgs/{self.org}/measurements",
            json={"items": [{**item, "confirmed": True}]},
            headers=self.api,
            name="API: record measurement",
        )
        self.log(kind="measurement", **item, ack=answer.status_code == 201)

    @task(1)
    def edit_initiative(self):
        url = f"/api/v1/orgs/{self.org}/initiatives/{self.me['initiative']}"
        read = self.client.get(url, headers=self.api, name="API: read initiative")
        if read.status_code != 200:
            return
        before = read.json()
        text = f"Edited by {self.me['username']} at {time.time():.3f}"
        answer = self.client.patch(
            url,
            json={"description": text, "version": before["version"]},
            headers=self.api,
            name="API: save initiative",
        )
        self.log(
            kind="initiative",
            initiative=self.me["initiative"],
            description=text,
            before=before["description"],
            version=before["version"],
            ack=answer.status_code == 200,
            status=answer.status_code,
        )
