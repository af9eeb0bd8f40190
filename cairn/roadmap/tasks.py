"""Background work of the roadmap, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.roadmap import services


@task()
def schedule_roadmap(org_id: int, actor_id: int | None, via: str) -> None:
    """Schedule an organisation's roadmap with the plan's full time limit."""
    services.run_in_background(org_id, actor_id, via)


@task()
def simulate_roadmap(simulation_id: int) -> None:
    """Simulate the roadmap 10,000 times: how likely its dates are."""
    from cairn.roadmap import risk

    risk.work_out(simulation_id)
