"""Reading and writing tables (CSV and Excel) for imports and exports.

An import is all-or-nothing: ``read_rows`` parses every row against the
columns and collects every problem as (row, column, problem); the caller
writes only when the list is empty. Rows are read as a stream, never the whole
file at once.

A file is a stranger's input: the limits below keep a hostile one from costing
more than a large honest one. A report repeats at most ``ECHO`` characters of any
value and lists at most ``MAX_ERRORS`` problems (then counts the rest); a header
has at most ``MAX_COLUMNS`` columns; a CSV line is at most ``MAX_LINE``
characters; an .xlsx workbook is checked in its zip directory before it is
opened (``check_workbook``), so an archive bomb is refused unread.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from cairn.core.money import money_header, number_problem

MAX_ERRORS = 500  # past this, the report counts the rest ("and 12,345 more") without listing
ECHO = 80  # characters of a cell, a header or a name that a report repeats
MAX_PROBLEM = 400  # characters of one problem's text
MAX_COLUMNS = 200  # columns in a header: a file with more is refused as a whole
MAX_LISTED = 10  # unknown or missing columns named in the one message about them
MAX_LINE = 2**20  # characters in one CSV line (a cell is at most csv's 131,072)
# An .xlsx is a zip: what its directory says the parts unpack to, checked before reading.
XLSX_MAX_UNPACKED = 512 * 2**20  # all parts together (a million rows of six columns fit)
XLSX_MAX_SHARED = 64 * 2**20  # the shared strings, which openpyxl holds in memory
XLSX_MAX_RATIO = 100  # unpacked size / packed size of a part over 1 MB (Excel's are ~10)
XLSX_MAX_PARTS = 10_000
XLSX_MAX_ROWS = 1_048_576  # Excel's own limit; a sheet claiming more is not from Excel
YES = {"yes", "y", "true", "1", "x", "done"}  # what a "yes" cell may say (Excel writes TRUE)
NO = {"no", "n", "false", "0", "-"}
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def clip(value: Any, limit: int = ECHO) -> str:
    """A value as a report repeats it: at most ``limit`` characters, "…" where it was cut."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header_name(cell: Any) -> str:
    """A header cell as a column name: "Annual_cost (EUR)" reads as "annual_cost"."""
    text = str(cell or "")[: ECHO * 4].strip().lower()  # no header of ours is near that long
    return re.sub(r"\s*\([^)]*\)$", "", text)


def listed(names: list[str]) -> str:
    """Column names for a message: each cut, at most ``MAX_LISTED``, then how many more."""
    shown = ", ".join(clip(n, 40) for n in names[:MAX_LISTED])
    rest = len(names) - MAX_LISTED
    return f"{shown} and {rest:,} more" if rest > 0 else shown


class Sentence(ValueError):
    """A problem in a cell already written as a whole sentence: the report shows it as it
    is, not after the column's name."""


