"""Background work of the path, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.portfolio import services


@task()
def solve_scenario(scenario_id: int, actor_id: int | None, via: str) -> None:
    """Solve a scenario with its full time limit and store the result."""
    services.run_in_background(scenario_id, actor_id, via)


@task()
def work_out_frontier(frontier_id: int) -> None:
    """Work out what more budget buys for a scenario, point by point."""
    from cairn.portfolio import frontier

    frontier.work_out(frontier_id)
