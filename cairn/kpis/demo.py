"""Summit Outfitters' ascent: KPIs for every goal, with two and a half years of values.

The story the figures tell (by the one headline status, ``status.headline``):
digital sales and the net promoter score are on track; website conversion is at
risk (on the straight path today, but its forecast misses the target); orders
shipped too, for the same reason; first-contact resolution is off track
(the knowledge base is approved but not yet under way); the month-end close reached its
target (a win to record); recovery after a till failure reached it and was
celebrated; rental bookings have not been reported for months (stale, and off
track: behind the path and heading far short); and IT
cost per order is calculated from two measured KPIs.

Dates are relative to the day the demo is loaded, so the story stays true.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from django.utils import timezone

from cairn.core.demo import ensure
from cairn.core.money import money_unit
from cairn.goals.models import BusinessGoal
from cairn.kpis import services
from cairn.kpis.models import Kpi, Measurement, Win
from cairn.portfolio.models import Initiative

MONTHS = 30  # of history


def _month_end(today: date, months_back: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months_back, 12)
    first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _dates(today: date, rhythm: str, start_back: int, stop_back: int = 1) -> list[date]:
    """Measurement dates from ``start_back`` months ago to ``stop_back`` months ago."""
    if rhythm == "weekly":
        first = _month_end(today, start_back)
        last = today - timedelta(days=7 * stop_back)
        return [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]
    step = 3 if rhythm == "quarterly" else 1
    return [_month_end(today, m) for m in range(start_back, stop_back - 1, -step)]


# name: goal keys, initiatives, fields, (start, end, noise, curve, stop_back)
KPIS = [
    {
        "name": "Share of revenue from digital channels",
        "goals": ["share"],
        "initiatives": ["Loyalty programme on the web shop", "Online product advice chat"],
        "fields": {
            "unit": "%",
            "direction": "up",
            "rhythm": "monthly",
            "owner": "Tom Lindqvist",
            "replaces": "Website page views",
            "baseline_value": 18.0,
            "target_value": 35.0,
            "target_date": date(2030, 3, 31),
            "description": "Online and click-and-collect revenue as a share of all revenue.",
        },
        "series": (18.0, 25.6, 0.5, 1.0, 1),
    },
    {
        "name": "Share of website visits that end in a purchase",
        "goals": ["share"],
        "initiatives": ["Loyalty programme on the web shop"],
        "fields": {
            "unit": "%",
            "direction": "up",
            "rhythm": "weekly",
            "owner": "Tom Lindqvist",
            "replaces": "Website response time",
            "baseline_value": 1.8,
            "target_value": 3.0,
            "target_date": date(2029, 12, 31),
        },
        "series": (1.8, 2.2, 0.05, 1.0, 0),
    },
    {
        "name": "Customer questions answered on first contact",
        "goals": ["service"],
        "initiatives": [
            "Help-desk knowledge base for agents",
            "One customer record across tills, web and help desk",
        ],
        "fields": {
            "unit": "%",
            "direction": "up",
            "rhythm": "monthly",
            "owner": "Grace Mbeki",
            "replaces": "Call-centre system response time",
            "baseline_value": 58.0,
            "target_value": 85.0,
            "target_date": date(2029, 12, 31),
        },
        "series": (58.0, 60.5, 1.2, 1.0, 1),
    },
    {
        "name": "Net Promoter Score",
        "goals": ["service"],
        "initiatives": ["Cloud phone system with call history"],
        "fields": {
            "unit": "points",
            "direction": "up",
            "rhythm": "quarterly",
            "owner": "Grace Mbeki",
            "replaces": "Help-desk tickets closed",
            "min_value": -100.0,  # a score out of ±100: anything else is a typing mistake
            "max_value": 100.0,
            "baseline_value": 22.0,
            "target_value": 45.0,
            "target_date": date(2029, 12, 31),
            "description": "Share of promoters minus share of detractors, from the survey after "
            "every purchase and support contact.",
        },
        "series": (22.0, 33.0, 1.0, 1.0, 1),
    },
    {
        "name": "Minutes to resume selling after a system failure",
        "goals": ["service"],
        "initiatives": ["Backups tested every quarter"],
        "fields": {
            "unit": "minutes",
            "direction": "down",
            "rhythm": "quarterly",
            "owner": "Morgan Reyes",
            "replaces": "Backup success rate",
            "baseline_value": 240.0,
            "target_value": 30.0,
            "target_date": date(2027, 12, 31),
        },
        "series": (240.0, 15.0, 5.0, 0.6, 1),
    },
    {
        "name": "IT operating cost per month",
        "goals": ["costs"],
        "initiatives": ["Retire the fax-to-email server", "Retire the old intranet"],
        "fields": {
            "unit": "$",
            "direction": "down",
            "rhythm": "monthly",
            "owner": "Dana Okafor",
            "replaces": "IT spend against budget",
            "baseline_value": 148000.0,
            "target_value": 125000.0,
            "target_date": date(2029, 3, 31),
        },
        "series": (148000.0, 136500.0, 1500.0, 1.0, 1),
    },
    {
        "name": "Orders shipped",
        "goals": ["costs", "share"],
        "initiatives": [],
        "fields": {
            "unit": "orders",
            "direction": "up",
            "rhythm": "monthly",
            "owner": "Grace Mbeki",
            "baseline_value": 36000.0,
            "target_value": 52000.0,
            "target_date": date(2029, 3, 31),
        },
        "series": (36000.0, 44500.0, 600.0, 1.0, 1),
    },
    {
        "name": "IT cost per order shipped",
        "goals": ["costs"],
        "initiatives": ["Automatic supplier-invoice matching"],
        "fields": {
            "unit": "$",
            "direction": "down",
            "rhythm": "monthly",
            "owner": "Dana Okafor",
            "replaces": "IT spend against budget",
            "baseline_value": 4.1,
            "target_value": 2.6,
            "target_date": date(2029, 3, 31),
            "formula": "{IT operating cost per month} / {Orders shipped}",
            "description": "What IT costs for every order the business ships: falls when IT "
            "gets cheaper or when the business grows on the same IT.",
        },
        "series": None,
    },
    {
        "name": "Working days to close the books each month",
        "goals": ["costs"],
        "initiatives": ["Faster month-end close with ERP workflows"],
        "fields": {
            "unit": "days",
            "direction": "down",
            "rhythm": "monthly",
            "owner": "Dana Okafor",
            "replaces": "Batch jobs completed",
            "baseline_value": 9.0,
            "target_value": 5.0,
            "target_date": date(2028, 3, 31),
        },
        "series": (9.0, 4.6, 0.3, 0.7, 1),
    },
    {
        "name": "Rental bookings per month",
        "goals": ["rental"],
        "initiatives": ["Rental booking and deposits"],
        "fields": {
            "unit": "bookings",
            "direction": "up",
            "rhythm": "monthly",
            "owner": "Luis Romero",
            "baseline_value": 40.0,
            "target_value": 1200.0,
            "target_date": date(2030, 9, 30),
            "description": "Bookings across all pilot stores; reported by the store managers.",
        },
        "series": (40.0, 260.0, 15.0, 1.0, 5),  # not reported for five months: stale
    },
]

WINS = [
    {
        "title": "Tills back in 15 minutes after a failure, down from four hours",
        "goal": "service",
        "kpi": "Minutes to resume selling after a system failure",
        "initiatives": ["Backups tested every quarter"],
        "months_back": 4,
        "story": "When the Portland store's till server failed on a Saturday in the spring, "
        "we were selling again in a quarter of an hour. A year ago the same failure cost an "
        "afternoon of sales. The difference: backups we now restore for real every quarter.",
    },
    {
        "title": "New firewall in place with no minute of downtime",
        "goal": "costs",
        "kpi": None,
        "initiatives": ["Replace the end-of-support firewall"],
        "months_back": 2,
        "story": "The firewall that had reached the end of its support was replaced over two "
        "nights; no store noticed. It removes our largest known security risk.",
    },
    {
        "title": "Month-end close down from nine working days to six",
        "goal": "costs",
        "kpi": None,  # the KPI went on to reach its target: Cairn proposes that win
        "initiatives": ["Faster month-end close with ERP workflows"],
        "months_back": 14,
        "story": "Finance now has the month's figures three days sooner, thanks to approval "
        "workflows in the ERP instead of e-mailed spreadsheets.",
    },
]


def _series(dates: list[date], start: float, end: float, noise: float, curve: float, seed: int):
    rng = random.Random(seed)
    n = max(len(dates) - 1, 1)
    out = []
    for i, day in enumerate(dates):
        share = (i / n) ** curve
        wobble = noise * (rng.random() * 2 - 1) + noise * 0.3 * math.sin(day.month / 12 * 6.28)
        out.append((day, round(start + (end - start) * share + wobble, 2)))
    return out


def load(org, actor) -> None:
    today = timezone.localdate()
    goals = {
        key: BusinessGoal.objects.get(organization=org, title=title)
        for key, title in _goal_titles().items()
    }
    initiatives = dict(Initiative.objects.filter(organization=org).values_list("title", "pk"))
    kpis: dict[str, Kpi] = {}
    baseline_date = _month_end(today, MONTHS)
    for seed, spec in enumerate(KPIS):
        fields = dict(spec["fields"])
        fields["unit"] = money_unit(fields.get("unit", ""), org.currency)  # Summit counts in €
        formula = fields.pop("formula", "")
        kpi = ensure(
            Kpi,
            org,
            actor,
            lookup={"name": spec["name"]},
            defaults={**fields, "baseline_date": baseline_date},
            m2m={
                "goals": [goals[g].pk for g in spec["goals"]],
                "initiatives": [initiatives[t] for t in spec["initiatives"] if t in initiatives],
            },
        )
        kpis[kpi.name] = kpi
        if spec["series"] and not Measurement.objects.filter(kpi=kpi).exists():
            start, end, noise, curve, stop_back = spec["series"]
            dates = _dates(today, fields["rhythm"], MONTHS, stop_back)
            Measurement.objects.bulk_create(
                Measurement(kpi=kpi, date=d, value=v, source="Monthly management report")
                for d, v in _series(dates, start, end, noise, curve, seed)
            )
            services.refresh([kpi.pk])
        if formula and not kpi.formula:
            kpi.formula = formula
            kpi.save(update_fields=["formula"])
            services.set_formula_inputs(kpi, {name: k.pk for name, k in kpis.items()})
    for spec in WINS:
        ensure(
            Win,
            org,
            actor,
            lookup={"title": spec["title"]},
            defaults={
                "goal": goals[spec["goal"]],
                "kpi": kpis.get(spec["kpi"]) if spec["kpi"] else None,
                "achieved_on": _month_end(today, spec["months_back"]),
                "story": spec["story"],
            },
            m2m={"initiatives": [initiatives[t] for t in spec["initiatives"] if t in initiatives]},
        )


def _goal_titles() -> dict[str, str]:
    from cairn.goals.demo import GOALS

    return {key: data["title"] for key, data in GOALS.items()}
