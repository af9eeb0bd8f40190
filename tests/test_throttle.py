"""Expensive jobs one at a time per organisation and kind (optimiser, scheduler, documents),
with the real database task backend: the next one is refused with 429 and ``Retry-After``
through the API and with the same message on the page, nothing written; a second request
for a job still waiting joins it; once the worker is done the next one is accepted; other
organisations are never held up; and the bound holds when many ask at once."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.db import connections
from django.test import TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from cairn.core import services as core
from cairn.core import throttle
from cairn.core.models import Organization
from cairn.documents import services as documents
from cairn.documents.models import StrategyDocument
from cairn.portfolio import services as portfolio
from cairn.portfolio.models import Scenario
from cairn.roadmap import services as roadmap
from cairn.roadmap.models import Plan
from tests.base import CairnTestCase, make_goal, make_path, make_roadmap

DB = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
real_compute = portfolio.compute
real_schedule = roadmap.solve_schedule


def unproven_at_first(scenario, time_limit_s=None):
    """The optimiser's 1-second answer is never proven, so every run goes to the worker."""
    result = real_compute(scenario, time_limit_s)
    return {**result, "status": "feasible"} if time_limit_s else result


def schedule_unproven_at_first(problem):
    answer = real_schedule(problem)
    if problem.time_limit_s <= roadmap.INLINE_SECONDS:
        answer.status = "feasible"
    return answer


