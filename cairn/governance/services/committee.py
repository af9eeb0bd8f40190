"""The committee and its agenda, drafted from live data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cairn.core import calendar
from cairn.core import services as core
from cairn.core.models import AuditVia, Organization
from cairn.governance import rules
from cairn.governance.models import (
    RHYTHM_MONTHS,
    Action,
    AgendaItem,
    Committee,
    Meeting,
    Review,
    Roadblock,
    Side,
)
from cairn.portfolio.models import Initiative, Status

# --- The committee


def committee_for(org: Organization) -> Committee:
    """The organisation's committee; an unsaved one with the defaults until someone sets it up
    (reading a page writes nothing)."""
    return Committee.objects.filter(organization=org).first() or Committee(organization=org)


def saved_committee(org: Organization, *, actor, via=AuditVia.WEB) -> Committee:
    committee = committee_for(org)
    if committee.pk is None:
        committee.created_by = actor if actor and actor.pk else None
        committee.save()
        core.record_change(committee, None, actor=actor, via=via)
    return committee


def warnings(members) -> list[str]:
    """What the committee lacks to do its job: both sides of the house, and a chair."""
    found = []
    sides = {m.side for m in members}
    if Side.BUSINESS not in sides:
        found.append("No business leader sits on the committee: IT would be steering alone.")
    if Side.IT not in sides:
        found.append("No one from IT sits on the committee: it cannot answer for the roadmap.")
    if members and not any(m.is_chair for m in members):
        found.append("The committee has no chair to run its meetings and edit the agenda.")
    return found


def plan_year(org: Organization, *, actor, via=AuditVia.WEB, today: date | None = None):
    """Create the committee's next four meetings, at its rhythm (quarterly: the first Tuesday
    of each quarter). Dates that already have a meeting are skipped. Returns the new ones."""
    today = today or timezone.localdate()
    committee = saved_committee(org, actor=actor, via=via)
    every = RHYTHM_MONTHS[committee.rhythm]
    taken = set(Meeting.objects.filter(committee=committee).values_list("held_on", flat=True))
    created = []
    with transaction.atomic():
        for day in rules.next_meetings(today, every):
            if day in taken:
                continue
            label = (
                calendar.quarter_label(day, org.fiscal_year_start, months=False)
                if every == 3
                else day.strftime("%B %Y")
            )
            meeting = Meeting.objects.create(
                organization=org,
                committee=committee,
                title=f"{committee.name}, {label}",
                held_on=day,
                created_by=actor if actor and actor.pk else None,
            )
            core.record_change(meeting, None, actor=actor, via=via)
            created.append(meeting)
    return created


# --- The agenda, drafted from live data


@dataclass
class Draft:
    kind: str
    title: str
    detail: str
    source: str
    url: str


def draft_agenda(org: Organization, today: date | None = None) -> list[Draft]:
    """What the committee should look at now, each point linked to its source:
    initiatives awaiting approval, open roadblocks, what the roadmap breaks, milestones
    slipped, KPIs off track or stale, actions past due, reviews due within a month, overdue AI
    policies, and initiatives under way that are red or amber, unreported or over plan."""
    from cairn.kpis.dashboard import stale_q
    from cairn.kpis.models import Kpi
    from cairn.kpis.status import Status as KpiStatus
    from cairn.roadmap import services as roadmap
    from cairn.roadmap.models import Milestone, Plan

    today = today or timezone.localdate()
    slug = org.slug
    out: list[Draft] = []
    for i in Initiative.objects.filter(organization=org, status=Status.PROPOSED):
        out.append(
            Draft(
                "approval",
                f"Approve, defer or reject: {i.title}",
                f"One-off cost {i.one_off_cost:,.0f}, running {i.running_cost:,.0f} a year, "
                f"{i.effort_months} FTE-months.",
                f"initiative:{i.pk}",
                reverse("portfolio:initiative_detail", args=[slug, i.pk]),
            )
        )
    for r in Roadblock.objects.filter(organization=org, removed_on=None).select_related(
        "initiative"
    ):
        out.append(
            Draft(
                "roadblock",
                f"Remove a roadblock on {r.initiative.title}",
                f"{r.description} (since {r.since:%d %b %Y}"
                + (f"; {r.who_can_remove} can remove it" if r.who_can_remove else "")
                + ").",
                f"roadblock:{r.pk}",
                reverse("portfolio:initiative_detail", args=[slug, r.initiative_id]),
            )
        )
    plan = Plan.for_org(org)
    if plan.pk:
        for problem in roadmap.problems_now(org, plan):
            key = hashlib.sha256(problem.encode()).hexdigest()[:16]  # the same problem, once
            out.append(
                Draft(
                    "roadmap",
                    "Roadmap at risk: " + problem[:200],
                    "",
                    f"roadmap:{key}",
                    reverse("roadmap:gantt", args=[slug]),
                )
            )
    for m in Milestone.objects.filter(organization=org, done=False, due__lt=today).select_related(
        "initiative"
    ):
        out.append(
            Draft(
                "milestone",
                f"Milestone slipped: {m.title} ({m.initiative.title})",
                f"Was due {m.due:%d %b %Y}.",
                f"milestone:{m.pk}",
                reverse("roadmap:milestones", args=[slug]),
            )
        )
    kpis = Kpi.objects.filter(organization=org).filter(
        Q(status_code=KpiStatus.OFF_TRACK) | stale_q(today)
    )
    for k in kpis:
        stale = k.is_stale(today)
        out.append(
            Draft(
                "kpi",
                f"KPI {'not measured on time' if stale else 'off track'}: {k.name}",
                f"Latest {k.latest_value:g} on {k.latest_date:%d %b %Y}; target {k.target_value:g}."
                if k.latest_value is not None and k.target_value is not None
                else "",
                f"kpi:{k.pk}",
                reverse("kpis:kpi_detail", args=[slug, k.pk]),
            )
        )
    for a in Action.objects.filter(organization=org, done=False, due__lt=today):
        out.append(
            Draft(
                "action",
                f"Action past due: {a.description}",
                f"{a.owner}, due {a.due:%d %b %Y}.",
                f"action:{a.pk}",
                reverse("governance:meeting_detail", args=[slug, a.meeting_id]),
            )
        )
    for r in Review.objects.filter(
        organization=org, completed_on=None, due__lte=today + timedelta(days=31)
    ):
        out.append(
            Draft(
                "review",
                f"{'Overdue' if r.due < today else 'Due'}: {r.title}",
                f"Due by {r.due:%d %b %Y}.",
                f"review:{r.pk}",
                reverse("governance:review_detail", args=[slug, r.pk]),
            )
        )
    for extra in _extra_sources(org, today):
        out.append(extra)
    out.extend(_execution_sources(org, today))
    return out


def _execution_sources(org: Organization, today: date) -> list[Draft]:
    """Initiatives under way whose latest report is red or amber, whose report is missing, or
    that spend beyond the organisation's tolerance: one point each, saying all of it."""
    from cairn.core.money import format_money
    from cairn.execution import services as execution
    from cairn.execution.rules import Health, ReportState

    limit = execution.tolerance(org)
    out = []
    for f in execution.figures(org, today=today):
        if f.status not in execution.UNDER_WAY:
            continue
        missing = f.report_state == ReportState.MISSING
        said = []
        if missing:
            said.append("no status report for the last period")
        elif f.health in (Health.RED, Health.AMBER):
            said.append(Health(f.health).label.lower())
        if f.spend.overspent(limit):
            share = f.spend.variance_share
            said.append(
                f"over plan by {round(share * 100)}%"
                if share is not None and share > limit
                else "heading over plan"
            )
        if not said:
            continue
        detail = []
        if f.reported_on:
            detail.append(
                f"Latest report {f.reported_on:%d %b %Y}: {Health(f.health).label.lower()}, "
                f"{f.percent_complete or 0}% done."
            )
        detail.append(
            f"Spent {format_money(f.spend.actual_to_date, org.currency)} to date against "
            f"{format_money(f.spend.planned_to_date, org.currency)} planned "
            f"(tolerance {org.overspend_tolerance_percent}%)."
        )
        if f.late_by_days:
            detail.append(
                f"Forecast to finish {f.forecast_finish:%d %b %Y}, {f.late_by_days} days late."
            )
        out.append(
            Draft(
                "execution",
                f"{f.title}: " + "; ".join(said),
                " ".join(detail),
                f"execution:{f.pk}",
                reverse("execution:initiative", args=[org.slug, f.pk]),
            )
        )
    return out


