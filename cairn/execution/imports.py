"""Actual spend imported from the finance system's export (CSV or .xlsx), all rows or none.

Columns are found by name (``COLUMNS``): initiative, a month (under the heading period, month
or date), amount, and optionally kind, budget_line and source. Rows of one file add up: a
month may have an invoice a row.

Importing the same export again must not count it twice, so the file *replaces*: for each
initiative and month it contains, every actual recorded before for that initiative and month
— imported earlier or typed in by hand — is deleted, and the file's rows take their place.
Initiatives and months the file does not mention are left as they are. ``REPLACE_RULE`` says
so in the page's words.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, Q

from cairn.core import services as core
from cairn.core.dates import in_range
from cairn.core.models import AuditAction, AuditVia, Organization
from cairn.core.money import CURRENCIES, MONEY_SIGNS
from cairn.core.tabular import (
    Column,
    FileProblem,
    ImportRefused,
    Report,
    Sentence,
    clip,
    header_name,
    iter_cells,
    iter_rows,
)
from cairn.execution.models import Actual, SpendKind
from cairn.execution.services import EXECUTED
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import BudgetLine

BATCH = 2000  # rows written at a time
MONTH_HEADINGS = ("period", "month", "date")  # a file names its month column one of these
REPLACE_RULE = (
    "For each initiative and month in the file, the file replaces the spend recorded before "
    "for that initiative and month, whether imported or typed in by hand: importing the same "
    "export twice counts it once. Other initiatives and months are left as they are."
)
_SIGNS = MONEY_SIGNS | set(CURRENCIES)  # "€", "CHF", "EUR" …
_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[ T].*)?")


class MonthColumn(Column):
    """A month: 2026-11, 2026-11-15 (any day of it), or an Excel date cell."""

    def parse(self, raw: Any) -> date | None:
        if isinstance(raw, datetime | date):
            day = raw.date() if isinstance(raw, datetime) else raw
        else:
            text = "" if raw is None else str(raw).strip()
            if not text:
                return None  # required across the three headings: checked by the importer
            match = _MONTH.fullmatch(text[:40])
            try:
                if not match:
                    raise ValueError
                year, month, day_of = match.groups()
                day = date(int(year), int(month), int(day_of or 1))
            except ValueError:
                raise ValueError(f"“{clip(text, 40)}” is not a month like 2026-11") from None
        if not in_range(day):
            raise ValueError(f"{day.isoformat()} is outside 1900 to 2199")
        return day.replace(day=1)


class AmountColumn(Column):
    """An amount, where a currency sign gets its own plain message instead of "not a number"."""

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, float) and math.isfinite(raw) and abs(raw) < 1e12:
            # A number cell Excel computed (0.1 + 0.2) holds binary noise past the cents.
            near = round(raw, 2)
            raw = f"{near:.2f}" if abs(raw - near) < 1e-6 else repr(raw)
        if isinstance(raw, str):
            letters = re.sub(r"[\d\s.,+\-]", "", raw[:100])
            if letters and (letters in _SIGNS or letters.upper() in _SIGNS):
                raise Sentence(
                    f"“{clip(raw.strip(), 40)}”: write the amount without its currency sign, "
                    "as 1,200.50 (a credit as -1,200.50)."
                )
        return super().parse(raw)


class KindColumn(Column):
    """One-off or running: "one-off", "One off" and "one_off" all read as one-off."""

    def parse(self, raw: Any) -> str:
        text = "" if raw is None else str(raw).strip()
        if not text:
            return SpendKind.ONE_OFF
        value = re.sub(r"[\s_-]+", "_", text.lower())
        if value not in SpendKind.values:
            raise ValueError(f"“{clip(text, 40)}” is not one-off or running")
        return value


COLUMNS: list[Column] = [
    Column(
        "initiative",
        required=True,
        max_length=200,
        help="The initiative's title, as in Cairn (capitals do not matter); approved, in "
        "progress or done.",
    ),
    *(
        MonthColumn(
            name,
            help="The month the spend was booked in: 2026-11, or any date in it "
            "(an Excel date works).",
        )
        for name in MONTH_HEADINGS
    ),
    AmountColumn(
        "amount",
        required=True,
        kind="decimal",
        minimum=-(10**11),
        maximum=10**11,
        decimal_places=2,
        money=True,
        help="In the organisation's currency: 1,200.50 or 1200.50, without a currency sign. "
        "A credit (a refund, a reversed invoice) is negative.",
    ),
    KindColumn("kind", help="one-off (the default) or running."),
    Column("budget_line", max_length=120, help="The budget line's name, if any."),
    Column("source", max_length=200, help="Invoice, purchase order or ledger line."),
]
EXAMPLES = [
    ["Clean the data", "2026-10", "12,500.00", "one-off", "Projects", "INV-2026-1041"],
    ["Clean the data", "2026-11", "-300.00", "one-off", "Projects", "Credit note CN-88"],
    ["New CRM", "2026-11", "850", "running", "", "Licences, November"],
]


def template_rows(currency: str = "") -> tuple[list[str], list[list[Any]]]:
    """The template's header (one month column: period; the amount's currency) and its
    example rows."""
    headers = [c.heading(currency) for c in COLUMNS if c.name not in MONTH_HEADINGS[1:]]
    return headers, EXAMPLES


class Lookup:
    """The organisation's initiatives and budget lines by name, and what a row may name."""

    def __init__(self, org: Organization):
        self.initiatives: dict[str, list[Initiative]] = defaultdict(list)
        for i in Initiative.objects.filter(organization=org).only("title", "status"):
            self.initiatives[i.title.strip().casefold()].append(i)
        self.lines = {
            name.strip().casefold(): pk
            for name, pk in BudgetLine.objects.filter(organization=org).values_list("name", "pk")
        }

    def initiative(self, title: str) -> tuple[Initiative | None, str]:
        found = self.initiatives.get(title.strip().casefold(), [])
        if not found:
            return None, f"unknown initiative “{clip(title, 60)}”"
        if len(found) > 1:
            return None, f"{len(found)} initiatives are called “{clip(title, 60)}”: rename one"
        initiative = found[0]
        if initiative.status not in EXECUTED:
            return None, (
                f"“{clip(initiative.title, 60)}” has the status {initiative.get_status_display()}: "
                "only approved, in progress or done initiatives have spend"
            )
        return initiative, ""

    def line(self, name: str) -> tuple[int | None, str]:
        pk = self.lines.get(name.strip().casefold())
        return (pk, "") if pk else (None, f"unknown budget line “{clip(name, 60)}”")


