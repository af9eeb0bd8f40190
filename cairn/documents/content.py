"""What the strategy document says, gathered once as plain data (JSON), so that a document
made today can be produced again, unchanged, next year.

``gather(org)`` reads the whole strategy (a fixed number of queries per section);
``render_*`` never touch the database, only this data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone


def _money(value) -> float:
    return float(value or 0)


def gather(org) -> dict[str, Any]:
    """The strategy as it stands, section by section, in the method's order."""
    from cairn.aigov.models import AiPolicy, AiUseCase
    from cairn.aigov.rules import TIERS
    from cairn.assessment import gaps
    from cairn.assessment.models import SwotItem
    from cairn.goals.models import BusinessGoal, Interview, ITMission
    from cairn.governance.models import CommitteeMember, Decision, Raci, Review
    from cairn.kpis.models import Kpi, Win
    from cairn.language.models import GlossaryTerm
    from cairn.portfolio import scoring
    from cairn.portfolio.models import Initiative, Kind, RunState, Scenario, Status
    from cairn.roadmap import risk
    from cairn.roadmap.models import Milestone, Plan, RoadmapItem

    today = timezone.localdate()
    goals = list(BusinessGoal.objects.filter(organization=org).prefetch_related("missions"))
    initiatives = list(scoring.with_scoring_data(Initiative.objects.filter(organization=org)))
    scores = scoring.scores(org, initiatives)
    open_ = [i for i in initiatives if i.status not in (Status.DONE, Status.REJECTED)]
    chosen = [i for i in initiatives if i.status in (Status.APPROVED, Status.IN_PROGRESS)]
    said_no = [i for i in initiatives if i.status in (Status.REJECTED, Status.DEFERRED)]
    why_not = {}
    for d in Decision.objects.filter(
        organization=org, change__in=["reject", "defer"]
    ).prefetch_related("initiatives"):
        for i in d.initiatives.all():
            why_not.setdefault(i.pk, d.outcome)
    run = sum(i.one_off_cost for i in open_ if i.kind == Kind.RUN)
    change = sum(i.one_off_cost for i in open_ if i.kind == Kind.CHANGE)
    plan = Plan.for_org(org)
    dates = risk.summary(org, risk.of(org))  # how likely the dates are, when simulated
    likely = {m["id"]: m["sentence"] for m in dates["milestones"]} if dates else {}
    items = list(
        RoadmapItem.objects.filter(organization=org, start__isnull=False).select_related(
            "initiative"
        )
    )
    scenario = (
        Scenario.objects.filter(organization=org, state=RunState.DONE)
        .order_by("-finished_at")
        .first()
    )
    kpis = list(Kpi.objects.filter(organization=org).prefetch_related("goals"))
    gap_lists = gaps.gap_lists(org)

    def initiative(i) -> dict:
        return {
            "id": i.pk,
            "title": i.title,
            "status": i.get_status_display(),
            "quadrant": i.quadrant.label,
            "kind": i.get_kind_display(),
            "score": round(float(scores[i.pk].score), 2),
            "one_off_cost": _money(i.one_off_cost),
            "running_cost": _money(i.running_cost),
            "goals": [g.title for g in i.goals.all()],
        }

    return {
        "organization": org.name,
        "currency": org.currency,
        "made_on": today.isoformat(),
        "made_at": timezone.now().isoformat(timespec="seconds"),
        "destination": {
            "goals": [
                {
                    "title": g.title,
                    "description": g.description,
                    "target_date": g.target_date.isoformat(),
                    "owner": f"{g.owner_name}, {g.owner_role}".strip(", "),
                    "missions": [m.statement for m in g.missions.all()],
                }
                for g in goals
            ],
            "missions_without_goal": [
                m.statement for m in ITMission.objects.filter(organization=org, goals__isnull=True)
            ],
            "voices": [
                {
                    "who": f"{i.stakeholder_name}, {i.stakeholder_role}",
                    "said": i.keeps_up_at_night or i.biggest_obstacle,
                }
                for i in Interview.objects.filter(organization=org)
                if i.keeps_up_at_night or i.biggest_obstacle
            ],
        },
        "terrain": {
            "swot": [
                {
                    "kind": s.get_kind_display(),
                    "statement": s.statement,
                    "it_question": s.it_question,
                    "it_answer": getattr(s, "it_answer", ""),
                }
                for s in SwotItem.objects.filter(organization=org)
            ],
            "gaps": [
                {"title": g.title, "count": g.count, "items": [str(x) for x in g.items[:5]]}
                for g in gap_lists
                if g.count
            ],
        },
        "path": {
            "chosen": [initiative(i) for i in sorted(chosen, key=lambda i: -scores[i.pk].score)],
            "quick_wins": [initiative(i) for i in open_ if i.quadrant.value == "quick_win"][:10],
            "strategic_bets": [initiative(i) for i in open_ if i.quadrant.value == "strategic_bet"][
                :10
            ],
            "said_no": [{**initiative(i), "why": why_not.get(i.pk, "")} for i in said_no],
            "scenario": scenario.name if scenario else "",
            "run": _money(run),
            "change": _money(change),
            "change_target": org.change_target_percent,
        },
        "roadmap": {
            "periods": [plan.period_label(p) for p in range(plan.periods)],
            "items": [
                {
                    "title": it.initiative.title,
                    "start": it.start,
                    "duration": max(it.duration, 1),
                    "starts": plan.period_label(it.start),
                }
                for it in sorted(items, key=lambda it: (it.start, it.initiative.title))
            ],
            "milestones": [
                {
                    "title": m.title,
                    "initiative": m.initiative.title,
                    "due": m.due.isoformat(),
                    "done": m.done,
                    "likely": likely.get(m.pk, ""),
                }
                for m in Milestone.objects.filter(organization=org).select_related("initiative")
            ],
            "likely": dates["sentence"] if dates else "",
        },
        "guideposts": {
            "committee": [
                {"name": m.name, "role": m.role, "chair": m.is_chair}
                for m in CommitteeMember.objects.filter(organization=org)
            ],
            "raci": [
                {"title": r.title, "people": r.people, "rows": r.rows}
                for r in Raci.objects.filter(organization=org)
            ],
            "reviews": [
                {"title": r.title, "due": r.due.isoformat(), "done": r.is_done}
                for r in Review.objects.filter(organization=org)
            ],
        },
        "ascent": {
            "kpis": [
                {
                    "name": k.name,
                    "unit": k.unit,
                    "replaces": k.replaces,
                    "goals": [g.title for g in k.goals.all()],
                    "latest": k.latest_value,
                    "latest_date": k.latest_date.isoformat() if k.latest_date else None,
                    "target": k.target_value,
                    "target_date": k.target_date.isoformat() if k.target_date else None,
                    "baseline": k.baseline_value,
                    "status": k.status.label,
                    "colour": k.status.colour,
                    "points": k.recent,
                    "forecast": (
                        round(f.value, 2) if (f := k.forecast(today)) is not None else None
                    ),
                }
                for k in kpis
            ],
            "wins": [
                {"title": w.title, "on": w.achieved_on.isoformat(), "story": w.story}
                for w in Win.objects.filter(organization=org)[:8]
            ],
        },
        "ai": {
            "use_cases": [
                {
                    "title": u.title,
                    "tier": u.tier.label,
                    "tier_key": u.tier.key,
                    "status": u.get_status_display(),
                }
                for u in AiUseCase.objects.filter(organization=org)
            ],
            "policies": [
                {"area": p.get_area_display(), "title": p.title, "text": p.text}
                for p in AiPolicy.objects.filter(organization=org)
            ],
            "tiers": list(TIERS.values()),
        },
        "glossary": [
            {"term": t.term, "meaning": t.meaning}
            for t in GlossaryTerm.objects.filter(organization=org)
        ],
        "execution": execution(org, today),
    }


