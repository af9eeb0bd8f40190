"""A background job that ends failed leaves its row failed: an optimiser run (scenario), a
scheduling run (the roadmap's plan) and a PDF (strategy document), whether the job raised or
its worker was killed until ``cairn worker`` gave it up. The page says it stopped, the
organisation's turn is free at once, and the next run succeeds.

The jobs go through the real database queue and ``cairn worker``: in this process for the
jobs that raise, as separate processes (one killed) for the worker that is lost. A job is
queued as the service queues it when its first second gave no proven answer (an easy
problem is solved in the request and never queued).
"""

from __future__ import annotations

import random
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cairn.core import throttle
from cairn.core.models import Membership, Organization, Role
from cairn.core.worker import HOST
from cairn.documents import content
from cairn.documents import services as documents
from cairn.documents.models import StrategyDocument
from cairn.documents.tasks import make_pdf_task
from cairn.portfolio import services as portfolio
from cairn.portfolio.models import Initiative, RunState, Scenario
from cairn.portfolio.tasks import solve_scenario
from cairn.roadmap import services as roadmap
from cairn.roadmap.models import Plan
from cairn.roadmap.tasks import schedule_roadmap
from tests.base import make_goal, make_path, make_roadmap
from tests.processes import cairn, process_env, shared_database, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DB = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database(tmp_path, settings):
    """Jobs go to the database (the tests' default runs them at once), shared with workers."""
    settings.TASKS = DB
    with shared_database(tmp_path) as env:
        yield env


@pytest.fixture
def acme(database):
    """Acme with an editor and a viewer, each with a signed-in client."""
    org = Organization.objects.create(name="Acme", slug="acme")
    people = SimpleNamespace(org=org)
    for name, role in (("editor", Role.EDITOR), ("viewer", Role.VIEWER)):
        user = User.objects.create_user(name)
        Membership.objects.create(user=user, organization=org, role=role)
        client = Client()
        client.force_login(user)
        setattr(people, name, user)
        setattr(people, f"{name}_client", client)
    make_goal(org)
    return people


def work() -> None:
    """``cairn worker --batch`` in this process: runs every waiting job, then stops."""
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)


def only_job(task) -> DBTaskResult:
    return DBTaskResult.objects.get(task_path=task.module_path)


def queue_scenario(scenario: Scenario, actor) -> None:
    """What ``run_scenario`` does after a first second without a proven answer."""
    Scenario.objects.filter(pk=scenario.pk).update(state=RunState.QUEUED)
    solve_scenario.enqueue(scenario.pk, actor.pk, "web")