@dataclass(frozen=True)
class Column:
    """One column of an import: its header, whether it must be filled, and how to read it."""

    name: str
    required: bool = False
    kind: str = "text"  # text | int | decimal | float | date | choice | list | bool
    max_length: int = 0
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    example: str = ""
    decimal_places: int | None = None  # for "decimal": more is refused, as the form does
    money: bool = False  # an amount: exports write the currency in the header

    def heading(self, currency: str = "") -> str:
        """The header an export writes: "annual_cost (EUR)" for an amount; imports read both."""
        return money_header(self.name, currency) if self.money and currency else self.name

    def parse(self, raw: Any) -> Any:
        """The value of one cell, or ValueError with a message a person can act on."""
        if isinstance(raw, datetime | date) and self.kind == "date":  # an Excel date cell
            return raw.date() if isinstance(raw, datetime) else raw
        text = "" if raw is None else str(raw).strip()
        if not text:
            if self.required:
                raise ValueError("is required")
            return [] if self.kind == "list" else None
        if self.kind == "text":
            if self.max_length and len(text) > self.max_length:
                raise ValueError(f"is longer than {self.max_length} characters")
            return text
        if self.kind == "list":
            return [part.strip() for part in text.split(";") if part.strip()]
        if self.kind == "bool":
            value = text.lower()
            if value not in YES | NO:
                raise ValueError(f"“{clip(text, 40)}” is not yes or no")
            return value in YES
        if self.kind == "date":
            try:
                return date.fromisoformat(
                    text[:10] if len(text) > 10 and text[10] in " T" else text
                )
            except ValueError:
                raise ValueError(f"“{clip(text, 40)}” is not a date like 2026-01-31") from None
        if self.kind == "float":
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"“{clip(text, 40)}” is not a number") from None
            if not math.isfinite(number):
                raise ValueError(f"“{clip(text, 40)}” is not a number")
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise ValueError(f"must be between {self.minimum:g} and {self.maximum:g}")
            return number
        if self.kind == "choice":
            value = text.lower().replace(" ", "_")
            if value not in self.choices:
                raise ValueError(f"“{clip(text, 40)}” is not one of: {', '.join(self.choices)}")
            return value
        try:
            number = Decimal(text.replace(",", "")) if self.kind == "decimal" else Decimal(text)
        except InvalidOperation:
            raise ValueError(f"“{clip(text, 40)}” is not a number") from None
        if not number.is_finite():
            raise ValueError(f"“{clip(text, 40)}” is not a number")
        if self.kind == "decimal":
            # The words of the form and the API for the same limit (core.money).
            problem = number_problem(number, self.minimum, self.maximum, self.decimal_places)
            if problem:
                raise Sentence(problem)
        # Compare before converting: int() of a huge exponent would take minutes.
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise ValueError(f"must be between {self.minimum} and {self.maximum}")
        if number.adjusted() > 30:
            raise ValueError(f"“{clip(text, 40)}” is too large")
        if self.kind == "int":
            if number != number.to_integral_value():
                raise ValueError(f"“{clip(text, 40)}” is not a whole number")
            number = int(number)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise ValueError(f"must be between {self.minimum} and {self.maximum}")
        return number


@dataclass
class RowError:
    row: int  # 1 is the header row, as a spreadsheet numbers it; 0 is the file as a whole
    column: str
    problem: str
    table: str = ""  # for a file of several tables (an organisation's JSON)


@dataclass
class Report:
    """What an import found: the rows it read and every problem, in file order. At most
    ``MAX_ERRORS`` problems are kept; ``more`` counts the others."""

    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the file's columns, in its order
    headers: list[str] = field(default_factory=list)  # the same as the file writes them
    truncated: bool = False
    more: int = 0

    def add(self, row: int, column: str, problem: str, table: str = "") -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, clip(column), clip(problem, MAX_PROBLEM), table))
        else:
            self.truncated = True
            self.more += 1

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.errors) + self.more

    def summary(self) -> str:
        """ "3 problems", or "500 problems listed and 12,345 more"."""
        if self.more:
            return f"{len(self.errors):,} problems listed and {self.more:,} more"
        return f"{self.count:,} problem{'' if self.count == 1 else 's'}"


class ImportRefused(Exception):
    """The file had problems; ``report`` lists them and nothing was written."""

    def __init__(self, report: Report):
        super().__init__(report.summary())
        self.report = report


def download(content: bytes, filename: str, fmt: str):
    """An HTTP response that saves ``content`` (a table made by ``write_table``) as a file."""
    from django.http import HttpResponse

    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class FileProblem(Exception):
    """The file as a whole cannot be read (not UTF-8, not a spreadsheet, empty)."""


