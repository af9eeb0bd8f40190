"""Who should be told what today: one rule per kind of reminder, each a plain function over
the organisation's facts, loaded once.

``facts`` reads everything the rules need in a fixed number of queries whatever the size of
the data; each rule takes those facts and a day and touches no database, so that it can be
tested on any day. ``due_now`` is both. A rule fires on every day its condition holds; the
``period`` of what it returns is what makes it reach a person once (the sender never tells
the same person the same kind, object and period twice). Rows without an owner are skipped.

The sentences below (``KPI_DUE_RULE``…) say what each rule does, in the users' words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse

from cairn.aigov.models import AiPolicy
from cairn.core.calendar import add_months, quarter_label
from cairn.core.models import Organization
from cairn.execution import rules as execution_rules
from cairn.execution import services as execution
from cairn.governance.models import (
    Action,
    AgendaItem,
    Committee,
    CommitteeMember,
    Meeting,
    Review,
)
from cairn.kpis import status as kpi_rules
from cairn.kpis.dashboard import REVIEW_SOON
from cairn.kpis.models import Kpi
from cairn.notifications.kinds import Due, Kind
from cairn.portfolio.models import Initiative, Status

ACTION_NOTICE_DAYS = 3  # an action is announced this many days before it is due
MEETING_NOTICE_DAYS = 5  # a meeting, with its agenda and briefing pack
REPORT_NOTICE_DAYS = 7  # a status report, in the last days of its reporting period
LINES_SHOWN = 10  # proposals and agenda points listed in one reminder; the rest are counted

KPI_DUE_RULE = (
    "A new value of a KPI is due once a week, month or quarter (its rhythm) has ended without "
    "a value measured in it or after it; calculated KPIs follow their inputs and are never due."
)
KPI_STALE_RULE = kpi_rules.STALE_RULE + " You are told once each time it goes stale."
ACTION_RULE = (
    f"An action not done is announced {ACTION_NOTICE_DAYS} days before it is due, and again "
    "once the day after it was due."
)
REPORT_DUE_RULE = (
    "A status report on an initiative under way is due in the last "
    f"{REPORT_NOTICE_DAYS} days of each reporting period that has no report yet, and at the "
    "start of a period when the one before ended without a report. " + execution_rules.REPORT_RULE
)
MEETING_RULE = (
    f"The committee's members are told {MEETING_NOTICE_DAYS} days before a planned meeting, "
    "with its agenda and the briefing pack."
)
WAITING_RULE = (
    "Decisions are waiting when initiatives are proposed to the committee (status "
    "“proposed”) and it has not yet approved, deferred or rejected them; the committee is "
    "told once a week while any wait."
)
REVIEW_RULE = (
    f"A strategy review or a policy review is announced when it is due within {REVIEW_SOON} "
    "days, and again once it is overdue."
)


# --- The facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    pk: int
    title: str


@dataclass(frozen=True)
class Coming:
    """A planned meeting of the committee and the titles of its agenda points."""

    meeting: Meeting
    agenda: tuple[str, ...]


@dataclass(frozen=True)
class UnderWay:
    """An initiative under way, as the execution figures see it, with its owner."""

    figures: execution.Figures
    owner: str


@dataclass(frozen=True)
class Facts:
    """What the rules read, loaded once (``facts``); model rows carry no lazy relations."""

    slug: str
    report_every_months: int
    fiscal_year_start: int
    kpis: tuple[Kpi, ...]
    actions: tuple[Action, ...]  # not done, with their meeting
    initiatives: tuple[UnderWay, ...]  # approved or in progress
    committee_id: int | None
    member_ids: tuple[int, ...]  # the committee members who have access to Cairn
    meetings: tuple[Coming, ...]  # planned, within the next days
    proposals: tuple[Proposal, ...]  # initiatives waiting for the committee's decision
    reviews: tuple[Review, ...]  # not completed
    policies: tuple[AiPolicy, ...]  # with a review date


def facts(org: Organization, today: date) -> Facts:
    """Everything the rules need, in 15 queries whatever the size of the data: KPIs, actions
    not done, the execution figures (five queries) and the initiatives' owners, the committee's
    members, the meetings coming (and their agendas), the proposals, the reviews not done and
    the policies with a review date."""
    horizon = today + timedelta(days=max(MEETING_NOTICE_DAYS, ACTION_NOTICE_DAYS))
    kpis = tuple(Kpi.objects.filter(organization=org).defer("description", "replaces"))
    actions = tuple(
        Action.objects.filter(organization=org, done=False, due__lte=horizon)
        .select_related("meeting")
        .order_by("due", "pk")
    )
    found = [
        f for f in execution.compute_figures(org, today=today) if f.status in execution.UNDER_WAY
    ]
    owners = dict(
        Initiative.objects.filter(organization=org, status__in=execution.UNDER_WAY).values_list(
            "pk", "owner"
        )
    )
    committee = Committee.objects.filter(organization=org).values_list("pk", flat=True).first()
    members = tuple(
        sorted(
            set(
                CommitteeMember.objects.filter(
                    organization=org, membership__isnull=False
                ).values_list("membership_id", flat=True)
            )
        )
    )
    coming = Q(organization=org, held_on__gt=today, held_on__lte=horizon)
    meetings = list(Meeting.objects.filter(coming).order_by("held_on", "pk"))
    agendas: dict[int, list[str]] = {}
    # Filtered like the meetings rather than by their ids: one query even when none is coming.
    for meeting_id, title in (
        AgendaItem.objects.filter(meeting__in=Meeting.objects.filter(coming))
        .order_by("position", "pk")
        .values_list("meeting_id", "title")
    ):
        agendas.setdefault(meeting_id, []).append(title)
    proposals = tuple(
        Proposal(pk, title)
        for pk, title in Initiative.objects.filter(organization=org, status=Status.PROPOSED)
        .order_by("title")
        .values_list("pk", "title")
    )
    reviews = tuple(Review.objects.filter(organization=org, completed_on=None).defer("snapshot"))
    policies = tuple(
        AiPolicy.objects.filter(organization=org, review_by__isnull=False).defer("text")
    )
    return Facts(
        slug=org.slug,
        report_every_months=org.report_every_months,
        fiscal_year_start=org.fiscal_year_start,
        kpis=kpis,
        actions=actions,
        initiatives=tuple(UnderWay(f, owners.get(f.pk, "")) for f in found),
        committee_id=committee,
        member_ids=members,
        meetings=tuple(Coming(m, tuple(agendas.get(m.pk, ()))) for m in meetings),
        proposals=proposals,
        reviews=reviews,
        policies=policies,
    )


# --- Words -------------------------------------------------------------------------------


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "none"
    return f"{value:g} {unit}".strip() if unit.strip() != "%" else f"{value:g}%"


def _url(slug: str, name: str, *args) -> str:
    return reverse(name, args=[slug, *args])


def _owner(text: str) -> str:
    return (text or "").strip()


def _listed(titles: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    shown = tuple(titles[:LINES_SHOWN])
    rest = len(titles) - len(shown)
    return shown + ((f"… and {rest} more.",) if rest > 0 else ())


# --- KPIs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RhythmPeriod:
    """A week, month or quarter of a KPI's rhythm: its first day, the first day after it, its
    key (``2026-W49``, ``2026-11``, ``2026-Q4``) and its name in words."""

    start: date
    end: date  # the first day after it
    key: str
    words: str


def rhythm_period(rhythm: str, day: date) -> RhythmPeriod:
    """The period of a KPI's rhythm that contains ``day`` (calendar weeks, months, quarters)."""
    if rhythm == "weekly":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return RhythmPeriod(
            start, start + timedelta(days=7), f"{year}-W{week:02d}", f"the week of {_day(start)}"
        )
    if rhythm == "quarterly":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return RhythmPeriod(
            start,
            add_months(start, 3),
            f"{start.year}-Q{(start.month - 1) // 3 + 1}",
            quarter_label(start, months=False),
        )
    start = day.replace(day=1)
    return RhythmPeriod(start, add_months(start, 1), f"{start:%Y-%m}", f"{start:%B %Y}")


