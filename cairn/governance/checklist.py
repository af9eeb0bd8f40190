"""The guideposts' step of the getting-started checklist."""

from __future__ import annotations

from django.urls import reverse

from cairn.core.checklist import Step, plural
from cairn.core.models import Organization
from cairn.governance.models import CommitteeMember, Meeting


def steps(org: Organization) -> list[Step]:
    """One step, two queries: a committee with both sides of the house that meets."""
    sides = set(CommitteeMember.objects.filter(organization=org).values_list("side", flat=True))
    meetings = Meeting.objects.filter(organization=org).count()
    return [
        Step(
            "Set up the steering committee",
            "Business and IT leaders who meet on a steady rhythm to approve, decide and unblock.",
            sides >= {"business", "it"} and meetings >= 1,
            reverse("governance:overview", args=[org.slug]),
            "Set it up",
            plural(meetings, "meeting") + " planned" if meetings else "",
        )
    ]
