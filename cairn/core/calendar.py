"""One calendar for the whole app: how quarters and months are named on the roadmap, in
governance reviews and meetings, and in the strategy documents.

With a financial year starting in January (``fiscal_year_start == 1``), quarters are calendar
quarters: "Q2 2027 (Apr–Jun)". Otherwise they are financial-year quarters, the financial year
named by the calendar year it ends in (as the governance reviews always did): with an April
start, "Q1 FY2028 (Apr–Jun 2027)". Months are "Mar 2027" everywhere.

Core sits at the bottom of the app: this module imports no domain app.
"""

from __future__ import annotations

from datetime import date


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(day: date, fiscal_year_start: int = 1) -> date:
    """The first day of the (financial) quarter that contains ``day``."""
    return add_months(date(day.year, day.month, 1), -((day.month - fiscal_year_start) % 3))


def fiscal_quarter(day: date, fiscal_year_start: int = 1) -> tuple[int, int]:
    """(quarter 1–4, year) of ``day``: the calendar year for calendar quarters, else the
    calendar year the financial year ends in."""
    months_in = (day.month - fiscal_year_start) % 12
    quarter = months_in // 3 + 1
    if fiscal_year_start == 1:
        return quarter, day.year
    first = add_months(date(day.year, day.month, 1), -months_in)  # the financial year's start
    return quarter, add_months(first, 11).year


def quarter_label(day: date, fiscal_year_start: int = 1, *, months: bool = True) -> str:
    """The name of the quarter containing ``day``: "Q2 2027 (Apr–Jun)" or, for a financial
    year not starting in January, "Q1 FY2028 (Apr–Jun 2027)". ``months=False`` drops the
    part in brackets."""
    quarter, year = fiscal_quarter(day, fiscal_year_start)
    first = quarter_start(day, fiscal_year_start)
    last = add_months(first, 2)
    span = f"{first:%b}–{last:%b}"
    if fiscal_year_start == 1:
        return f"Q{quarter} {year} ({span})" if months else f"Q{quarter} {year}"
    if first.year != last.year:
        span = f"{first:%b %Y}–{last:%b %Y}"
    else:
        span = f"{span} {last.year}"
    return f"Q{quarter} FY{year} ({span})" if months else f"Q{quarter} FY{year}"


def month_label(day: date) -> str:
    """The name of a month: "Mar 2027"."""
    return f"{day:%b %Y}"
