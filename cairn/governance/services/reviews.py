"""Reviews of the strategy with their snapshots, and embedding the teams."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditVia, Organization
from cairn.governance import rules
from cairn.governance.models import (
    Review,
)
from cairn.portfolio.models import Initiative

# --- Reviews and snapshots


def plan_reviews(org: Organization, *, actor, via=AuditVia.WEB, today: date | None = None):
    """Create the coming year's annual review and quarterly check-ins, aligned with the
    organisation's fiscal year; those already planned for a date are kept."""
    today = today or timezone.localdate()
    taken = set(Review.objects.filter(organization=org).values_list("kind", "due"))
    created = []
    for kind, title, due in rules.review_dates(org.fiscal_year_start, today):
        if (kind, due) in taken:
            continue
        review = Review.objects.create(
            organization=org,
            kind=kind,
            title=title,
            due=due,
            created_by=actor if actor and actor.pk else None,
        )
        core.record_change(review, None, actor=actor, via=via)
        created.append(review)
    return created


def snapshot(org: Organization) -> dict[str, Any]:
    """The whole strategy as it stands, as plain data: goals, missions, SWOT, initiatives with
    status and score, the latest scenario solved, the roadmap, KPIs with latest values, and
    how each initiative under way is going (health, spend to date, benefits realised)."""
    from cairn.assessment.models import SwotItem
    from cairn.goals.models import BusinessGoal, ITMission
    from cairn.kpis.models import Kpi
    from cairn.portfolio import scoring
    from cairn.portfolio.models import RunState, Scenario
    from cairn.roadmap.models import Plan, RoadmapItem

    initiatives = list(scoring.with_scoring_data(Initiative.objects.filter(organization=org)))
    scores = scoring.scores(org, initiatives)
    plan = Plan.for_org(org)
    scenario = (
        Scenario.objects.filter(organization=org, state=RunState.DONE)
        .order_by("-finished_at")
        .first()
    )
    roadmap = []
    for item in RoadmapItem.objects.filter(organization=org).select_related("initiative"):
        if item.start is None:
            continue
        roadmap.append(
            {
                "id": item.initiative_id,
                "title": item.initiative.title,
                "starts": plan.period_label(item.start, short=True),
                "ends": plan.period_label(item.start + item.duration - 1, short=True),
            }
        )
    return {
        "execution": _execution(org),
        "taken_at": timezone.now().isoformat(timespec="seconds"),
        "organization": org.name,
        "goals": [
            {
                "id": g.pk,
                "title": g.title,
                "target_date": g.target_date.isoformat(),
                "priority": g.priority,
                "owner": g.owner_name,
            }
            for g in BusinessGoal.objects.filter(organization=org)
        ],
        "missions": [
            {"id": m.pk, "statement": m.statement}
            for m in ITMission.objects.filter(organization=org)
        ],
        "swot": [
            {"id": s.pk, "kind": s.kind, "statement": s.statement, "it_question": s.it_question}
            for s in SwotItem.objects.filter(organization=org)
        ],
        "initiatives": [
            {
                "id": i.pk,
                "title": i.title,
                "status": i.status,
                "kind": i.kind,
                "score": round(float(scores[i.pk].score), 2),
                "one_off_cost": float(i.one_off_cost),
            }
            for i in initiatives
        ],
        "scenario": (
            {
                "name": scenario.name,
                "chosen": (scenario.result or {}).get("selected", []),
            }
            if scenario
            else None
        ),
        "roadmap": roadmap,
        "kpis": [
            {
                "id": k.pk,
                "name": k.name,
                "unit": k.unit,
                "latest_value": k.latest_value,
                "latest_date": k.latest_date.isoformat() if k.latest_date else None,
                "target_value": k.target_value,
                "status": k.status_code,
                "status_label": k.status.label,
            }
            for k in Kpi.objects.filter(organization=org)
        ],
    }


def _execution(org: Organization) -> list[dict[str, Any]]:
    """How each approved, in-progress or done initiative is going: its latest report's health
    (or that it is missing), percent complete, spend to date against plan, and the benefits it
    promised and realised."""
    from cairn.execution import services as execution
    from cairn.execution.rules import BenefitState, ReportState

    promised: dict[int, list[int]] = {}
    for b in execution.benefits(org):
        counts = promised.setdefault(b.benefit.initiative_id, [0, 0])
        counts[0] += 1
        counts[1] += b.realised.state == BenefitState.REALISED
    limit = execution.tolerance(org)
    return [
        {
            "id": f.pk,
            "title": f.title,
            "health": "missing" if f.report_state == ReportState.MISSING else f.health,
            "percent_complete": f.percent_complete,
            "reported_on": f.reported_on.isoformat() if f.reported_on else None,
            "spent_to_date": float(f.spend.actual_to_date),
            "planned_to_date": float(f.spend.planned_to_date),
            "overspent": f.spend.overspent(limit),
            "benefits_promised": promised.get(f.pk, [0, 0])[0],
            "benefits_realised": promised.get(f.pk, [0, 0])[1],
        }
        for f in sorted(execution.figures(org), key=lambda f: f.title)
    ]


def complete_review(review: Review, summary: str, *, actor, via=AuditVia.WEB) -> Review:
    """Record that a review is done: who, when, a summary, and the strategy's snapshot."""
    if review.is_done:
        raise core.ServiceError("This review is already complete; its snapshot is kept as it was.")
    if not summary.strip():
        raise core.ServiceError("Write a short summary of what the review concluded.")
    values = {
        "snapshot": snapshot(review.organization),
        "summary": summary.strip()[:5000],
        "completed_on": timezone.localdate(),
        "completed_by": actor if actor and actor.pk else None,
    }
    return core.change_row(review, values, actor=actor, via=via)


# --- Embedding the teams


def visit_to_pain_point(visit, *, actor, via=AuditVia.WEB):
    """Turn what someone learned on a visit into a pain point (once)."""
    from cairn.goals.models import PainPoint

    if visit.pain_point_id:
        raise core.ServiceError("This note is already a pain point.")
    if not visit.learned.strip():
        raise core.ServiceError("Write what was learned first.")
    with transaction.atomic():
        pain = PainPoint.objects.create(
            organization=visit.organization,
            title=visit.headline,
            description=f"{visit.learned}\n\n(Heard by {visit.person} at {visit.meeting}, "
            f"{visit.on:%d %b %Y}.)",
            created_by=actor if actor and actor.pk else None,
        )
        core.record_change(pain, None, actor=actor, via=via)
        _link(visit, "pain_point", pain, actor, via)
    return pain


def visit_to_initiative(visit, *, actor, via=AuditVia.WEB):
    """Turn what someone learned on a visit into an initiative idea (once)."""
    if visit.initiative_id:
        raise core.ServiceError("This note is already an initiative idea.")
    if not visit.learned.strip():
        raise core.ServiceError("Write what was learned first.")
    with transaction.atomic():
        idea = Initiative.objects.create(
            organization=visit.organization,
            title=visit.headline,
            description=f"{visit.learned}\n\n(From {visit.person}'s visit to {visit.meeting}.)",
            created_by=actor if actor and actor.pk else None,
        )
        core.record_change(idea, None, actor=actor, via=via)
        _link(visit, "initiative", idea, actor, via)
    return idea


def _link(visit, field_name, target, actor, via) -> None:
    core.change_row(visit, {field_name: target}, actor=actor, via=via)
