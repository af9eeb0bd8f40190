"""Weighted scoring: each initiative's value, from the organisation's criteria."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch

from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal, Priority
from cairn.portfolio.models import IMPACT_POINTS, Criterion, CriterionScore, Initiative, Source

PRIORITY_POINTS = {Priority.HIGH: 5, Priority.MEDIUM: 3, Priority.LOW: 1}
SCORING_RULE = (
    "Each criterion gives 0 to 5 points, weighted; the score is the weighted average on a "
    "scale of 0 to 100. Impact gives 5, 3 or 1 for high, medium or low; alignment gives the "
    "points of the highest-priority goal the initiative serves (5 high, 3 medium, 1 low, 0 if "
    "it serves none); urgency and risk reduced are the initiative's own 1–5 ratings; other "
    "criteria are scored by hand (0 until scored). With no criteria, the score is the impact."
)
STANDARD = [
    ("Business impact", Source.IMPACT, 4, "How much it moves a core business goal."),
    ("Alignment with goals", Source.ALIGNMENT, 3, "The priority of the goals it serves."),
    ("Urgency", Source.URGENCY, 2, "What it costs to wait."),
    ("Risk reduced", Source.RISK, 1, "Business risk it removes."),
]


@dataclass
class Scored:
    score: Decimal  # 0–100, one decimal
    parts: list[tuple[Criterion, int]]


def with_scoring_data(queryset):
    """Prefetch what scoring reads: goal priorities and hand-given scores (two queries)."""
    return queryset.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id", "priority", "title")),
        Prefetch(
            "scores", queryset=CriterionScore.objects.only("criterion_id", "initiative_id", "value")
        ),
    )


def points(initiative: Initiative, criterion: Criterion) -> int:
    """0–5 points of one initiative on one criterion."""
    if criterion.source == Source.IMPACT:
        return IMPACT_POINTS[initiative.impact]
    if criterion.source == Source.ALIGNMENT:
        return max((PRIORITY_POINTS[g.priority] for g in initiative.goals.all()), default=0)
    if criterion.source == Source.URGENCY:
        return initiative.urgency
    if criterion.source == Source.RISK:
        return initiative.risk
    return next((s.value for s in initiative.scores.all() if s.criterion_id == criterion.pk), 0)


def score(initiative: Initiative, criteria: list[Criterion]) -> Scored:
    """The weighted score of an initiative (its impact alone when there are no criteria)."""
    if not criteria:
        value = Decimal(IMPACT_POINTS[initiative.impact] * 20)
        return Scored(value, [])
    parts = [(c, points(initiative, c)) for c in criteria]
    total_weight = sum(c.weight for c, _ in parts)
    value = sum(c.weight * p for c, p in parts) / total_weight * 20
    return Scored(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), parts)


def scores(org: Organization, initiatives, criteria=None) -> dict[int, Scored]:
    """Scores of many initiatives (prefetched with ``with_scoring_data``) in one more query
    (none when the caller has the criteria already)."""
    if criteria is None:
        criteria = list(Criterion.objects.filter(organization=org))
    return {i.pk: score(i, criteria) for i in initiatives}
