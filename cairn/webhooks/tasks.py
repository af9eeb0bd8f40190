"""Background work of webhooks, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.webhooks import services


@task()
def deliver(delivery_id: int) -> None:
    """Send one webhook delivery, if it is due and no other worker has taken it."""
    services.attempt(delivery_id)


def tick(worker: str = "") -> None:
    """What the worker runs every few minutes: deliveries whose time has come and whose own
    job is gone (a backend that cannot defer, a queue emptied by hand) are sent here."""
    services.deliver_due()