def _extra_sources(org: Organization, today: date) -> list[Draft]:
    """AI policies whose review date has passed."""
    from cairn.aigov.models import AiPolicy

    return [
        Draft(
            "policy",
            f"AI policy review overdue: {p.title}",
            f"Was due by {p.review_by:%d %b %Y}.",
            f"policy:{p.pk}",
            reverse("aigov:policy_list", args=[org.slug]),
        )
        for p in AiPolicy.objects.filter(organization=org, review_by__lt=today)
    ]


def add_drafted_agenda(meeting: Meeting, *, actor, via=AuditVia.WEB) -> int:
    """Append the drafted points not on the agenda yet; returns how many were added."""
    present = set(meeting.agenda.exclude(source="").values_list("source", flat=True))
    last = max(meeting.agenda.values_list("position", flat=True), default=0)
    new = [d for d in draft_agenda(meeting.organization) if d.source not in present]
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            position=last + n + 1,
            kind=d.kind,
            title=d.title[:300],
            detail=d.detail[:2000],
            source=d.source,
            url=d.url,
        )
        for n, d in enumerate(new)
    )
    if new:
        core.record(
            meeting.organization,
            actor=actor,
            action=core.AuditAction.UPDATE,
            obj=meeting,
            before=None,
            after={"agenda points drafted": len(new)},
            via=via,
        )
    return len(new)