def month_headings(file: IO[bytes], filename: str) -> list[str]:
    """Which of period, month and date the file's header has (the file is read again after)."""
    cells = iter_cells(file, filename)
    try:
        header = next(cells, None) or []
    except FileProblem:
        header = []  # reading the rows says what is wrong with the file
    finally:
        cells.close()
        file.seek(0)
    names = {header_name(h) for h in header}
    return [n for n in MONTH_HEADINGS if n in names]


def import_file(
    org: Organization,
    file: IO[bytes],
    filename: str,
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Import actual spend from a CSV or .xlsx file, all rows or none (see ``REPLACE_RULE``).

    Returns (rows added, actuals replaced) or raises ImportRefused with every problem.
    """
    report = Report()
    headings = month_headings(file, filename)
    if len(headings) > 1:
        report.add(0, "", f"The file has {' and '.join(headings)} columns: keep one of them.")
        raise ImportRefused(report)
    lookup = Lookup(org)
    added = replaced = 0
    touched: dict[int, tuple[str, int, int]] = {}  # initiative → (title, rows, replaced)
    with transaction.atomic():
        batch: list[Actual] = []
        seen: set[tuple[int, date]] = set()
        fresh: dict[date, set[int]] = defaultdict(set)  # first seen since the last write
        for row, ok in iter_rows(file, filename, COLUMNS, report, progress):
            number = row["_row"]
            if not headings:
                report.add(0, "", "The file has no month column: name it period, month or date.")
                break
            month = next((row[n] for n in headings if row.get(n)), None)
            if month is None and all(n in row for n in headings):  # not already refused
                report.add(number, headings[0], f"{headings[0]} is required")
                ok = False
            initiative = line_id = None
            if row.get("initiative"):
                initiative, problem = lookup.initiative(row["initiative"])
                if problem:
                    report.add(number, "initiative", problem)
                    ok = False
            if row.get("budget_line"):
                line_id, problem = lookup.line(row["budget_line"])
                if problem:
                    report.add(number, "budget_line", problem)
                    ok = False
            if not ok or not report.ok:
                batch.clear()  # nothing more is written: the transaction will be undone
                continue
            key = (initiative.pk, month)
            if key not in seen:
                seen.add(key)
                fresh[month].add(initiative.pk)
            batch.append(
                Actual(
                    organization=org,
                    created_by=actor if actor and actor.pk else None,
                    initiative=initiative,
                    month=month,
                    amount=row["amount"],
                    kind=row["kind"],
                    budget_line_id=line_id,
                    source=row["source"] or "",
                )
            )
            title, rows, gone = touched.get(initiative.pk, (initiative.title, 0, 0))
            touched[initiative.pk] = (title, rows + 1, gone)
            if len(batch) >= BATCH:
                replaced += _write(org, batch, fresh, touched)
                added += len(batch)
                batch.clear()
        if not report.ok:
            raise ImportRefused(report)
        replaced += _write(org, batch, fresh, touched)
        added += len(batch)
        core.AuditEvent.objects.bulk_create(
            core.audit_event(
                org,
                actor=actor,
                action=AuditAction.UPDATE,
                obj=Initiative(pk=pk, title=title),
                before=None,
                after={"spend imported": rows, "spend replaced": gone, "file": clip(filename)},
                via=via,
            )
            for pk, (title, rows, gone) in sorted(touched.items())
        )
    return added, replaced


def _write(org, batch: list[Actual], fresh: dict[date, set[int]], touched: dict) -> int:
    """Delete what the batch's new (initiative, month) pairs replace, then add the batch;
    returns how many actuals were deleted. Pairs seen in an earlier batch were cleared then,
    so the file's own rows are never deleted."""
    gone = 0
    if fresh:
        old = Actual.objects.filter(organization=org).filter(
            reduce(or_, (Q(month=m, initiative_id__in=ids) for m, ids in fresh.items()))
        )
        counts = old.values("initiative_id").annotate(n=Count("id")).order_by()
        for pk, n in ((c["initiative_id"], c["n"]) for c in counts):
            title, rows, before = touched[pk]
            touched[pk] = (title, rows, before + n)
            gone += n
        old.delete()
        fresh.clear()
    Actual.objects.bulk_create(batch)
    return gone
