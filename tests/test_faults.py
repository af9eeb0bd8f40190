"""Faults with real processes, on SQLite and PostgreSQL: a ``cairn worker`` killed with SIGKILL
in the middle of a long optimisation, of a strategy document's PDF and of a 200,000-row
measurement import. Nothing is lost and nothing half-written: the job is finished by the
other worker, never left running, and the killed import leaves none of its rows.

Each test merges its figures into ``test-artifacts/faults.json``: a list of rows keyed by
test name and database, which ``make loadtest`` prints in its table.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import random
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cairn.assessment.models import Team
from cairn.core import imports
from cairn.core import services as core
from cairn.core.models import (
    AuditEvent,
    ImportChunk,
    ImportJob,
    ImportState,
    Membership,
    Organization,
    Role,
)
from cairn.core.worker import SWEEP_EVERY
from cairn.documents.models import DocState, StrategyDocument
from cairn.exchange.tasks import import_rows
from cairn.execution.tasks import import_actuals
from cairn.goals.models import BusinessGoal
from cairn.kpis.models import Kpi, Measurement
from cairn.kpis.tasks import import_measurements
from cairn.portfolio import services as portfolio
from cairn.portfolio.models import Criterion, CriterionScore, Initiative, RunState, Scenario
from cairn.transfer import orgfile
from tests.base import make_ascent, make_goal, make_path, make_roadmap, make_terrain
from tests.processes import ROOT, Process, wait_for
from tests.test_failed_jobs import busy_scenario, lost_claim

# The real queue shared with real workers (test_worker.py): ``workers(*args, **env)``.
from tests.test_worker import database, workers  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACT = ROOT / "test-artifacts" / "faults.json"
ROWS = 200_000  # measurements in the import that is killed half-way
KPIS = 20  # ... over this many KPIs, ROWS / KPIS days each


def vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


@contextmanager
def figures(name: str):
    """Collect ``(checked, figure, unit)`` rows; at the end, merge them into ARTIFACT with the
    test's outcome (failed when the block raised), replacing this test's rows on this
    database."""
    rows: list[tuple[str, float, str]] = []
    outcome = "failed"
    try:
        yield rows
        outcome = "passed"
    finally:
        merge(name, [(checked, figure, unit, outcome) for checked, figure, unit in rows])


def merge(name: str, rows: list[tuple[str, float, str, str]]) -> None:
    """Replace this test's rows on this database in ARTIFACT, under a lock (tests on SQLite
    and PostgreSQL may run at the same time)."""
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    db = vendor()
    with open(ARTIFACT.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            kept = json.loads(ARTIFACT.read_text())
        except (OSError, ValueError):
            kept = []
        kept = [r for r in kept if (r.get("name"), r.get("database")) != (name, db)]
        kept += [
            {"name": name, "database": db, "checked": checked, "figure": round(figure, 2),
             "unit": unit, "outcome": outcome}
            for checked, figure, unit, outcome in rows
        ]  # fmt: skip
        partial = ARTIFACT.with_suffix(".part")
        partial.write_text(json.dumps(kept, indent=1) + "\n")
        os.replace(partial, ARTIFACT)


@pytest.fixture
def acme(database):  # noqa: F811
    """Acme and its editor, on the database the workers share."""
    org = Organization.objects.create(name="Acme", slug="acme")
    editor = User.objects.create_user("editor")
    Membership.objects.create(user=editor, organization=org, role=Role.EDITOR)
    make_goal(org)
    return org, editor


def pid(worker_id: str) -> int:
    return int(worker_id.split(":")[1])


def two_workers(workers) -> dict[int, Process]:  # noqa: F811
    """Two running workers by process id, each ready for jobs."""
    started = [workers(), workers()]
    for worker in started:
        wait_for(lambda w=worker: "Starting worker" in w.output(), 60, "a worker to start")
    return {w.pid: w for w in started}


def owner(job: DBTaskResult, running: dict[int, Process]) -> tuple[Process, Process]:
    """The worker that claimed ``job`` and the other one."""
    (claimed,) = (pid(w) for w in job.worker_ids)
    (other,) = (w for p, w in running.items() if p != claimed)
    return running[claimed], other


def job_of(task_path: str) -> DBTaskResult:
    return DBTaskResult.objects.get(task_path=task_path)


def hard_scenario(org: Organization, n: int = 400) -> Scenario:
    """A scenario the optimiser cannot prove in its first second nor in its 6 s, even on an
    idle machine: ``n`` initiatives whose one-off cost is their value plus a constant (the
    hard kind of knapsack), under three limits, and many of them to explain."""
    rnd = random.Random(11)
    weights = [Decimal(w) for w in ("1.3", "2.9", "4.7", "7.1", "11.3", "13.7", "17.9", "19.1")]
    criteria = Criterion.objects.bulk_create(
        Criterion(organization=org, name=f"Criterion {w}", weight=w) for w in weights
    )
    points = [[rnd.randint(1, 5) for _ in criteria] for _ in range(n)]

    def value(mine: list[int]) -> Decimal:  # the initiative's score (scoring.score)
        score = sum(w * p for w, p in zip(weights, mine, strict=True)) / sum(weights) * 20
        return score.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    initiatives = Initiative.objects.bulk_create(
        Initiative(
            organization=org,
            title=f"Initiative {k}",
            one_off_cost=value(mine) * 1000 + 10_000 + rnd.randint(0, 300),
            running_cost=Decimal(rnd.randint(1_000, 9_999)),
            effort_months=Decimal(rnd.randint(1, 40)),
        )
        for k, mine in enumerate(points)
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(criterion=c, initiative=i, value=p)
        for i, mine in zip(initiatives, points, strict=True)
        for c, p in zip(criteria, mine, strict=True)
    )
    third = {
        field: sum(getattr(i, field) for i in initiatives) // 3
        for field in ("one_off_cost", "running_cost", "effort_months")
    }
    return Scenario.objects.create(
        organization=org,
        name="Hard",
        one_off_budget=third["one_off_cost"],
        running_budget=third["running_cost"],
        staff_months=third["effort_months"],
        time_limit_s=6,
    )


def test_a_worker_killed_in_the_middle_of_an_optimisation(acme, workers):  # noqa: F811
    org, editor = acme
    scenario = hard_scenario(org)
    running = two_workers(workers)
    with figures("worker killed mid-optimisation") as rows:
        # Not proven in the request's first second: queued for a worker.
        assert portfolio.run_scenario(scenario, actor=editor) == RunState.QUEUED
        solving = Scenario.objects.filter(pk=scenario.pk, state=RunState.RUNNING)
        path = "cairn.portfolio.tasks.solve_scenario"
        claimed = DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.RUNNING)
        wait_for(lambda: solving.exists() and claimed.exists(), 30, "a worker to start solving")
        victim, survivor = owner(job_of(path), running)
        time.sleep(2)  # well inside the 6 s search
        victim.kill()
        killed = time.monotonic()

        # Killed mid-solve: the run and its job are still running, nothing of it was stored.
        assert f"path={path} state=RUNNING" in victim.output()
        assert "state=SUCCESSFUL" not in victim.output()
        scenario.refresh_from_db()
        assert (scenario.state, scenario.finished_at) == (RunState.RUNNING, None)
        assert job_of(path).status == TaskResultStatus.RUNNING
        audited = AuditEvent.objects.filter(object_type="portfolio.scenario")
        assert not audited.exists()

        picked = wait_for(
            lambda: len(job_of(path).worker_ids) == 2, SWEEP_EVERY + 10, "the job picked up again"
        )
        picked_up = time.monotonic() - killed
        done = wait_for(lambda: finished(path), 60, "the run to end")
        ended = time.monotonic() - killed
        rows += [
            ("seconds from the kill to the job picked up by the other worker", picked_up, "s"),
            ("seconds from the kill to the optimisation finished", ended, "s"),
        ]

        assert picked and done.status == TaskResultStatus.SUCCESSFUL, done.traceback
        assert [pid(w) for w in done.worker_ids] == [victim.pid, survivor.pid]
        assert "lost its worker" in survivor.output()
        scenario.refresh_from_db()
        assert scenario.state == RunState.DONE, scenario.error
        assert scenario.result["status"] == "feasible"  # the search ran its full 6 s
        assert not portfolio.result_is_stale(scenario)  # of these initiatives and limits
        assert 0 < scenario.result["totals"]["one_off"] <= float(scenario.one_off_budget)
        assert audited.count() == 1  # the one run that ended, once
        assert portfolio.optimiser_jobs(org) == []  # the organisation's turn is free
        assert picked_up < SWEEP_EVERY + 2, picked_up


def finished(task_path: str) -> DBTaskResult | None:
    job = job_of(task_path)
    return job if job.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED) else None


def large_content(org: Organization) -> None:
    """Enough strategy for a PDF of several seconds: 30 more goals, the terrain, the roadmap,
    KPIs and 150 initiatives."""
    goal = make_goal(org, title="Open two new markets")
    for n in range(30):
        make_goal(org, title=f"Goal {n}: " + "grow the business in a plain way " * 3)
    make_terrain(org)
    make_roadmap(org)
    make_ascent(org, goal)
    busy_scenario(org)


def test_a_worker_killed_while_making_a_pdf(acme, workers, tmp_path):  # noqa: F811
    org, editor = acme
    large_content(org)
    api = Client(headers={"authorization": f"Bearer {core.create_api_token(editor, 'x')[1]}"})
    running = two_workers(workers)
    with figures("worker killed mid-PDF") as rows:
        made = api.post("/api/v1/orgs/acme/documents")
        assert made.status_code == 201, made.content
        # Queued, or already taken by a worker polling every 0.1 s before the answer was made.
        assert made.json()["state"] in (DocState.QUEUED, DocState.RUNNING)
        doc = StrategyDocument.objects.get(pk=made.json()["id"])
        being_made = StrategyDocument.objects.filter(pk=doc.pk, state=DocState.RUNNING)
        wait_for(being_made.exists, 30, "a worker to start the PDF")
        path = "cairn.documents.tasks.make_pdf_task"
        victim, survivor = owner(job_of(path), running)
        time.sleep(0.5)  # the PDF takes seconds
        victim.kill()
        killed = time.monotonic()

        # Killed while rendering: no PDF was stored, the document and its job are running.
        assert f"path={path} state=RUNNING" in victim.output()
        assert "state=SUCCESSFUL" not in victim.output()
        doc.refresh_from_db()
        assert (doc.state, doc.pdf) == (DocState.RUNNING, None)
        assert job_of(path).status == TaskResultStatus.RUNNING

        done = wait_for(lambda: finished(path), SWEEP_EVERY + 60, "the PDF to be made")
        ended = time.monotonic() - killed
        rows.append(("seconds from the kill to the PDF made by the other worker", ended, "s"))

        assert done.status == TaskResultStatus.SUCCESSFUL, done.traceback
        assert [pid(w) for w in done.worker_ids] == [victim.pid, survivor.pid]
        shown = api.get(f"/api/v1/orgs/acme/documents/{doc.pk}").json()
        assert (shown["state"], shown["progress"]) == (DocState.READY, 100)
        doc.refresh_from_db()
        pdf = bytes(doc.pdf)
        rows.append(("size of the PDF made after the kill", len(pdf) / 1024, "KiB"))
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        file = tmp_path / "strategy.pdf"
        file.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(file), "-"], capture_output=True, text=True, check=True
        ).stdout  # a whole file that a reader opens, every page
        assert "IT strategy of Acme" in text and "Goal 29" in text


def measurements_csv(names: list[str]) -> bytes:
    """ROWS measurements: one a day for ROWS / KPIS days back from yesterday, per KPI."""
    today = timezone.localdate()
    days = [(today - timedelta(days=d)).isoformat() for d in range(1, ROWS // KPIS + 1)]
    lines = [f"{name},{day},{100 + n % 7}\n" for name in names for n, day in enumerate(days)]
    return ("kpi,date,value\n" + "".join(lines)).encode()


def strategy(org: Organization) -> dict:
    """Every row of the organisation's strategy (its export), without the export's time."""
    return orgfile.export(org)["tables"]


def test_an_import_killed_half_way_writes_none_of_its_rows(acme, workers, settings, tmp_path):  # noqa: F811
    org, editor = acme
    settings.DATA_DIR = tmp_path  # where the worker tells its progress on SQLite
    # Measurements there already, to be kept as they are.
    make_ascent(org, BusinessGoal.objects.get(organization=org))
    make_path(org)
    names = [f"Load {n}" for n in range(KPIS)]
    Kpi.objects.bulk_create(Kpi(organization=org, name=name) for name in names)
    loaded = Measurement.objects.filter(kpi__organization=org, kpi__name__in=names)
    others = Measurement.objects.filter(kpi__organization=org).exclude(kpi__name__in=names)
    before, audits = strategy(org), AuditEvent.objects.filter(organization=org).count()
    figures_before = list(others.values_list("kpi__name", "date", "value", "source"))

    with figures("measurement import killed half-way") as rows:
        started = time.monotonic()
        data = measurements_csv(names)
        rows.append(("seconds to write the CSV of 200,000 rows", time.monotonic() - started, "s"))
        upload = SimpleUploadedFile("measurements.csv", data)
        job = imports.start(
            org, upload, kind="measurements", label="Measurements",
            task=import_measurements, actor=editor,
        )  # fmt: skip
        assert (job.state, job.total_rows) == (ImportState.WAITING, ROWS)
        env = {"CAIRN_DATA_DIR": str(tmp_path)}
        first = workers(**env)
        importing = ImportJob.objects.filter(pk=job.pk, state=ImportState.RUNNING)
        wait_for(importing.exists, 60, "the worker to start the import")
        began = time.monotonic()

        def half_written() -> bool:
            # While it writes, this other connection sees none of its rows.
            assert not loaded.exists()
            return imports.rows_read(ImportJob.objects.get(pk=job.pk)) >= ROWS // 2

        wait_for(half_written, 120, "the import to read half its rows", every=0.2)
        first.kill()
        half = time.monotonic() - began
        rows.append(("seconds of writing before the kill (half the rows read)", half, "s"))

        # None of its rows, and the rest of the organisation as it was.
        assert loaded.count() == 0
        assert strategy(org) == before
        assert AuditEvent.objects.filter(organization=org).count() == audits
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                assert cursor.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # The file is kept for the next worker: the job is still to be done.
        job.refresh_from_db()
        assert job.state == ImportState.RUNNING
        assert ImportChunk.objects.filter(job=job).exists()

        # The other worker imports it again, from the start, all of it.
        killed = time.monotonic()
        second = workers(**env)
        done = ImportJob.objects.filter(pk=job.pk, state__in=[ImportState.DONE, ImportState.FAILED])
        wait_for(done.exists, SWEEP_EVERY + 180, "the import to be run again", every=0.2)
        again = time.monotonic() - killed
        job.refresh_from_db()
        took = (job.finished - job.started).total_seconds()
        rows += [
            ("seconds from the kill to the import done by the other worker", again, "s"),
            ("seconds of a full import of 200,000 measurements (the re-run)", took, "s"),
            ("measurements of the killed import in the database", 0, "rows"),
        ]  # fmt: skip

        assert (job.state, job.result) == (ImportState.DONE, {"added": ROWS, "updated": 0})
        assert job.rows_read == ROWS
        assert loaded.count() == ROWS
        assert not ImportChunk.objects.filter(job=job).exists()
        assert "lost its worker" in second.output()
        # One audit event per KPI whose measurements were written; the others' as they were.
        assert AuditEvent.objects.filter(organization=org).count() == audits + KPIS
        assert list(others.values_list("kpi__name", "date", "value", "source")) == figures_before
        rows.append(("measurements after the re-run", loaded.count(), "rows"))


def test_an_import_whose_worker_is_lost_for_good_ends_failed(acme, workers, settings, tmp_path):  # noqa: F811
    org, editor = acme
    settings.DATA_DIR = tmp_path
    names = [f"Load {n}" for n in range(KPIS)]
    Kpi.objects.bulk_create(Kpi(organization=org, name=name) for name in names)
    loaded = Measurement.objects.filter(kpi__organization=org)
    data = measurements_csv(names)[:2_000_000]  # about 60,000 rows of the file
    data = data[: data.rindex(b"\n") + 1]
    job = imports.start(
        org, SimpleUploadedFile("measurements.csv", data), kind="measurements",
        label="Measurements", task=import_measurements, actor=editor,
    )  # fmt: skip
    env = {"CAIRN_DATA_DIR": str(tmp_path)}
    with figures("measurement import whose worker is lost for good") as rows:
        first = workers(**env)
        wait_for(
            lambda: imports.rows_read(ImportJob.objects.get(pk=job.pk)) >= 10_000,
            120, "the import to write", every=0.2,
        )  # fmt: skip
        first.kill()
        killed = time.monotonic()
        # The job may lose one worker: the next worker gives it up.
        last = workers("--max-attempts", "1", "--batch", **env)
        assert last.popen.wait(60) == 0, last.output()
        rows.append(
            ("seconds from the kill to the import marked failed", time.monotonic() - killed, "s")
        )

        assert job_of("cairn.kpis.tasks.import_measurements").status == TaskResultStatus.FAILED
        job.refresh_from_db()
        assert job.state == ImportState.FAILED, job.state
        assert job.finished is not None
        assert job.result == {
            "error": "The import stopped before it finished (the worker running it was lost). "
            "Import the file again."
        }
        assert not ImportChunk.objects.filter(job=job).exists()  # nothing left to run
        assert not loaded.exists()
        client = Client()
        client.force_login(editor)
        page = client.get(f"/o/acme/imports/{job.pk}/").content.decode()
        assert "Nothing was imported:</strong> The import stopped before it finished" in page
        assert "hx-trigger" not in page  # the page no longer waits for it


LOST = (
    "The import stopped before it finished (the worker running it was lost). Import the file again."
)


def test_every_kind_of_import_whose_worker_is_lost_ends_failed(acme):
    """The same for the other imports (teams and the like, spend), with the claim a killed
    worker leaves (test_failed_jobs.py) and ``cairn worker`` in this process."""
    org, editor = acme
    jobs = [
        imports.start(
            org, SimpleUploadedFile(name, text.encode()), kind=kind, label=kind.title(),
            task=task, actor=editor,
        )
        for name, text, kind, task in (
            ("teams.csv", "name\nSales\n", "teams", import_rows),
            ("spend.csv", "initiative,month,amount\nX,2026-01,1\n", "actuals", import_actuals),
        )
    ]  # fmt: skip
    for task in (import_rows, import_actuals):
        lost_claim(task)
    call_command("worker", "--batch", "--no-startup-delay", "--max-attempts", "1", verbosity=0)
    for job in jobs:
        job.refresh_from_db()
        assert (job.state, job.result["error"]) == (ImportState.FAILED, LOST)
        assert not ImportChunk.objects.filter(job=job).exists()


def test_a_data_page_import_whose_worker_is_lost_ends_failed_at_either_step(acme):
    """A file of the data page is checked (a preview), then imported once confirmed: a
    worker lost at either step fails the job, deletes the file and writes nothing."""
    org, editor = acme
    start = functools.partial(
        imports.start, org, kind="teams", label="Teams", task=import_rows, actor=editor,
        preview=True,
    )  # fmt: skip
    checked = start(SimpleUploadedFile("teams.csv", b"name\nSales\nFinance\n"))
    lost_claim(import_rows)
    call_command("worker", "--batch", "--no-startup-delay", "--max-attempts", "1", verbosity=0)
    checked.refresh_from_db()
    assert (checked.state, checked.result["error"]) == (ImportState.FAILED, LOST)
    assert not ImportChunk.objects.filter(job=checked).exists()
    # Checked by a worker, then confirmed; the worker importing it is lost.
    job = start(SimpleUploadedFile("teams.csv", b"name\nSales\nFinance\n"))
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert (job.state, job.result["added"]) == (ImportState.PREVIEW, 2)
    assert imports.confirm(job, import_rows)
    lost_claim(import_rows)
    call_command("worker", "--batch", "--no-startup-delay", "--max-attempts", "1", verbosity=0)
    job.refresh_from_db()
    assert (job.state, job.result["error"]) == (ImportState.FAILED, LOST)
    assert not ImportChunk.objects.filter(job=job).exists()
    assert not imports.confirm(job, import_rows)  # nothing left to confirm
    assert not Team.objects.filter(organization=org).exists()
    assert not AuditEvent.objects.filter(organization=org, object_type="assessment.team").exists()
