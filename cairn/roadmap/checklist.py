"""Step 4 of the getting-started checklist: the roadmap."""

from __future__ import annotations

from django.urls import reverse

from cairn.core.checklist import Step, plural
from cairn.core.models import Organization
from cairn.roadmap.models import ON_ROADMAP, Milestone, RoadmapItem


def steps(org: Organization) -> list[Step]:
    """The roadmap's steps of the checklist (two queries)."""
    items = RoadmapItem.objects.filter(organization=org, initiative__status__in=ON_ROADMAP)
    placed = items.filter(start__isnull=False).count()
    milestones = Milestone.objects.filter(organization=org).count()
    slug = org.slug
    return [
        Step(
            "Schedule the approved initiatives",
            "Cairn places them so no team is overloaded and dependencies hold.",
            placed >= 1,
            reverse("roadmap:gantt", args=[slug]),
            "Open the roadmap",
            f"{placed} on the roadmap",
        ),
        Step(
            "Set milestones the committee will track",
            "A dated checkpoint for each initiative; slipped ones are flagged.",
            milestones >= 1,
            reverse("roadmap:milestone_create", args=[slug]),
            "Add a milestone",
            plural(milestones, "milestone"),
        ),
    ]
