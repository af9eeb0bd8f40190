"""Another tool's export (Jira, Azure DevOps, a planning tool's .xlsx) as Cairn initiatives.

Pure Python: ``survey`` reads a foreign file once for its columns and a few values of
each; ``guess`` proposes a ``Mapping`` from the tool's known layout (or the one the
organisation used last time); ``check`` finds what is wrong with a mapping before any row
is read; ``convert`` reads every row and writes a CSV in the initiatives layout, which
then goes through the ordinary import (preview, all-or-nothing, matching on title).

Dependencies: a cell of the column mapped to ``depends_on`` names other rows by their id
(Jira's issue key, Azure DevOps' ID, the planning tool's task ID, as in MS Project's
"3FS+2 days;5") or by title; each becomes the title of that row. A name that is no row of
the file (or a row left out by the filter) is left out and said so. A parent (Jira's
epic, Azure DevOps' Parent) is where a row belongs, not work it waits for: it is a
dependency only when the person chooses that column.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from cairn.core.tabular import Report, clip, iter_cells, write_table
from cairn.exchange.cells import amount, date_of, months_of, number, references, text

MAX_ROWS = 20_000  # a file converted inside one request; Jira exports 1,000 at a time
# openpyxl reads an .xlsx about ten times slower than a CSV: 5,000 rows take ~3 s to read.
MAX_XLSX_ROWS = 5_000
MAX_VALUES = 30  # distinct values of a column kept for the status and filter choices
STATUSES = ("idea", "proposed", "approved", "in_progress", "done", "rejected", "deferred")
DESCRIPTION = 5000  # Initiative.description's limit
OWNER = 120


@dataclass(frozen=True)
class Target:
    """A column of Cairn's initiatives a column of the file can fill."""

    name: str
    label: str
    help: str = ""


TARGETS = (
    Target("title", "Title", "Required: the name of each initiative."),
    Target("id", "Row id", "What other rows' dependencies name (an issue key, an ID)."),
    Target("description", "Description"),
    Target("owner", "Owner", "A name; e-mail addresses and shares like “[50%]” are dropped."),
    Target("status", "Status", "Each of its values is matched to a Cairn status below."),
    Target("one_off_cost", "One-off cost", "An amount; currency signs are ignored."),
    Target("running_cost", "Running cost per year", "An amount; currency signs are ignored."),
    Target("effort", "Effort", "A number (story points, hours) divided by the factor below."),
    Target("duration", "Duration", "Like “20 days”, “4 wks” or “3 mons”; 20 days a month."),
    Target("start", "Start date", "With a finish date, gives the duration when none is mapped."),
    Target("finish", "Finish date", "With a start date, gives the duration."),
    Target("depends_on", "Depends on", "Ids (or titles) of rows it waits for, e.g. “3FS;5”."),
    Target("only", "Import only rows whose…", "Leave unset to import every row."),
)
TARGET_NAMES = tuple(t.name for t in TARGETS)


@dataclass(frozen=True)
class Tool:
    """A tool whose export Cairn knows: the headers it writes for each target."""

    slug: str
    label: str
    headers: dict[str, tuple[str, ...]]
    only: tuple[str, ...] = ()  # filter values guessed when the filter column has them
    how: str = ""


TOOLS = {
    "jira": Tool(
        "jira",
        "Jira",
        {
            "title": ("Summary",),
            "id": ("Issue key",),
            "description": ("Description",),
            "owner": ("Assignee",),
            "status": ("Status",),
            "one_off_cost": ("Custom field (Cost)",),
            "start": ("Custom field (Start date)",),
            "finish": ("Due Date", "Due date"),
            "depends_on": ("Inward issue link (Blocks)",),
            "only": ("Issue Type",),
        },
        only=("Epic",),
        how="Filters → your search → Export → Export CSV (all fields).",
    ),
    "azure_devops": Tool(
        "azure_devops",
        "Azure DevOps",
        {
            "title": ("Title",),
            "id": ("ID",),
            "description": ("Description",),
            "owner": ("Assigned To",),
            "status": ("State",),
            "start": ("Start Date",),
            "finish": ("Target Date",),
            "only": ("Work Item Type",),
        },
        only=("Epic",),
        how="Boards → Queries → a query → Export to CSV.",
    ),
    "planning": Tool(
        "planning",
        "Microsoft Project or another planning tool",
        {
            "title": ("Name", "Task Name", "Task name"),
            "id": ("ID",),
            "owner": ("Resource Names",),
            "status": ("% Complete",),
            "one_off_cost": ("Cost",),
            "duration": ("Duration",),
            "start": ("Start",),
            "finish": ("Finish",),
            "depends_on": ("Predecessors",),
        },
        how="File → Save As → Excel Workbook (.xlsx), with the task fields you need.",
    ),
}

