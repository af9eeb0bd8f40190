"""Honest inputs: the one headline status of a KPI, measurements Cairn questions (on the page,
in imports, through the API) and targets on the wrong side of the baseline."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from importlib import import_module

from django.apps import apps
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from cairn.core import services as core
from cairn.kpis import services
from cairn.kpis.models import Kpi, Measurement
from cairn.kpis.status import STATUS_RULE, Status
from tests.test_kpis import HEADER, KpiTestCase, csv_file

PERCENT_ROW = ["Share", "2025-06-30", "120", "", ""]


class InputTestCase(KpiTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.share = Kpi.objects.create(organization=cls.org, name="Share", unit="%")
        # Orders may not go above 150; it has three values, 100, 110 and 120.
        Kpi.objects.filter(pk=cls.orders.pk).update(min_value=0, max_value=150)


class HeadlineStatusTests(InputTestCase):
    def test_on_the_path_but_heading_for_a_miss_is_at_risk_everywhere(self):
        # 100 → 200 over 2025–2026; the last values sit on the straight path (about 150 at the
        # end of 2025) but have flattened out, so the forecast lands far short of 200.
        kpi = Kpi.objects.create(
            organization=self.org,
            name="Flat",
            baseline_value=100,
            baseline_date=date(2025, 1, 1),
            target_value=200,
            target_date=date(2027, 1, 1),
        )
        kpi.goals.set([self.goal])
        days = [date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 30), date(2025, 12, 31)]
        services.record_bulk(
            self.org,
            [
                {"kpi": kpi.pk, "date": d, "value": v}
                for d, v in zip(days, [149, 150, 150, 150], strict=True)
            ],
            actor=self.owner,
        )
        kpi.refresh_from_db()
        outlook = kpi.forecast(date(2026, 1, 15))
        self.assertLess(outlook.value, 170)  # misses by more than the 10% tolerance
        self.assertEqual(kpi.status, Status.AT_RISK)
        self.login("viewer")
        page = self.client.get(self.url("kpis:kpi_detail", kpi.pk))
        self.assertContains(page, 'bg-yellow-lt text-nowrap">At risk</span>', count=1)
        self.assertNotContains(page, 'text-nowrap">On track')
        self.assertContains(page, "the forecast misses by more than 10%")
        api = self.client.get(f"/api/v1/orgs/acme/kpis/{kpi.pk}")
        self.assertEqual(api.json()["status"], "at_risk")
        listed = self.client.get(self.url("kpis:kpi_list") + "?status=at_risk")
        self.assertContains(listed, "Flat")
        board = self.client.get(self.url("org_home"))
        self.assertContains(board, STATUS_RULE)

        # Statuses stored by the old rule are worked out again by the migration.
        Kpi.objects.filter(pk=kpi.pk).update(status_code="on_track", status_rank=1)
        import_module("cairn.kpis.migrations.0004_headline_status").restate(apps, None)
        self.assertEqual(Kpi.objects.get(pk=kpi.pk).status_code, "at_risk")


class DemoStoryTests(TestCase):
    def test_the_demo_reads_as_its_story_says(self):
        call_command("demo", stdout=io.StringIO())
        status = dict(Kpi.objects.values_list("name", "status_code"))
        self.assertEqual(status["Share of revenue from digital channels"], "on_track")
        self.assertEqual(status["Net Promoter Score"], "on_track")
        self.assertEqual(status["Share of website visits that end in a purchase"], "at_risk")
        self.assertEqual(status["Orders shipped"], "at_risk")
        self.assertEqual(status["Customer questions answered on first contact"], "off_track")
        self.assertEqual(status["Working days to close the books each month"], "achieved")
        self.assertEqual(status["Rental bookings per month"], "off_track")
        conversion = Kpi.objects.get(name="Share of website visits that end in a purchase")
        outlook = conversion.forecast(timezone.localdate())
        self.assertFalse(outlook.within_tolerance)  # the red forecast beside "At risk"


class MeasurementPageTests(InputTestCase):
    def post(self, kpi, data):
        self.login("editor")
        return self.client.post(self.url("kpis:measurement_add", kpi.pk), data)

    def test_a_questioned_value_asks_for_confirmation_and_keeps_what_was_typed(self):
        cases = [
            (self.share, "2025-06-30", "120", "120% is outside 0–100%"),
            (self.orders, "2025-06-30", "151", "highest possible value, 150"),
            (self.orders, "2024-12-31", "100", "before the baseline date, 2025-01-01"),
        ]
        for kpi, day, value, reason in cases:
            with self.subTest(reason=reason):
                typed = {"date": day, "value": value, "source": "by hand"}
                response = self.post(kpi, typed)
                self.assertContains(response, reason, status_code=422)
                self.assertContains(response, "Yes, keep this value", status_code=422)
                self.assertContains(response, f'value="{value}"', status_code=422)
                self.assertContains(response, 'value="by hand"', status_code=422)
                self.assertNotIn(date.fromisoformat(day), self.values(kpi))
                response = self.post(kpi, {**typed, "confirm": "on"})
                self.assertEqual(response.status_code, 302)
                self.assertEqual(self.values(kpi)[date.fromisoformat(day)], float(value))

    def test_a_jump_many_times_the_usual_step(self):
        start = date(2025, 1, 31)
        for i, v in enumerate([10, 11, 12, 13]):
            Measurement.objects.create(kpi=self.share, date=start + timedelta(days=30 * i), value=v)
        services.refresh([self.share.pk])
        response = self.post(self.share, {"date": "2025-06-30", "value": "19"})
        self.assertContains(response, "more than 5 times the usual step of 1", status_code=422)
        self.assertEqual(
            self.post(self.share, {"date": "2025-06-30", "value": "15"}).status_code, 302
        )

    def test_a_future_date_is_refused_beside_the_field_with_the_value_kept(self):
        future = (timezone.localdate() + timedelta(days=2)).isoformat()
        response = self.post(self.orders, {"date": future, "value": "125", "confirm": "on"})
        self.assertContains(response, "The date is in the future", status_code=422)
        self.assertContains(response, 'value="125"', status_code=422)
        self.assertContains(response, f'value="{future}"', status_code=422)
        self.assertNotContains(response, "None:", status_code=422)
        self.assertNotIn(date.fromisoformat(future), self.values(self.orders))


class ImportAndApiTests(InputTestCase):
    def test_an_import_refuses_questioned_values_unless_confirmed(self):
        self.login("editor")
        url = self.url("kpis:import")
        response = self.client.post(url, {"file": csv_file([PERCENT_ROW])}, follow=True)
        self.assertContains(response, "120% is outside 0–100%")
        self.assertContains(response, "under confirmed")
        self.assertEqual(self.values(self.share), {})
        upload = csv_file([[*PERCENT_ROW, "yes"]], header=[*HEADER, "confirmed"])
        self.assertContains(self.client.post(url, {"file": upload}, follow=True), "1 added")
        self.assertEqual(self.values(self.share), {date(2025, 6, 30): 120.0})

    def test_every_problem_of_a_measurement_file_names_its_column(self):
        from django.template.loader import render_to_string

        from cairn.core.tabular import ImportRefused

        future = (timezone.localdate() + timedelta(days=3)).isoformat()
        rows = [
            PERCENT_ROW,  # questioned: 120%
            ["Nobody", "2025-06-30", "1", "", ""],  # unknown KPI
            ["Share", "2025-02-30", "1", "", ""],  # no such date
            ["Share", future, "1", "", ""],  # in the future
            ["Share", "2025-06-30", "NaN", "", ""],  # not a number
            ["Share", "2025-06-30", "1e400", "", ""],
            ["", "", "", "x" * 200, ""],  # empty where required, too long
            [self.derived.name, "2025-06-30", "1", "", ""],  # calculated
        ]
        upload = csv_file(rows)
        with self.assertRaises(ImportRefused) as refused:
            services.import_file(self.org, upload.file, "m.csv", actor=self.editor)
        report = refused.exception.report
        self.assertTrue(all(e.column for e in report.errors), [vars(e) for e in report.errors])
        self.assertEqual(
            {e.row for e in report.errors}, set(range(2, 2 + len(rows)))
        )  # every row, each under its own column
        page = render_to_string("includes/import_problems.html", {"report": report})
        self.assertNotIn("None", page)
        self.assertEqual(self.values(self.share), {})

    def test_the_api_refuses_questioned_items_by_index_unless_confirmed(self):
        _, key = core.create_api_token(self.editor, "t")
        items = [
            {"kpi": "Orders", "date": "2025-04-30", "value": 130},
            {"kpi": "Share", "date": "2025-04-30", "value": -5},
            {"kpi": "Orders", "date": "2025-05-31", "value": 500},
        ]

        def send(body):
            return self.client.post(
                "/api/v1/orgs/acme/measurements",
                json.dumps({"items": body}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )

        response = send(items)
        self.assertEqual(response.status_code, 422)
        detail = response.json()["detail"]
        self.assertEqual(
            [e["loc"] for e in detail],
            [["body", "items", 1, "value"], ["body", "items", 2, "value"]],
        )
        self.assertIn("“confirmed”: true", detail[0]["msg"])
        self.assertNotIn(date(2025, 4, 30), self.values(self.orders))
        confirmed = [items[0], *({**i, "confirmed": True} for i in items[1:])]
        self.assertEqual(send(confirmed).json(), {"added": 3, "updated": 0})


class WrongSideTargetTests(InputTestCase):
    FORM = {
        "name": "Cycle time",
        "direction": "up",
        "rhythm": "monthly",
        "tolerance_percent": "10",
        "baseline_value": "10",
        "baseline_date": "2025-01-01",
        "target_value": "5",
        "target_date": "2026-01-01",
    }

    def test_the_form_refuses_a_target_on_the_wrong_side(self):
        self.login("editor")
        response = self.client.post(self.url("kpis:kpi_create"), self.FORM)
        form = response.context["form"]
        self.assertIn(
            "is below the baseline 10, but higher is better", form.errors["target_value"][0]
        )
        self.assertFalse(Kpi.objects.filter(name="Cycle time").exists())
        down = {**self.FORM, "direction": "down"}
        self.assertEqual(self.client.post(self.url("kpis:kpi_create"), down).status_code, 302)

    def test_a_target_without_its_date_is_said_once(self):
        self.login("editor")
        data = {**self.FORM, "target_value": "20", "target_date": ""}
        response = self.client.post(self.url("kpis:kpi_create"), data)
        errors = [e for errors in response.context["form"].errors.values() for e in errors]
        self.assertEqual(errors, ["Give both the target and the date to reach it by."])
        self.assertContains(response, "Give both the target", count=1)

    def test_the_api_refuses_it_on_the_target_field(self):
        _, key = core.create_api_token(self.editor, "t")
        body = {**self.FORM, "baseline_value": 10, "target_value": 5, "tolerance_percent": 10}
        response = self.client.post(
            "/api/v1/orgs/acme/kpis",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["detail"][0]["loc"], ["body", "target_value"])
        bounds = {**body, "target_value": 20, "min_value": 50, "max_value": 10}
        response = self.client.post(
            "/api/v1/orgs/acme/kpis",
            json.dumps(bounds),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        self.assertEqual(response.json()["detail"][0]["loc"], ["body", "max_value"])
