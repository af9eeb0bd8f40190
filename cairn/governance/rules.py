"""The guideposts' rules, with no database access: the RACI rule and presets, meeting and
review calendars, and comparing two snapshots of the strategy. (Initiative status
transitions live with the initiative, in ``portfolio.models``.)"""

from __future__ import annotations

from datetime import date, timedelta

from cairn.core import calendar
from cairn.core.money import MONEY_SIGNS
from cairn.portfolio.models import STATUS_LABELS as LABELS

CHANGE_TO_STATUS = {"approve": "approved", "reject": "rejected", "defer": "deferred"}


# --- RACI

LETTERS = {"R": "Responsible", "A": "Accountable", "C": "Consulted", "I": "Informed"}
RACI_RULE = (
    "Each activity has exactly one person accountable (A) — the one who answers for it — "
    "and at least one responsible (R) — who does the work."
)


def raci_problems(people: list[str], rows: list[dict]) -> list[str]:
    """Every way the matrix breaks the RACI rule (or has unknown people or letters)."""
    problems = []
    if not rows:
        problems.append("Add at least one activity.")
    if len(set(people)) != len(people):
        problems.append("Each person appears once.")
    for row in rows:
        name = row.get("activity", "").strip() or "An activity without a name"
        cells = row.get("cells", {})
        letters = [cells.get(p, "") for p in people]
        unknown = [p for p in cells if p not in people and cells[p]]
        if unknown:
            problems.append(f"“{name}” names someone not in the matrix: {', '.join(unknown)}.")
        bad = sorted({v for v in letters if v and v not in LETTERS})
        if bad:
            problems.append(f"“{name}” has letters other than R, A, C, I: {', '.join(bad)}.")
        accountable = letters.count("A")
        if accountable != 1:
            problems.append(
                f"“{name}” has {accountable or 'no'} accountable (A); it needs exactly one."
            )
        if "R" not in letters:
            problems.append(f"“{name}” has no one responsible (R); it needs at least one.")
    return problems


# The method's example: selecting an ERP.
ERP_PRESET = {
    "title": "ERP selection",
    "people": [
        "IT director",
        "Project manager",
        "COO",
        "Head of finance",
        "Head of operations",
        "Head of sales",
        "CEO and leadership team",
    ],
    "rows": [
        {"activity": activity, "cells": cells}
        for activity, cells in [
            (
                "Gather requirements",
                {"IT director": "R", "Project manager": "R", "COO": "A"}
                | dict.fromkeys(("Head of finance", "Head of operations", "Head of sales"), "C")
                | {"CEO and leadership team": "I"},
            ),
            (
                "Shortlist and demo vendors",
                {"IT director": "R", "Project manager": "R", "COO": "A"}
                | dict.fromkeys(("Head of finance", "Head of operations", "Head of sales"), "C")
                | {"CEO and leadership team": "I"},
            ),
            (
                "Choose the ERP and sign",
                {"IT director": "R", "Project manager": "R", "COO": "A"}
                | dict.fromkeys(("Head of finance", "Head of operations", "Head of sales"), "C")
                | {"CEO and leadership team": "I"},
            ),
        ]
    ],
}
PROJECT_PRESET = {
    "title": "Project delivery",
    "people": ["Project manager", "Sponsor", "IT lead", "Business lead", "Users"],
    "rows": [
        {
            "activity": "Plan and budget",
            "cells": {"Project manager": "R", "Sponsor": "A", "IT lead": "C", "Business lead": "C"},
        },
        {
            "activity": "Build and test",
            "cells": {"IT lead": "R", "Project manager": "A", "Business lead": "C", "Users": "I"},
        },
        {
            "activity": "Go live",
            "cells": {"Project manager": "R", "Sponsor": "A", "IT lead": "R", "Users": "I"},
        },
    ],
}
PRESETS = {"erp": ERP_PRESET, "project": PROJECT_PRESET}