# What a tool's status usually means in Cairn (lower case). Anything else is for the person.
STATUS_WORDS = {
    "idea": "idea",
    "backlog": "idea",
    "funnel": "idea",
    "new": "proposed",
    "open": "proposed",
    "to do": "proposed",
    "todo": "proposed",
    "proposed": "proposed",
    "selected for development": "approved",
    "approved": "approved",
    "committed": "approved",
    "ready": "approved",
    "in progress": "in_progress",
    "active": "in_progress",
    "doing": "in_progress",
    "in review": "in_progress",
    "resolved": "in_progress",
    "implementing": "in_progress",
    "done": "done",
    "closed": "done",
    "completed": "done",
    "complete": "done",
    "rejected": "rejected",
    "removed": "rejected",
    "won't do": "rejected",
    "cancelled": "rejected",
    "canceled": "rejected",
    "deferred": "deferred",
    "on hold": "deferred",
}


@dataclass
class Survey:
    """A foreign file's columns in order (a name repeated, like Jira's Labels, once), how
    many columns share each name, the first distinct values of each, and its rows."""

    columns: list[str] = field(default_factory=list)
    repeats: dict[str, int] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)
    many: list[str] = field(default_factory=list)  # columns with more than MAX_VALUES
    rows: int = 0

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Survey:
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})

    def has(self, column: str) -> bool:
        return column in self.repeats


class SurveyProblem(ValueError):
    """The file cannot be mapped at all (unreadable, no header, no rows, too many rows)."""


def _header(cells: list[Any]) -> list[str]:
    return [clip(text(c), 120) for c in cells]


def survey(file: IO[bytes], filename: str) -> Survey:
    """Read a foreign file once: its columns and a few values of each. Raises SurveyProblem."""
    from cairn.core.tabular import FileProblem

    found = Survey()
    seen: dict[str, dict[str, None]] = {}
    limit = MAX_XLSX_ROWS if filename.lower().endswith(".xlsx") else MAX_ROWS
    try:
        cells = iter_cells(file, filename)
        header = _header(next(cells, None) or [])
        if not any(header):
            raise SurveyProblem("The file is empty: it needs a header row and rows.")
        for name in header:
            if name and name not in found.repeats:
                found.columns.append(name)
                seen[name] = {}
            if name:
                found.repeats[name] = found.repeats.get(name, 0) + 1
        for row in cells:
            values = [text(v) for v in row]
            if not any(values):
                continue
            found.rows += 1
            if found.rows > limit:
                raise SurveyProblem(
                    f"The file has more than {limit:,} rows; export fewer at a time"
                    + (", or save it as CSV." if limit == MAX_XLSX_ROWS else ".")
                )
            for name, value in zip(header, values, strict=False):
                if name and value and value not in seen[name]:
                    if len(seen[name]) < MAX_VALUES:
                        seen[name][clip(value)] = None
                    elif name not in found.many:
                        found.many.append(name)
    except FileProblem as e:
        raise SurveyProblem(str(e)) from None
    if not found.rows:
        raise SurveyProblem("The file has a header row but no rows.")
    found.values = {name: list(v) for name, v in seen.items()}
    return found


@dataclass
class Mapping:
    """Which column of the file fills each target, what each status value means, which
    values of the ``only`` column to import, and how many effort units make an FTE-month."""

    columns: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    only: list[str] = field(default_factory=list)
    effort_per_month: str = ""

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Mapping:
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})

    def column(self, target: str) -> str:
        return self.columns.get(target, "")


def guess_status(value: str) -> str:
    """The Cairn status a tool's status value usually means, or "" when it is not known."""
    word = value.strip().lower()
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    percent = word.rstrip("%").strip()
    try:
        number = float(percent)
    except ValueError:
        return ""
    if not word.endswith("%") and 0 < number <= 1:  # Excel's 0.5 for 50 %
        number *= 100
    return "proposed" if number == 0 else "done" if number >= 100 else "in_progress"


