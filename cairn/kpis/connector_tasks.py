"""Background work of KPI connectors, run by the worker (`cairn worker`): the scheduled and
"Run now" runs. A run never happens inside a web request."""

from django_tasks import task

from cairn.kpis import connector_services


@task()
def run_connector(connector_id: int, trigger: str = "schedule") -> None:
    """Fetch one connector's source and record its new values (or log why not)."""
    connector_services.run_by_id(connector_id, trigger)


def tick(worker: str = "") -> None:
    """What the worker runs every minute: claim the connectors that are due and queue a run
    of each."""
    connector_services.enqueue(connector_services.claim_due())
