"""Step 3 of the getting-started checklist: the path."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from cairn.core.checklist import Step, plural
from cairn.core.models import Organization
from cairn.portfolio.models import Initiative, RunState, Scenario


def steps(org: Organization) -> list[Step]:
    """The path's steps of the checklist (two queries)."""
    initiatives = Initiative.objects.filter(organization=org).aggregate(
        total=Count("id", distinct=True),
        linked=Count("id", filter=Q(goals__isnull=False), distinct=True),
    )
    solved = Scenario.objects.filter(organization=org, state=RunState.DONE).count()
    slug = org.slug
    return [
        Step(
            "List initiatives and rate them",
            "Business impact and feasibility, cost and effort, and the goals each serves.",
            initiatives["total"] >= 1 and initiatives["linked"] == initiatives["total"],
            reverse("portfolio:initiative_create", args=[slug]),
            "Add an initiative",
            f"{initiatives['total'] - initiatives['linked']} serve no goal yet"
            if initiatives["total"]
            else "",
        ),
        Step(
            "Choose the portfolio with a scenario",
            "Set the budget and staff limits; the optimiser picks the most valuable set.",
            solved >= 1,
            reverse("portfolio:scenario_list", args=[slug]),
            "Make a scenario",
            plural(solved, "scenario") + " solved",
        ),
    ]