def work():
    """What `cairn db_worker` does for each waiting job: claim it, run it, mark it done
    (without the command's loop, which closes the test's connection on PostgreSQL)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    for job in DBTaskResult.objects.ready():
        job.claim(worker.worker_id)
        worker.run_task(job)
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


@override_settings(TASKS=DB)
class ThrottleCase(CairnTestCase):
    def setUp(self):
        self.keys = {}
        for persona in ("editor", "outsider"):
            self.keys[persona] = {
                "HTTP_AUTHORIZATION": f"Bearer {core.create_api_token(self.users[persona], 't')[1]}"
            }

    def api(self, path: str, persona: str = "editor"):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                f"/api/v1/orgs/{path}", "{}", content_type="application/json", **self.keys[persona]
            )

    def assertRefused(self, response, detail: str, retry_after: int):
        self.assertEqual(response.status_code, 429, response.content)
        self.assertEqual(response.json(), {"detail": detail})
        self.assertEqual(response["Retry-After"], str(retry_after))

    def assertPageSays(self, response, message: str):
        """A page (after the redirect) that shows the message, not an error page."""
        self.assertEqual(response.status_code, 200)
        self.assertEqual([str(m) for m in response.context["messages"]], [message])

    def tasks(self) -> int:
        return DBTaskResult.objects.count()


class OptimiserTests(ThrottleCase):
    def setUp(self):
        super().setUp()
        self.wide = Scenario.objects.create(
            organization=self.org, name="Wide", one_off_budget=500, time_limit_s=5
        )
        self.narrow = Scenario.objects.create(
            organization=self.org, name="Narrow", one_off_budget=50, time_limit_s=5
        )
        self.globex = Scenario.objects.create(
            organization=self.other_org, name="Globex wide", one_off_budget=500, time_limit_s=5
        )
        patcher = mock.patch.object(portfolio, "compute", side_effect=unproven_at_first)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_one_run_at_a_time_per_organisation(self):
        waiting = self.api(f"acme/scenarios/{self.wide.pk}/run")
        self.assertEqual((waiting.status_code, waiting.json()["state"]), (202, "queued"))
        self.assertEqual(self.tasks(), 1)
        # The same scenario again while it waits: the same run, nothing more queued.
        again = self.api(f"acme/scenarios/{self.wide.pk}/run")
        self.assertEqual((again.status_code, again.json()["state"]), (202, "queued"))
        self.assertEqual(self.tasks(), 1)

        audit = self.audit_count()
        # Its time limit (5 s), explaining the "no"s (5 s) and saving (2 s): 12 s.
        message = (
            "“Wide” is waiting for the optimiser. One optimiser run at a time per "
            "organisation: try again in 12 seconds."
        )
        self.assertRefused(self.api(f"acme/scenarios/{self.narrow.pk}/run"), message, 12)
        self.login("editor")
        page = self.client.post(self.url("portfolio:scenario_run", self.narrow.pk), follow=True)
        self.assertPageSays(page, message)
        self.narrow.refresh_from_db()
        self.assertEqual((self.narrow.state, self.narrow.result), ("never", None))
        self.assertEqual((self.tasks(), self.audit_count()), (1, audit))

        # Another organisation is not held up.
        self.assertEqual(
            self.api(f"globex/scenarios/{self.globex.pk}/run", "outsider").status_code, 202
        )

        work()
        self.wide.refresh_from_db()
        self.assertEqual(self.wide.state, "done")
        self.assertEqual(self.api(f"acme/scenarios/{self.narrow.pk}/run").status_code, 202)

    def test_a_running_job_says_what_is_left_and_a_dead_one_is_forgotten(self):
        started = timezone.now() - timedelta(seconds=4)
        Scenario.objects.filter(pk=self.wide.pk).update(state="running", started_at=started)
        self.assertRefused(
            self.api(f"acme/scenarios/{self.narrow.pk}/run"),
            "The optimiser is running on “Wide”. One optimiser run at a time per "
            "organisation: try again in 8 seconds.",
            8,
        )
        # Running on the same scenario is no reason to join: it read the data before.
        self.assertEqual(self.api(f"acme/scenarios/{self.wide.pk}/run").status_code, 429)
        # A worker that died an hour ago no longer holds the organisation's turn.
        long_ago = timezone.now() - timedelta(hours=1)
        Scenario.objects.filter(pk=self.wide.pk).update(started_at=long_ago)
        self.assertEqual(self.api(f"acme/scenarios/{self.narrow.pk}/run").status_code, 202)

    def test_a_failed_quick_run_frees_the_turn(self):
        crash = mock.patch.object(portfolio, "compute", side_effect=RuntimeError("solver crashed"))
        with crash, self.assertRaises(RuntimeError):
            portfolio.run_scenario(self.wide, actor=self.editor)
        self.wide.refresh_from_db()
        self.assertEqual((self.wide.state, self.wide.error), ("failed", "solver crashed"))
        self.assertEqual(self.api(f"acme/scenarios/{self.narrow.pk}/run").status_code, 202)


class SchedulerTests(ThrottleCase):
    def setUp(self):
        super().setUp()
        patcher = mock.patch.object(
            roadmap, "solve_schedule", side_effect=schedule_unproven_at_first
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_one_run_at_a_time_per_organisation(self):
        waiting = self.api("acme/roadmap/run")
        self.assertEqual((waiting.status_code, waiting.json()["state"]), (202, "running"))
        self.assertEqual(self.tasks(), 1)
        # Asked again while it waits for the worker: it will read today's data, so join it.
        self.assertEqual(self.api("acme/roadmap/run").status_code, 202)
        self.assertEqual(self.tasks(), 1)

        # The worker takes it: a new request would need another run after this one.
        DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
        audit = self.audit_count()
        refused = self.api("acme/roadmap/run")
        wait = int(refused["Retry-After"])
        self.assertIn(wait, (11, 12))  # its time limit (10 s) and saving (2 s), less its age
        message = (
            "The roadmap is being scheduled. One scheduling run at a time per organisation: "
            f"try again in {wait} seconds."
        )
        self.assertRefused(refused, message, wait)
        self.login("editor")
        page = self.client.post(self.url("roadmap:schedule"), follow=True)
        self.assertEqual(page.status_code, 200)
        self.assertIn(
            "The roadmap is being scheduled. One scheduling run at a time",
            str(list(page.context["messages"])[0]),
        )
        self.assertEqual((self.tasks(), self.audit_count()), (1, audit))

        self.assertIn(self.api("globex/roadmap/run", "outsider").status_code, (200, 202))

        DBTaskResult.objects.update(status=TaskResultStatus.READY, started_at=None)
        work()
        self.assertEqual(Plan.objects.get(organization=self.org).state, "done")
        self.assertEqual(self.api("acme/roadmap/run").status_code, 202)

    def test_approving_a_scenario_is_refused_before_deciding_while_the_roadmap_runs(self):
        from cairn.governance.models import Decision

        portfolio.run_scenario(self.path["scenario"], actor=self.editor)
        roadmap.run_schedule(self.org, actor=self.editor)
        DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
        self.login("editor")
        decisions = Decision.objects.count()
        page = self.client.post(
            self.url("governance:scenario_approve", self.path["scenario"].pk),
            {"outcome": "Go"},
        )
        self.assertEqual(page.status_code, 200)  # the form again, with the reason
        self.assertContains(page, "The roadmap is being scheduled.")
        self.assertEqual(Decision.objects.count(), decisions)


class DocumentTests(ThrottleCase):
    def test_one_document_at_a_time_per_organisation(self):
        made = self.api("acme/documents")
        self.assertEqual((made.status_code, made.json()["state"]), (201, "queued"))
        queued = StrategyDocument.objects.get(pk=made.json()["id"])
        self.assertEqual(self.tasks(), 1)

        docs, audit = StrategyDocument.objects.count(), self.audit_count()
        message = (
            f"The PDF of “{queued.title}” is waiting to be made. One document at a time per "
            "organisation: try again in 30 seconds."
        )
        self.assertRefused(self.api("acme/documents"), message, 30)
        self.login("editor")
        page = self.client.post(self.url("documents:document_create"), follow=True)
        self.assertPageSays(page, message)
        for ext in ("pdf", "pptx"):  # another document's files wait their turn too
            with self.subTest(ext=ext):
                url = self.url("documents:document_file", self.document.pk, ext)
                self.assertPageSays(self.client.get(url, follow=True), message)
        self.assertEqual(  # its own PDF: being made already
            [
                str(m)
                for m in self.client.get(
                    self.url("documents:document_file", queued.pk, "pdf"), follow=True
                ).context["messages"]
            ],
            [f"“{queued.title}” is being made already: try again in 30 seconds."],
        )
        markdown = self.client.get(self.url("documents:document_file", self.document.pk, "md"))
        self.assertEqual(markdown.status_code, 200)  # made from the stored text, at once
        self.assertEqual((StrategyDocument.objects.count(), self.tasks()), (docs, 1))
        self.assertEqual(self.audit_count(), audit)
        self.document.refresh_from_db()
        self.assertEqual((self.document.state, self.document.pdf), ("ready", None))

        self.assertEqual(self.api("globex/documents", "outsider").status_code, 201)

        work()
        queued.refresh_from_db()
        self.assertEqual((queued.state, bytes(queued.pdf)[:4]), ("ready", b"%PDF"))
        self.assertEqual(self.api("acme/documents").status_code, 201)

    def test_a_file_made_on_a_page_takes_the_turn_and_gives_it_back(self):
        self.login("editor")
        pptx = self.client.get(self.url("documents:document_file", self.document.pk, "pptx"))
        self.assertIn("presentationml", pptx["Content-Type"])
        self.document.refresh_from_db()
        self.assertEqual((self.document.state, self.document.progress), ("ready", 0))
        self.assertEqual(throttle.active(documents.document_jobs(self.org)), [])


def _wrapper(settings_dict):
    return type(connections["default"])(settings_dict, "default")


@contextmanager
def _on(settings_dict):
    """This thread's queries on ``settings_dict``'s database (None: the test database)."""
    if settings_dict is None:
        yield
        return
    main = connections["default"]
    connections["default"] = _wrapper(settings_dict)
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = main


def _race(n: int, attempt, settings_dict) -> list[str]:
    """Run ``attempt(i)`` in ``n`` threads at once, each on its own connection; returns
    "ok" or "refused" for each (anything else, in its own words, fails the test)."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def one(i):
        try:
            with _on(settings_dict):
                barrier.wait()
                attempt(i)
            outcomes.append("ok")
        except throttle.Throttled:
            outcomes.append("refused")
        except Exception as e:
            outcomes.append(repr(e))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@override_settings(TASKS=DB)