def guess(tool: Tool, found: Survey, remembered: Mapping | None = None) -> Mapping:
    """A mapping for this file: last time's where its columns are in the file, else the
    tool's usual headers. Effort is never guessed: its unit needs the person's factor."""
    remembered = remembered or Mapping()
    lower = {c.lower(): c for c in found.columns}
    mapping = Mapping(effort_per_month=remembered.effort_per_month)
    for target in TARGET_NAMES:
        chosen = remembered.column(target)
        if chosen and found.has(chosen):
            mapping.columns[target] = chosen
            continue
        if target in remembered.columns and not chosen:
            continue  # the person left it unset on purpose
        for header in tool.headers.get(target, ()):
            if header.lower() in lower:
                mapping.columns[target] = lower[header.lower()]
                break
    status = mapping.column("status")
    for value in found.values.get(status, []):
        known = remembered.statuses.get(value, "")
        mapping.statuses[value] = known if known in STATUSES else guess_status(value)
    only = mapping.column("only")
    values = found.values.get(only, [])
    if only and only == remembered.column("only"):
        mapping.only = [v for v in remembered.only if v in values]
    elif only:
        mapping.only = [v for v in tool.only if v in values]
        if not mapping.only:
            mapping.columns.pop("only")  # nothing to filter on: every row
    return mapping


