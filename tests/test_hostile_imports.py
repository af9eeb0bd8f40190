"""Hostile files, for every import: teams, capabilities, processes, applications (CSV or
.xlsx; the data page's worker and `cairn import` call the same ``books.import_kind``),
measurements (``kpis.services.import_file``), and the organisation file (`/orgs/import/`,
`cairn import-org`).

Each file is refused with a report that stays small whatever the file holds, and writes
nothing: wrong encodings, binary files, an archive bomb, huge cells, huge column counts,
non-finite numbers, a bad last row after 20,000 good ones, thousands of bad rows.
"""

from __future__ import annotations

import functools
import io
import json
import random
import tempfile
import time
import tracemalloc
import zipfile
from datetime import date, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from openpyxl import Workbook

from cairn.assessment.models import Application, Capability, Process, Team
from cairn.core import tabular
from cairn.core.models import AuditEvent, Organization
from cairn.core.tabular import ImportRefused
from cairn.exchange import books
from cairn.kpis import services as kpi_services
from cairn.kpis.models import Kpi, Measurement
from cairn.transfer import orgfile
from tests.base import CairnTestCase

SMALL = 20_000  # characters: a report of a few problems, in its card
PAGE = 60_000  # characters: a whole page with such a report
BIG_REPORT = 300_000  # characters: a report of MAX_ERRORS problems, the rest counted

HUGE = 60 * 2**20  # a 60 MB cell
BOMB_MB = 300  # what the archive bomb's sheet unpacks to


