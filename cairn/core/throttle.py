"""Expensive jobs (optimiser runs, scheduler runs, documents) one at a time per organisation.

Each app says which of its jobs are waiting or running, from the state its own rows keep
(a scenario queued or running, the roadmap being scheduled, a PDF being made). ``admit``
counts them under a lock on the organisation's row and refuses beyond ``LIMIT`` with
``Throttled``, which says what is running and when to try again; the API answers it with
429 and ``Retry-After``, the pages with a message.

The bound is one job waiting or running per kind and organisation: each job keeps a worker
busy for up to its time limit on data the next one would read again, and the database
worker picks any waiting job, so a second one queued could run beside the first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from cairn.core.models import Organization
from cairn.core.services import ServiceError

LIMIT = 1  # jobs waiting or running per kind and organisation
# A job this long past its expected end was left behind by a crashed worker or request: it
# no longer counts (else the organisation would be refused for good).
FORGOTTEN_AFTER = timedelta(minutes=10)
MIN_RETRY_S = 2  # never ask a client to come back sooner than this


@dataclass(frozen=True)
class Job:
    """A job of one kind in one organisation, waiting for a worker or running."""

    key: str  # what it works on, e.g. "scenario 12": a second request for it joins this job
    what: str  # in words, as a sentence: "The optimiser is running on “Lean”."
    waiting: bool  # queued, not started yet
    since: datetime  # when it was queued, or when it started running
    takes_s: float  # how long it takes once running (its time limit, or an estimate)

    def retry_after(self, now: datetime) -> int:
        """Seconds until it should be over: all of it if waiting, what is left if running."""
        left = self.takes_s if self.waiting else self.takes_s - (now - self.since).total_seconds()
        return max(MIN_RETRY_S, math.ceil(left))

    def forgotten(self, now: datetime) -> bool:
        """True when it should have ended long ago (its worker or request died)."""
        return now - self.since > timedelta(seconds=self.takes_s) + FORGOTTEN_AFTER


@dataclass(frozen=True)
class Kind:
    """A kind of job, in words: its name and what a job of it is doing ("{}": its object)."""

    noun: str  # "optimiser run": "One optimiser run at a time per organisation"
    waiting: str  # "“{}” is waiting for the optimiser."
    running: str  # "The optimiser is running on “{}”."

    def job(self, key: str, name: str, *, waiting: bool, since: datetime, takes_s: float) -> Job:
        """A job of this kind on the object ``key`` called ``name``."""
        what = (self.waiting if waiting else self.running).format(name)
        return Job(key=key, what=what, waiting=waiting, since=since, takes_s=takes_s)


class Throttled(ServiceError):
    """A job refused because the organisation has one of the same kind waiting or running."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

    def response(self) -> JsonResponse:
        """The API's answer: 429, the message as ``detail`` and ``Retry-After`` in seconds."""
        return JsonResponse(
            {"detail": str(self)}, status=429, headers={"Retry-After": str(self.retry_after)}
        )


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds until the job waiting or running should be over: ask again then.",
        "schema": {"type": "integer", "minimum": MIN_RETRY_S},
    }
}
# For an operation's ``openapi_extra``: the 429 answer says ``Retry-After``.
OPENAPI_429 = {"responses": {429: {"headers": RETRY_AFTER_HEADER}}}


def seconds(n: int) -> str:
    """ "1 second", "8 seconds"."""
    return f"{n} second{'s' if n != 1 else ''}"


def refusal(job: Job, noun: str, now: datetime | None = None) -> Throttled:
    """The refusal for a new job while ``job`` waits or runs, in plain words."""
    wait = job.retry_after(now or timezone.now())
    return Throttled(
        f"{job.what} One {noun} at a time per organisation: try again in {seconds(wait)}.",
        wait,
    )


def active(jobs: list[Job], now: datetime | None = None) -> list[Job]:
    """The jobs that still count (not forgotten)."""
    now = now or timezone.now()
    return [j for j in jobs if not j.forgotten(now)]


def check(jobs: list[Job], kind: Kind, key: str | None = None) -> Job | None:
    """Refuse (``Throttled``) when the bound is reached; return the waiting job on ``key``
    when there is one (the caller answers with it and starts nothing), else None.

    Without a lock this only saves work before the real claim (``admit``)."""
    now = timezone.now()
    counted = active(jobs, now)
    same = next((j for j in counted if key is not None and j.key == key and j.waiting), None)
    if same is not None:
        return same
    if len(counted) >= LIMIT:
        raise refusal(counted[0], kind.noun, now)
    return None


def admit(
    org: Organization, jobs: Callable[[], list[Job]], kind: Kind, key: str | None = None
) -> Job | None:
    """``check`` under a lock on the organisation's row, inside the caller's transaction.

    The caller writes its job's state (queued or running) in the same transaction, so two
    app servers asking at once are counted one after the other: PostgreSQL holds the row
    lock until commit; SQLite's IMMEDIATE transactions take the write lock at BEGIN.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("throttle.admit() runs inside transaction.atomic()")
    list(Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk"))
    return check(jobs(), kind, key)
