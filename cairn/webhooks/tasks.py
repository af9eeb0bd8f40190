"""Background work of webhooks, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.webhooks import services


@task()
def deliver(delivery_id: int) -> None:
    """Send one webhook delivery, if it is due and no other worker has taken it."""
    services.attempt(delivery_id)
