"""Concurrent writers against a real server (gunicorn, two processes of eight threads) on the
test's database, SQLite file or PostgreSQL: of many simultaneous saves of one goal from the
same version, through the web form and the API, exactly one wins and every other gets the
conflict (409), never a 500 or a 503; nothing is lost; saves of different goals all succeed.
A write that waits on a lock for longer than SQLite's busy timeout is a 503 to retry.
"""

import http.client
import json
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import date
from functools import partial
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from cairn.core import services
from cairn.core.errors import BUSY_MESSAGE, RETRY_AFTER
from cairn.core.models import AuditEvent, Membership, Organization, Role
from cairn.goals.models import BusinessGoal
from tests.processes import free_port, gunicorn, process_env, shared_database, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 20  # requests fired at once in each race
CONFLICT = "Someone else changed this business goal while you were editing"
TARGET = date(date.today().year + 3, 12, 31).isoformat()


class Site:
    """A running server, with an editor signed in on the web and holding an API key."""

    def __init__(self, port: int, key: str, session: str):
        self.port, self.key = port, key
        self.cookies = {"sessionid": session}
        self.csrf = ""

    def call(self, method: str, path: str, body: bytes = b"", **headers: str):
        """One request on its own connection: (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers={"Cookie": cookie, **headers})
        response = conn.getresponse()
        answer = (response.status, dict(response.getheaders()), response.read())
        conn.close()
        return answer

    def api(self, method: str, goal: BusinessGoal, body: dict):
        path = f"/api/v1/orgs/{goal.organization.slug}/goals/{goal.pk}"
        payload = json.dumps(body).encode()
        return self.call(
            method,
            path,
            payload,
            **{"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )

    def open_form(self, path: str) -> None:
        """Open a form page once, for the CSRF token and cookie every later post sends."""
        status, headers, page = self.call("GET", path)
        assert status == 200, page[:500]
        self.csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        self.cookies["csrftoken"] = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"])[1]

    def web(self, goal: BusinessGoal, title: str, seen_version: int):
        """Post the goal's edit form as a browser would (CSRF token and cookie included)."""
        path = reverse("goals:goal_edit", args=[goal.organization.slug, goal.pk])
        if not self.csrf:
            self.open_form(path)
        form = {
            "csrfmiddlewaretoken": self.csrf.decode(),
            "title": title,
            "description": "",
            "target_date": TARGET,
            "priority": "2",
            "owner_name": "",
            "owner_role": "",
            "seen_version": str(seen_version),
        }
        return self.call(
            "POST",
            path,
            urlencode(form).encode(),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )


def race(calls):
    """Fire every call at the same moment, each from its own thread; their answers, in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        began = time.monotonic()
        try:
            return (*call(), time.monotonic() - began)
        finally:
            connections.close_all()  # this thread's, if a call read a row (a goal's organisation)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def world(tmp_path):
    """An organisation with an editor and eleven goals, on a database the server shares."""
    with shared_database(tmp_path) as database:
        org = Organization.objects.create(name="Acme", slug="acme")
        editor = User.objects.create_user("editor", password="correct horse battery")
        Membership.objects.create(user=editor, organization=org, role=Role.EDITOR)
        goals = [
            BusinessGoal.objects.create(organization=org, title=f"Goal {i}", target_date=TARGET)
            for i in range(11)
        ]
        key = services.create_api_token(editor, "race")[1]
        browser = Client()
        browser.force_login(editor)  # the session lives in the shared database
        yield {
            "database": database,
            "goals": goals,
            "key": key,
            "session": browser.cookies["sessionid"].value,
        }


@contextmanager
def server(tmp_path, world, quiet=True, **env):
    """Cairn under gunicorn on a free port, until the block ends; ``quiet``: and it logged no
    error."""
    port = free_port()
    log = tmp_path / f"gunicorn-{port}.log"
    process = gunicorn(port, process_env(world["database"], **env), log)
    site = Site(port, world["key"], world["session"])

    def up():
        assert process.alive(), process.output()
        try:
            return site.call("GET", "/healthz")[0] == 200
        except OSError:
            return False

    try:
        wait_for(up, 60, "gunicorn to answer", every=0.2)
        goal = world["goals"][0]
        site.open_form(reverse("goals:goal_edit", args=[goal.organization.slug, goal.pk]))
        yield site
        assert not quiet or "Traceback" not in process.output(), process.output()
    finally:
        process.stop()


def outcome(status: int, body: bytes) -> str:
    """What a save's answer means: saved, conflict, or what went wrong."""
    if status in (200, 302):
        return "saved"
    if status == 409 and CONFLICT.encode() in body:
        return "conflict"
    return f"{status}: {body[:300]!r}"


def test_concurrent_saves_one_winner_per_version_and_different_goals_all_saved(tmp_path, world):
    with server(tmp_path, world) as site:
        same_goal_races(site, world["goals"][0])
        different_goals_at_once(site, world["goals"][1:])


def test_the_same_with_sqlite_named_by_database_url(tmp_path, world):
    """``DATABASE_URL=sqlite:///…``, as people configure it, races the same (on PostgreSQL
    the server is named by its URL either way)."""
    database = world["database"]
    if "SQLITE_PATH" in database:
        database = {"DATABASE_URL": f"sqlite:///{database['SQLITE_PATH']}"}
    with server(tmp_path, {**world, "database": database}) as site:
        same_goal_races(site, world["goals"][0])
        different_goals_at_once(site, world["goals"][1:])


