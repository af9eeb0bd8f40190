"""The ascent: KPIs and their measurements (by hand, file and command line), derived KPIs.
Their pages and API are in test_kpi_pages.py, the dashboard in test_kpi_dashboard.py."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditEvent
from cairn.core.tabular import write_table
from cairn.kpis import services
from cairn.kpis.models import Kpi, Measurement
from tests.base import CairnTestCase

HEADER = ["kpi", "date", "value", "source", "note"]


def csv_file(rows, header=HEADER, name="m.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, write_table(header, rows, "csv"))


class KpiTestCase(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.orders = cls.ascent["kpi"]
        cls.cost = cls.ascent["cost"]
        cls.derived = cls.ascent["derived"]

    def values(self, kpi) -> dict:
        return dict(Measurement.objects.filter(kpi=kpi).values_list("date", "value"))


class DerivedKpiTests(KpiTestCase):
    def test_fixture_is_computed_on_dates_where_every_input_has_a_value(self):
        self.assertEqual(self.values(self.derived), {date(2025, 3, 31): 5.0})  # 600 / 120
        self.derived.refresh_from_db()
        self.assertEqual((self.derived.latest_value, self.derived.measurement_count), (5.0, 1))
        self.assertEqual(
            set(self.derived.inputs.values_list("pk", flat=True)), {self.orders.pk, self.cost.pk}
        )

    def test_recomputed_when_an_input_changes(self):
        services.record_one(self.cost, date(2025, 2, 28), 440, actor=self.editor)
        self.assertEqual(
            self.values(self.derived), {date(2025, 2, 28): 4.0, date(2025, 3, 31): 5.0}
        )
        services.record_bulk(
            self.org,
            [{"kpi": self.orders.pk, "date": date(2025, 3, 31), "value": 150}],
            actor=self.editor,
        )
        self.assertEqual(self.values(self.derived)[date(2025, 3, 31)], 4.0)
        measurement = Measurement.objects.get(kpi=self.cost, date=date(2025, 3, 31))
        services.delete_measurement(measurement, actor=self.editor)
        self.assertEqual(self.values(self.derived), {date(2025, 2, 28): 4.0})

    def test_a_calculated_kpi_takes_no_values_of_its_own(self):
        with self.assertRaises(core.ServiceError):
            services.record_one(self.derived, date(2025, 1, 1), 1, actor=self.editor)
        with self.assertRaises(services.MeasurementError) as caught:
            services.record_bulk(
                self.org,
                [{"kpi": self.derived.name, "date": date(2025, 1, 1), "value": 1}],
                actor=self.editor,
            )
        self.assertIn("calculated from a formula", caught.exception.problems[0][2])

    def test_the_form_checks_the_formula(self):
        self.login("editor")
        url = self.url("kpis:kpi_create")
        cases = {
            "{Nope} / 2": "no KPI named “Nope”",
            "{Cost per order} * 2": "itself calculated",
            "{New one} + 1": "cannot use itself",
            "__import__('os')": "not allowed",
        }
        for text, message in cases.items():
            with self.subTest(text=text):
                before = Kpi.objects.count()
                response = self.client.post(url, {**self.kpi_form("New one"), "formula": text})
                self.assertContains(response, message)
                self.assertEqual(Kpi.objects.count(), before)

    def kpi_form(self, name, **extra):
        return {
            "name": name,
            "unit": "",
            "direction": "up",
            "rhythm": "monthly",
            "tolerance_percent": 10,
            **extra,
        }

    def test_a_formula_saved_from_the_form_computes_at_once(self):
        self.login("editor")
        response = self.client.post(
            self.url("kpis:kpi_create"),
            self.kpi_form("Orders doubled", formula="{Orders} * 2"),
        )
        self.assertEqual(response.status_code, 302)
        kpi = Kpi.objects.get(organization=self.org, name="Orders doubled")
        self.assertEqual(self.values(kpi)[date(2025, 3, 31)], 240.0)
        self.assertEqual(kpi.latest_value, 240.0)

    def test_renaming_an_input_rewrites_the_formula(self):
        self.login("editor")
        self.client.post(
            self.url("kpis:kpi_edit", self.orders.pk),
            self.kpi_form(
                "Orders shipped",
                baseline_value=100,
                baseline_date="2025-01-01",
                target_value=200,
                target_date="2028-01-01",
                goals=[self.goal.pk],
            ),
        )
        self.derived.refresh_from_db()
        self.assertEqual(self.derived.formula, "{IT cost} / {Orders shipped}")
        self.assertEqual(self.values(self.derived), {date(2025, 3, 31): 5.0})

    def test_an_input_cannot_be_deleted_nor_become_calculated(self):
        self.login("editor")
        page = self.client.get(self.url("kpis:kpi_delete", self.orders.pk))
        self.assertContains(page, "used in the formula of Cost per order")
        self.assertNotContains(page, 'type="submit">Delete')
        self.client.post(self.url("kpis:kpi_delete", self.orders.pk))
        self.assertTrue(Kpi.objects.filter(pk=self.orders.pk).exists())
        response = self.client.post(
            self.url("kpis:kpi_edit", self.orders.pk),
            self.kpi_form("Orders", formula="{IT cost} * 2"),
        )
        self.assertContains(response, "must stay measured")

    def test_removing_the_formula_removes_the_calculated_values(self):
        self.login("editor")
        self.client.post(
            self.url("kpis:kpi_edit", self.derived.pk), self.kpi_form("Cost per order")
        )
        self.derived.refresh_from_db()
        self.assertEqual((self.derived.formula, self.values(self.derived)), ("", {}))
        self.assertEqual(self.derived.inputs.count(), 0)


class ImportTests(KpiTestCase):
    def post(self, upload):
        self.login("editor")
        return self.client.post(self.url("kpis:import"), {"file": upload}, follow=True)

    def test_imports_by_name_or_id_and_updates_on_the_same_date(self):
        response = self.post(
            csv_file(
                [
                    ["Orders", "2025-04-30", "130", "ERP", ""],
                    [str(self.orders.pk), "2025-03-31", "125", "ERP", "corrected"],
                    ["it cost", "2025-04-30", "650", "", ""],  # names match regardless of case
                ]
            )
        )
        self.assertContains(response, "2 added, 1 updated")
        self.assertEqual(self.values(self.orders)[date(2025, 3, 31)], 125.0)
        self.orders.refresh_from_db()
        self.assertEqual(
            (self.orders.latest_date, self.orders.latest_value), (date(2025, 4, 30), 130)
        )
        self.assertEqual(self.orders.measurement_count, 4)
        self.assertEqual(self.values(self.derived)[date(2025, 4, 30)], 5.0)  # 650 / 130
        events = AuditEvent.objects.filter(object_type="kpis.kpi", after__isnull=False)
        self.assertTrue(events.filter(object_id=self.orders.pk).exists())

    def test_excel_files_and_excel_dates(self):
        upload = SimpleUploadedFile(
            "m.xlsx",
            write_table(HEADER, [["Orders", date(2025, 5, 31), 140, "", ""]], "xlsx"),
        )
        self.assertContains(self.post(upload), "1 added, 0 updated")
        self.assertEqual(self.values(self.orders)[date(2025, 5, 31)], 140.0)

    def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(self):
        future = (timezone.localdate() + timedelta(days=1)).isoformat()
        rows = [
            ["Orders", "2025-06-30", "1", "", ""],  # a good row before the bad ones
            ["Nope", "2025-06-30", "1", "", ""],
            ["Orders", "30/06/2025", "1", "", ""],
            ["Orders", "2025-06-31", "1", "", ""],
            ["Orders", "2025-06-30", "lots", "", ""],
            ["Orders", "2025-06-30", "nan", "", ""],
            ["Orders", "2025-06-30", "1e400", "", ""],
            ["Orders", "2025-06-30", "1e16", "", ""],
            ["Orders", future, "1", "", ""],
            ["Cost per order", "2025-06-30", "1", "", ""],
            ["", "2025-06-30", "1", "", ""],
            ["Orders", "", "", "", ""],
            ["Orders", "2025-06-30", "1", "x" * 121, ""],
            *[["Orders", f"2025-07-{d:02}", str(d), "", ""] for d in range(1, 29)],
        ]
        before = Measurement.objects.count(), AuditEvent.objects.count()
        response = self.post(csv_file(rows))
        self.assertContains(response, "Nothing was imported")
        problems = [(e.row, e.column) for e in response.context["report"].errors]
        self.assertEqual(
            problems,
            [
                (3, "kpi"),
                (4, "date"),
                (5, "date"),
                (6, "value"),
                (7, "value"),
                (8, "value"),
                (9, "value"),
                (10, "date"),
                (11, "kpi"),
                (12, "kpi"),
                (13, "date"),
                (13, "value"),
                (14, "source"),
            ],
        )
        text = response.content.decode()
        for phrase in (
            "unknown KPI “Nope”",
            "“30/06/2025” is not a date like 2026-01-31",
            "“lots” is not a number",
            "is in the future",
            "is calculated from a formula",
            "kpi is required",
            "must be between",
        ):
            self.assertIn(phrase, text)
        self.assertEqual((Measurement.objects.count(), AuditEvent.objects.count()), before)

    def test_whole_file_problems(self):
        cases = [
            (csv_file([], header=HEADER), "no rows to import"),
            (
                csv_file([["Orders", "2025-01-01"]], header=["kpi", "date"]),
                "missing column(s): value",
            ),
            (
                csv_file([["Orders", "2025-01-01", "1", "x"]], header=[*HEADER[:3], "colour"]),
                "unknown column(s): colour",
            ),
            (
                SimpleUploadedFile("m.csv", "kpi,date,value\nÉ,2025-01-01,1\n".encode("latin-1")),
                "not UTF-8",
            ),
            (SimpleUploadedFile("m.xlsx", b"not a workbook"), "not a valid Excel"),
            (SimpleUploadedFile("m.txt", b"kpi"), "Upload a .csv or .xlsx"),
        ]
        for upload, message in cases:
            with self.subTest(message=message):
                response = self.post(upload)
                self.assertContains(response, message)
        self.assertEqual(Measurement.objects.filter(kpi=self.orders).count(), 3)

    def test_the_same_kpi_and_date_twice_in_one_file_keeps_the_later_row(self):
        self.post(
            csv_file([["Orders", "2025-08-31", "1", "", ""], ["Orders", "2025-08-31", "2", "", ""]])
        )
        self.assertEqual(self.values(self.orders)[date(2025, 8, 31)], 2.0)

    def test_the_command_line_imports_with_the_same_rules(self):
        with TemporaryDirectory() as folder:
            good = Path(folder, "good.csv")
            good.write_bytes(write_table(HEADER, [["Orders", "2025-09-30", "170", "", ""]], "csv"))
            out = io.StringIO()
            call_command("import", "--org", "acme", "measurements", str(good), stdout=out)
            self.assertIn("1 added, 0 updated", out.getvalue())
            bad = Path(folder, "bad.csv")
            bad.write_bytes(write_table(HEADER, [["Nope", "2025-09-30", "1", "", ""]], "csv"))
            err = io.StringIO()
            with self.assertRaises(CommandError):
                call_command("import", "--org", "acme", "measurements", str(bad), stderr=err)
            self.assertIn("unknown KPI “Nope”", err.getvalue())
        self.assertEqual(self.values(self.orders)[date(2025, 9, 30)], 170.0)

    def test_template_and_export_round_trip(self):
        self.login("viewer")
        template = self.client.get(self.url("kpis:import_template", "csv"))
        header = template.content.decode("utf-8-sig").splitlines()[0]
        self.assertEqual(header, ",".join([*HEADER, "confirmed"]))
        export = self.client.get(self.url("kpis:kpi_export", self.orders.pk, "csv"))
        lines = export.content.decode("utf-8-sig").splitlines()
        self.assertEqual(
            lines[1:],
            [
                "Orders,2025-01-31,100.0,,,yes",
                "Orders,2025-02-28,110.0,,,yes",
                "Orders,2025-03-31,120.0,,,yes",
            ],
        )
        Measurement.objects.filter(kpi=self.orders).delete()
        response = self.post(SimpleUploadedFile("back.csv", export.content))
        self.assertContains(response, "3 added")
