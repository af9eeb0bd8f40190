"""Step 2 of the getting-started checklist: the terrain."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from cairn.assessment.models import Application, Capability, SwotItem
from cairn.core.checklist import Step, plural
from cairn.core.models import Organization


def steps(org: Organization) -> list[Step]:
    """The terrain's steps of the checklist (three queries)."""
    swot = SwotItem.objects.filter(organization=org).aggregate(
        total=Count("id"), kinds=Count("kind", distinct=True)
    )
    capabilities = Capability.objects.filter(organization=org).aggregate(
        total=Count("id", distinct=True),
        linked=Count("id", filter=Q(goals__isnull=False), distinct=True),
    )
    apps = Application.objects.filter(organization=org).aggregate(
        total=Count("id", distinct=True),
        mapped=Count("id", filter=Q(capabilities__isnull=False), distinct=True),
    )
    slug = org.slug
    return [
        Step(
            "Write a SWOT through a business lens",
            "Strengths, weaknesses, opportunities and threats, each with its IT question.",
            swot["kinds"] == 4,
            reverse("assessment:swot", args=[slug]),
            "Open the SWOT",
            f"{plural(swot['total'], 'item')} in {swot['kinds']} of 4 quadrants",
        ),
        Step(
            "Map your capabilities to the goals",
            "What the business does, linked to the goals each capability serves.",
            capabilities["linked"] >= 1,
            reverse("assessment:capability_list", args=[slug]),
            "Add capabilities",
            f"{capabilities['linked']} of {capabilities['total']} linked to a goal",
        ),
        Step(
            "List your applications",
            "Cost, health and business fit of the software you run; import a spreadsheet.",
            apps["total"] >= 1 and apps["mapped"] == apps["total"],
            reverse("assessment:application_list", args=[slug]),
            "Add applications",
            f"{apps['total'] - apps['mapped']} not linked to a capability" if apps["total"] else "",
        ),
    ]
