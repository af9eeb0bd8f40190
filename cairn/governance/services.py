"""The committee's work: meetings planned, agendas drafted from live data, decisions that
change initiatives, roadblocks, reviews with snapshots, and the calendar."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditVia, Organization, hash_key
from cairn.governance import rules
from cairn.governance.models import (
    RHYTHM_MONTHS,
    Action,
    AgendaItem,
    CalendarFeed,
    Committee,
    Decision,
    Meeting,
    Review,
    Roadblock,
    Side,
)
from cairn.portfolio.models import Initiative, Status, transition_problem

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
            quarter = (day.month - 1) // 3 + 1
            label = f"Q{quarter} {day.year}" if every == 3 else day.strftime("%B %Y")
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
    slipped, KPIs off track or stale, actions past due, reviews due within a month."""
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


# --- Decisions


def decide(
    org: Organization,
    *,
    title: str,
    outcome: str,
    change: str = "",
    initiatives=(),
    meeting: Meeting | None = None,
    context: str = "",
    options: str = "",
    decided_on: date | None = None,
    actor,
    via=AuditVia.WEB,
) -> Decision:
    """Record a decision; approving, rejecting or deferring changes its initiatives' status,
    refused whole if any cannot make that move."""
    initiatives = list(initiatives)
    target = rules.CHANGE_TO_STATUS.get(change)
    if change and not initiatives:
        raise core.ServiceError("Say which initiative the decision approves, rejects or defers.")
    with transaction.atomic():
        if target:  # checked on the rows as they are now, locked until the change is saved
            locked = Initiative.objects.select_for_update().filter(
                pk__in=[i.pk for i in initiatives]
            )
            problems = [
                f"“{i}”: {p}" for i in locked if (p := transition_problem(i.status, target))
            ]
            if problems:
                raise core.ServiceError(" ".join(problems))
        decision = Decision.objects.create(
            organization=org,
            title=title,
            outcome=outcome,
            change=change,
            meeting=meeting,
            context=context,
            options=options,
            decided_on=decided_on or timezone.localdate(),
            taken_by=actor if actor and actor.pk else None,
            created_by=actor if actor and actor.pk else None,
        )
        decision.initiatives.set(initiatives)
        core.record_change(decision, None, actor=actor, via=via)
        for initiative in initiatives if target else []:
            locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
            if locked.status == target:
                continue
            before = core.snapshot(locked)
            locked.status = target
            locked.version += 1
            locked.save(update_fields=["status", "version", "updated"])
            core.record_change(locked, before, actor=actor, via=via)
    return decision


def remove_roadblock(roadblock: Roadblock, how: str, *, actor, via=AuditVia.WEB) -> Roadblock:
    if not how.strip():
        raise core.ServiceError("Say how the roadblock was removed.")
    if not roadblock.is_open:
        raise core.ServiceError("This roadblock was already removed.")
    values = {"removed_on": timezone.localdate(), "how_removed": how.strip()[:300]}
    return core.change_row(roadblock, values, actor=actor, via=via)


# --- Meetings: agenda points, decisions, the briefing


def _touch(meeting: Meeting, actor, via) -> None:
    """A change to a meeting's agenda is a change to the meeting: one version on, audited."""
    core.change_row(meeting, {}, actor=actor, via=via)


def add_agenda_point(meeting: Meeting, point: AgendaItem, *, actor, via=AuditVia.WEB):
    """Put a point written by hand at the end of the agenda."""
    point.meeting = meeting
    point.position = max(meeting.agenda.values_list("position", flat=True), default=0) + 1
    point.save()
    _touch(meeting, actor, via)
    return point


def remove_agenda_point(point: AgendaItem, *, actor, via=AuditVia.WEB) -> None:
    meeting = point.meeting
    point.delete()
    _touch(meeting, actor, via)


CHANGE_DONE = {"approve": "Approved", "reject": "Rejected", "defer": "Deferred"}


