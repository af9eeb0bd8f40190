"""Summit's execution: a year of monthly reports on the patching programme (lately amber),
a red report on the backup tests (a restore failed; a roadblock), no report yet on the help-desk
knowledge base; a year of spend from the finance export with one overspend; and four
promised benefits, one of each story: realised, on the way, behind, missed.

Dates count back from the day the demo is loaded, so the story stays true.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from cairn.core.calendar import add_months
from cairn.core.demo import ensure
from cairn.execution import services
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.kpis.models import Kpi
from cairn.portfolio.models import Initiative

PATCHING = "Keep current systems patched"
BACKUPS = "Backups tested every quarter"
HELPDESK = "Help-desk knowledge base for agents"

# The patching programme, month by month from a year ago: (health of scope, schedule, cost,
# percent complete, what happened).
PATCH_MONTHS = [
    ("green", "green", "green", 4, "Inventory of servers and tills done: 212 systems."),
    ("green", "green", "green", 9, "Monthly patch window agreed with the store managers."),
    ("green", "green", "green", 14, "First two patch windows run without a store outage."),
    ("green", "green", "green", 19, "Tills in the north region patched."),
    ("green", "amber", "green", 23, "One window missed: the stock-count weekend."),
    ("green", "green", "green", 28, "Caught up; south region patched."),
    ("green", "green", "amber", 33, "Extended support for the old ERP database priced."),
    ("green", "amber", "amber", 37, "Two stores' routers need replacing before they patch."),
    ("green", "amber", "amber", 41, "Router replacements ordered; supplier lead time 6 weeks."),
    ("green", "amber", "amber", 44, "Contractor hours above plan for the router work."),
    ("amber", "amber", "amber", 47, "Three legacy servers cannot take this year's patches."),
    ("amber", "amber", "amber", 50, "Legacy servers isolated on their own network meanwhile."),
]


def load(org, actor) -> None:
    """Add the reports, spend and benefits (only what is missing)."""
    titles = {i.title: i for i in Initiative.objects.filter(organization=org)}
    if (
        not {PATCHING, BACKUPS, HELPDESK} <= set(titles)
        or StatusReport.objects.filter(organization=org).exists()
    ):
        return
    today = timezone.localdate()
    this_month = today.replace(day=1)
    _reports(org, actor, titles, this_month)
    _roadblock(org, actor, titles, today)
    _spend(org, actor, titles, this_month)
    _benefits(org, actor, titles, today)


def _report(org, actor, initiative, day: date, healths, percent: int, progress: str, **text):
    scope, schedule, cost = healths
    ensure(
        StatusReport,
        org,
        actor,
        lookup={"initiative": initiative, "reported_on": day},
        defaults={
            "health": text.pop("health", None) or max((scope, schedule, cost), key=_rank),
            "scope_health": scope,
            "schedule_health": schedule,
            "cost_health": cost,
            "percent_complete": percent,
            "progress": progress,
            **text,
        },
    )


def _rank(health: str) -> int:
    return {"green": 0, "amber": 1, "red": 2}[health]


def _reports(org, actor, titles, this_month: date) -> None:
    patching = titles[PATCHING]
    for back, (scope, schedule, cost, percent, progress) in enumerate(reversed(PATCH_MONTHS), 1):
        month = add_months(this_month, -back)
        last = back == 1
        _report(
            org,
            actor,
            patching,
            month + timedelta(days=13),  # mid-month, after the patch window
            (scope, schedule, cost),
            percent,
            progress,
            next_steps="Patch the remaining stores; replace the two routers."
            if last
            else "Next month's patch window.",
            needs="Decide whether to pay for extended support of the three legacy servers "
            "(€18,000 a year) or bring their replacement forward."
            if last
            else "",
        )
    backups = titles[BACKUPS]
    _report(
        org,
        actor,
        backups,
        add_months(this_month, -2) + timedelta(days=20),
        ("green", "green", "green"),
        20,
        "Backup tool licensed; first test restore planned.",
    )
    _report(
        org,
        actor,
        backups,
        add_months(this_month, -1) + timedelta(days=20),
        ("green", "red", "green"),
        30,
        "The first test restore of the order database failed: the backups of the last "
        "three months cannot be read back.",
        health="red",
        next_steps="Rebuild the backup job with the vendor; test again within two weeks.",
        needs="Approve two days of the vendor's engineer (€2,400) this month.",
    )


def _roadblock(org, actor, titles, today: date) -> None:
    """The red report's cause, held up where the committee can remove it."""
    from cairn.governance.models import Roadblock

    ensure(
        Roadblock,
        org,
        actor,
        lookup={"description": "The backup vendor's engineer is booked until next month"},
        defaults={
            "initiative": titles[BACKUPS],
            "since": today - timedelta(days=12),
            "who_can_remove": "The IT director, by approving two days of a second engineer",
        },
    )