def factor(mapping: Mapping) -> Decimal | None:
    """The effort units per FTE-month, or None when it is not a positive number."""
    try:
        number = Decimal(str(mapping.effort_per_month).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 < number <= 100_000 else None


def check(mapping: Mapping, found: Survey) -> list[str]:
    """What is wrong with a mapping for this file, before any row is read."""
    problems = []
    if not mapping.column("title"):
        problems.append("Choose the column that holds each initiative's title.")
    labels = {t.name: t.label for t in TARGETS}
    for target, column in mapping.columns.items():
        if column and not found.has(column):
            problems.append(
                f"{labels.get(target, target)}: the file has no column “{clip(column, 60)}”."
            )
    status = mapping.column("status")
    if status and found.has(status):
        if status in found.many:
            problems.append(
                f"The status column “{clip(status, 60)}” has more than {MAX_VALUES} different "
                "values; choose the column of the tool's status."
            )
        for value in found.values.get(status, []):
            if mapping.statuses.get(value) not in STATUSES:
                problems.append(f"Choose the Cairn status for “{clip(value, 60)}”.")
    if mapping.column("effort") and factor(mapping) is None:
        problems.append(
            "Effort: say how many of its units make one FTE-month (a number above 0), "
            "e.g. 10 story points, or 160 hours."
        )
    if mapping.column("only") in found.many:
        problems.append(
            f"“{clip(mapping.column('only'), 60)}” has more than {MAX_VALUES} different values "
            "to choose from; filter on a column like the issue type."
        )
    elif mapping.column("only") and not mapping.only:
        problems.append(
            f"Tick at least one value of “{clip(mapping.column('only'), 60)}” to import, "
            "or import every row."
        )
    return problems


# --- The conversion


@dataclass
class Converted:
    """The initiatives CSV made from a foreign file, or the problems that stopped it; and
    notes on what was left out (dependencies on rows not imported, text cut)."""

    report: Report
    content: bytes = b""
    rows: int = 0
    skipped: int = 0  # rows the filter left out
    notes: list[str] = field(default_factory=list)


def _indexes(header: list[str], column: str) -> list[int]:
    return [i for i, name in enumerate(header) if column and name == column]


def convert(file: IO[bytes], filename: str, mapping: Mapping) -> Converted:
    """Read every row of a foreign file through ``mapping`` and write the initiatives CSV.

    Problems name the row as the tool's file numbers it (the header is row 1); with any
    problem nothing is written. The mapping is assumed ``check``-ed against the file.
    """
    from cairn.core.tabular import FileProblem

    done = Converted(Report())
    report = done.report
    cells = iter_cells(file, filename)
    try:
        header = _header(next(cells, None) or [])
        where = {t: _indexes(header, mapping.column(t)) for t in TARGET_NAMES}
        only = set(mapping.only) if where["only"] else None
        units = factor(mapping) if where["effort"] else None
        span = not where["duration"] and where["start"] and where["finish"]
        rows: list[dict[str, Any]] = []
        ids: dict[str, str] = {}
        titles: dict[str, int] = {}
        cut = 0
        position = 0
        for number_in_file, row in enumerate(cells, start=2):
            if not any(text(v) for v in row):
                continue
            position += 1  # what a planning tool's ID counts, when there is no ID column

            def first(target: str, row=row) -> Any:
                for i in where[target]:
                    if i < len(row) and text(row[i]):
                        return row[i]
                return None

            def every(target: str, row=row) -> list[str]:
                return [text(row[i]) for i in where[target] if i < len(row) and text(row[i])]

            if only is not None and clip(text(first("only"))) not in only:
                done.skipped += 1
                continue
            column = mapping.column
            out: dict[str, Any] = {"_row": number_in_file}
            title = clip(text(first("title")), 200) if first("title") is not None else ""
            if not title:
                report.add(number_in_file, column("title"), "the title is empty")
            elif title in titles:
                report.add(
                    number_in_file,
                    column("title"),
                    f"“{clip(title, 60)}” is also the title of row {titles[title]}; "
                    "Cairn matches initiatives on their title",
                )
            else:
                titles[title] = number_in_file
            out["title"] = title
            key = text(first("id")) if where["id"] else str(position)
            if key and title:
                ids.setdefault(key, title)
            if where["description"]:
                description = text(first("description"))
                if len(description) > DESCRIPTION:
                    description, cut = clip(description, DESCRIPTION), cut + 1
                out["description"] = description
            if where["owner"]:
                owner = re.sub(r"<[^>]*>|\[[^\]]*\]", "", text(first("owner")))
                out["owner"] = clip(re.sub(r"\s*([;,])\s*", ", ", owner).strip(" ,"), OWNER)
            if where["status"]:
                value = text(first("status"))
                status = mapping.statuses.get(clip(value), "") if value else ""
                if value and status not in STATUSES:
                    report.add(
                        number_in_file,
                        column("status"),
                        f"the status “{clip(value, 40)}” is not matched to a Cairn status",
                    )
                out["status"] = status
            for target, parse, name in (
                ("one_off_cost", amount, "one_off_cost"),
                ("running_cost", amount, "running_cost"),
                ("duration", months_of, "duration_months"),
            ):
                if where[target]:
                    raw = first(target)
                    try:
                        out[name] = "" if raw is None else parse(raw)
                    except ValueError as e:
                        report.add(number_in_file, column(target), f"{column(target)}: {e}")
            if units is not None:
                raw = first("effort")
                try:
                    points = None if raw is None else number(raw)
                except ValueError as e:
                    report.add(number_in_file, column("effort"), f"{column('effort')}: {e}")
                else:
                    out["effort_months"] = "" if points is None else round(points / units, 1)
            if span:
                out["duration_months"] = ""
                start, finish = first("start"), first("finish")
                if start is not None and finish is not None:
                    try:
                        days = (date_of(finish) - date_of(start)).days + 1
                    except ValueError as e:
                        report.add(number_in_file, column("start"), f"dates: {e}")
                    else:
                        if days < 1:
                            report.add(
                                number_in_file, column("finish"), "it finishes before it starts"
                            )
                        out["duration_months"] = max(1, math.ceil(days / 30))
            if where["depends_on"]:
                out["depends_on"] = references(every("depends_on"))
            rows.append(out)
    except FileProblem as e:
        report.add(0, "", str(e))
    if cut:
        done.notes.append(
            f"{cut:,} description(s) were longer than {DESCRIPTION:,} characters and were cut."
        )
    if not report.ok:
        return done
    if not rows:
        report.add(0, "", "No row of the file is left to import: check the filter.")
        return done
    _resolve(rows, ids, titles, done)
    layout = [
        name
        for name in (
            "title",
            "description",
            "owner",
            "status",
            "one_off_cost",
            "running_cost",
            "effort_months",
            "duration_months",
            "depends_on",
        )
        if name in rows[0]
    ]
    done.rows = len(rows)
    done.content = write_table(layout, [[r[name] for name in layout] for r in rows], "csv")
    return done


def _resolve(rows: list[dict], ids: dict[str, str], titles: dict[str, int], done) -> None:
    """Dependencies by id (or title) become titles; ones on rows not imported are dropped."""
    missing: dict[str, None] = {}
    for row in rows:
        if "depends_on" not in row:
            return
        names: dict[str, None] = {}
        for ref in row["depends_on"]:
            title = ids.get(ref) or (ref if ref in titles else "")
            if not title:
                missing[clip(ref, 40)] = None
            elif title != row["title"]:
                names[title] = None
        row["depends_on"] = "; ".join(names)
    if missing:
        shown = ", ".join(list(missing)[:10]) + (" …" if len(missing) > 10 else "")
        done.notes.append(
            f"{len(missing):,} dependenc{'y names a row' if len(missing) == 1 else 'ies name rows'}"
            f" that {'is' if len(missing) == 1 else 'are'} not imported from this file and "
            f"{'was' if len(missing) == 1 else 'were'} left out: {shown}."
        )
