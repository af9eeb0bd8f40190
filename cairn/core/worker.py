"""The background worker: django_tasks_db's worker, made to outlive database trouble and to
pick up the jobs of a worker that died.

Two things the library's worker does not do:

- A database error while claiming a job or recording its result (SQLite locked for longer
  than the busy timeout, a lost connection, PostgreSQL restarted) stopped it for good. Here it
  logs one line, drops the connection, waits (0.5 s, doubling up to ``MAX_BACKOFF``) and goes
  on.
- A job claimed by a worker that was killed stayed RUNNING for ever. Here every worker looks,
  at start and every ``SWEEP_EVERY`` seconds, for RUNNING jobs whose worker is gone and puts
  them back in the queue, or marks them failed once they have lost ``max_attempts`` workers.

"Gone" needs no table of its own: a worker's id names its machine and process
(``host:pid:random``), and ``DBTaskResult.worker_ids`` lists one id per claim. A worker on
the same machine (always so with SQLite) is gone when its process is; one on another
machine, or with an id of another form, is taken for gone once its job has run for longer
than the lease.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import time
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import SuspiciousOperation
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker as LibraryWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger("cairn.worker")

# What a database that is locked, restarting or out of reach raises (InterfaceError is not a
# DatabaseError: psycopg's "connection already closed").
UNAVAILABLE = (OperationalError, InterfaceError)
# Around the claim, any database error is waited out: it is the database's, not a job's.
DB_ERRORS = (DatabaseError, InterfaceError)
MAX_BACKOFF = 5.0  # seconds between two tries at most, while the database is unavailable
SWEEP_EVERY = 5.0  # seconds between two looks for the jobs of lost workers
HOST = socket.gethostname()[:40]  # worker ids are at most 64 characters


class WorkerLost(Exception):
    """The worker running a job stopped (killed, crashed or cut off) before the job ended."""


def new_worker_id() -> str:
    """A worker id that says where the worker runs: ``host:pid:random``."""
    return f"{HOST}:{os.getpid()}:{get_random_string(8)}"


def _process_gone(pid: int) -> bool:
    """Whether no live process of this machine has this number (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS): the signal said alive
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def worker_gone(worker_id: str, me: str) -> bool | None:
    """Whether the worker with this id has stopped; None when this machine cannot tell."""
    host, _, rest = worker_id.partition(":")
    pid, _, _ = rest.partition(":")
    if worker_id == me:
        # A worker runs one job at a time and looks between jobs: a job still RUNNING under
        # its own id is one whose claim it could not confirm (the commit failed).
        return True
    if host != HOST or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return True  # that process is over: this one has its number now
    return _process_gone(int(pid))


def recover_lost_tasks(
    backend_name: str, *, me: str, lease: float, max_attempts: int
) -> tuple[int, int]:
    """Put the jobs of stopped workers back in the queue, or fail those that have lost
    ``max_attempts`` workers. Returns (requeued, failed)."""
    now = timezone.now()
    requeued = failed = 0
    running = DBTaskResult.objects.running().filter(backend_name=backend_name)
    for row in running.only("id", "worker_ids", "started_at", "task_path"):
        owner = row.worker_ids[-1] if row.worker_ids else ""
        gone = worker_gone(owner, me)
        if gone is None:
            gone = row.started_at is None or now - row.started_at > timedelta(seconds=lease)
        if not gone:
            continue
        # started_at changes at every claim: another worker's sweep, or a new claim, wins.
        same = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        attempts = len(row.worker_ids)
        if attempts < max_attempts:
            if same.update(status=TaskResultStatus.READY, started_at=None):
                requeued += 1
                logger.warning(
                    "Job %s (%s) lost its worker %s: queued again (attempt %d of %d next)",
                    row.pk, row.task_path, owner, attempts + 1, max_attempts,
                )  # fmt: skip
            continue
        why = (
            f"The worker running this job stopped before it ended, {attempts} times "
            f"(killed, crashed or cut off; last worker {owner}), so it is not tried again."
        )
        changed = same.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"{WorkerLost.__qualname__}: {why}\n",
        )
        if changed:
            failed += 1
            logger.error("Job %s (%s) failed: %s", row.pk, row.task_path, why)
            _announce_finished(DBTaskResult.objects.get(pk=row.pk))
    return requeued, failed


def _announce_finished(row: DBTaskResult) -> None:
    """Send django_tasks' task_finished signal for a job this module ended."""
    # The job's function no longer exists, or is not a task: nothing listens for it.
    with contextlib.suppress(ImportError, SuspiciousOperation):
        task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [""])[0][:200]


