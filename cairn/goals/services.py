"""State changes of the destination that are more than saving one form."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from cairn.core.models import AuditVia
from cairn.core.services import record_change, snapshot
from cairn.goals.models import BusinessGoal, PainPoint

GOAL_YEARS = 3  # a goal made from a pain point aims at the end of the year three years on


@transaction.atomic
def goal_from_pain_point(
    pain: PainPoint, *, actor, via: AuditVia = AuditVia.WEB, today: date | None = None
) -> BusinessGoal:
    """Make a business goal of a pain point in one step, the pain point linked to it."""
    pain = PainPoint.objects.select_for_update().get(pk=pain.pk)
    today = today or timezone.localdate()
    source = f"Drawn from the pain point “{pain.title}”"
    if pain.interview_id:
        who = pain.interview
        source += f", named by {who.stakeholder_name} ({who.stakeholder_role})"
    goal = BusinessGoal.objects.create(
        organization=pain.organization,
        title=pain.title,
        description=f"{source}.\n\n{pain.description}".strip(),
        target_date=date(today.year + GOAL_YEARS, 12, 31),
        # A pain that costs money or customers every day (severity 4–5) is a high priority.
        priority=1 if pain.severity >= 4 else 2,
        created_by=actor,
    )
    record_change(goal, None, actor=actor, via=via)
    before = snapshot(pain)
    pain.goals.add(goal)
    record_change(pain, before, actor=actor, via=via)
    return goal