def value_due(kpi: Kpi, today: date) -> RhythmPeriod | None:
    """The period a new value of the KPI is due for today (``KPI_DUE_RULE``), or None: the
    last period of its rhythm that has ended, when nothing was measured in it or since (the
    baseline counts as a measurement)."""
    if kpi.formula:
        return None
    current = rhythm_period(kpi.rhythm, today)
    ended = rhythm_period(kpi.rhythm, current.start - timedelta(days=1))
    measured = [d for d in (kpi.latest_date, kpi.baseline_date) if d is not None]
    if measured and max(measured) >= ended.start:
        return None
    return ended


def _kpi_lines(kpi: Kpi) -> tuple[str, ...]:
    lines = []
    if kpi.target_value is not None:
        by = f" by {_day(kpi.target_date)}" if kpi.target_date else ""
        lines.append(f"Target: {_number(kpi.target_value, kpi.unit)}{by}.")
    if kpi.latest_date is not None:
        lines.append(
            f"Last value: {_number(kpi.latest_value, kpi.unit)} on {_day(kpi.latest_date)}."
        )
    else:
        lines.append("No value recorded yet.")
    lines.append(f"Measured {kpi.get_rhythm_display().lower()}; status: {kpi.status.label}.")
    return tuple(lines)


def kpi_due(f: Facts, today: date) -> list[Due]:
    """A value of a KPI you own is due (``KPI_DUE_RULE``), once per period of its rhythm."""
    out = []
    for kpi in f.kpis:
        period = value_due(kpi, today)
        if period is None or not _owner(kpi.owner):
            continue
        out.append(
            Due(
                kind=Kind.KPI_DUE,
                object_type="kpis.kpi",
                object_id=kpi.pk,
                period=period.key,
                subject=f"A value of “{kpi.name}” is due for {period.words}",
                lines=_kpi_lines(kpi),
                url=_url(f.slug, "kpis:kpi_detail", kpi.pk) + "#record",
                owner=_owner(kpi.owner),
            )
        )
    return out