class RaceTests(TransactionTestCase):
    """Many requests at once, each on its own connection as on several app servers; the
    counting is slowed down so that, without the lock, every one of them would get in.

    SQLite's in-memory test database is shared between threads in a mode that locks tables
    and fails at once ("database table is locked") instead of waiting: on SQLite the race
    runs on a file copy of it, with the options Cairn deploys (WAL, IMMEDIATE, a busy
    timeout). On PostgreSQL it runs on the test database itself."""

    def setUp(self):
        self.org = Organization.objects.create(name="Acme", slug="acme")
        self.other = Organization.objects.create(name="Globex", slug="globex")
        make_goal(self.org)
        make_goal(self.other)

    def database(self):
        """The settings of the database the threads share (None: the test database)."""
        main = connections["default"]
        if main.vendor != "sqlite":
            return None
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        path = os.path.join(folder, "race.sqlite3")
        main.ensure_connection()
        copy = sqlite3.connect(path)
        main.connection.backup(copy)
        copy.close()
        return {**main.settings_dict, "NAME": path}

    def slowly(self, module, name):
        real = getattr(module, name)

        def counted_slowly(org):
            jobs = real(org)
            time.sleep(0.2)  # the window in which another request would count the same
            return jobs

        patcher = mock.patch.object(module, name, side_effect=counted_slowly)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_optimiser_runs(self):
        self.slowly(portfolio, "optimiser_jobs")
        patcher = mock.patch.object(portfolio, "compute", side_effect=unproven_at_first)
        patcher.start()
        self.addCleanup(patcher.stop)
        scenarios = [
            make_path(org, f"{org.slug}{i} ")["scenario"].pk
            for org in (self.org, self.other)
            for i in range(3)
        ]
        Scenario.objects.update(time_limit_s=5)
        db = self.database()

        def run(i):
            scenario = Scenario.objects.select_related("organization").get(pk=scenarios[i])
            portfolio.run_scenario(scenario, actor=None)

        outcomes = _race(6, run, db)
        self.assertEqual(sorted(outcomes), ["ok", "ok"] + ["refused"] * 4)  # one per org
        with _on(db):
            for org in (self.org, self.other):
                busy = Scenario.objects.filter(organization=org, state__in=["queued", "running"])
                self.assertEqual(busy.count(), 1)
            self.assertEqual(DBTaskResult.objects.count(), 2)

    def test_scheduler_runs(self):
        self.slowly(roadmap, "scheduler_jobs")
        patcher = mock.patch.object(
            roadmap, "solve_schedule", side_effect=schedule_unproven_at_first
        )
        patcher.start()
        self.addCleanup(patcher.stop)
        for org in (self.org, self.other):
            make_roadmap(org)
        db = self.database()
        orgs = [self.org, self.other] * 3
        outcomes = _race(6, lambda i: roadmap.run_schedule(orgs[i], actor=None), db)
        # One per organisation; the others find it waiting for the worker and join it, or
        # running (taken by the worker's row being READY still: joined) — never a second.
        self.assertNotIn(False, [o in ("ok", "refused") for o in outcomes], outcomes)
        with _on(db):
            self.assertEqual(DBTaskResult.objects.count(), 2)
            self.assertEqual(Plan.objects.filter(state="running").count(), 2)

    def test_documents(self):
        self.slowly(documents, "document_jobs")
        db = self.database()
        outcomes = _race(4, lambda i: documents.make(self.org, actor=None, with_pdf=True), db)
        self.assertEqual(sorted(outcomes), ["ok"] + ["refused"] * 3)
        with _on(db):
            self.assertEqual(StrategyDocument.objects.filter(organization=self.org).count(), 1)
