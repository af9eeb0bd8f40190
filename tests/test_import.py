"""Imports are all-or-nothing, report every bad row, and update on re-import; exports match."""

import io
import os
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from cairn.assessment import importers
from cairn.assessment.models import Application, Capability, Process, Team
from cairn.core.models import AuditEvent
from tests.base import CairnTestCase

HEADER = "name,vendor,annual_cost,health,fit,capabilities,lifecycle\n"


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


class ImportTests(CairnTestCase):
    def run_import(self, kind, file, name="file.csv"):
        return importers.import_file(self.org, importers.KINDS[kind], file, name, actor=self.editor)

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
        created, updated, unchanged = self.run_import("applications", csv_file(text))
        self.assertEqual((created, updated, unchanged), (2, 0, 0))
        crm = Application.objects.get(name="CRM")
        self.assertEqual((crm.annual_cost, crm.health, crm.fit), (1200.5, 4, 5))
        self.assertEqual([c.name for c in crm.capabilities.all()], ["Quote to cash"])
        event = AuditEvent.objects.get(object_type="assessment.application", object_id=crm.pk)
        self.assertEqual(event.after["capabilities"], [self.terrain["capability"].pk])
        self.assertEqual(event.actor, self.editor)
        # The same file again: nothing to do.
        self.assertEqual(self.run_import("applications", csv_file(text)), (0, 0, 2))
        # A change: one row updated, matched on its name, never duplicated.
        changed = text.replace('CRM,Acme,"1,200.50",4', "CRM,Acme,1300,3")
        self.assertEqual(self.run_import("applications", csv_file(changed)), (0, 1, 1))
        crm.refresh_from_db()
        self.assertEqual((crm.annual_cost, crm.health, crm.version), (1300, 3, 2))
        self.assertEqual(Application.objects.filter(name="CRM").count(), 1)
        update = AuditEvent.objects.get(object_id=crm.pk, action="update")
        self.assertEqual((update.before["health"], update.after["health"]), (4, 3))

    def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(self):
        before = self.state()
        cases = {
            "missing name": (HEADER + ",Acme,1,3,3,,\n", 2, "name", "name is required"),
            "health outside 1-5": (HEADER + "X,Acme,1,7,3,,\n", 2, "health", "between 1 and 5"),
            "unknown capability": (
                HEADER + "X,Acme,1,3,3,Telepathy,\n",
                2,
                "capabilities",
                "unknown capability “Telepathy”",
            ),
            "duplicate name": (
                HEADER + "X,A,1,3,3,,\nY,B,1,3,3,,\nX,C,1,3,3,,\n",
                4,
                "name",
                "already appears on row 2",
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
                with self.assertRaises(importers.ImportRefused) as refused:
                    self.run_import("applications", csv_file(text))
                errors = refused.exception.report.errors
                self.assertTrue(
                    any(
                        e.row == row and e.column == column and problem in e.problem for e in errors
                    ),
                    [vars(e) for e in errors],
                )
        self.assertEqual(self.state(), before)

    def test_bad_rows_anywhere_stop_the_good_ones(self):
        before = self.state()
        text = HEADER + "".join(f"App {i},V,10,3,3,,\n" for i in range(50)) + "Bad,V,10,0,3,,\n"
        with self.assertRaises(importers.ImportRefused) as refused:
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
                with self.assertRaises(importers.ImportRefused) as refused:
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
        for bad, problem in [
            ("name,parent\nToo deep,Price\n", "at most 3 levels"),
            ("name,parent\nLoopA,LoopB\nLoopB,LoopA\n", "at most 3 levels"),
            ("name,parent\nOrphan,Nowhere\n", "unknown capability"),
            ("name,goals\nX,No such goal\n", "unknown goal"),
        ]:
            with self.subTest(bad):
                with self.assertRaises(importers.ImportRefused) as refused:
                    self.run_import("capabilities", csv_file(bad))
                self.assertIn(problem, refused.exception.report.errors[0].problem)

    def test_processes_refer_to_teams(self):
        ok = "name,team,automation,pain\nClose,Sales ops,Partly,4\n"
        self.assertEqual(self.run_import("processes", csv_file(ok)), (1, 0, 0))
        self.assertEqual(Process.objects.get(name="Close").automation, "partly")
        with self.assertRaises(importers.ImportRefused):
            self.run_import("processes", csv_file("name,team\nX,Ghost team\n"))

    def test_templates_import_cleanly_and_exports_round_trip(self):
        from cairn.core.tabular import write_table

        for slug, kind in importers.KINDS.items():
            with self.subTest(slug):
                for fmt in ("csv", "xlsx"):
                    content = write_table(kind.headers, kind.examples, fmt)
                    self.run_import(slug, io.BytesIO(content), f"t.{fmt}")
                exported = write_table(kind.headers, kind.export(self.org), "csv")
                created, updated, unchanged = self.run_import(slug, io.BytesIO(exported))
                self.assertEqual((created, updated), (0, 0))  # an export re-imports as is


class ImportPageTests(CairnTestCase):
    def upload(self, text, kind="applications", name="apps.csv"):
        file = SimpleUploadedFile(name, text.encode())
        return self.client.post(
            self.url("assessment:import"), {"kind": kind, "file": file}, follow=True
        )

    def test_bad_file_shows_a_table_of_problems(self):
        self.login("editor")
        response = self.upload(HEADER + "X,Acme,1,9,3,,\n,Acme,1,3,3,,\n")
        self.assertContains(response, "Nothing was imported")
        self.assertContains(response, "health must be between 1 and 5")
        self.assertContains(response, "<td>3</td><td>name</td>")
        self.assertFalse(Application.objects.filter(name="X").exists())

    def test_good_file_and_template_download(self):
        self.login("editor")
        template = self.client.get(self.url("assessment:template", "applications", "xlsx"))
        self.assertEqual(template["Content-Type"], importers_format("xlsx"))
        sheet = load_workbook(io.BytesIO(template.content)).active
        self.assertEqual([c.value for c in sheet[1]][:3], ["name", "vendor", "owner"])
        response = self.client.post(
            self.url("assessment:import"),
            {"kind": "applications", "file": SimpleUploadedFile("t.xlsx", template.content)},
            follow=True,
        )
        self.assertContains(response, "2 added")
        self.assertTrue(Application.objects.filter(name="Legacy fax server").exists())

    def test_export_lists_only_this_organisation(self):
        self.login("viewer")
        response = self.client.get(self.url("assessment:export", "applications", "csv"))
        text = response.content.decode("utf-8-sig")
        self.assertIn("Spreadsheet pricing", text)
        self.assertNotIn("Globex", text)
        self.assertEqual(
            self.client.get(self.url("assessment:export", "nope", "csv")).status_code, 404
        )
        self.assertEqual(
            self.client.get(self.url("assessment:export", "applications", "pdf")).status_code, 404
        )


def importers_format(fmt):
    from cairn.core.tabular import FORMATS

    return FORMATS[fmt]


class ImportCommandTests(CairnTestCase):
    def test_command_imports_and_refuses(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "apps.csv")
            with open(good, "w") as f:
                f.write(HEADER + "CLI app,Acme,5,3,3,,\n")
            out = io.StringIO()
            call_command("import", "--org", "acme", "applications", good, stdout=out)
            self.assertIn("1 added", out.getvalue())
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
            with self.assertRaises(CommandError):
                call_command("import", "--org", "nope", "applications", good)