def kpi_stale(f: Facts, today: date) -> list[Due]:
    """A KPI you own has gone stale (``status.is_stale``, as the dashboard shows it): once per
    time it goes stale, the period being the one of its rhythm in which it went stale."""
    out = []
    for kpi in f.kpis:
        if not _owner(kpi.owner) or not kpi_rules.is_stale(kpi.rhythm, kpi.latest_date, today):
            continue
        allowed = kpi_rules.ALLOWED_DAYS[kpi.rhythm]
        went_stale = kpi.latest_date + timedelta(days=allowed + 1)
        lines = _kpi_lines(kpi)
        if kpi.formula:
            lines += ("It is calculated from other KPIs: it follows their values.",)
        out.append(
            Due(
                kind=Kind.KPI_STALE,
                object_type="kpis.kpi",
                object_id=kpi.pk,
                period=rhythm_period(kpi.rhythm, went_stale).key,
                subject=f"“{kpi.name}” has gone stale: no value since {_day(kpi.latest_date)}",
                lines=(*lines, f"A {kpi.rhythm} KPI may go {allowed} days without a value."),
                url=_url(f.slug, "kpis:kpi_detail", kpi.pk),
                owner=_owner(kpi.owner),
            )
        )
    return out


# --- Actions -----------------------------------------------------------------------------


def _action_due(f: Facts, a: Action, kind: Kind, period: str, subject: str) -> Due:
    return Due(
        kind=kind,
        object_type="governance.action",
        object_id=a.pk,
        period=period,
        subject=subject,
        lines=(
            f"Due by {a.due:%A} {_day(a.due)}.",
            f"Asked at the meeting “{a.meeting.title}” of {_day(a.meeting.held_on)}.",
        ),
        url=_url(f.slug, "governance:meeting_detail", a.meeting_id) + "#actions",
        owner=_owner(a.owner),
    )


def action_due(f: Facts, today: date) -> list[Due]:
    """An action you own, not done, is due within three days (``ACTION_RULE``)."""
    out = []
    for a in f.actions:
        left = (a.due - today).days
        if a.done or not _owner(a.owner) or not 0 < left <= ACTION_NOTICE_DAYS:
            continue
        when = "tomorrow" if left == 1 else f"in {left} days"
        subject = f"“{a.description}” is due {when}"
        out.append(_action_due(f, a, Kind.ACTION_DUE, a.due.isoformat(), subject))
    return out


