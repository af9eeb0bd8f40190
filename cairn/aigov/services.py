"""The AI register: use cases by tier and goal, and the gaps to close."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from cairn.aigov.models import AiPolicy, AiUseCase, Automation, UseCaseStatus
from cairn.aigov.rules import TIER_ORDER
from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal

GAP_RULES = (
    "A high-risk use case needs an owner, a person in the loop (not fully automatic) and an "
    "approved policy; a prohibited one must stop; every use case should serve a business goal."
)


@dataclass
class Register:
    by_tier: dict[str, list[AiUseCase]] = field(default_factory=dict)
    gaps: list[tuple[AiUseCase, str]] = field(default_factory=list)
    count: int = 0


def gaps_of(case: AiUseCase) -> list[str]:
    """What a use case lacks (see GAP_RULES); needs its goals and policies prefetched."""
    found = []
    tier = case.tier.key
    if case.status == UseCaseStatus.RETIRED:
        return found
    if tier == "prohibited":
        found.append("is a prohibited practice: stop it or change what it does")
    if tier == "high":
        if not case.owner:
            found.append("is high risk with no owner")
        if case.automation == Automation.AUTOMATIC:
            found.append("is high risk with no person in the loop")
        if not any(p.approved_by_id for p in case.policies.all()):
            found.append("is high risk with no approved policy")
    if not case.goals.all():
        found.append("serves no business goal")
    return found


def register(org: Organization) -> Register:
    """Use cases grouped by tier (worst first) with their gaps, in three queries."""
    cases = list(
        AiUseCase.objects.filter(organization=org)
        .select_related("initiative")
        .prefetch_related(
            Prefetch("goals", queryset=BusinessGoal.objects.only("id", "title")),
            Prefetch("policies", queryset=AiPolicy.objects.only("id", "title", "approved_by")),
        )
    )
    out = Register(by_tier={t: [] for t in TIER_ORDER}, count=len(cases))
    for case in cases:
        out.by_tier[case.tier.key].append(case)
        case.gaps = gaps_of(case)
        out.gaps.extend((case, g) for g in case.gaps)
    return out
