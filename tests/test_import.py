"""Imports are all-or-nothing, report every bad row, and update on re-import; exports match.

The terrain's kinds (teams, capabilities, processes, applications) through the one import
engine (``cairn.exchange``): its Python API, the data page with its preview and confirm
step, and ``cairn import`` / ``cairn export``."""

import io
import os
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from cairn.assessment.models import Application, Capability, Process, Team
from cairn.core.models import AuditEvent, ImportJob, ImportState
from cairn.core.tabular import FORMATS, ImportRefused
from cairn.exchange import books
from tests.base import CairnTestCase

HEADER = "name,vendor,annual_cost,health,fit,capabilities,lifecycle\n"
TERRAIN = ("teams", "capabilities", "processes", "applications")


def csv_file(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def xlsx_file(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def counts(outcomes) -> tuple[int, int, int]:
    """(added, changed, left alone) of a one-kind import."""
    (outcome,) = outcomes
    return len(outcome.added), len(outcome.changed), outcome.unchanged


class ImportTests(CairnTestCase):
    def run_import(self, kind, file, name="file.csv", **kw):
        outcomes = books.import_kind(
            self.org, books.kind_for(kind), file, name, actor=self.editor, **kw
        )
        return counts(outcomes)

    def state(self):
        return (
            list(Application.objects.order_by("pk").values_list("name", "health", "version")),
            Team.objects.count(),
            Capability.objects.count(),
            Process.objects.count(),
            AuditEvent.objects.count(),
        )

    def test_good_file_imports_and_reimport_updates(self):
        text = HEADER + 'CRM,Acme,"1,200.50",4,5,Quote to cash,active\nERP,SAP,90000,2,4,,\n'
        # A dry run says exactly what the import will do, and writes nothing.
        before = self.state()
        self.assertEqual(self.run_import("applications", csv_file(text), dry_run=True), (2, 0, 0))
        self.assertEqual(self.state(), before)
        self.assertEqual(self.run_import("applications", csv_file(text)), (2, 0, 0))
        crm = Application.objects.get(name="CRM")
        self.assertEqual((crm.annual_cost, crm.health, crm.fit), (1200.5, 4, 5))
        self.assertEqual([c.name for c in crm.capabilities.all()], ["Quote to cash"])
        event = AuditEvent.objects.get(object_type="assessment.application", object_id=crm.pk)
        self.assertEqual(event.after["capabilities"], [self.terrain["capability"].pk])
        self.assertEqual((event.actor, event.action), (self.editor, "create"))
        # The same file again: nothing to do, nothing written, nothing audited.
        audited = AuditEvent.objects.count()
        self.assertEqual(self.run_import("applications", csv_file(text)), (0, 0, 2))
        self.assertEqual(AuditEvent.objects.count(), audited)
        crm.refresh_from_db()
        self.assertEqual(crm.version, 1)
        # A change: one row updated, matched on its name, never duplicated; the other row
        # is left alone and unaudited.
        changed = text.replace('CRM,Acme,"1,200.50",4', "CRM,Acme,1300,3")
        (outcome,) = books.import_kind(
            self.org, books.kind_for("applications"), csv_file(changed), "f.csv", actor=self.editor
        )
        self.assertEqual(
            (outcome.added, outcome.changed, outcome.unchanged),
            ([], [("CRM", ["annual_cost", "health"])], 1),
        )
        crm.refresh_from_db()
        self.assertEqual((crm.annual_cost, crm.health, crm.version), (1300, 3, 2))
        self.assertEqual(Application.objects.filter(name="CRM").count(), 1)
        self.assertEqual(AuditEvent.objects.count(), audited + 1)
        update = AuditEvent.objects.get(object_id=crm.pk, action="update")
        self.assertEqual((update.before["health"], update.after["health"]), (4, 3))
        erp = Application.objects.get(name="ERP")
        self.assertFalse(AuditEvent.objects.filter(object_id=erp.pk, action="update").exists())

    def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(self):
        before = self.state()
        cases = {
            "missing name": (HEADER + ",Acme,1,3,3,,\n", 2, "name", "name is required"),
            "health outside 1-5": (HEADER + "X,Acme,1,7,3,,\n", 2, "health", "between 1 and 5"),
            "unknown capability": (
                HEADER + "X,Acme,1,3,3,Telepathy,\n",
                2,
                "capabilities",
                "there is no capability “Telepathy”",
            ),
            "duplicate name": (
                HEADER + "X,A,1,3,3,,\nY,B,1,3,3,,\nX,C,1,3,3,,\n",
                4,
                "name",
                "“X” is already on row 2",
            ),
            "wrong type": (HEADER + "X,Acme,lots,3,3,,\n", 2, "annual_cost", "is not a number"),
            "not a whole number": (HEADER + "X,Acme,1,3.5,3,,\n", 2, "health", "whole number"),
            "bad choice": (HEADER + "X,Acme,1,3,3,,zombie\n", 2, "lifecycle", "not one of"),
            "too long": (HEADER + "X" * 121 + ",Acme,1,3,3,,\n", 2, "name", "longer than 120"),
            "empty file": ("", 0, "", "The file is empty"),
            "header only": (HEADER, 0, "", "no rows to import"),
            "wrong columns": ("title,colour\nX,red\n", 0, "", "missing column(s): name"),
            "unknown column": ("name,colour\nX,red\n", 0, "", "unknown column(s): colour"),
        }
        for label, (text, row, column, problem) in cases.items():
            with self.subTest(label):
                for dry_run in (True, False):
                    with self.assertRaises(ImportRefused) as refused:
                        self.run_import("applications", csv_file(text), dry_run=dry_run)
                    errors = refused.exception.report.errors
                    self.assertTrue(
                        any(
                            e.row == row and e.column == column and problem in e.problem
                            for e in errors
                        ),
                        [vars(e) for e in errors],
                    )
        self.assertEqual(self.state(), before)

    def test_every_bad_row_of_a_file_is_reported_at_once(self):
        text = (
            HEADER
            + "Good,V,1,3,3,,\n"
            + ",V,1,3,3,,\n"  # row 3: no name
            + "Sick,V,1,9,3,,\n"  # row 4: health
            + "Lost,V,1,3,3,Telepathy,\n"  # row 5: an unknown capability
            + "Good,V,1,3,3,,\n"  # row 6: named twice
        )
        with self.assertRaises(ImportRefused) as refused:
            self.run_import("applications", csv_file(text))
        where = sorted((e.row, e.column) for e in refused.exception.report.errors)
        self.assertEqual(where, [(3, "name"), (4, "health"), (5, "capabilities"), (6, "name")])

    def test_queries_do_not_grow_with_the_rows(self):
        def queries(n: int, prefix: str, health: int = 3) -> int:
            text = HEADER + "".join(
                f"{prefix} {i},V,10,{health},3,Quote to cash,active\n" for i in range(n)
            )
            with CaptureQueriesContext(connection) as ctx:
                self.run_import("applications", csv_file(text))
            return len(ctx.captured_queries)

        # Rows added (with their links and audit events), then changed, then left alone:
        # 5 rows or 50, the same queries. (Writes go in batches: of 500 rows, and on SQLite
        # of as many as its 999 parameters per statement allow, about 58 applications.)
        self.assertEqual(queries(5, "Few"), queries(50, "Many"))
        self.assertEqual(queries(5, "Few", health=4), queries(50, "Many", health=4))
        self.assertEqual(queries(5, "Few", health=4), queries(50, "Many", health=4))

    def test_bad_rows_anywhere_stop_the_good_ones(self):
        before = self.state()
        text = HEADER + "".join(f"App {i},V,10,3,3,,\n" for i in range(50)) + "Bad,V,10,0,3,,\n"
        with self.assertRaises(ImportRefused) as refused:
            self.run_import("applications", csv_file(text))
        self.assertEqual([e.row for e in refused.exception.report.errors], [52])
        self.assertEqual(self.state(), before)

    def test_bad_encoding_and_bad_workbook(self):
        text = HEADER + "Café système,Acme,1,3,3,,\n"
        for file, name, problem in [
            (csv_file(text, "latin-1"), "apps.csv", "not UTF-8"),
            (io.BytesIO(b"PK\x03\x04 not really a zip"), "apps.xlsx", "not a valid Excel"),
            (io.BytesIO(b"%PDF-1.4"), "apps.pdf", "Upload a .csv or .xlsx"),
        ]:
            with self.subTest(name):
                with self.assertRaises(ImportRefused) as refused:
                    self.run_import("applications", file, name)
                self.assertIn(problem, refused.exception.report.errors[0].problem)

    def test_excel_import(self):
        file = xlsx_file([["name", "headcount", "lead"], ["Finance", 7, "Dana"], ["IT", 6.5, None]])
        self.assertEqual(self.run_import("teams", file, "teams.xlsx"), (2, 0, 0))
        self.assertEqual(float(Team.objects.get(name="IT").headcount), 6.5)

    def test_capability_tree_from_one_file(self):
        text = "name,parent,goals\nSell,,Grow market share\nQuote,Sell,\nPrice,Quote,\n"
        self.assertEqual(self.run_import("capabilities", csv_file(text)), (3, 0, 0))
        price = Capability.objects.get(name="Price")
        self.assertEqual(price.parent.parent.name, "Sell")
        self.assertEqual(price.depth(), 3)
        self.assertEqual(list(Capability.objects.get(name="Sell").goals.all()), [self.goal])
        before = self.state()
        for bad, problem in [
            ("name,parent\nToo deep,Price\n", "at most 3 levels"),
            ("name,parent\nLoopA,LoopB\nLoopB,LoopA\n", "never in a circle"),
            ("name,parent\nSelf,Self\n", "never in a circle"),
            ("name,parent\nOrphan,Nowhere\n", "there is no capability “Nowhere”"),
            ("name,goals\nX,No such goal\n", "there is no goal “No such goal”"),
        ]:
            with self.subTest(bad):
                with self.assertRaises(ImportRefused) as refused:
                    self.run_import("capabilities", csv_file(bad))
                self.assertIn(problem, refused.exception.report.errors[0].problem)
        self.assertEqual(self.state(), before)

    def test_processes_refer_to_teams(self):
        ok = "name,team,automation,pain\nClose,Sales ops,Partly,4\n"
        self.assertEqual(self.run_import("processes", csv_file(ok)), (1, 0, 0))
        close = Process.objects.get(name="Close")
        self.assertEqual((close.automation, close.team), ("partly", self.terrain["team"]))
        with self.assertRaises(ImportRefused) as refused:
            self.run_import("processes", csv_file("name,team\nX,Ghost team\n"))
        self.assertIn("there is no team “Ghost team”", refused.exception.report.errors[0].problem)

    def test_templates_import_cleanly_and_exports_round_trip(self):
        for slug in TERRAIN:
            kind = books.kind_for(slug)
            with self.subTest(slug):
                for fmt in ("csv", "xlsx"):
                    content = books.template(kind, self.org, fmt)
                    self.assertEqual(
                        self.run_import(slug, io.BytesIO(content), f"t.{fmt}", dry_run=True),
                        (1, 0, 0),  # the template's one example row
                    )
                for fmt in ("csv", "xlsx"):
                    exported = books.export_kind(kind, self.org, fmt)
                    added, changed, unchanged = self.run_import(
                        slug, io.BytesIO(exported), f"e.{fmt}"
                    )
                    # An export re-imports as is.
                    self.assertEqual((added, changed), (0, 0))
                    stored = kind.model_class.objects.filter(organization=self.org)
                    self.assertEqual(unchanged, stored.count())


class ImportPageTests(CairnTestCase):
    def upload(self, text, kind="applications", name="apps.csv", content=None):
        file = SimpleUploadedFile(name, content if content is not None else text.encode())
        return self.client.post(
            self.url("exchange:index"), {"kind": kind, "file": file}, follow=True
        )

    def test_bad_file_shows_a_table_of_problems(self):
        self.login("editor")
        before = AuditEvent.objects.count()
        response = self.upload(HEADER + "X,Acme,1,9,3,,\n,Acme,1,3,3,,\n")
        # Refused at the preview already: nothing to confirm.
        job = ImportJob.objects.get()
        self.assertEqual(job.state, ImportState.REFUSED)
        self.assertContains(response, "Nothing was imported")
        self.assertContains(response, "health must be between 1 and 5")
        self.assertContains(response, "<td>3</td><td>name</td>")
        self.assertNotContains(response, "ready to import")
        self.assertNotContains(response, self.url("exchange:confirm", job.pk))
        self.assertFalse(Application.objects.filter(name="X").exists())
        self.assertEqual(AuditEvent.objects.count(), before)

    def test_good_file_and_template_download(self):
        self.login("editor")
        template = self.client.get(self.url("exchange:template", "applications", "xlsx"))
        self.assertEqual(template["Content-Type"], FORMATS["xlsx"])
        book = load_workbook(io.BytesIO(template.content))
        self.assertEqual(book.sheetnames, ["Applications", books.HELP_SHEET])
        sheet = book.worksheets[0]
        self.assertEqual(
            [c.value for c in sheet[1]][:4], ["name", "vendor", "owner", "annual_cost (USD)"]
        )
        self.assertEqual(sheet.max_row, 2)  # the header and one example row
        explained = [r[0] for r in book[books.HELP_SHEET].iter_rows(min_row=2, values_only=True)]
        self.assertEqual(explained, [c.value for c in sheet[1]])  # every column explained
        response = self.upload("", content=template.content, name="t.xlsx")
        # First a preview: what it would do, and nothing written yet.
        job = ImportJob.objects.get()
        self.assertEqual(job.state, ImportState.PREVIEW)
        self.assertContains(response, "Applications from t.xlsx: ready to import")
        self.assertContains(response, "<strong>add 1</strong> row")
        self.assertContains(response, "Adds: Shared drive")
        self.assertFalse(Application.objects.filter(name="Shared drive").exists())
        # Then the import, confirmed.
        response = self.client.post(self.url("exchange:confirm", job.pk), follow=True)
        self.assertRedirects(response, self.url("import_job", job.pk))
        self.assertContains(
            response, "Applications imported:</strong> 1 added, 0 changed, 0 left alone"
        )
        shared = Application.objects.get(organization=self.org, name="Shared drive")
        self.assertEqual(
            (shared.vendor, shared.annual_cost, shared.users), ("Microsoft", 4800, 220)
        )

    def test_export_lists_only_this_organisation(self):
        self.login("viewer")
        response = self.client.get(self.url("exchange:export", "applications", "csv"))
        text = response.content.decode("utf-8-sig")
        self.assertIn("Spreadsheet pricing", text)
        self.assertIn("Spreadsheet pricing,,,9000,", text)  # 9000, not 9000.00
        self.assertNotIn("Globex", text)
        for name in ("exchange:export", "exchange:template"):
            with self.subTest(name):
                self.assertEqual(self.client.get(self.url(name, "nope", "csv")).status_code, 404)
                self.assertEqual(
                    self.client.get(self.url(name, "applications", "pdf")).status_code, 404
                )


class ImportCommandTests(CairnTestCase):
    def test_command_imports_and_refuses(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "apps.csv")
            with open(good, "w") as f:
                f.write(HEADER + "CLI app,Acme,5,3,3,,\n")
            out = io.StringIO()
            call_command("import", "--org", "acme", "--dry-run", "applications", good, stdout=out)
            self.assertIn("Applications: 1 would add, 0 would change, 0 unchanged.", out.getvalue())
            self.assertIn("Nothing was written (a dry run).", out.getvalue())
            self.assertFalse(Application.objects.filter(name="CLI app").exists())
            out = io.StringIO()
            call_command("import", "--org", "acme", "applications", good, stdout=out)
            self.assertIn("Applications: 1 added, 0 changed, 0 unchanged.", out.getvalue())
            self.assertEqual(AuditEvent.objects.filter(via="cli").count(), 1)
            bad = os.path.join(tmp, "bad.csv")
            with open(bad, "w") as f:
                f.write(HEADER + "X,Acme,5,0,3,,\n")
            err = io.StringIO()
            with self.assertRaises(CommandError):
                call_command("import", "--org", "acme", "applications", bad, stderr=err)
            self.assertIn("health must be between 1 and 5", err.getvalue())
            exported = os.path.join(tmp, "out.xlsx")
            call_command("export", "--org", "acme", "applications", exported, stdout=io.StringIO())
            names = [r[0] for r in load_workbook(exported).active.iter_rows(values_only=True)]
            self.assertIn("CLI app", names)
            template = os.path.join(tmp, "template.xlsx")
            call_command(
                "export", "--org", "acme", "--template", "teams", template, stdout=io.StringIO()
            )
            self.assertEqual(load_workbook(template).sheetnames, ["Teams", books.HELP_SHEET])
            with self.assertRaises(CommandError):
                call_command("import", "--org", "nope", "applications", good)