def action_overdue(f: Facts, today: date) -> list[Due]:
    """An action you own was due and is not done (``ACTION_RULE``): once."""
    out = []
    for a in f.actions:
        if a.done or not _owner(a.owner) or a.due >= today:
            continue
        subject = f"“{a.description}” was due on {_day(a.due)} and is not done"
        out.append(_action_due(f, a, Kind.ACTION_OVERDUE, f"{a.due.isoformat()}:overdue", subject))
    return out


# --- Status reports ----------------------------------------------------------------------


def _period_words(start: date, every_months: int, fiscal_year_start: int) -> str:
    if every_months == 3:
        return quarter_label(start, fiscal_year_start, months=False)
    return f"{start:%B %Y}"


def report_due(f: Facts, today: date) -> list[Due]:
    """A status report on an initiative you own is due (``REPORT_DUE_RULE``): once per
    reporting period, the period being its first day."""
    every, fy = f.report_every_months, f.fiscal_year_start
    current = execution_rules.period_of(today, every, fy)
    following = add_months(current, every)
    out = []
    for u in f.initiatives:
        i = u.figures
        if not _owner(u.owner) or i.not_started:
            continue
        # Missing at the end of this period if nothing is reported in it (REPORT_RULE).
        owed = execution_rules.report_state(i.reported_on, i.started, following, every, fy)
        if owed != execution_rules.ReportState.MISSING:
            continue
        missing = i.report_state == execution_rules.ReportState.MISSING
        if not missing and (following - today).days > REPORT_NOTICE_DAYS:
            continue
        words = _period_words(current, every, fy)
        lines = []
        if missing:
            before = add_months(current, -every)
            lines.append(f"The report for {_period_words(before, every, fy)} is missing.")
        if i.reported_on is not None:
            health = execution_rules.Health(i.health).label.lower() if i.health else "no health"
            lines.append(
                f"Latest report: {_day(i.reported_on)}, {health}, {i.percent_complete or 0}% done."
            )
        else:
            lines.append("No status report yet.")
        lines.append(f"Due by {_day(following - timedelta(days=1))}.")
        out.append(
            Due(
                kind=Kind.REPORT_DUE,
                object_type="portfolio.initiative",
                object_id=i.pk,
                period=current.isoformat(),
                subject=f"A status report on “{i.title}” is due for {words}",
                lines=tuple(lines),
                url=_url(f.slug, "execution:report_create", i.pk),
                owner=_owner(u.owner),
                links=(("How it is going", _url(f.slug, "execution:initiative", i.pk)),),
            )
        )
    return out


# --- The committee -----------------------------------------------------------------------


def meeting_soon(f: Facts, today: date) -> list[Due]:
    """A planned meeting of the committee is at most five days ahead (``MEETING_RULE``):
    once per meeting and date (a meeting moved is announced again)."""
    if not f.member_ids:
        return []
    out = []
    for coming in f.meetings:
        m, agenda = coming.meeting, coming.agenda
        left = (m.held_on - today).days
        if not 0 < left <= MEETING_NOTICE_DAYS:
            continue
        when = "tomorrow" if left == 1 else f"in {left} days"
        page = _url(f.slug, "governance:meeting_detail", m.pk)
        out.append(
            Due(
                kind=Kind.MEETING_SOON,
                object_type="governance.meeting",
                object_id=m.pk,
                period=f"{m.pk}:{m.held_on.isoformat()}",
                subject=f"“{m.title}” is {when}, on {m.held_on:%A} {_day(m.held_on)}",
                lines=_listed(agenda) if agenda else ("The agenda is empty so far.",),
                url=page,
                member_ids=f.member_ids,
                links=(
                    ("The meeting", page),
                    ("The briefing pack", _url(f.slug, "governance:meeting_briefing", m.pk)),
                ),
            )
        )
    return out


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def decisions_waiting(f: Facts, today: date) -> list[Due]:
    """Initiatives are proposed and wait for the committee's decision (``WAITING_RULE``):
    at most once a (ISO) week."""
    if not f.proposals or not f.member_ids or f.committee_id is None:
        return []
    n = len(f.proposals)
    subject = (
        "One proposal is waiting for the committee's decision"
        if n == 1
        else f"{n} proposals are waiting for the committee's decision"
    )
    return [
        Due(
            kind=Kind.DECISIONS_WAITING,
            object_type="governance.committee",
            object_id=f.committee_id,
            period=iso_week(today),
            subject=subject,
            lines=_listed([p.title for p in f.proposals]),
            url=_url(f.slug, "portfolio:initiative_list") + "?status=proposed",
            member_ids=f.member_ids,
            links=tuple(
                (p.title, _url(f.slug, "portfolio:initiative_detail", p.pk))
                for p in f.proposals[:LINES_SHOWN]
            ),
        )
    ]