def same_goal_races(site: Site, goal: BusinessGoal, rounds: int = 3) -> None:
    """Rounds of WRITERS saves of one goal from the same version (PUT, PATCH and the web form
    in turn): one is saved, the others are conflicts, the stored title is the winner's."""
    tally: dict[str, int] = {}
    slowest = 0.0
    for round_ in range(rounds):
        goal.refresh_from_db()
        version, events = goal.version, AuditEvent.objects.count()
        titles = [f"Round {round_} writer {i}" for i in range(WRITERS)]

        began = time.monotonic()
        answers = race(saves_from(site, goal, version, titles))
        took = time.monotonic() - began
        results = [outcome(status, body) for status, _, body, _ in answers]
        for result in results:
            tally[result] = tally.get(result, 0) + 1
        assert sorted(set(results)) == ["conflict", "saved"], results
        assert results.count("saved") == 1, results

        winner = titles[results.index("saved")]
        goal.refresh_from_db()
        assert (goal.title, goal.version) == (winner, version + 1)  # the winner's, once
        assert AuditEvent.objects.count() == events + 1
        slowest = max(slowest, *(answer[3] for answer in answers))
        print(f"round {round_}: {WRITERS} saves in {took:.2f} s, winner {winner!r}")
    assert tally == {"saved": rounds, "conflict": rounds * (WRITERS - 1)}
    print(f"outcomes {tally}; slowest answer {slowest:.2f} s")


def saves_from(site: Site, goal: BusinessGoal, version: int, titles: list[str]) -> list:
    """One save of ``goal`` from ``version`` per title: PUT, PATCH and the web form in turn."""
    calls = []
    for i, title in enumerate(titles):
        if i % 3 == 0:
            body = {"title": title, "target_date": TARGET, "priority": 2, "version": version}
            calls.append(partial(site.api, "PUT", goal, body))
        elif i % 3 == 1:
            calls.append(partial(site.api, "PATCH", goal, {"title": title, "version": version}))
        else:
            calls.append(partial(site.web, goal, title, version))
    return calls


def different_goals_at_once(site: Site, goals: list[BusinessGoal]) -> None:
    """One save of each goal, all at once, half through the web form: every one is saved."""
    calls = []
    for i, goal in enumerate(goals):
        title = f"Changed {i}"
        if i % 2:
            calls.append(partial(site.web, goal, title, goal.version))
        else:
            body = {"title": title, "version": goal.version}
            calls.append(partial(site.api, "PATCH", goal, body))
    began = time.monotonic()
    results = [outcome(status, body) for status, _, body, _ in race(calls)]
    assert results == ["saved"] * len(goals)
    for i, goal in enumerate(goals):
        goal.refresh_from_db()
        assert (goal.title, goal.version) == (f"Changed {i}", 2)
    print(f"{len(goals)} different goals saved at once in {time.monotonic() - began:.2f} s")


@contextmanager
def write_lock_held(world, goal: BusinessGoal):
    """SQLite: the database's write lock. PostgreSQL: the goal's row lock."""
    database = world["database"]
    if "SQLITE_PATH" in database:
        lock = sqlite3.connect(database["SQLITE_PATH"], timeout=10, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        return
    import psycopg

    with psycopg.connect(**connection.get_connection_params()) as other:
        table = BusinessGoal._meta.db_table
        other.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [goal.pk])  # noqa: S608
        yield
        other.rollback()


def test_a_write_that_cannot_get_the_lock_in_time_is_a_503_to_retry(tmp_path, world):
    """With a 1-second busy timeout: on SQLite, saves behind a lock held for 3 s give up with
    503 and Retry-After, nothing written; PostgreSQL has no busy timeout: they wait, then one
    wins and the other gets the conflict."""
    goal = world["goals"][0]
    sqlite = "SQLITE_PATH" in world["database"]
    # A busy database is logged (with its traceback) before the 503 page is made.
    with server(tmp_path, world, quiet=False, SQLITE_TIMEOUT="1") as site:
        with ThreadPoolExecutor(2) as pool:
            with write_lock_held(world, goal):
                began = time.monotonic()
                api = pool.submit(site.api, "PATCH", goal, {"title": "By API", "version": 1})
                web = pool.submit(site.web, goal, "By web", 1)
                if sqlite:
                    # Held until both have given up: on a busy machine a request may reach
                    # the server seconds after it was sent, and must still find the lock.
                    wait([api, web], timeout=60)
                else:
                    time.sleep(3)
            api, web = api.result(), web.result()
            waited = time.monotonic() - began
        if sqlite:
            assert api[0] == web[0] == 503, (api, web)
            assert api[1]["Retry-After"] == web[1]["Retry-After"] == str(RETRY_AFTER)
            assert json.loads(api[2]) == {"detail": BUSY_MESSAGE}
            assert b"try again in" in web[2] and b"<html" in web[2].lower()
            goal.refresh_from_db()
            assert (goal.title, goal.version) == ("Goal 0", 1)  # nothing half-written
            again = site.api("PATCH", goal, {"title": "By API", "version": 1})
            assert again[0] == 200, again
        else:
            assert waited >= 3
            assert sorted([outcome(api[0], api[2]), outcome(web[0], web[2])]) == [
                "conflict",
                "saved",
            ]
        goal.refresh_from_db()
        assert goal.version == 2
