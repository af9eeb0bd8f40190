"""The page of how likely the roadmap's dates are (its Monte-Carlo simulation)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cairn.core.access import org_view
from cairn.core.models import Role
from cairn.roadmap import risk
from cairn.roadmap.models import RunState


def _context(request) -> dict:
    row = risk.of(request.org)
    return {
        "simulation": row,
        "figures": risk.summary(request.org, row),
        "polling": row.state == RunState.RUNNING,
    }


@org_view()
@require_GET
def risk_page(request):
    return render(request, "roadmap/risk.html", _context(request))


@org_view()
@require_GET
def risk_status(request):
    """The figures' panel alone, polled while the worker simulates."""
    return render(request, "roadmap/partials/risk_body.html", _context(request))


@org_view(Role.EDITOR)
@require_POST
def risk_run(request):
    row = risk.start(request.org, actor=request.user)
    if row.state == RunState.FAILED:
        messages.error(request, row.error or "The simulation stopped before it finished.")
    elif row.state == RunState.DONE:
        messages.success(request, f"Simulated {row.result['runs']:,} times.")
    return redirect(reverse("roadmap:risk", args=[request.org.slug]))
