"""Actual spend imported from the finance system's export: columns by name, all rows or none,
a report of every bad row, and importing the same export again replacing, never doubling,
the spend of each initiative and month it contains. Through the import page (the worker),
`cairn import --org SLUG actuals FILE`, and hostile files that write nothing."""

from __future__ import annotations

import io
import random
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cairn.core.models import AuditEvent, AuditVia, ImportJob, ImportState
from cairn.core.tabular import ImportRefused
from cairn.execution import imports
from cairn.execution.models import Actual
from cairn.portfolio.models import Initiative
from tests.base import CairnTestCase
from tests.test_hostile_imports import (
    HUGE,
    SMALL,
    archive_bomb,
    csv_bytes,
    text_of,
    xlsx_bytes,
)

HEADER = ["initiative", "period", "amount", "kind", "budget_line", "source"]


def good(i: int) -> list:
    """A row of the export: Clean the data, one month of 1960 to 2026 after another."""
    return ["Clean the data", f"{1960 + i // 12 % 66}-{i % 12 + 1:02}", "10.50", "", "", f"L{i}"]


class ActualsImportTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.first, cls.crm = cls.roadmap["first"], cls.roadmap["second"]
        cls.idea = cls.path["initiative"]  # "Automate quoting", an idea

    def run_import(self, rows, filename="export.csv", **kw):
        content = (xlsx_bytes if filename.endswith(".xlsx") else csv_bytes)(rows)
        return imports.import_file(self.org, io.BytesIO(content), filename, actor=self.editor, **kw)

    def state(self):
        return (
            sorted(Actual.objects.values_list("organization", "initiative", "month", "amount")),
            AuditEvent.objects.count(),
        )

    def refused(self, rows_or_bytes, filename="export.csv", bound=SMALL):
        """Refused, nothing written, the report small; returns the report."""
        before = self.state()
        content = rows_or_bytes
        if isinstance(content, list):
            content = (xlsx_bytes if filename.endswith(".xlsx") else csv_bytes)(content)
        with self.assertRaises(ImportRefused) as refused:
            imports.import_file(self.org, io.BytesIO(content), filename, actor=self.editor)
        report = refused.exception.report
        page = text_of(report)
        self.assertLess(len(page), bound)
        self.assertNotIn("None", page)
        self.assertEqual(self.state(), before)
        return report

    def problems(self, report) -> list[tuple[int, str, str]]:
        return [(e.row, e.column, e.problem) for e in report.errors]

    # --- What a good file does

    def test_columns_by_name_in_any_order_and_heading(self):
        rows = [
            ["Source", "Amount (EUR)", "Budget_line", "Initiative", "Month", "Kind"],
            ["INV-1", '"12,500.00"', "projects", "clean the DATA", "2026-10", "One-off"],
            ["Licences", 850, "", "New CRM", "2026-11-20", "running"],
            ["CN-88", "-300", "", "Clean the data", "2026/10", "one off"],
        ]
        self.assertEqual(self.run_import(rows), (3, 0))
        mine = Actual.objects.filter(source__in=["INV-1", "Licences", "CN-88"]).order_by("pk")
        self.assertEqual(
            [(a.initiative, a.month, a.amount, a.kind, a.budget_line, a.created_by) for a in mine],
            [
                (
                    self.first,
                    date(2026, 10, 1),
                    Decimal("12500"),
                    "one_off",
                    self.roadmap["budget"],
                    self.editor,
                ),
                (self.crm, date(2026, 11, 1), Decimal("850"), "running", None, self.editor),
                (self.first, date(2026, 10, 1), Decimal("-300"), "one_off", None, self.editor),
            ],
        )
        # One audit event per initiative, saying how many rows it got and replaced.
        events = AuditEvent.objects.filter(object_type="portfolio.initiative").order_by("object_id")
        self.assertEqual(
            [(e.object_repr, e.after["spend imported"], e.after["spend replaced"]) for e in events],
            [("Clean the data", 2, 0), ("New CRM", 1, 0)],
        )

    def test_a_date_column_and_excel_cells(self):
        """Excel date cells and number cells, with the binary noise of a computed amount."""
        rows = [
            ["initiative", "date", "amount"],
            ["Clean the data", datetime(2026, 9, 17), 0.1 + 0.2],
            ["New CRM", date(2026, 8, 31), 1200.5],
        ]
        self.assertEqual(self.run_import(rows, "export.xlsx"), (2, 0))
        self.assertEqual(
            sorted(
                Actual.objects.filter(month__lt=date(2026, 10, 1)).values_list("month", "amount")
            ),
            [(date(2026, 8, 1), Decimal("1200.50")), (date(2026, 9, 1), Decimal("0.30"))],
        )

    def test_importing_the_same_export_again_replaces_never_doubles(self):
        hand = Actual.objects.get(organization=self.org)  # typed in by hand: 120 in Nov 2026
        kept = Actual.objects.create(
            organization=self.org, initiative=self.first, month=date(2026, 9, 1), amount=77
        )
        other = self.other_execution["actual"]
        rows = [
            HEADER,
            ["Clean the data", "2026-11", "100", "", "", "INV-1"],
            ["Clean the data", "2026-11", "50", "", "", "INV-2"],  # rows of one file add up
            ["New CRM", "2026-11", "40", "running", "", "INV-3"],
        ]
        self.assertEqual(self.run_import(rows), (3, 1))  # the hand entry of November replaced
        self.assertFalse(Actual.objects.filter(pk=hand.pk).exists())
        self.assertEqual(self.run_import(rows), (3, 3))  # the same export: the same spend
        self.assertEqual(self.run_import(rows, via=AuditVia.CLI), (3, 3))
        nov = Actual.objects.filter(organization=self.org, month=date(2026, 11, 1))
        self.assertEqual(sorted(nov.values_list("amount", flat=True)), [40, 50, 100])
        # A month the file does not mention is left alone, and so is another organisation.
        self.assertTrue(Actual.objects.filter(pk=kept.pk, amount=77).exists())
        self.assertTrue(Actual.objects.filter(pk=other.pk, amount=120).exists())
        # A corrected export corrects: November's 150 on the data becomes 90.
        fixed = [HEADER, ["Clean the data", "2026-11", "90", "", "", "INV-1 corrected"]]
        self.assertEqual(self.run_import(fixed), (1, 2))
        self.assertEqual(
            sorted(nov.values_list("initiative__title", "amount")),
            [("Clean the data", 90), ("New CRM", 40)],
        )

    def test_replacing_across_batches_keeps_the_files_own_rows(self):
        """The same initiative and month on both sides of a batch written: all of them kept."""
        rows = [
            HEADER,
            *[
                ["Clean the data", "2026-11", "1", "", "", f"L{i}"]
                for i in range(imports.BATCH * 2 + 5)
            ],
        ]
        self.assertEqual(self.run_import(rows), (imports.BATCH * 2 + 5, 1))
        self.assertEqual(self.run_import(rows), (imports.BATCH * 2 + 5, imports.BATCH * 2 + 5))
        self.assertEqual(
            Actual.objects.filter(organization=self.org, month=date(2026, 11, 1)).count(),
            imports.BATCH * 2 + 5,
        )

    def test_queries_do_not_grow_with_the_rows(self):
        def queries(n: int) -> int:
            rows = [HEADER, *[good(i) for i in range(n)]]
            with CaptureQueriesContext(connection) as captured:
                self.run_import(rows)
            return sum('INTO "execution_actual"' not in q["sql"] for q in captured)

        # Initiatives, budget lines, the savepoint, then for the batch of new (initiative,
        # month) pairs: count and delete what they replace; the audit events; the release.
        # The rows go in as few INSERTs as the database takes parameters (left out here).
        self.assertEqual(queries(10), queries(1500))
        self.assertEqual(queries(10), 7)

    def test_progress_is_reported(self):
        seen = []
        self.run_import([HEADER, *[good(i) for i in range(2500)]], progress=seen.append)
        self.assertEqual(seen, [999, 1999])

    # --- What a bad file says, writing nothing

    def test_every_bad_row_with_its_column_and_problem(self):
        rows = [
            HEADER,
            ["Clean the data", "2026-11", "10", "", "", ""],  # good
            ["No such thing", "2026-11", "10", "", "", ""],
            ["Globex secret Clean the data", "2026-11", "10", "", "", ""],
            ["Automate quoting", "2026-11", "10", "", "", ""],
            ["Clean the data", "2026-11", "10", "", "Globex secret Projects", ""],
            ["Clean the data", "11/2026", "10", "", "", ""],
            ["Clean the data", "", "10", "", "", ""],
            ["Clean the data", "2026-11", "NaN", "", "", ""],
            ["Clean the data", "2026-11", "-Infinity", "", "", ""],
            ["Clean the data", "2026-11", '"€1,200"', "", "", ""],
            ["Clean the data", "2026-11", "10.005", "", "", ""],
            ["Clean the data", "2026-11", "200000000000", "", "", ""],
            ["Clean the data", "2026-11", "", "", "", ""],
            ["Clean the data", "2026-11", "10", "capex", "", ""],
            ["", "0001-01", "10", "", "", ""],
        ]
        report = self.refused(rows)
        self.assertEqual(
            self.problems(report),
            [
                (3, "initiative", "unknown initiative “No such thing”"),
                (4, "initiative", "unknown initiative “Globex secret Clean the data”"),
                (
                    5,
                    "initiative",
                    "“Automate quoting” has the status Idea: only approved, in progress "
                    "or done initiatives have spend",
                ),
                (6, "budget_line", "unknown budget line “Globex secret Projects”"),
                (7, "period", "period “11/2026” is not a month like 2026-11"),
                (8, "period", "period is required"),
                (9, "amount", "amount “NaN” is not a number"),
                (10, "amount", "amount “-Infinity” is not a number"),
                (
                    11,
                    "amount",
                    "“€1,200”: write the amount without its currency sign, as "
                    "1,200.50 (a credit as -1,200.50).",
                ),
                (12, "amount", "Use at most 2 decimal places."),
                (13, "amount", "Enter a number no more than 100,000,000,000."),
                (14, "amount", "amount is required"),
                (15, "kind", "kind “capex” is not one-off or running"),
                (16, "initiative", "initiative is required"),
                (16, "period", "period 0001-01-01 is outside 1900 to 2199"),
            ],
        )
        self.assertIn("Nothing was imported: the file has 15 problems", text_of(report))

    def test_an_initiative_title_two_initiatives_share(self):
        Initiative.objects.create(organization=self.org, title="NEW crm", status="done")
        report = self.refused([HEADER, ["New CRM", "2026-11", "1", "", "", ""]])
        self.assertEqual(
            self.problems(report),
            [(2, "initiative", "2 initiatives are called “New CRM”: rename one")],
        )

    def test_the_month_column(self):
        both = self.refused(
            [["initiative", "month", "date", "amount"], ["New CRM", "2026-11", "", 1]]
        )
        self.assertEqual(
            self.problems(both), [(0, "", "The file has month and date columns: keep one of them.")]
        )
        none = self.refused([["initiative", "amount"], ["New CRM", 1]])
        self.assertEqual(
            self.problems(none),
            [(0, "", "The file has no month column: name it period, month or date.")],
        )
        unknown = self.refused(
            [["initiative", "period", "amount", "cost centre"], ["New CRM", "2026-11", 1, "X"]]
        )
        self.assertIn("unknown column(s): cost centre", unknown.errors[0].problem)

    def test_wrong_encodings_and_binary_files(self):
        rows = [HEADER, ["Clean the data", "2026-11", "10", "", "", "Café"]]
        noise = random.Random(13).randbytes(64 * 1024)
        for label, content, filename, expect in [
            ("UTF-16", csv_bytes(rows, "utf-16"), "f.csv", "not UTF-8"),
            ("Latin-1", csv_bytes(rows, "latin-1"), "f.csv", "not UTF-8"),
            ("binary as CSV", noise, "f.csv", "Nothing was imported"),
            ("binary as xlsx", noise, "f.xlsx", "not a valid Excel"),
            ("PDF", b"%PDF-1.4\n" + noise, "f.pdf", "Upload a .csv or .xlsx"),
            ("archive bomb", archive_bomb(), "f.xlsx", "packed more than 100 times"),
        ]:
            with self.subTest(label):
                report = self.refused(content, filename)
                self.assertIn(expect, text_of(report))
                self.assertEqual(report.errors[0].row, 0)

    def test_huge_cells(self):
        huge = "x" * HUGE
        for label, content in [
            ("60 MB heading", csv_bytes([[*HEADER[:-1], huge], good(1)])),
            ("60 MB initiative", csv_bytes([HEADER, [huge, *good(1)[1:]]])),
        ]:
            with self.subTest(label):
                report = self.refused(content)
                self.assertEqual(len(report.errors), 1)
                self.assertIn("longer than", report.errors[0].problem)
        # A long cell that fits csv's limit: named in 80 characters, nothing written.
        report = self.refused([HEADER, ["y" * 100_000, *good(1)[1:]]])
        self.assertEqual(
            self.problems(report), [(2, "initiative", "initiative is longer than 200 characters")]
        )

    def test_a_bad_last_row_after_20000_good_ones_writes_nothing(self):
        rows = [HEADER, *[good(i) for i in range(20_000)]]
        for fmt in ("csv", "xlsx"):
            for bad in (
                ["Clean the data", "2026-11", "NaN", "", "", ""],
                ["Globex secret Clean the data", "2026-11", "1", "", "", ""],
            ):
                with self.subTest(fmt=fmt, bad=bad[0]):
                    report = self.refused([*rows, bad], f"big.{fmt}")
                    self.assertEqual([e.row for e in report.errors], [20_002])

    def test_thousands_of_bad_rows_are_counted_not_listed(self):
        rows = [HEADER, *[["Nobody", "2026-11", "1", "", "", ""] for _ in range(3000)]]
        report = self.refused(rows, bound=300_000)
        self.assertEqual((len(report.errors), report.more), (500, 2500))

    # --- The page, the template, the command line

    def test_the_import_page_runs_in_the_worker(self):
        self.login("editor")
        spend = self.client.get(self.url("execution:spend"))
        self.assertContains(spend, f'href="{self.url("execution:actual_import")}"')
        self.assertContains(spend, "Import from the finance export")
        page = self.client.get(self.url("execution:actual_import"))
        self.assertContains(page, "Importing again replaces, never adds twice.")
        self.assertContains(page, "“Clean the data”")
        self.assertNotContains(page, "Automate quoting")  # an idea has no spend
        self.assertNotContains(page, "Globex")
        content = csv_bytes([HEADER, ["Clean the data", "2026-11", "99", "", "", ""]])
        response = self.client.post(
            self.url("execution:actual_import"),
            {"file": SimpleUploadedFile("finance.csv", content)},
        )
        job = ImportJob.objects.get(kind="actuals")
        self.assertRedirects(response, self.url("import_job", job.pk))
        self.assertEqual((job.state, job.result), (ImportState.DONE, {"added": 1, "replaced": 1}))
        self.assertEqual(job.rows_read, 1)  # rows of the file: what was replaced is not one
        done = self.client.get(self.url("import_job", job.pk))
        self.assertContains(done, "Spend imported:</strong> 1 added, replacing 1 recorded before")
        self.assertContains(done, "See spend against plan")
        self.assertContains(done, f'href="{self.url("execution:actual_import")}"')
        self.assertContains(self.client.get(self.url("execution:actual_import")), "finance.csv")
        # A refused file: the job's page lists the problem, nothing written.
        bad = csv_bytes([HEADER, ["Nobody", "2026-11", "1", "", "", ""]])
        self.client.post(
            self.url("execution:actual_import"), {"file": SimpleUploadedFile("bad.csv", bad)}
        )
        job = ImportJob.objects.filter(kind="actuals").latest("pk")
        self.assertEqual(job.state, ImportState.REFUSED)
        self.assertContains(
            self.client.get(self.url("import_job", job.pk)), "unknown initiative “Nobody”"
        )
        self.assertEqual(Actual.objects.get(organization=self.org).amount, 99)
        # No file: said, nothing queued.
        response = self.client.post(self.url("execution:actual_import"), {}, follow=True)
        self.assertContains(response, "Choose a file to import.")

    def test_the_spend_page_shows_an_import_at_once(self):
        """Its figures are cached under the organisation's data version; the import's audit
        events move it on."""
        self.login("editor")
        self.assertContains(self.client.get(self.url("execution:spend")), "$120")
        rows = [HEADER, ["Clean the data", "2026-11", "4321", "", "", ""]]
        self.run_import(rows)
        page = self.client.get(self.url("execution:spend"))
        self.assertContains(page, "$4,321")
        self.assertNotContains(page, "$120")

    def test_viewers_see_no_import_button(self):
        self.login("viewer")
        self.assertNotContains(self.client.get(self.url("execution:spend")), "finance export")
        self.assertEqual(self.client.get(self.url("execution:actual_import")).status_code, 403)

    def test_the_templates_import_as_they_are(self):
        self.org.currency = "EUR"
        self.org.save()
        self.login("viewer")
        for fmt in ("csv", "xlsx"):
            with self.subTest(fmt):
                response = self.client.get(self.url("execution:actual_import_template", fmt))
                content = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                if fmt == "xlsx":
                    sheet = load_workbook(io.BytesIO(content)).active
                    self.assertEqual(
                        next(sheet.values)[:3], ("initiative", "period", "amount (EUR)")
                    )
                self.assertEqual(
                    imports.import_file(
                        self.org, io.BytesIO(content), f"t.{fmt}", actor=self.editor
                    )[0],
                    3,
                )
        self.assertEqual(
            self.client.get(self.url("execution:actual_import_template", "pdf")).status_code, 404
        )

    def test_the_command_line(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "finance.csv")
            path.write_bytes(csv_bytes([HEADER, ["Clean the data", "2026-11", "5", "", "", ""]]))
            out = io.StringIO()
            call_command("import", "--org", "acme", "actuals", str(path), stdout=out)
            self.assertIn("Spend: 1 added, replacing 1 recorded before", out.getvalue())
            self.assertEqual(AuditEvent.objects.filter(via=AuditVia.CLI).count(), 1)
            path.write_bytes(
                csv_bytes([HEADER, ["Globex secret New CRM", "2026-11", "5", "", "", ""]])
            )
            before, err = self.state(), io.StringIO()
            with self.assertRaises(CommandError):
                call_command("import", "--org", "acme", "actuals", str(path), stderr=err)
            self.assertIn("unknown initiative “Globex secret New CRM”", err.getvalue())
            self.assertEqual(self.state(), before)
