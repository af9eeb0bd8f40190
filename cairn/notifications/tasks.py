"""Background work of the notifications, run by the worker (`cairn worker`)."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from cairn.notifications import mail, services

logger = logging.getLogger("cairn.notifications")


@task()
def send_mails() -> dict[str, int]:
    """Send every mail that is due."""
    return mail.send_due()


def tick(worker: str = "") -> None:
    """What the worker runs every minute: the reminders of the slot once (whichever worker
    claims it), then every mail that is due (new ones and retries)."""
    now = timezone.now()
    run = services.remind_in_slot(now, worker)
    if run is not None:
        logger.info("reminders of %s run by %s", run.slot, worker or "this worker")
    mail.send_due(now)