def iter_cells(file: IO[bytes], filename: str, sheet: str | None = None) -> Iterator[list[Any]]:
    """The rows of a CSV or .xlsx file as lists of cell values, header first: for an .xlsx,
    of its first sheet or of the sheet named ``sheet``."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "xlsx":
        yield from _xlsx_rows(file, sheet)
    elif suffix == "csv":
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        try:
            yield from csv.reader(_lines(text))
        except UnicodeDecodeError:
            raise FileProblem(
                "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”, or upload the .xlsx."
            ) from None
        except csv.Error as e:
            if "field limit" in str(e):
                e = f"a cell is longer than {csv.field_size_limit():,} characters"
            raise FileProblem(f"The CSV file is malformed: {clip(e)}.") from None
        finally:
            text.detach()
    else:
        raise FileProblem("Upload a .csv or .xlsx file.")


def _lines(text: IO[str]) -> Iterator[str]:
    """The lines of a text file, refusing one longer than ``MAX_LINE`` before it is all read."""
    while line := text.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE:
            raise FileProblem(f"A line of the file is longer than {MAX_LINE:,} characters.")
        yield line


def check_workbook(file: IO[bytes]) -> None:
    """Refuse an .xlsx whose zip directory promises more than a workbook of a million rows
    would unpack to (an archive bomb), before any part of it is unpacked."""
    from zipfile import BadZipFile, ZipFile

    try:
        parts = ZipFile(file).infolist()
    except (BadZipFile, OSError, ValueError, EOFError):
        raise FileProblem("The file is not a valid Excel .xlsx workbook.") from None
    finally:
        file.seek(0)
    mb = 2**20
    too_big = f"The workbook unpacks to more than {XLSX_MAX_UNPACKED // mb} MB"
    if len(parts) > XLSX_MAX_PARTS:
        raise FileProblem(f"The workbook has more than {XLSX_MAX_PARTS:,} parts.")
    if sum(p.file_size for p in parts) > XLSX_MAX_UNPACKED:
        raise FileProblem(f"{too_big}; split it into smaller files.")
    for part in parts:
        if part.file_size > mb and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
            raise FileProblem(
                f"The workbook is packed more than {XLSX_MAX_RATIO} times tighter than a "
                "spreadsheet can be: it is not a file Excel saved."
            )
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > (
            XLSX_MAX_SHARED
        ):
            raise FileProblem(
                f"The workbook's text cells unpack to more than {XLSX_MAX_SHARED // mb} MB; "
                "split it into smaller files."
            )


_OPEN_BOOK: ContextVar[tuple[IO[bytes], Any] | None] = ContextVar("open_book", default=None)


def _load_book(file: IO[bytes]):
    """The workbook, opened read-only once its zip directory is checked (``check_workbook``)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    shared = _OPEN_BOOK.get()
    if shared is not None and shared[0] is file:
        return shared[1]
    check_workbook(file)
    try:
        return load_workbook(file, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError, EOFError):
        # ElementTree's ParseError is a SyntaxError
        raise FileProblem("The file is not a valid Excel .xlsx workbook.") from None


def _close_book(file: IO[bytes], book) -> None:
    shared = _OPEN_BOOK.get()
    if shared is None or shared[0] is not file:
        book.close()


@contextmanager
def one_workbook(file: IO[bytes]) -> Iterator[None]:
    """Read several sheets of one .xlsx with the workbook opened once: within the block,
    ``sheet_names`` and ``iter_cells`` of this file share it (opening costs a pass over
    every sheet)."""
    try:
        book = _load_book(file)
    except FileProblem:
        yield  # each read then says what is wrong with the file
        return
    token = _OPEN_BOOK.set((file, book))
    try:
        yield
    finally:
        _OPEN_BOOK.reset(token)
        book.close()


def sheet_names(file: IO[bytes]) -> list[str]:
    """The names of an .xlsx workbook's sheets, in their order (checked as ``iter_cells``)."""
    try:
        book = _load_book(file)
    finally:
        file.seek(0)
    try:
        return list(book.sheetnames)
    finally:
        _close_book(file, book)


def _xlsx_rows(file: IO[bytes], sheet: str | None = None) -> Iterator[list[Any]]:
    from zipfile import BadZipFile

    problem = "The file is not a valid Excel .xlsx workbook."
    book = _load_book(file)
    try:
        # One column past the limit, so that a wider header is seen and refused.
        if sheet is not None and sheet not in book.sheetnames:
            raise FileProblem(f"The workbook has no sheet named “{clip(sheet, 40)}”.")
        page = book[sheet] if sheet is not None else book.worksheets[0]
        # Both bounds given: openpyxl then never reads the sheet once more to size it.
        rows = page.iter_rows(max_row=XLSX_MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True)
        for number, row in enumerate(rows, start=1):
            if number > XLSX_MAX_ROWS:
                raise FileProblem(f"The sheet has more than {XLSX_MAX_ROWS:,} rows.")
            yield list(row)
    except (
        BadZipFile,
        KeyError,
        OSError,
        ValueError,
        SyntaxError,
        TypeError,
        IndexError,
        EOFError,
    ):
        raise FileProblem(problem) from None
    finally:
        _close_book(file, book)