def page(client: Client, name: str, *args) -> str:
    response = client.get(reverse(name, args=["acme", *args]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_run_that_raises_fails_its_scenario(acme):
    path = make_path(acme.org)
    scenario = path["scenario"]
    queue_scenario(scenario, acme.editor)
    # Before the worker gets to it, the initiatives come to require each other.
    path["base"].depends_on.add(path["initiative"])
    work()

    assert only_job(solve_scenario).status == TaskResultStatus.FAILED
    scenario.refresh_from_db()
    assert scenario.state == RunState.FAILED
    assert "requirements go round in a circle" in scenario.error
    assert portfolio.optimiser_jobs(acme.org) == []  # the turn is free at once
    shown = page(acme.editor_client, "portfolio:scenario_detail", scenario.pk)
    assert "The optimiser stopped before it finished (requirements go round in a circle" in shown
    assert "Run it again." in shown
    assert "Searching for the best portfolio" not in shown
    viewer = page(acme.viewer_client, "portfolio:scenario_detail", scenario.pk)
    assert "An editor can run it again." in viewer

    path["base"].depends_on.clear()
    assert portfolio.run_scenario(scenario, actor=acme.editor) == RunState.DONE
    scenario.refresh_from_db()
    assert (scenario.state, scenario.result["status"]) == (RunState.DONE, "optimal")
    assert "stopped before it finished" not in page(
        acme.editor_client, "portfolio:scenario_detail", scenario.pk
    )


def test_a_run_that_raises_fails_the_plan(acme):
    items = make_roadmap(acme.org)
    plan = Plan.objects.get(organization=acme.org)
    # What run_schedule does after a first second without a proven schedule.
    Plan.objects.filter(pk=plan.pk).update(state=RunState.RUNNING)
    schedule_roadmap.enqueue(acme.org.pk, acme.editor.pk, "web")
    assert roadmap.scheduler_jobs(acme.org)  # counted while it waits
    items["first"].depends_on.add(items["second"])  # each must follow the other
    work()

    assert only_job(schedule_roadmap).status == TaskResultStatus.FAILED
    plan.refresh_from_db()
    assert plan.state == "failed"
    assert plan.result == {"status": "failed", "error": "the 'after' links go round in a circle"}
    assert roadmap.scheduler_jobs(acme.org) == []
    items["first"].depends_on.clear()
    shown = page(acme.editor_client, "roadmap:gantt")
    assert (
        "The scheduler stopped before it finished (the &#x27;after&#x27; links go round in a "
        "circle). Nothing was moved. Schedule again." in shown
    )
    assert "Scheduling in the background" not in shown
    status = acme.viewer_client.get(reverse("roadmap:status", args=["acme"]))
    assert status["HX-Refresh"] == "true"  # a page left polling reloads and shows it

    response = acme.editor_client.post(reverse("roadmap:schedule", args=["acme"]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.state, plan.result["status"]) == ("done", "optimal")


def test_a_pdf_that_raises_fails_its_document(acme):
    doc = documents.make(acme.org, actor=acme.editor, with_pdf=True)
    assert documents.document_jobs(acme.org)  # waiting for the worker
    StrategyDocument.objects.filter(pk=doc.pk).update(data={"title": "damaged"})
    work()

    assert only_job(make_pdf_task).status == TaskResultStatus.FAILED
    doc.refresh_from_db()
    assert (doc.state, doc.progress) == ("failed", 0)
    assert documents.document_jobs(acme.org) == []
    shown = page(acme.viewer_client, "documents:document_list")
    assert "The PDF stopped before it was finished. Open “PDF” to make it again." in shown

    StrategyDocument.objects.filter(pk=doc.pk).update(data=content.gather(acme.org))
    pdf = acme.viewer_client.get(reverse("documents:document_file", args=["acme", doc.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    doc.refresh_from_db()
    assert (doc.state, doc.progress) == ("ready", 100)
    assert "stopped before it was finished" not in page(
        acme.viewer_client, "documents:document_list"
    )


def busy_scenario(org: Organization) -> Scenario:
    """A scenario the worker is busy with for seconds: many initiatives of close value and
    cost in two limits, which the optimiser cannot prove at once, and many to explain."""
    portfolio.add_standard_criteria(org, actor=None)
    rnd = random.Random(7)
    Initiative.objects.bulk_create(
        Initiative(
            organization=org,
            title=f"Initiative {n}",
            impact=rnd.choice(["high", "medium", "low"]),
            urgency=rnd.randint(1, 5),
            risk=rnd.randint(1, 5),
            one_off_cost=Decimal(rnd.randint(10_000, 99_999)),
            running_cost=Decimal(rnd.randint(1_000, 9_999)),
        )
        for n in range(150)
    )
    return Scenario.objects.create(
        organization=org,
        name="Busy",
        one_off_budget=Decimal(3_000_000),
        running_budget=Decimal(300_000),
        time_limit_s=5,
    )


def test_a_run_whose_worker_is_lost_fails_its_scenario(acme, database, tmp_path):
    scenario = busy_scenario(acme.org)
    queue_scenario(scenario, acme.editor)
    env = process_env(database)
    options = ["--no-reload", "--no-startup-delay", "--skip-checks", "--interval", "0.1"]
    first = cairn("worker", *options, env=env, log=tmp_path / "first.log")
    try:
        running = Scenario.objects.filter(pk=scenario.pk, state=RunState.RUNNING)
        wait_for(running.exists, 30, "the worker to start the run")
        first.kill()  # as the out-of-memory killer would, in the middle of the run
    finally:
        first.stop()
    assert only_job(solve_scenario).status == TaskResultStatus.RUNNING
    with pytest.raises(throttle.Throttled):  # the lost run still holds the turn
        portfolio.run_scenario(scenario, actor=acme.editor)

    # The next worker finds the job of the dead one and, out of attempts, fails it.
    last = cairn(
        "worker", *options, "--batch", "--max-attempts", "1", env=env, log=tmp_path / "last.log"
    )
    assert last.popen.wait(60) == 0, last.output()
    job = only_job(solve_scenario)
    assert (job.status, job.exception_class_path) == ("FAILED", "cairn.core.worker.WorkerLost")
    scenario.refresh_from_db()
    assert (scenario.state, scenario.error) == ("failed", "the worker running it was lost")
    assert portfolio.optimiser_jobs(acme.org) == []
    shown = page(acme.editor_client, "portfolio:scenario_detail", scenario.pk)
    assert (
        "The optimiser stopped before it finished (the worker running it was lost). "
        "Run it again." in shown
    )
    assert 'hx-trigger="every 1s"' not in shown  # the page no longer waits for it

    Scenario.objects.filter(pk=scenario.pk).update(time_limit_s=1)  # answered in the request
    scenario.refresh_from_db()
    assert portfolio.run_scenario(scenario, actor=acme.editor) == RunState.DONE
    scenario.refresh_from_db()
    assert scenario.state == RunState.DONE and scenario.result["selected"]


def lost_claim(task) -> None:
    """Claim the waiting job of ``task`` as a worker of this machine whose process is over
    (what a killed worker leaves), for the next worker's look for lost jobs to find."""
    ended = subprocess.Popen(["true"])  # noqa: S607 - any process that starts and ends
    ended.wait()
    job = DBTaskResult.objects.ready().get(task_path=task.module_path)
    job.claim(f"{HOST}:{ended.pid}:lost")


def test_every_kind_of_job_whose_worker_is_lost_fails_its_row(acme):
    path, items = make_path(acme.org), make_roadmap(acme.org)
    scenario = path["scenario"]
    queue_scenario(scenario, acme.editor)
    Scenario.objects.filter(pk=scenario.pk).update(state=RunState.RUNNING)
    Plan.objects.filter(organization=acme.org).update(state=RunState.RUNNING)
    schedule_roadmap.enqueue(acme.org.pk, acme.editor.pk, "web")
    doc = documents.make(acme.org, actor=acme.editor, with_pdf=True)
    StrategyDocument.objects.filter(pk=doc.pk).update(state="running", progress=20)
    for task in (solve_scenario, schedule_roadmap, make_pdf_task):
        lost_claim(task)

    call_command("worker", "--batch", "--no-startup-delay", "--max-attempts", "1", verbosity=0)

    failed = DBTaskResult.objects.filter(exception_class_path="cairn.core.worker.WorkerLost")
    assert failed.filter(status=TaskResultStatus.FAILED).count() == 3
    scenario.refresh_from_db()
    assert (scenario.state, scenario.error) == ("failed", "the worker running it was lost")
    plan = Plan.objects.get(organization=acme.org)
    assert (plan.state, plan.result["error"]) == ("failed", "the worker running it was lost")
    doc.refresh_from_db()
    assert (doc.state, doc.progress) == ("failed", 0)
    assert portfolio.optimiser_jobs(acme.org) == []
    assert roadmap.scheduler_jobs(acme.org) == []
    assert documents.document_jobs(acme.org) == []
    shown = page(acme.viewer_client, "roadmap:gantt")
    assert "The scheduler stopped before it finished (the worker running it was lost)" in shown

    # Each runs again at once, in the request, and succeeds.
    assert portfolio.run_scenario(scenario, actor=acme.editor) == RunState.DONE
    assert roadmap.run_schedule(acme.org, actor=acme.editor).state == "done"
    assert documents.pdf_now(doc).startswith(b"%PDF")
    assert StrategyDocument.objects.get(pk=doc.pk).state == "ready"
    assert str(items["item"].pk) in Plan.objects.get(organization=acme.org).result["start"]
