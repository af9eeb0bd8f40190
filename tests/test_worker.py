"""``cairn worker`` as a real process on the test's database (SQLite file or PostgreSQL): it
runs jobs, outlives a database that is unavailable for a while, and finishes the job of a
worker that was killed; a job that keeps killing its worker ends failed, not retried for ever.
"""

import signal
import sqlite3
import time
from contextlib import contextmanager

import pytest
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cairn.core.worker import HOST, SWEEP_EVERY
from tests.processes import cairn, process_env, shared_database, wait_for
from tests.worker_tasks import add, hang_once, kill_own_worker, nap

pytestmark = pytest.mark.django_db(transaction=True)

FINISHED = {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED}


@pytest.fixture
def database(tmp_path, settings):
    """Jobs go to the database (the tests' default runs them at once), shared with workers."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with shared_database(tmp_path) as env:
        yield env


@pytest.fixture
def workers(tmp_path, database):
    """``workers(*args, **env)`` starts a ``cairn worker``; all are stopped at the end."""
    started = []

    def start(*args, **env):
        log = tmp_path / f"worker-{len(started)}.log"
        options = ["--no-reload", "--no-startup-delay", "--skip-checks", "--interval", "0.1", *args]
        started.append(cairn("worker", *options, env=process_env(database, **env), log=log))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def finished(job_id) -> DBTaskResult | None:
    row = DBTaskResult.objects.get(pk=job_id)
    return row if row.status in FINISHED else None


@contextmanager
def database_unavailable(database: dict, seconds: float):
    """SQLite: hold the write lock. PostgreSQL: refuse new connections and end the open ones
    (as a restart does)."""
    if "SQLITE_PATH" in database:
        lock = sqlite3.connect(database["SQLITE_PATH"], timeout=10, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            time.sleep(seconds)
            yield
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        return
    import psycopg

    # From another database: PostgreSQL refuses to lock out the one a session is on.
    name = connection.settings_dict["NAME"]
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as admin:
        quoted = connection.ops.quote_name(name)
        admin.execute(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, connection.connection.info.backend_pid],
            )
            time.sleep(seconds)
            yield
        finally:
            admin.execute(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS true")


def test_the_worker_runs_jobs_and_outlives_an_unavailable_database(database, workers):
    # A one-second busy timeout, so that holding the SQLite lock for seconds fails its writes.
    worker = workers(SQLITE_TIMEOUT="1")
    job = add.enqueue(2, 3)
    first = wait_for(lambda: finished(job.id), 30, "the first job")
    assert (first.status, first.return_value) == (TaskResultStatus.SUCCESSFUL, 5)
    assert first.worker_ids[0].startswith(f"{HOST}:{worker.pid}:")

    # While it waits for jobs: its claims fail.
    with database_unavailable(database, seconds=3):
        assert worker.alive(), worker.output()
    wait_for(lambda: "Database error while claiming a job" in worker.output(), 10, "the log")

    # While it runs one: the result cannot be stored until the database is back.
    job = nap.enqueue(0.3)
    wait_for(lambda: DBTaskResult.objects.get(pk=job.id).worker_ids, 20, "the job's claim")
    with database_unavailable(database, seconds=4.5):
        assert worker.alive(), worker.output()
    rested = wait_for(lambda: finished(job.id), 20, "the job's result")
    assert (rested.status, rested.return_value) == (TaskResultStatus.SUCCESSFUL, "rested")
    assert "Database error while recording a job's result" in worker.output()

    job = add.enqueue(4, 5)
    last = wait_for(lambda: finished(job.id), 20, "the job after the outages")
    assert (last.status, last.return_value) == (TaskResultStatus.SUCCESSFUL, 9)
    assert worker.alive()
    assert "Traceback" not in worker.output()


def test_the_job_of_a_killed_worker_is_finished_by_another(database, workers, tmp_path):
    marker = tmp_path / "started"
    first = workers()
    job = hang_once.enqueue(str(marker))
    wait_for(marker.exists, 30, "the first worker to start the job")
    claimed = DBTaskResult.objects.get(pk=job.id)
    assert claimed.status == TaskResultStatus.RUNNING
    assert [w.split(":")[1] for w in claimed.worker_ids] == [str(first.pid)]

    second = workers()
    wait_for(lambda: "Starting worker" in second.output(), 30, "the second worker")
    first.kill()
    killed = time.monotonic()
    done = wait_for(lambda: finished(job.id), SWEEP_EVERY + 10, "the job's recovery")
    recovered_in = time.monotonic() - killed

    assert done.status == TaskResultStatus.SUCCESSFUL, done.traceback
    assert done.return_value == f"finished by {second.pid}"
    assert [w.split(":")[1] for w in done.worker_ids] == [str(first.pid), str(second.pid)]
    assert "lost its worker" in second.output()
    # Found at the second worker's next look for lost jobs, then run at once.
    assert recovered_in < SWEEP_EVERY + 2, recovered_in
    print(f"job of the killed worker finished {recovered_in:.1f} s after the kill")


def test_a_job_that_keeps_killing_its_worker_fails_after_the_attempts(database, workers):
    job = kill_own_worker.enqueue()
    for attempt in (1, 2):
        worker = workers("--max-attempts", "2")
        assert worker.popen.wait(30) == -signal.SIGKILL, worker.output()
        assert len(DBTaskResult.objects.get(pk=job.id).worker_ids) == attempt

    last = workers("--max-attempts", "2", "--batch")
    assert last.popen.wait(30) == 0, last.output()
    row = DBTaskResult.objects.get(pk=job.id)
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "cairn.core.worker.WorkerLost"
    assert "stopped before it ended, 2 times" in row.traceback
    assert "not tried again" in row.traceback
    assert row.finished_at is not None
    assert "not tried again" in last.output()