def decide_in_meeting(
    meeting: Meeting,
    initiative: Initiative,
    change: str,
    outcome: str,
    *,
    actor,
    via=AuditVia.WEB,
) -> Decision:
    """Approve, defer or reject one initiative in a meeting, dated the meeting's day."""
    return decide(
        meeting.organization,
        title=f"{CHANGE_DONE[change]}: {initiative.title}",
        outcome=outcome,
        change=change,
        initiatives=[initiative],
        meeting=meeting,
        decided_on=meeting.held_on,
        actor=actor,
        via=via,
    )


def approve_and_schedule(
    scenario, *, meeting: Meeting | None = None, outcome: str = "", actor, via=AuditVia.WEB
):
    """Approve what a scenario chose, as one committee decision (in a meeting or not), then
    schedule the roadmap so the work shows at once. Returns the decision (None when every
    chosen initiative was approved already) and the plan."""
    from cairn.portfolio.services import chosen_initiatives
    from cairn.roadmap.services import run_schedule

    chosen = list(chosen_initiatives(scenario).order_by("title"))
    if not chosen:
        raise core.ServiceError("The scenario chose no initiative: there is nothing to approve.")
    waiting = [i for i in chosen if not transition_problem(i.status, Status.APPROVED)]
    decision = None
    if waiting:
        decision = decide(
            scenario.organization,
            title=f"Approved the portfolio of “{scenario.name}”"[:200],
            outcome=outcome.strip()
            or "Chosen by the optimiser as the most valuable set within the scenario's limits.",
            change="approve",
            initiatives=waiting,
            meeting=meeting,
            decided_on=meeting.held_on if meeting else None,
            actor=actor,
            via=via,
        )
    plan = run_schedule(scenario.organization, actor=actor, via=via)
    return decision, plan


def set_matrix(raci, people: list[str], rows: list[dict], *, actor, via=AuditVia.WEB):
    """Save a RACI's people and activities if they keep the rule; returns the problems
    (nothing is saved when there are any)."""
    problems = rules.raci_problems(people, rows)
    if not problems:
        core.change_row(raci, {"people": people, "rows": rows}, actor=actor, via=via)
    return problems