def text_of(report) -> str:
    """The report as the import pages show it."""
    return render_to_string("includes/import_problems.html", {"report": report})


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    lines = [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Cairn")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@functools.cache
def archive_bomb() -> bytes:
    """A real workbook whose sheet XML unpacks to BOMB_MB MB (of spaces between the tags),
    packed about a thousand times. Made once: it is refused before its header is read."""
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["name"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                chunk = b" " * 2**20
                for _ in range(BOMB_MB):
                    sheet.write(chunk)
                sheet.write(b"</sheetData>" + tail)
    return out.getvalue()


def number_cell(kind, text: str) -> bytes:
    """A workbook whose number cell in ``kind.number`` holds ``text`` as written."""
    row = kind.good(1)
    row[kind.number] = 12345.678
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([kind.header, row])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for item in good.infolist():
            data = good.read(item.filename)
            book.writestr(item.filename, data.replace(b">12345.678<", f">{text}<".encode()))
    return out.getvalue()


class Kind:
    """One import, its columns, a good row, and a column that takes a number."""

    def __init__(self, slug, header, good, model, number=None):
        self.slug, self.header, self.good, self.model, self.number = (
            slug,
            header,
            good,
            model,
            number,
        )

    def run(self, case, content: bytes, filename: str):
        file = io.BytesIO(content)
        if self.slug == "measurements":
            return kpi_services.import_file(case.org, file, filename, actor=case.editor)
        return books.import_kind(
            case.org, books.kind_for(self.slug), file, filename, actor=case.editor
        )

    def count(self) -> int:
        return self.model.objects.count()


def _day(i: int) -> str:
    return (date(1960, 1, 1) + timedelta(days=i)).isoformat()


KINDS = [
    Kind("teams", ["name", "headcount", "lead"], lambda i: [f"Team {i}", 3, "Ana"], Team, 1),
    Kind(
        "capabilities",
        ["name", "parent", "description"],
        lambda i: [f"Capability {i}", "", "Sell"],
        Capability,
    ),
    Kind(
        "processes",
        ["name", "automation", "pain"],
        lambda i: [f"Process {i}", "manual", 3],
        Process,
        2,
    ),
    Kind(
        "applications",
        ["name", "vendor", "annual_cost", "users", "health", "fit"],
        lambda i: [f"App {i}", "V", 10, 5, 3, 3],
        Application,
        2,
    ),
    Kind(
        "measurements",
        ["kpi", "date", "value", "source"],
        lambda i: ["Hostile", _day(i), 10, "ERP"],
        Measurement,
        2,
    ),
]


class HostileTableTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Kpi.objects.create(organization=cls.org, name="Hostile")  # no plan: values unquestioned

    def state(self, kind: Kind) -> tuple[int, int]:
        return kind.count(), AuditEvent.objects.count()

    def refused(self, kind: Kind, content: bytes, filename: str, expect: str, bound=SMALL):
        """The file is refused with ``expect`` in a report under ``bound`` characters, and
        nothing is written; returns the report."""
        before = self.state(kind)
        with self.assertRaises(ImportRefused) as refused:
            kind.run(self, content, filename)
        report = refused.exception.report
        page = text_of(report)
        self.assertIn(expect, page)
        self.assertLess(len(page), bound)
        self.assertNotIn("None:", page)
        self.assertEqual(self.state(kind), before)
        return report

    def test_wrong_encodings_and_binary_files(self):
        for kind in KINDS:
            rows = [kind.header, [f"Café {c}" if isinstance(c, str) else c for c in kind.good(1)]]
            if kind.slug == "measurements":
                rows[1][0] = "Hostile"
                rows[1][3] = "Café"
            noise = random.Random(13).randbytes(64 * 1024)
            cases = [
                ("UTF-16", csv_bytes(rows, "utf-16"), "f.csv", "not UTF-8"),
                ("Latin-1", csv_bytes(rows, "latin-1"), "f.csv", "not UTF-8"),
                ("binary as CSV", noise, "f.csv", "Nothing was imported"),
                ("binary as xlsx", noise, "f.xlsx", "not a valid Excel"),
                ("PNG as xlsx", b"\x89PNG\r\n\x1a\n" + noise, "f.xlsx", "not a valid Excel"),
                ("PDF", b"%PDF-1.4\n" + noise, "f.pdf", "Upload a .csv or .xlsx"),
                ("NUL bytes", b"name\x00,x\n" * 10, "f.csv", "Nothing was imported"),
            ]
            for label, content, filename, expect in cases:
                with self.subTest(kind=kind.slug, case=label):
                    self.refused(kind, content, filename, expect)

    def test_an_archive_bomb_is_refused_unread(self):
        """Its zip directory says what it unpacks to: refused before openpyxl opens it."""
        for kind in KINDS:
            bomb = archive_bomb()
            self.assertLess(len(bomb), 2 * 2**20)
            with self.subTest(kind=kind.slug):
                tracemalloc.start()
                started = time.monotonic()
                report = self.refused(kind, bomb, "bomb.xlsx", "packed more than 100 times")
                seconds = time.monotonic() - started
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                self.assertLess(seconds, 2)
                self.assertLess(peak, 20 * 2**20)  # bytes: the 300 MB were never unpacked
                self.assertEqual(report.errors[0].row, 0)

    def test_a_workbook_over_the_unpacked_limit_is_refused(self):
        """Not packed suspiciously tight, but more than any workbook of a million rows."""
        kind = KINDS[0]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as book:
            info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
            book.writestr(info, b"<worksheet/>")
        # The directory claims a size past the limit (a stored part, as a liar would write).
        data = bytearray(out.getvalue())
        central = data.rfind(b"PK\x01\x02")
        size = (tabular.XLSX_MAX_UNPACKED + 1).to_bytes(4, "little")
        data[central + 24 : central + 28] = size
        self.refused(kind, bytes(data), "big.xlsx", "unpacks to more than 512 MB")

    def test_huge_cells(self):
        huge = "x" * HUGE
        for kind in KINDS:
            cases = [
                ("60 MB unknown column", csv_bytes([[*kind.header, huge], kind.good(1)])),
                ("60 MB cell", csv_bytes([kind.header, [huge, *kind.good(1)[1:]]])),
                (
                    "60 MB quoted cell on many lines",
                    csv_bytes([kind.header, ['"' + ("y" * 1000 + "\n") * 1000 + '"', 1]]),
                ),
            ]
            for label, content in cases:
                with self.subTest(kind=kind.slug, case=label):
                    report = self.refused(kind, content, "f.csv", "longer than")
                    self.assertEqual(len(report.errors), 1)
            with self.subTest(kind=kind.slug, case="2 MB cells in a workbook"):
                noise = "".join(random.Random(5).choices("abcdefghij", k=2 * 2**20))
                content = xlsx_bytes([[*kind.header, noise], [noise, *kind.good(1)[1:]]])
                self.refused(kind, content, "f.xlsx", "unknown column(s): " + noise[:20])

    def test_huge_column_counts(self):
        for kind in KINDS:
            extra = [f"c{i}" for i in range(100_000)]
            cases = [
                ("100,000 columns", csv_bytes([[*kind.header, *extra], kind.good(1)]), "f.csv"),
                ("300 columns", xlsx_bytes([[*kind.header, *extra[:300]], kind.good(1)]), "f.xlsx"),
            ]
            for label, content, filename in cases:
                with self.subTest(kind=kind.slug, case=label):
                    self.refused(kind, content, filename, "more than 200 columns")
            with self.subTest(kind=kind.slug, case="150 unknown columns"):
                content = csv_bytes([[*kind.header, *extra[:150]], kind.good(1)])
                self.refused(kind, content, "f.csv", "c9 and 140 more")

    def test_non_finite_numbers(self):
        for kind in [k for k in KINDS if k.number is not None]:
            column = kind.header[kind.number]
            for number in ("NaN", "nan", "inf", "Infinity", "-Infinity", "1e400", "-1e400"):
                for fmt in ("csv", "xlsx"):  # in a workbook, as text cells
                    with self.subTest(kind=kind.slug, number=number, fmt=fmt):
                        row = kind.good(1)
                        row[kind.number] = number
                        make = csv_bytes if fmt == "csv" else xlsx_bytes
                        report = self.refused(kind, make([kind.header, row]), f"f.{fmt}", column)
                        self.assertEqual([e.column for e in report.errors], [column])
            # As number cells of the sheet's XML (Excel never writes these; openpyxl writes
            # an infinity as an empty cell): 1e400 reads as infinity, the others as nothing.
            for number, expect in [
                ("1e400", column),
                ("-1E999", column),
                ("inf", "not a valid Excel"),
                ("NaN", "not a valid Excel"),
            ]:
                with self.subTest(kind=kind.slug, number=number, fmt="xlsx number cell"):
                    self.refused(kind, number_cell(kind, number), "f.xlsx", expect)

    def test_a_bad_last_row_in_a_big_file_writes_nothing(self):
        for kind in KINDS:
            rows = [kind.header, *[kind.good(i) for i in range(20_000)]]
            bad = kind.good(20_000)
            bad[kind.number if kind.number is not None else 0] = "NaN" if kind.number else ""
            for fmt in ("csv", "xlsx"):
                with self.subTest(kind=kind.slug, fmt=fmt):
                    make = csv_bytes if fmt == "csv" else xlsx_bytes
                    report = self.refused(kind, make([*rows, bad]), f"big.{fmt}", "20002")
                    self.assertEqual([e.row for e in report.errors], [20_002])

    def test_the_command_line_counts_what_it_does_not_list(self):
        kind = KINDS[0]
        rows = [kind.header, *[[f"T{i}", "NaN", ""] for i in range(600)]]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "bad.csv")
            path.write_bytes(csv_bytes(rows))
            err = io.StringIO()
            with self.assertRaises(CommandError):
                call_command("import", "--org", "acme", "teams", str(path), stderr=err)
        self.assertIn("500 problems listed and 100 more", err.getvalue())
        self.assertEqual(err.getvalue().count("“NaN” is not a number"), 500)

    def test_thousands_of_bad_rows_are_counted_not_listed(self):
        for kind in KINDS:
            column = kind.number if kind.number is not None else 0
            rows = [kind.header]
            for i in range(3_000):
                row = kind.good(i)
                row[column] = "NaN" if kind.number is not None else ""
                rows.append(row)
            with self.subTest(kind=kind.slug):
                report = self.refused(
                    kind, csv_bytes(rows), "f.csv", "2,500 more were found", bound=BIG_REPORT
                )
                self.assertEqual((len(report.errors), report.more), (500, 2_500))
                self.assertIn("500 problems listed and 2,500 more", report.summary())

    def test_the_command_line_refuses_them_too(self):
        with tempfile.TemporaryDirectory() as folder:
            for kind in KINDS:
                files = {
                    "bomb.xlsx": archive_bomb(),
                    "huge.csv": csv_bytes([[*kind.header, "x" * HUGE], kind.good(1)]),
                    "utf16.csv": csv_bytes([kind.header, kind.good(1)], "utf-16"),
                }
                for name, content in files.items():
                    with self.subTest(kind=kind.slug, file=name):
                        path = Path(folder, name)
                        path.write_bytes(content)
                        before = self.state(kind)
                        err = io.StringIO()
                        with self.assertRaises(CommandError):
                            call_command(
                                "import", "--org", "acme", kind.slug, str(path), stderr=err
                            )
                        self.assertLess(len(err.getvalue()), 2_000)
                        self.assertIn("Nothing was imported: 1 problem.", err.getvalue())
                        self.assertEqual(self.state(kind), before)


class HostileOrganizationFileTests(CairnTestCase):
    """The organisation file, through `/orgs/import/` (the page) and `cairn import-org`."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.export = orgfile.export(cls.org)

    def file(self) -> dict:
        data = json.loads(json.dumps(self.export))
        data["tables"]["kpis.Kpi"].append(
            {"id": 990_001, "fields": {"name": "Hostile", "direction": "up"}, "m2m": {}}
        )
        return data

    def measurements(self, data: dict, count: int) -> list[dict]:
        rows = [
            {"id": 990_001 + i, "fields": {"kpi": 990_001, "date": _day(i), "value": 1.5}}
            for i in range(count)
        ]
        data["tables"]["kpis.Measurement"].extend(rows)
        return rows

    def counts(self):
        return (
            Organization.objects.count(),
            Measurement.objects.count(),
            Kpi.objects.count(),
            AuditEvent.objects.count(),
        )

    def upload(self, content: bytes, expect: str, bound: int = PAGE):
        before = self.counts()
        self.login("owner")
        response = self.client.post(
            "/orgs/import/",
            {"name": "Hostile copy", "file": SimpleUploadedFile("org.json", content)},
        )
        self.assertContains(response, expect, status_code=422)
        self.assertLess(len(response.content), bound)
        self.assertEqual(self.counts(), before)
        return response

    def test_the_file_itself(self):
        good = json.dumps(self.file(), ensure_ascii=False)
        latin = good.replace('"Hostile"', '"Hostile café"')
        nested = self.file()
        nested["tables"]["portfolio.Scenario"][0]["fields"]["result"] = json.loads(
            '{"a":' * 40 + "1" + "}" * 40
        )
        cases = [
            ("UTF-16", good.encode("utf-16"), "not UTF-8"),
            ("Latin-1", latin.encode("latin-1", errors="replace"), "not UTF-8"),
            ("binary", random.Random(3).randbytes(100_000), "not UTF-8"),
            ("not JSON", b"name,title\nx,y\n", "not JSON"),
            ("empty", b"", "not JSON"),
            ("a list", b"[]", "not a Cairn organisation file"),
            ("100,000 open brackets", b"[" * 100_000, "nests deeper than 32 levels"),
            ("40 levels in a result", json.dumps(nested).encode(), "nests deeper than 32 levels"),
            ("a huge number", b'{"a": 1' + b"0" * 5000 + b"}", "not JSON"),
        ]
        for label, content, expect in cases:
            with self.subTest(case=label):
                self.upload(content, expect)

    def test_a_file_over_the_limit_is_refused_before_it_is_read(self):
        content = b" " * (orgfile.MAX_MB * 2**20 + 1) + b"{}"
        started = time.monotonic()
        self.upload(content, f"larger than the limit of {orgfile.MAX_MB} MB")
        self.assertLess(time.monotonic() - started, 5)

    def test_values(self):
        def with_value(table: str, field: str, value, place: int = 0) -> bytes:
            data = self.file()
            if table == "kpis.Measurement":
                self.measurements(data, 1)
            data["tables"][table][place]["fields"][field] = value
            return json.dumps(data).encode()  # NaN and Infinity as Python writes them

        title = "portfolio.Initiative"
        cases = [
            ("NaN", with_value("kpis.Measurement", "value", float("nan")), "not a finite"),
            ("Infinity", with_value("kpis.Kpi", "baseline_value", float("inf")), "not a finite"),
            ("-Infinity", with_value("kpis.Kpi", "target_value", float("-inf")), "not a finite"),
            ("'NaN' as a decimal", with_value(title, "one_off_cost", "NaN"), "Enter a number"),
            ("1e40", with_value(title, "running_cost", 1e40), "no more than 100,000,000,000"),
            ("a negative cost", with_value(title, "one_off_cost", "-5"), "at least 0"),
            (
                "an impossible date",
                with_value("goals.BusinessGoal", "target_date", "2026-02-30"),
                "valid date",
            ),
            ("a far date", with_value("goals.BusinessGoal", "target_date", "9999-12-31"), "2199"),
            ("an unknown choice", with_value(title, "impact", "galactic"), "valid choice"),
            ("a 5 MB title", with_value(title, "title", "t" * 5 * 2**20), "at most 200 char"),
            ("a list for a title", with_value(title, "title", ["a"]), "single value"),
            ("a number for a title", with_value(title, "title", 5), "must be text"),
            ("true for a number", with_value(title, "urgency", True), "single value"),
            (
                "NaN in a result",
                with_value("portfolio.Scenario", "result", {"x": float("nan")}),
                "not finite",
            ),
            ("NUL in text", with_value(title, "owner", "a\x00b"), "Null characters"),
        ]
        data = self.file()
        self.measurements(data, 1)
        text = json.dumps(data).replace('"value": 1.5', '"value": 1e400')
        cases.append(("1e400", text.encode(), "not a finite number"))
        for label, content, expect in cases:
            with self.subTest(case=label):
                self.upload(content, expect)

    def test_links_and_domain_rules(self):
        def changed(change) -> bytes:
            data = self.file()
            change(data["tables"])
            return json.dumps(data).encode()

        first_initiative = self.export["tables"]["portfolio.Initiative"][0]["id"]
        capability = self.export["tables"]["assessment.Capability"][0]["id"]

        def depend_on_itself(t):
            t["portfolio.Initiative"][0]["m2m"]["depends_on"] = [first_initiative]

        def circle(t):
            a, b = t["portfolio.Initiative"][0], t["portfolio.Initiative"][1]
            a["m2m"]["depends_on"], b["m2m"]["depends_on"] = [b["id"]], [a["id"]]

        def own_parent(t):
            t["assessment.Capability"][0]["fields"]["parent"] = capability

        def missing_row(t):
            t["roadmap.Milestone"][0]["fields"]["initiative"] = 999_999

        def missing_link(t):
            t["portfolio.Initiative"][0]["m2m"]["goals"] = [999_999]

        def same_name(t):
            t["assessment.Capability"].append({**t["assessment.Capability"][0], "id": 990_002})

        def same_id(t):
            t["goals.BusinessGoal"].append(dict(t["goals.BusinessGoal"][0]))

        def bad_formula(t):
            t["kpis.Kpi"][0]["fields"]["formula"] = "{Nobody} / 2"

        def wrong_side(t):
            t["kpis.Kpi"][-1]["fields"].update(
                baseline_value=10,
                baseline_date="2025-01-01",
                target_value=5,
                target_date="2027-01-01",
            )

        def unknown_field(t):
            t["goals.BusinessGoal"][0]["fields"]["x" * 2**20] = 1

        def a_string_id(t):
            t["goals.BusinessGoal"][0]["id"] = "²"

        cases = [
            ("depends on itself", depend_on_itself, "cannot link to itself"),
            ("a circle", circle, "in a circle"),
            ("its own parent", own_parent, "its own parent"),
            ("a link to a missing row", missing_row, "points to a missing row"),
            ("a list link to a missing row", missing_link, "does not hold"),
            ("the same name twice", same_name, "the same name as row"),
            ("the same id twice", same_id, "the same id"),
            ("a formula naming no KPI", bad_formula, "not another KPI of the file"),
            ("a target on the wrong side", wrong_side, "is below the baseline"),
            ("a 1 MB field name", unknown_field, "xxxx…"),
            ("an id that is not a number", a_string_id, "whole number from 1"),
        ]
        for label, change, expect in cases:
            with self.subTest(case=label):
                self.upload(changed(change), expect)

    def test_stored_results_in_shapes_the_pages_cannot_read(self):
        """A scenario's result, the roadmap's, a review's snapshot, a RACI's grid, a use
        case's data and a document's content: each in the shape Cairn's pages read."""
        weird = [
            ("portfolio.Scenario", "result", {"selected": "abc"}),
            ("portfolio.Scenario", "result", {"selected": ["1", "x"]}),
            ("portfolio.Scenario", "result", {"explanations": {"1": {"dropped": 5}}}),
            ("roadmap.Plan", "result", {"start": {"1": "soon"}}),
            ("roadmap.Plan", "result", {"why": [{"kind": "x", "numbers": ["lots"]}]}),
            ("governance.Review", "snapshot", {"goals": 5}),
            ("governance.Review", "snapshot", {"kpis": [{"id": "x"}]}),
            ("governance.Raci", "people", [{"a": 1}]),
            ("governance.Raci", "rows", [{"cells": {}}]),
            ("aigov.AiUseCase", "data", [5]),
            ("aigov.AiUseCase", "nist", {"govern": "yes"}),
            ("kpis.Kpi", "recent", [["2025-01-31"]]),
            ("documents.StrategyDocument", "data", {"made_on": "2026-01-01", "ascent": 5}),
        ]
        for table, field, value in weird:
            with self.subTest(table=table, field=field, value=value):
                data = self.file()
                rows = data["tables"][table]
                if not rows:  # the roadmap's plan, when the fixture has none
                    rows.append({"id": 1, "fields": {"starts_on": "2026-01-01"}, "m2m": {}})
                rows[0]["fields"][field] = value
                expect = "is not what Cairn stores here"
                if table == "documents.StrategyDocument":
                    expect = "is not the content of a strategy document"
                self.upload(json.dumps(data).encode(), expect)

    def test_a_bad_last_row_after_20000_good_ones_writes_nothing(self):
        data = self.file()
        rows = self.measurements(data, 20_001)
        rows[-1]["fields"]["date"] = "2026-02-30"
        response = self.upload(json.dumps(data).encode(), "valid date")
        self.assertContains(response, f"<td>{rows[-1]['id']}</td><td>date</td>", status_code=422)

    def test_thousands_of_problems_are_counted_not_listed(self):
        data = self.file()
        for row in self.measurements(data, 3_000):
            row["fields"]["value"] = "lots"
        response = self.upload(json.dumps(data).encode(), "2,500 more were found", BIG_REPORT)
        self.assertContains(response, "3,000 problems", status_code=422)

    def test_the_command_line(self):
        data = self.file()
        data["tables"]["portfolio.Initiative"][0]["fields"]["title"] = "t" * 100_000
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "org.json")
            path.write_text(json.dumps(data))
            before = self.counts()
            err = io.StringIO()
            with self.assertRaises(CommandError):
                call_command("import-org", str(path), "--name", "X", "--owner", "owner", stderr=err)
            self.assertIn("portfolio.Initiative", err.getvalue())
            self.assertIn("at most 200 characters", err.getvalue())
            self.assertLess(len(err.getvalue()), 2_000)
            with self.assertRaises(CommandError) as refused:
                call_command(
                    "import-org", str(path), "--name", "X", "--owner", "owner", "--max-mb", "0"
                )
            self.assertIn("larger than the limit of 0 MB", str(refused.exception))
            self.assertEqual(self.counts(), before)