def execution(org, today: date) -> dict[str, Any]:
    """How the initiatives approved or under way are going: health by initiative, spend to
    date against plan, and the benefits promised and realised (a fixed number of queries)."""
    from cairn.execution import services as going
    from cairn.execution.rules import Health, ReportState

    found = sorted(going.figures(org, today=today), key=lambda f: f.title)
    totals = going.portfolio(org, found, today=today)
    limit = going.tolerance(org)

    def share(spend) -> float | None:
        value = spend.variance_share
        return None if value is None else round(value, 3)

    def health(f) -> str:
        if f.report_state == ReportState.MISSING:
            return "No report"
        return Health(f.health).label if f.health else "Not reported yet"

    return {
        "initiatives": [
            {
                "title": f.title,
                "health": "missing" if f.report_state == ReportState.MISSING else f.health,
                "health_label": health(f),
                "percent_complete": f.percent_complete,
                "reported_on": f.reported_on.isoformat() if f.reported_on else None,
                "spent": _money(f.spend.actual_to_date),
                "planned": _money(f.spend.planned_to_date),
                "variance": share(f.spend),
                "overspent": f.spend.overspent(limit),
                "planned_finish": f.planned_finish.isoformat() if f.planned_finish else None,
                "forecast_finish": f.forecast_finish.isoformat()
                if f.late_by_days and f.forecast_finish
                else None,
            }
            for f in found
        ],
        "spend": {
            "spent": _money(totals.spend.actual_to_date),
            "planned": _money(totals.spend.planned_to_date),
            "variance": share(totals.spend),
            "forecast": _money(totals.spend.forecast),
            "planned_total": _money(totals.spend.planned_total),
        },
        "by_health": totals.by_health,
        "missing_reports": totals.missing_reports,
        "tolerance": org.overspend_tolerance_percent,
        "benefits": [
            {
                "initiative": b.benefit.initiative.title,
                "kpi": b.benefit.kpi.name,
                "due": b.benefit.due.isoformat(),
                "state": b.realised.state.label,
            }
            for b in going.benefits(org, today=today)
        ],
        "benefits_promised": totals.benefits_promised,
        "benefits_realised": totals.benefits_realised,
    }