def _soon_or_overdue(due: date, today: date) -> str | None:
    """ ":soon" within a month of the date, ":overdue" after it, None before."""
    if due < today:
        return ":overdue"
    if (due - today).days <= REVIEW_SOON:
        return ":soon"
    return None


def review_due(f: Facts, today: date) -> list[Due]:
    """A strategy review not completed is due within a month, or overdue (``REVIEW_RULE``)."""
    if not f.member_ids:
        return []
    out = []
    for r in f.reviews:
        state = _soon_or_overdue(r.due, today)
        if r.completed_on is not None or state is None:
            continue
        subject = (
            f"“{r.title}” is overdue: it was due by {_day(r.due)}"
            if state == ":overdue"
            else f"“{r.title}” is due by {_day(r.due)}"
        )
        out.append(
            Due(
                kind=Kind.REVIEW_DUE,
                object_type="governance.review",
                object_id=r.pk,
                period=r.due.isoformat() + state,
                subject=subject,
                lines=(f"{r.get_kind_display()}, due by {_day(r.due)}.",),
                url=_url(f.slug, "governance:review_detail", r.pk),
                member_ids=f.member_ids,
            )
        )
    return out


def policy_review(f: Facts, today: date) -> list[Due]:
    """A policy you own is due for review within a month, or overdue (``REVIEW_RULE``)."""
    out = []
    for p in f.policies:
        state = None if p.review_by is None else _soon_or_overdue(p.review_by, today)
        if state is None or not _owner(p.owner):
            continue
        subject = (
            f"The review of “{p.title}” is overdue: it was due by {_day(p.review_by)}"
            if state == ":overdue"
            else f"“{p.title}” is due for review by {_day(p.review_by)}"
        )
        out.append(
            Due(
                kind=Kind.POLICY_REVIEW,
                object_type="aigov.aipolicy",
                object_id=p.pk,
                period=p.review_by.isoformat() + state,
                subject=subject,
                lines=(
                    f"AI policy on {p.get_area_display().lower()}, review by {_day(p.review_by)}.",
                ),
                url=_url(f.slug, "aigov:policy_list"),
                owner=_owner(p.owner),
                links=(("Edit the policy", _url(f.slug, "aigov:policy_edit", p.pk)),),
            )
        )
    return out


Rule = Callable[[Facts, date], list[Due]]

RULES: dict[Kind, Rule] = {
    Kind.KPI_DUE: kpi_due,
    Kind.KPI_STALE: kpi_stale,
    Kind.ACTION_DUE: action_due,
    Kind.ACTION_OVERDUE: action_overdue,
    Kind.REPORT_DUE: report_due,
    Kind.MEETING_SOON: meeting_soon,
    Kind.DECISIONS_WAITING: decisions_waiting,
    Kind.REVIEW_DUE: review_due,
    Kind.POLICY_REVIEW: policy_review,
}


def due_now(org: Organization, today: date) -> list[Due]:
    """Everything the organisation's people should be told today, every rule over one load of
    the facts (the weekly digest is not a rule: ``digest.digest`` makes it)."""
    found = facts(org, today)
    return [due for rule in RULES.values() for due in rule(found, today)]
