"""Summit Outfitters' guideposts: a steering committee with a year of meetings.

Two meetings were held, with minutes, decisions and actions (one now past due). Two are
planned, the next with an agenda drafted from live data. A roadblock holds up the customer
record. Selecting the ERP has its RACI. Last financial year's annual review is complete,
with the strategy as it stood then, so that "what changed" tells a story. Dates follow the
day the demo is loaded.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cairn.core.demo import ensure
from cairn.core.models import Membership
from cairn.governance import rules, services
from cairn.governance.models import (
    Action,
    AgendaItem,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
    Raci,
    Review,
    Roadblock,
)
from cairn.portfolio.models import Initiative

MEMBERS = [
    ("Grace Mbeki", "COO", "business", True, None),
    ("Dana Okafor", "CFO", "business", False, "demo-viewer"),
    ("Tom Lindqvist", "Head of Sales", "business", False, None),
    ("Luis Romero", "CMO", "business", False, None),
    ("Morgan Reyes", "IT Director", "it", False, "demo-owner"),
]

HELD = [
    {
        "quarters_back": 2,
        "minutes": "The committee reviewed the first half of the roadmap. The firewall "
        "replacement is approved as the top security risk. Sales asked why quoting is still "
        "manual; IT will bring the quoting initiative back with a business case.",
        "decisions": [
            (
                "Approve the firewall replacement",
                "Our firewall reaches the end of its support this year.",
                "Replace now; extend support for a year; move to a cloud firewall.",
                "Replace it now: extended support costs 60% of a new one.",
                "approve",
                ["Replace the end-of-support firewall"],
            )
        ],
        "actions": [
            ("Get three quotes for the new firewall", "Morgan Reyes", 30, True),
            ("Share last year's IT cost per store with the CFO", "Morgan Reyes", 45, True),
        ],
    },
    {
        "quarters_back": 1,
        "minutes": "KPIs: first-contact resolution is off track; the knowledge base starts "
        "next quarter. Digital signage is deferred to next year: no goal needs it now. The "
        "customer record waits for the CRM vendor's migration quote.",
        "decisions": [
            (
                "Defer digital signage in stores",
                "Marketing proposed screens in every store.",
                "Do it now; pilot in two stores; wait a year.",
                "Wait a year: it serves no goal's KPI yet and competes with the tills.",
                "defer",
                ["Digital signage in stores"],
            ),
            (
                "Start the ERP selection",
                "The month-end close depends on the ERP's workflows.",
                "",
                "Start now, with the COO accountable and finance, operations and sales consulted.",
                "",
                ["Faster month-end close with ERP workflows"],
            ),
        ],
        "actions": [
            (
                "Bring a business case for one customer record",
                "Grace Mbeki",
                21,
                False,
            ),
        ],
    },
]


def load(org, actor) -> None:
    today = timezone.localdate()
    committee = ensure(Committee, org, actor, lookup={})
    members = {}
    for name, role, side, chair, username in MEMBERS:
        membership = (
            Membership.objects.filter(organization=org, user__username=username).first()
            if username
            else None
        )
        members[name] = ensure(
            CommitteeMember,
            org,
            actor,
            lookup={"name": name},
            defaults={
                "committee": committee,
                "role": role,
                "side": side,
                "is_chair": chair,
                "membership": membership,
            },
        )
    initiatives = {i.title: i for i in Initiative.objects.filter(organization=org)}
    record = initiatives.get("One customer record across tills, web and help desk")
    if record is not None:
        ensure(
            Roadblock,
            org,
            actor,
            lookup={"description": "Waiting for the CRM vendor's data-migration quote"},
            defaults={
                "initiative": record,
                "since": today - timedelta(days=40),
                "who_can_remove": "Dana Okafor (CFO), by signing the purchase order",
            },
        )
    for spec in HELD:
        held_on = _held_dates(today)[spec["quarters_back"] - 1]
        quarter = (held_on.month - 1) // 3 + 1
        title = f"Steering committee, Q{quarter} {held_on.year}"
        meeting = Meeting.objects.filter(organization=org, title=title).first()
        if meeting is not None:
            continue
        meeting = ensure(
            Meeting,
            org,
            actor,
            lookup={"title": title},
            defaults={"committee": committee, "held_on": held_on, "minutes": spec["minutes"]},
            m2m={"attendees": [m.pk for m in members.values()]},
        )
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, position=n, title=title)
            for n, title in enumerate(
                ["How the KPIs moved since the last meeting"]
                + [d[0] for d in spec["decisions"]]
                + ["Roadmap: what is late or at risk"],
                start=1,
            )
        )
        for title_, context, options, outcome, change, names in spec["decisions"]:
            chosen = [initiatives[n] for n in names if n in initiatives]
            if change and any(rules_blocked(i, change) for i in chosen):
                change = ""
            services.decide(
                org,
                title=title_,
                context=context,
                options=options,
                outcome=outcome,
                change=change,
                initiatives=chosen,
                meeting=meeting,
                decided_on=held_on,
                actor=actor,
            )
        for description, owner, days, done in spec["actions"]:
            ensure(
                Action,
                org,
                actor,
                lookup={"description": description},
                defaults={
                    "meeting": meeting,
                    "owner": owner,
                    "due": held_on + timedelta(days=days),
                    "done": done,
                },
            )
    if not Meeting.objects.filter(organization=org, held_on__gte=today).exists():
        planned = services.plan_year(org, actor=actor, today=today)
        for meeting in planned[2:]:
            meeting.delete()  # a year of meetings: two held, two ahead
        if planned:
            services.add_drafted_agenda(planned[0], actor=actor)
    erp = Decision.objects.filter(organization=org, title="Start the ERP selection").first()
    ensure(
        Raci,
        org,
        actor,
        lookup={"title": "ERP selection"},
        defaults={
            "decision": erp,
            "people": rules.ERP_PRESET["people"],
            "rows": rules.ERP_PRESET["rows"],
        },
    )
    _visits(org, actor, today)
    _annual_review(org, actor, today)
    if not Review.objects.filter(organization=org, completed_on=None).exists():
        services.plan_reviews(org, actor=actor, today=today)


def _held_dates(today):
    """The two most recent quarterly meeting days before today (first Tuesdays of quarters),
    newest first."""
    quarter = rules.add_months(today.replace(day=1), -((today.month - 1) % 3))
    days = []
    for k in range(4):
        start = rules.add_months(quarter, -3 * k)
        day = start + timedelta(days=(1 - start.weekday()) % 7)
        if day < today:
            days.append(day)
    return days[:2]


VISITS = [
    (
        "Raj Patel",
        "it_to_business",
        "Weekly sales pipeline review",
        -40,
        "Reps retype every team order into the quote tool and again into the CRM. Each quote "
        "takes forty minutes; big clubs wait two days.",
        "pain_point",
    ),
    (
        "Ana Silva",
        "business_to_it",
        "Demo of the new help-desk knowledge base",
        -12,
        "Agents want answers sorted by product, not by system. Store staff could use it too if "
        "it worked on the tills.",
        "pain_point",
    ),
    ("Morgan Reyes", "it_to_business", "Monthly store managers' call", 9, "", None),
]


def _visits(org, actor, today) -> None:
    from cairn.governance.models import Visit

    for person, direction, meeting, days, learned, becomes in VISITS:
        visit = Visit.objects.filter(organization=org, person=person, meeting=meeting).first()
        if visit is not None:
            continue
        visit = ensure(
            Visit,
            org,
            actor,
            lookup={"person": person, "meeting": meeting},
            defaults={
                "direction": direction,
                "on": today + timedelta(days=days),
                "learned": learned,
            },
        )
        if becomes == "pain_point":
            services.visit_to_pain_point(visit, actor=actor)
        elif becomes == "initiative":
            services.visit_to_initiative(visit, actor=actor)


def rules_blocked(initiative, change) -> bool:
    from cairn.portfolio.models import transition_problem

    return bool(transition_problem(initiative.status, rules.CHANGE_TO_STATUS[change]))


def _annual_review(org, actor, today) -> None:
    """Last financial year's review, complete, with the strategy as it stood then: the
    initiatives decided since back at their old status, the KPIs at their values then."""
    from cairn.kpis.models import Measurement

    ends = today.replace(day=1, month=org.fiscal_year_start) - timedelta(days=1)
    if ends >= today:
        ends = rules.add_months(ends + timedelta(days=1), -12) - timedelta(days=1)
    title = f"Annual review of FY{ends.year}"
    if Review.objects.filter(organization=org, title=title).exists():
        return
    completed = min(ends + timedelta(days=20), today)
    snapshot = services.snapshot(org)
    snapshot["taken_at"] = f"{completed.isoformat()}T16:00:00+00:00"
    later = {
        i.pk
        for d in Decision.objects.filter(organization=org, decided_on__gt=completed).exclude(
            change=""
        )
        for i in d.initiatives.all()
    }
    for item in snapshot["initiatives"]:
        if item["id"] in later:
            item["status"] = "idea"
    for kpi in snapshot["kpis"]:
        then = (
            Measurement.objects.filter(kpi_id=kpi["id"], date__lte=completed)
            .order_by("-date")
            .values_list("date", "value")
            .first()
        )
        kpi["latest_value"], kpi["latest_date"] = (
            (round(then[1], 2), then[0].isoformat()) if then else (None, None)
        )
    ensure(
        Review,
        org,
        actor,
        lookup={"title": title},
        defaults={
            "kind": "annual",
            "due": ends + timedelta(days=30),
            "completed_on": completed,
            "completed_by": actor,
            "summary": "A good first year: costs and the close are on course. Customer "
            "service is not: first-contact resolution has not moved, so the knowledge base "
            "and the customer record come first next year. Digital signage waits.",
            "snapshot": snapshot,
        },
    )