def _percent(share) -> str:
    if share is None:
        return "—"
    value = round(share * 100)
    return f"+{value}%" if value > 0 else f"−{-value}%" if value < 0 else "0%"


def summary(data: dict) -> list[str]:
    """The executive summary: a handful of sentences from the figures."""
    path, ascent = data["path"], data["ascent"]
    kpis = ascent["kpis"]
    on = sum(1 for k in kpis if k["status"] in ("On track", "Target reached"))
    off = [k["name"] for k in kpis if k["status"] == "Off track"]
    total = path["run"] + path["change"]
    share = round(path["change"] / total * 100) if total else None
    goals = data["destination"]["goals"]
    with_mission = sum(1 for g in goals if g["missions"])
    lines = [
        f"{data['organization']} has {len(goals)} business goals for the next three to five "
        f"years; {with_mission} of them have an IT mission saying how technology serves it.",
        f"{len(path['chosen'])} initiatives are approved or under way"
        + (f", chosen with the scenario “{path['scenario']}”." if path["scenario"] else "."),
    ]
    if share is not None:
        lines.append(
            f"{share}% of the planned one-off spend changes the business "
            f"(target {path['change_target']}%)."
        )
    if kpis:
        lines.append(f"{on} of {len(kpis)} business KPIs are on track or at target.")
    if off:
        lines.append("Needs attention: " + ", ".join(off) + ".")
    going = data.get("execution")  # documents made before execution was recorded have none
    if going and going["initiatives"]:
        h = going["by_health"]
        lines.append(
            f"Of the initiatives under way, {h['green']} are on track, {h['amber']} need "
            f"attention and {h['red']} are in trouble; spend to date is "
            f"{_percent(going['spend']['variance'])} against plan, and "
            f"{going['benefits_realised']} of {going['benefits_promised']} promised benefits "
            "are realised."
        )
    return lines


def made_on(data: dict) -> date:
    return date.fromisoformat(data["made_on"])
