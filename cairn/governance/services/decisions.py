"""Decisions, and meetings: agenda points, decisions taken in them, the briefing."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditVia, Organization
from cairn.governance import rules
from cairn.governance.models import (
    AgendaItem,
    Decision,
    Meeting,
    Roadblock,
)
from cairn.portfolio.models import Initiative, Status, transition_problem

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
    if meeting is not None and meeting.is_planned:
        raise core.ServiceError(
            f"The meeting of {meeting.held_on.day} {meeting.held_on:%B %Y} has not been held yet: "
            "record its decisions once it has."
        )
    if decided_on and decided_on > timezone.localdate():
        raise core.ServiceError("A decision cannot be dated in the future: record it once taken.")
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
    from cairn.roadmap.services import check_schedule, run_schedule

    chosen = list(chosen_initiatives(scenario).order_by("title"))
    if not chosen:
        raise core.ServiceError("The scenario chose no initiative: there is nothing to approve.")
    check_schedule(scenario.organization)  # refused before deciding, not half-way through
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
    going = _execution_facts(org, wanted.get("execution", set()))
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
        elif kind == "execution" and pk.isdigit():
            rows = going.get(int(pk), [])
        facts[item.pk] = rows
    return facts


def _execution_facts(org: Organization, ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """How each initiative is going, from its latest status report in its reporter's words
    (what happened, what we need), and its spend: read only when the agenda has such points."""
    if not ids:
        return {}
    from cairn.core.money import format_money
    from cairn.execution import services as execution
    from cairn.execution.rules import Health, ReportState

    def money(amount) -> str:
        return format_money(amount, org.currency)

    reports = execution.latest_reports(org, ids)
    out = {}
    for f in execution.figures(org, pks=ids):
        report = reports.get(f.pk)
        health = Health(f.health).label if f.health else "Not reported yet"
        if f.report_state == ReportState.MISSING:
            health = f"No report for the last period (the one before said: {health.lower()})"
        rows = [("Health", health)]
        if report is not None:
            rows += [
                ("Last report", f"{report.reported_on:%d %b %Y}, {report.percent_complete}% done"),
                ("What happened", report.progress),
                ("What's next", report.next_steps or "—"),
                ("What we need from the committee", report.needs or "Nothing"),
            ]
        s = f.spend
        rows.append(
            (
                "Spent to date",
                f"{money(s.actual_to_date)} against {money(s.planned_to_date)} planned"
                + (
                    f" ({round(s.variance_share * 100):+d}%)"
                    if s.variance_share is not None
                    else ""
                ),
            )
        )
        rows.append(
            ("Forecast at completion", f"{money(s.forecast)} of {money(s.planned_total)} planned")
        )
        if f.planned_finish:
            rows.append(
                (
                    "Finish",
                    f"forecast {f.forecast_finish:%d %b %Y}, planned {f.planned_finish:%d %b %Y}"
                    if f.late_by_days
                    else f"{f.planned_finish:%d %b %Y}, as planned",
                )
            )
        out[f.pk] = rows
    return out
