"""What a background job that ended FAILED leaves behind.

A job ends FAILED when its function raises, or when the worker gives it up after losing
``--max-attempts`` workers (cairn/core/worker.py, ``WorkerLost``). Either way django_tasks
sends ``task_finished``. Each app connects its jobs here (``when_failed``, from its
AppConfig.ready) and marks the row the job worked on failed, so that its page says so, the
person can run it again and the organisation's turn (core/throttle.py) is free at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

# The signal and types the worker uses (cairn/core/worker.py): django_tasks' on Django 5.
from django_tasks_db.compat import BaseTaskResult as TaskResult
from django_tasks_db.compat import TaskResultStatus, task_finished

logger = logging.getLogger("cairn.worker")

WORKER_LOST = "cairn.core.worker.WorkerLost"


def why(task_result: TaskResult) -> str:
    """Why the job stopped, in words that fit "… stopped before it finished (…)"."""
    error = task_result.errors[-1] if task_result.errors else None
    if error is not None and error.exception_class_path == WORKER_LOST:
        return "the worker running it was lost"
    return "it stopped with an error"


def reason(error: BaseException) -> str:
    """An exception's first line, for the same sentence (at most 200 characters)."""
    return (str(error).strip().splitlines() or ["it stopped with an error"])[0][:200]


def superseded(task_result: TaskResult) -> bool:
    """True when a later job of the same task works on the same row (its first argument):
    that one's state is the row's now, whatever became of this one."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=task_result.task.module_path,
        args_kwargs__args__0=task_result.args[0],
        enqueued_at__gt=task_result.enqueued_at,
    ).exists()


def when_failed(path: str, mark_failed: Callable[[TaskResult, str], None]) -> None:
    """Call ``mark_failed(task_result, why)`` whenever a job of the task at ``path`` (its
    function, "cairn.portfolio.tasks.solve_scenario") ends FAILED and no later job of it
    took over the same row.

    By path, so that AppConfig.ready imports no task module: a task bound at that moment
    would keep the backend of the settings then, not of the tests' settings."""

    def finished(sender, task_result: TaskResult, **kwargs) -> None:
        if task_result.status != TaskResultStatus.FAILED or task_result.task.module_path != path:
            return
        try:
            if not superseded(task_result):
                mark_failed(task_result, why(task_result))
        except Exception:  # the worker sends this: it must go on with the next job
            logger.exception("Job %s (%s): could not mark its row failed", task_result.id, path)

    task_finished.connect(finished, weak=False, dispatch_uid=f"failed:{path}")