class Worker(LibraryWorker):
    """django_tasks_db's worker with a loop that survives database errors and a sweep that
    recovers the jobs of lost workers."""

    def __init__(
        self, *, lease: float, max_attempts: int, periodic: list | tuple = (), **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.lease = lease
        self.max_attempts = max_attempts
        self._next_sweep = 0.0
        self._backoff = 0.0
        # (dotted path, seconds): work the worker does on its own every so often (the
        # reminders); each call gets the worker's id. Not in batch mode.
        self.periodic = [[import_string(path), every, 0.0] for path, every in periodic]

    def run(self) -> None:
        logger.info(
            "Starting worker %s on queues %s (lease %.0f s, at most %d attempts per job)",
            self.worker_id, ",".join(self.queue_names), self.lease, self.max_attempts,
        )  # fmt: skip
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads workers started together
        while self.running:
            try:
                ran = self.step()
            except DB_ERRORS as e:
                self._wait_for_database("claiming a job", e)
                continue
            if ran is None:
                logger.info("No more jobs for worker %s: exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Worker %s ran %d jobs: exiting.", self.worker_id, self._run_tasks)
                return
            if self.running and not ran:
                time.sleep(self.interval)

    def step(self) -> bool | None:
        """Recover lost jobs when due, then claim and run one job. True when a job ran, False
        when none was waiting, None when none was waiting in batch mode."""
        close_old_connections()  # dropped or expired connections, as a web request would
        if time.monotonic() >= self._next_sweep:
            recover_lost_tasks(
                self.backend_name,
                me=self.worker_id,
                lease=self.lease,
                max_attempts=self.max_attempts,
            )
            self._next_sweep = time.monotonic() + SWEEP_EVERY
        self.run_periodic()
        job = self.claim()
        self._backoff = 0.0  # the database answers again
        if job is None:
            return None if self.batch else False
        self.run_task(job)
        return True

    def run_periodic(self) -> None:
        """Run each periodic piece of work that is due. A failure is logged and tried again
        at its next time; a database error is left to the loop's wait."""
        for entry in self.periodic:
            work, every, next_at = entry
            if time.monotonic() < next_at:
                continue
            entry[2] = time.monotonic() + every
            try:
                work(self.worker_id)
            except DB_ERRORS:
                raise
            except Exception:
                logger.exception("Periodic work %s failed", work.__qualname__)

    def claim(self) -> DBTaskResult | None:
        """Take the next ready job and mark it RUNNING under this worker's id."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        # The library's own claim: SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, an
        # exclusive transaction on SQLite.
        with exclusive_transaction(tasks.db):
            job = tasks.get_locked()
            if job is not None:
                job.claim(self.worker_id)
        return job

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run a claimed job and record how it ended, waiting out database errors."""
        self.running_task = True
        try:
            try:
                task = db_task_result.task
                task_result = db_task_result.task_result
                task_started.send(sender=type(task.get_backend()), task_result=task_result)
                args, kwargs = task_result.args, task_result.kwargs
                if task.takes_context:
                    args = [TaskContext(task_result=task_result), *args]
                value = task.call(*args, **kwargs)
            except BaseException as e:  # the job failed: recorded, and the worker goes on
                self._record(db_task_result, error=e)
            else:
                self._record(db_task_result, value=value)
            if db_task_result.status != TaskResultStatus.RUNNING:
                _announce_finished(db_task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _record(self, job: DBTaskResult, *, value=None, error: BaseException | None = None):
        """Store a job's result or failure; while the database is unavailable, wait and try
        again (a worker asked to stop leaves the job to the next worker's sweep)."""
        while True:
            close_old_connections()  # the job's own database error may have broken it
            try:
                if error is None:
                    job.set_successful(value)
                else:
                    job.set_failed(error)
            except UNAVAILABLE as e:
                if not self.running:
                    logger.warning("Worker stopping: job %s left for the next worker.", job.pk)
                    return
                self._wait_for_database("recording a job's result", e)
            except Exception as e:
                if error is not None:
                    raise
                error = e  # a result the database cannot store (not JSON, say): a failure
            else:
                self._backoff = 0.0
                return

    def _wait_for_database(self, doing: str, error: BaseException) -> None:
        """Log the error in one line, drop every connection and wait a little longer each
        time."""
        self._backoff = min(max(self._backoff * 2, 0.5), MAX_BACKOFF)
        logger.warning(
            "Database error while %s (%s: %s); trying again in %.1f s",
            doing, type(error).__name__, _first_line(error), self._backoff,
        )  # fmt: skip
        for conn in connections.all(initialized_only=True):
            with contextlib.suppress(*DB_ERRORS):  # already broken: Django forgets it anyway
                conn.close()
        time.sleep(self._backoff)