# --- Calendars


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def next_meetings(after: date, every_months: int, count: int = 4) -> list[date]:
    """The next ``count`` meeting dates: the first Tuesday of the first month of each period
    (quarter, by default) after ``after``."""
    start_month = ((after.month - 1) // every_months + 1) * every_months
    first = date(after.year + start_month // 12, start_month % 12 + 1, 1)
    days = []
    for i in range(count):
        month_start = add_months(first, i * every_months)
        days.append(month_start + timedelta(days=(1 - month_start.weekday()) % 7))
    return days


def review_dates(fiscal_year_start: int, today: date) -> list[tuple[str, str, date]]:
    """The coming year's reviews: three quarterly check-ins and the annual review, each due
    at the end of a fiscal quarter (the annual one at the end of the fiscal year)."""
    year = today.year if today.month >= fiscal_year_start else today.year - 1
    start = date(year, fiscal_year_start, 1)
    out = []
    for q in range(1, 5):
        end = add_months(start, 3 * q) - timedelta(days=1)
        while end < today:
            end = add_months(end + timedelta(days=1), 12) - timedelta(days=1)
        # A fiscal year is named by the calendar year it ends in.
        fy_end = date(end.year, fiscal_year_start, 1) - timedelta(days=1)
        if fy_end < end:
            fy_end = add_months(fy_end + timedelta(days=1), 12) - timedelta(days=1)
        if q < 4:
            label = calendar.quarter_label(end, fiscal_year_start)  # the app's one calendar
            out.append(("quarterly", f"Quarterly check-in, {label}", end))
        else:
            out.append(("annual", f"Annual review of FY{fy_end.year}", end))
    return sorted(out, key=lambda r: r[2])


# --- Comparing snapshots


def compare(then: dict, now: dict) -> list[tuple[str, str]]:
    """What changed between two snapshots, as (area, sentence), in plain words."""
    out: list[tuple[str, str]] = []

    def by_id(snap, key):
        return {str(x["id"]): x for x in snap.get(key, [])}

    a, b = by_id(then, "goals"), by_id(now, "goals")
    for k in b.keys() - a.keys():
        out.append(("Goals", f"Goal added: “{b[k]['title']}”."))
    for k in a.keys() - b.keys():
        out.append(("Goals", f"Goal removed: “{a[k]['title']}”."))
    for k in a.keys() & b.keys():
        if a[k]["title"] != b[k]["title"]:
            out.append(("Goals", f"Goal renamed from “{a[k]['title']}” to “{b[k]['title']}”."))
        if a[k].get("target_date") != b[k].get("target_date"):
            out.append(
                (
                    "Goals",
                    f"“{b[k]['title']}” now aims for {b[k].get('target_date')} "
                    f"(was {a[k].get('target_date')}).",
                )
            )
    a, b = by_id(then, "initiatives"), by_id(now, "initiatives")
    for k in b.keys() - a.keys():
        out.append(("Initiatives", f"New initiative: “{b[k]['title']}” ({_status(b[k])})."))
    for k in a.keys() - b.keys():
        out.append(("Initiatives", f"Initiative dropped from the list: “{a[k]['title']}”."))
    for k in sorted(a.keys() & b.keys(), key=lambda k: b[k]["title"]):
        if a[k]["status"] != b[k]["status"]:
            verb = {
                "approved": "approved",
                "rejected": "dropped",
                "deferred": "deferred",
                "done": "finished",
                "in_progress": "started",
            }.get(b[k]["status"], f"now {_status(b[k])}")
            out.append(("Initiatives", f"“{b[k]['title']}” {verb} (was {_status(a[k])})."))
    a, b = by_id(then, "roadmap"), by_id(now, "roadmap")
    for k in sorted(a.keys() & b.keys(), key=lambda k: b[k]["title"]):
        if a[k].get("starts") != b[k].get("starts") or a[k].get("ends") != b[k].get("ends"):
            out.append(
                (
                    "Roadmap",
                    f"“{b[k]['title']}” moved: {a[k].get('starts')}–{a[k].get('ends')} "
                    f"then, {b[k].get('starts')}–{b[k].get('ends')} now.",
                )
            )
    for k in b.keys() - a.keys():
        out.append(("Roadmap", f"“{b[k]['title']}” added to the roadmap."))
    a, b = by_id(then, "kpis"), by_id(now, "kpis")
    for k in sorted(a.keys() & b.keys(), key=lambda k: b[k]["name"]):
        if a[k].get("latest_value") != b[k].get("latest_value"):
            out.append(
                (
                    "KPIs",
                    f"{b[k]['name']}: {_value(a[k])} then, {_value(b[k])} now "
                    f"({b[k].get('status_label', '')}).",
                )
            )
    for k in b.keys() - a.keys():
        out.append(("KPIs", f"New KPI: {b[k]['name']}."))
    out += _execution_changes(by_id(then, "execution"), by_id(now, "execution"))
    return out


HEALTH_WORDS = {
    "green": "green",
    "amber": "amber",
    "red": "red",
    "missing": "without a status report",
    None: "not reported yet",
}


def _execution_changes(a: dict, b: dict) -> list[tuple[str, str]]:
    """How initiatives under way changed: their health, going over plan (or back within it),
    benefits realised. Snapshots taken before execution was recorded have none: no sentence."""
    out = []
    for k in sorted(a.keys() & b.keys(), key=lambda k: b[k]["title"]):
        then, now, title = a[k], b[k], b[k]["title"]
        if then.get("health") != now.get("health"):
            verb = "is now" if now.get("health") in ("missing", None) else "turned"
            out.append(
                (
                    "Execution",
                    f"“{title}” {verb} {HEALTH_WORDS.get(now.get('health'), now.get('health'))} "
                    f"(was {HEALTH_WORDS.get(then.get('health'), then.get('health'))}).",
                )
            )
        if then.get("overspent") != now.get("overspent"):
            spent = f"{now.get('spent_to_date', 0):,.0f} spent against "
            spent += f"{now.get('planned_to_date', 0):,.0f} planned to date"
            state = "went over plan" if now.get("overspent") else "is back within plan"
            out.append(("Execution", f"“{title}” {state}: {spent}."))
        realised, was = now.get("benefits_realised", 0), then.get("benefits_realised", 0)
        if realised != was:
            out.append(
                (
                    "Execution",
                    f"“{title}” has realised {realised} of the {now.get('benefits_promised', 0)} "
                    f"benefit{'s' if now.get('benefits_promised', 0) != 1 else ''} it promised "
                    f"(was {was}).",
                )
            )
    return out


def _status(item: dict) -> str:
    return LABELS.get(item["status"], item["status"]).lower()


def _value(kpi: dict) -> str:
    value = kpi.get("latest_value")
    if value is None:
        return "not measured"
    unit = kpi.get("unit") or ""
    digits = 0 if abs(value) >= 1000 else 1 if abs(value) >= 100 else 2
    text = f"{value:,.{digits}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    if unit == "%":
        return f"{text}%"
    if unit in MONEY_SIGNS:
        return f"{unit} {text}" if unit[-1].isalpha() else f"{unit}{text}"  # CHF 3.10, €3.10
    return f"{text} {unit}".strip()
