"""Reading the cells of another tool's export: amounts, numbers, durations, dates and
the rows a dependency names, each refused with a message a person can act on."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cairn.core.tabular import clip

DAYS_PER_MONTH = 20  # working days, as MS Project counts a month ("1 mon" = 20 days)


def text(cell: Any) -> str:
    """A cell as the text a person sees: dates as 2026-01-31, 3.0 as 3."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else str(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


CURRENCY = re.compile(r"^\s*(?:[A-Z]{3}|[$€£¥₹])\s*|\s*(?:[A-Z]{3}|[$€£¥₹])\s*$")
DURATION = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(e?)([a-z]*)\??$")
UNIT_DAYS = {
    "": 1,
    "m": 1 / 480,
    "min": 1 / 480,
    "mins": 1 / 480,
    "minute": 1 / 480,
    "minutes": 1 / 480,
    "h": 1 / 8,
    "hr": 1 / 8,
    "hrs": 1 / 8,
    "hour": 1 / 8,
    "hours": 1 / 8,
    "d": 1,
    "dy": 1,
    "day": 1,
    "days": 1,
    "w": 5,
    "wk": 5,
    "wks": 5,
    "week": 5,
    "weeks": 5,
    "mo": DAYS_PER_MONTH,
    "mon": DAYS_PER_MONTH,
    "mons": DAYS_PER_MONTH,
    "month": DAYS_PER_MONTH,
    "months": DAYS_PER_MONTH,
    "y": 12 * DAYS_PER_MONTH,
    "yr": 12 * DAYS_PER_MONTH,
    "yrs": 12 * DAYS_PER_MONTH,
    "year": 12 * DAYS_PER_MONTH,
    "years": 12 * DAYS_PER_MONTH,
}
DATE_FORMATS = (
    "%d/%b/%y %I:%M %p",  # Jira: 05/Jan/26 10:00 AM
    "%d/%b/%y",
    "%m/%d/%Y %I:%M:%S %p",  # Azure DevOps: 1/5/2026 12:00:00 AM
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%m/%d/%y",  # MS Project: Mon 1/5/26 8:00 AM, once the weekday is off
    "%m/%d/%y %I:%M %p",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def amount(cell: Any) -> Decimal:
    """An amount of money from a cell like "$12,000.00", "12 000 €" or 1200.5."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        number = Decimal(str(cell))
    else:
        # A currency sign or code before or after; spaces and ' may group the thousands.
        raw = CURRENCY.sub("", text(cell)).replace("\u00a0", "").replace(" ", "").replace("'", "")
        if not re.fullmatch(r"-?[\d.,]+", raw):
            raise ValueError(f"“{clip(text(cell), 40)}” is not an amount")
        if "," in raw and "." in raw:  # the last one separates the cents
            raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else raw
            raw = raw.replace(".", "").replace(",", ".") if "," in raw else raw
        elif "," in raw:
            thousands = re.fullmatch(r"-?\d{1,3}(,\d{3})+", raw)
            raw = raw.replace(",", "") if thousands else raw.replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"“{clip(text(cell), 40)}” is not an amount") from None
    if not number.is_finite() or number < 0 or number.adjusted() > 12:
        raise ValueError(f"“{clip(text(cell), 40)}” is not an amount Cairn can hold")
    return number.quantize(Decimal("0.01"))


def number(cell: Any) -> Decimal:
    """A plain number (story points, hours)."""
    try:
        value = Decimal(text(cell).replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"“{clip(text(cell), 40)}” is not a number") from None
    if not value.is_finite() or value < 0 or value.adjusted() > 9:
        raise ValueError(f"“{clip(text(cell), 40)}” is not a number Cairn can use")
    return value


def months_of(cell: Any) -> int:
    """A duration like "20 days", "4 wks", "3 mons", "5d" or a number of days, as whole
    months of 20 working days, rounded up, at least 1."""
    raw = text(cell).lower().replace("\u00a0", " ")
    found = DURATION.match(raw)
    if not found or found.group(3) not in UNIT_DAYS:
        raise ValueError(f"“{clip(text(cell), 40)}” is not a duration like “20 days”")
    days = float(found.group(1).replace(",", ".")) * UNIT_DAYS[found.group(3)]
    if found.group(2) and UNIT_DAYS[found.group(3)] <= 1:
        days *= 5 / 7  # elapsed ("edays") count weekends
    return max(1, math.ceil(round(days / DAYS_PER_MONTH, 6)))


def date_of(cell: Any) -> date:
    """A date cell, or a date written the way these tools write one."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    raw = re.sub(r"^[A-Za-z]{3}\s+", "", text(cell))  # MS Project's "Mon 1/5/26"
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{clip(text(cell), 40)}” is not a date")


REFERENCE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*-\d+|\d+)\s*(?:(?:FS|SS|FF|SF)\b.*)?$", re.I)


def references(cells: list[str]) -> list[str]:
    """The rows a dependency cell names: "3FS+2 days;5" → 3, 5; "ABC-12" → ABC-12."""
    names = []
    for cell in cells:
        for part in re.split(r"[;,]", cell):
            if part.strip():
                found = REFERENCE.match(part)
                names.append(found.group(1) if found else part.strip())
    return names
