"""The page of what more budget buys (a scenario's efficient frontier)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.models import Role
from cairn.portfolio import frontier
from cairn.portfolio.models import RunState, Scenario


def _context(request, scenario_id: int) -> dict:
    scenario = get_object_for_member(
        request, Scenario.objects.select_related("organization"), scenario_id
    )
    row = frontier.of(scenario)
    return {
        "scenario": scenario,
        "frontier": row,
        "curve": frontier.summary(row),
        "stale": row.state == RunState.DONE and frontier.is_stale(scenario, row),
        "polling": row.state in (RunState.QUEUED, RunState.RUNNING),
    }


@org_view()
@require_GET
def frontier_page(request, scenario_id: int):
    return render(request, "portfolio/frontier.html", _context(request, scenario_id))


@org_view()
@require_GET
def frontier_status(request, scenario_id: int):
    """The curve's panel alone, polled while the worker works it out."""
    return render(request, "portfolio/partials/frontier_body.html", _context(request, scenario_id))


@org_view(Role.EDITOR)
@require_POST
def frontier_run(request, scenario_id: int):
    scenario = get_object_for_member(request, Scenario, scenario_id)
    row = frontier.start(scenario, actor=request.user)
    if row.state == RunState.DONE:
        messages.success(request, "Worked out.")
    elif row.state == RunState.FAILED:
        messages.error(request, row.error or "It stopped before it finished.")
    return redirect(reverse("portfolio:frontier", args=[request.org.slug, scenario.pk]))