def _spend(org, actor, titles, this_month: date) -> None:
    """The finance export: patching a year long, above plan (the router work); the backup
    tests and the knowledge base since the roadmap began, under plan."""
    monthly = {
        PATCHING: [
            Decimal(v)
            for v in (900, 950, 1100, 1200, 1250, 1300, 1500, 1650, 1800, 2100, 2300, 2450)
        ],  # fmt: skip
        BACKUPS: [Decimal(2500), Decimal(2350)],
        HELPDESK: [Decimal(4000), Decimal(3600)],
    }
    for title, amounts in monthly.items():
        for back, amount in enumerate(reversed(amounts), 1):
            month = add_months(this_month, -back)
            ensure(
                Actual,
                org,
                actor,
                lookup={"initiative": titles[title], "month": month, "source": _source(month)},
                defaults={"amount": amount, "kind": "one_off"},
            )


def _source(month: date) -> str:
    return f"Finance export {month:%b %Y}, cost centre IT-400"


def _benefits(org, actor, titles, today: date) -> None:
    """Four promises. Their sizes are set from the KPIs' own values since each initiative
    started, so that each tells its story on whatever day the demo is loaded."""
    kpis = {k.name: k for k in Kpi.objects.filter(organization=org)}
    plans = [
        # initiative, KPI, due (days from today), confidence, story, note
        (PATCHING, "Minutes to resume selling after a system failure", 120, "high", "realised",
         "Patched systems fail less and come back faster."),
        (BACKUPS, "IT operating cost per month", 540, "medium", "on the way",
         "Restores done in-house instead of by the support contractor."),
        (HELPDESK, "Customer questions answered on first contact", 400, "medium", "behind",
         "Agents find the answer in the knowledge base instead of passing the call on."),
        (PATCHING, "IT cost per order shipped", -20, "low", "missed",
         "Fewer emergency call-outs lower IT's cost per order."),
    ]  # fmt: skip
    stories = {}
    for title, kpi_name, days, confidence, story, note in plans:
        if kpi_name not in kpis:
            continue
        benefit = ensure(
            Benefit,
            org,
            actor,
            lookup={"initiative": titles[title], "kpi": kpis[kpi_name]},
            defaults={
                "change": 1.0,
                "due": today + timedelta(days=days),
                "confidence": confidence,
                "note": note,
            },
        )
        stories[benefit.pk] = story
    for row in services.benefits(org, today=today):
        movement = row.realised.movement or 0.0
        story = stories.get(row.benefit.pk)
        if story == "realised":
            change = max(movement * 0.8, 1.0) if movement > 0 else 1.0
        elif story == "on the way":
            change = max(movement * 3, abs(row.baseline or 1) / 10)  # a third of the way
        elif story == "behind":
            change = max(abs(movement) * 4, abs(row.baseline or 1) / 10)
        elif story == "missed":
            floor = abs(row.baseline or 1) / 10
            change = max(abs(movement) * 2, floor)  # half of it by the date at most
        else:
            continue
        Benefit.objects.filter(pk=row.benefit.pk).update(change=float(f"{change:.2g}"))