def briefing_facts(org: Organization, meeting: Meeting) -> dict[int, list[tuple[str, str]]]:
    """The facts behind each drafted agenda point, by agenda item id (a few queries for all)."""
    from cairn.kpis.models import Kpi

    wanted: dict[str, set[int]] = {}
    for item in meeting.agenda.all():
        if ":" in item.source:
            kind, _, pk = item.source.partition(":")
            if pk.isdigit():
                wanted.setdefault(kind, set()).add(int(pk))
    initiatives = {
        i.pk: i
        for i in Initiative.objects.filter(
            organization=org, pk__in=wanted.get("initiative", set())
        ).prefetch_related("goals")
    }
    kpis = {k.pk: k for k in Kpi.objects.filter(organization=org, pk__in=wanted.get("kpi", set()))}
    facts: dict[int, list[tuple[str, str]]] = {}
    for item in meeting.agenda.all():
        kind, _, pk = item.source.partition(":")
        rows: list[tuple[str, str]] = []
        if kind == "initiative" and pk.isdigit() and int(pk) in initiatives:
            i = initiatives[int(pk)]
            rows = [
                ("Serves", "; ".join(g.title for g in i.goals.all()) or "no goal"),
                (
                    "Impact and feasibility",
                    f"{i.get_impact_display()}, {i.get_feasibility_display()}",
                ),
                ("Quadrant", i.quadrant.label),
                ("One-off cost", f"{i.one_off_cost:,.0f}"),
                ("Running cost a year", f"{i.running_cost:,.0f}"),
                ("Staff effort", f"{i.effort_months} FTE-months over {i.duration_months} months"),
                ("Owner", i.owner or "—"),
            ]
        elif kind == "kpi" and pk.isdigit() and int(pk) in kpis:
            k = kpis[int(pk)]
            rows = [
                ("Latest", f"{k.latest_value} on {k.latest_date}" if k.latest_date else "none"),
                ("Target", f"{k.target_value} by {k.target_date}" if k.target_date else "not set"),
                ("Status", k.status.label),
                ("Owner", k.owner or "—"),
            ]
        facts[item.pk] = rows
    return facts


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
    status and score, the latest scenario solved, the roadmap, KPIs with latest values."""
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
                "starts": plan.period_label(item.start),
                "ends": plan.period_label(item.start + item.duration - 1),
            }
        )
    return {
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


# --- Calendar


def new_calendar_feed(org: Organization, *, actor, via=AuditVia.WEB) -> str:
    """A new private calendar address for the organisation (the old one stops working)."""
    key = secrets.token_urlsafe(24)
    CalendarFeed.objects.update_or_create(organization=org, defaults={"key_hash": hash_key(key)})
    core.record(
        org,
        actor=actor,
        action=core.AuditAction.UPDATE,
        obj=org,
        before=None,
        after={"calendar feed": "new private address"},
        via=via,
    )
    return key


def revoke_calendar_feed(org: Organization, *, actor, via=AuditVia.WEB) -> None:
    deleted, _ = CalendarFeed.objects.filter(organization=org).delete()
    if deleted:
        core.record(
            org,
            actor=actor,
            action=core.AuditAction.UPDATE,
            obj=org,
            before={"calendar feed": "on"},
            after={"calendar feed": "revoked"},
            via=via,
        )


def org_for_calendar_key(key: str) -> Organization | None:
    feed = CalendarFeed.objects.filter(key_hash=hash_key(key)).select_related("organization")
    found = feed.first()
    return found.organization if found else None


def calendar(org: Organization, meetings, reviews, base_url: str = "") -> bytes:
    """An iCalendar file of meetings (two hours from 10:00) and reviews (all-day, on the due
    date)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Cairn//IT strategy//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{org.name}: IT strategy")
    stamp = timezone.now()
    for m in meetings:
        event = Event()
        event.add("uid", f"meeting-{m.pk}@cairn")
        event.add("dtstamp", stamp)
        start = datetime.combine(m.held_on, time(10, 0))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(hours=2))
        event.add("summary", m.title)
        agenda = [a.title for a in m.agenda.all()]
        if agenda:
            event.add("description", "Agenda:\n" + "\n".join(f"- {t}" for t in agenda))
        if base_url:
            event.add("url", base_url + reverse("governance:meeting_detail", args=[org.slug, m.pk]))
        cal.add_component(event)
    for r in reviews:
        event = Event()
        event.add("uid", f"review-{r.pk}@cairn")
        event.add("dtstamp", stamp)
        event.add("dtstart", r.due)
        event.add("dtend", r.due + timedelta(days=1))
        event.add("summary", f"{r.title} due")
        cal.add_component(event)
    return cal.to_ical()


# --- People: accountability and buy-in


@dataclass
class Accountability:
    person: str
    raci_rows: list[tuple[Any, str, str]] = field(default_factory=list)  # (raci, activity, letter)
    initiatives: list[Initiative] = field(default_factory=list)


def accountable_for(org: Organization, person: str) -> Accountability:
    """What a person answers for: activities where a RACI names them Accountable (and where
    they are Responsible), and initiatives they own."""
    from cairn.governance.models import Raci

    person = person.strip()
    found = Accountability(person)
    if not person:
        return found
    wanted = person.casefold()
    for raci in Raci.objects.filter(organization=org).select_related("decision", "initiative"):
        names = {p.casefold(): p for p in raci.people}
        if wanted not in names:
            continue
        exact = names[wanted]
        for row in raci.rows:
            letter = row.get("cells", {}).get(exact, "")
            if letter in ("A", "R"):
                found.raci_rows.append((raci, row.get("activity", ""), letter))
    found.initiatives = list(
        Initiative.objects.filter(organization=org, owner__iexact=person).exclude(
            status__in=[Status.DONE, Status.REJECTED]
        )
    )
    found.raci_rows.sort(key=lambda r: (r[2] != "A", str(r[0])))
    return found


def people(org: Organization) -> list[str]:
    """Names that appear in the organisation's RACI matrices and as initiative owners."""
    from cairn.governance.models import Raci

    names = {p for raci in Raci.objects.filter(organization=org) for p in raci.people}
    names |= set(
        Initiative.objects.filter(organization=org)
        .exclude(owner="")
        .values_list("owner", flat=True)
    )
    return sorted(names, key=str.casefold)