def read_rows(
    file: IO[bytes],
    filename: str,
    columns: list[Column],
    progress: Callable[[int], None] | None = None,
    sheet: str | None = None,
    report: Report | None = None,
    empty_ok: bool = False,
) -> Report:
    """Parse every row of a file against ``columns``; collect every problem (nothing is written)."""
    report = report if report is not None else Report()
    rows = iter_rows(file, filename, columns, report, progress, sheet=sheet, empty_ok=empty_ok)
    report.rows = [row for row, _ok in rows]
    return report


def iter_rows(
    file: IO[bytes],
    filename: str,
    columns: list[Column],
    report: Report,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
    sheet: str | None = None,
    empty_ok: bool = False,
) -> Iterator[tuple[dict[str, Any], bool]]:
    """Each row of a file parsed against ``columns``, with whether it parsed cleanly.

    Problems go to ``report`` as they are found, so a caller can write rows as
    they come and still know, at the end, whether to keep them.
    """
    rows = 0
    try:
        cells = iter_cells(file, filename, sheet)
        header = next(cells, None)
        if header is None or not any(str(h or "").strip() for h in header):
            raise FileProblem("The file is empty: it needs a header row and at least one row.")
        while header and not str(header[-1] or "").strip():
            header = header[:-1]  # empty cells after the last heading are not columns
        if len(header) > MAX_COLUMNS:
            raise FileProblem(
                f"The header row has more than {MAX_COLUMNS} columns; an import has at most "
                f"{len(columns)}."
            )
        names = [header_name(h) for h in header]
        report.columns = [n for n in names if n]
        report.headers = [clip(str(h or "").strip()) for h in header if str(h or "").strip()]
        expected = {c.name for c in columns}
        missing = [c.name for c in columns if c.required and c.name not in names]
        unknown = [n for n in names if n and n not in expected]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing column(s): {listed(missing)}")
            if unknown:
                parts.append(f"unknown column(s): {listed(unknown)}")
            raise FileProblem(
                f"Wrong columns ({'; '.join(parts)}). Expected: "
                f"{', '.join(c.name for c in columns)}. Download the template to start from."
            )
        present = [
            (index, name, next(c for c in columns if c.name == name))
            for index, name in enumerate(names)
            if name
        ]
        absent = [(c.name, c.parse(None)) for c in columns if c.name not in names]
        for number, cells_of_row in enumerate(cells, start=2):
            if not any(v is not None and str(v).strip() for v in cells_of_row):
                continue  # blank lines are not rows
            row: dict[str, Any] = {"_row": number}
            ok = True
            width = len(cells_of_row)
            for index, name, column in present:
                try:
                    row[name] = column.parse(cells_of_row[index] if index < width else None)
                except Sentence as e:
                    report.add(number, name, str(e))
                    ok = False
                except ValueError as e:
                    report.add(number, name, f"{name} {e}")
                    ok = False
            for name, value in absent:
                row[name] = value
            rows += 1
            yield row, ok  # past MAX_ERRORS, reading goes on only to count the problems
            if progress and number % every == 0:
                progress(number - 1)
    except FileProblem as e:
        report.add(0, "", str(e))
        return
    if not rows and report.ok and not empty_ok:
        report.add(0, "", "The file has a header row but no rows to import.")


def write_table(columns: list[str], rows: list[list[Any]], fmt: str) -> bytes:
    """A CSV (UTF-8 with a byte-order mark, which Excel needs) or .xlsx file."""
    if fmt == "xlsx":
        return write_book([("Cairn", columns, rows)])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def write_book(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """An .xlsx workbook of several sheets, each (title, header, rows), in that order."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value):  # Excel refuses control characters; drop them rather than fail
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    book = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit for a sheet's name
        sheet.append(columns)
        for row in rows:
            sheet.append([clean(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
