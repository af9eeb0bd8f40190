"""Step 1 of the getting-started checklist, ticked from the organisation's data."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from cairn.core.checklist import Step, plural
from cairn.core.models import Membership, Organization
from cairn.goals.models import BusinessGoal, Interview, PainPoint


def steps(org: Organization) -> list[Step]:
    """The destination's steps of the checklist (four queries)."""
    goals = BusinessGoal.objects.filter(organization=org).aggregate(
        total=Count("id", distinct=True),
        with_mission=Count("id", filter=Q(missions__isnull=False), distinct=True),
    )
    goals["without_mission"] = goals["total"] - goals["with_mission"]
    interviews = Interview.objects.filter(organization=org).count()
    pains = PainPoint.objects.filter(organization=org).aggregate(
        total=Count("id", distinct=True),
        linked=Count("id", filter=Q(goals__isnull=False), distinct=True),
    )
    people = Membership.objects.filter(organization=org).count()
    slug = org.slug
    return [
        Step(
            "Set your business goals",
            "Three to five goals for the next 3–5 years: where the business is going.",
            goals["total"] >= 1,
            reverse("goals:goal_create", args=[slug]),
            "Add a goal",
            plural(goals["total"], "goal"),
        ),
        Step(
            "Write an IT mission for each goal",
            "One sentence per goal on how technology will help reach it.",
            goals["total"] >= 1 and goals["without_mission"] == 0,
            reverse("goals:mission_create", args=[slug]),
            "Write a mission",
            f"{plural(goals['without_mission'], 'goal')} still without one"
            if goals["total"]
            else "",
        ),
        Step(
            "Interview your executives",
            "Ask the CFO, CMO, COO and Head of Sales the three questions.",
            interviews >= 1,
            reverse("goals:interview_create", args=[slug]),
            "Record an interview",
            plural(interviews, "interview"),
        ),
        Step(
            "Link their pain points to the goals",
            "Each problem they named, tied to the goals it puts at risk.",
            pains["total"] >= 1 and pains["linked"] == pains["total"],
            reverse("goals:painpoint_create", args=[slug]),
            "Add a pain point",
            f"{pains['total'] - pains['linked']} not linked to a goal" if pains["total"] else "",
        ),
        Step(
            "Invite your team",
            "Owners, editors and viewers: the steering committee can read along.",
            people >= 2,
            reverse("members", args=[slug]),
            "Invite someone",
            plural(people, "person", "people") + " with access",
        ),
    ]
