"""The ascent's pages and API: KPIs, measurements, wins, and the formula check."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.utils import timezone

from cairn.core import services as core
from cairn.kpis.models import Kpi, Measurement
from cairn.kpis.status import Status
from tests.test_kpis import KpiTestCase


class ApiTests(KpiTestCase):
    def setUp(self):
        _, key = core.create_api_token(self.editor, "t")
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def call(self, method, path, body=None):
        return self.client.generic(
            method,
            f"/api/v1/orgs/acme/{path}",
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            **self.auth,
        )

    def test_bulk_adds_then_updates_and_answers_every_problem_by_index(self):
        items = [
            {"kpi": self.orders.pk, "date": f"2025-{m:02}-15", "value": m, "source": "api"}
            for m in range(4, 10)
        ]
        response = self.call("POST", "measurements", {"items": items})
        self.assertEqual((response.status_code, response.json()), (201, {"added": 6, "updated": 0}))
        # 7 is a jump from 120: kept because it is confirmed (see test_kpi_inputs).
        again = [{**i, "value": 7, "confirmed": True} for i in items]
        response = self.call("POST", "measurements", {"items": again})
        self.assertEqual(response.json(), {"added": 0, "updated": 6})
        bad = [
            {"kpi": "Nope", "date": "2025-01-01", "value": 1},
            {"kpi": self.other_ascent["kpi"].pk, "date": "2025-01-01", "value": 1},
            {"kpi": "Orders", "date": "2199-01-01", "value": 1},
            {"kpi": "Orders", "date": "2025-01-01", "value": 1},
        ]
        before = Measurement.objects.count()
        response = self.call("POST", "measurements", {"items": bad})
        self.assertEqual(response.status_code, 422)
        locs = [e["loc"] for e in response.json()["detail"]]
        self.assertEqual(
            locs,
            [
                ["body", "items", 0, "kpi"],
                ["body", "items", 1, "kpi"],
                ["body", "items", 2, "date"],
            ],
        )
        self.assertEqual(Measurement.objects.count(), before)
        for body in (
            {"items": []},
            {"items": [{"kpi": 1, "date": "x", "value": 1}]},
            {"items": [{"kpi": 1, "date": "2025-01-01", "value": "NaN"}]},
        ):
            with self.subTest(body=body):
                self.assertEqual(self.call("POST", "measurements", body).status_code, 422)

    def test_kpi_crud_with_status_and_forecast(self):
        response = self.call("GET", f"kpis/{self.orders.pk}")
        data = response.json()
        self.assertEqual(data["status"], "on_track")  # 120 in March 2025, ahead of the path
        self.assertEqual(data["goal_ids"], [self.goal.pk])
        self.assertIsNotNone(data["forecast"])
        created = self.call(
            "POST",
            "kpis",
            {"name": "Ratio", "formula": "{Orders} / {IT cost}", "goal_ids": [self.goal.pk]},
        )
        self.assertEqual(created.status_code, 201)
        self.assertEqual(
            sorted(created.json()["input_ids"]), sorted([self.orders.pk, self.cost.pk])
        )
        self.assertEqual(created.json()["latest_value"], 0.2)
        bad = self.call("POST", "kpis", {"name": "Bad", "formula": "{Ratio} + 1"})
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["detail"][0]["loc"], ["body", "formula"])
        page = self.call("GET", f"kpis/{self.orders.pk}/measurements?limit=2")
        self.assertEqual(page.json()["count"], 3)
        self.assertEqual([m["value"] for m in page.json()["items"]], [100, 110])

    def test_an_input_of_a_formula_cannot_be_deleted(self):
        response = self.call("DELETE", f"kpis/{self.orders.pk}")
        self.assertEqual(response.status_code, 400)
        self.assertIn("used in the formula of Cost per order", response.json()["detail"])
        self.assertTrue(Kpi.objects.filter(pk=self.orders.pk).exists())
        self.assertEqual(self.call("DELETE", f"kpis/{self.derived.pk}").status_code, 204)
        self.assertEqual(self.call("DELETE", f"kpis/{self.orders.pk}").status_code, 204)

    def test_formula_check(self):
        ok = self.call("POST", "formulas/check", {"formula": "{Orders} / {IT cost}"}).json()
        self.assertEqual(
            ok,
            {"valid": True, "error": "", "kpi_ids": [self.orders.pk, self.cost.pk], "value": 0.2},
        )
        bad = self.call("POST", "formulas/check", {"formula": "{Cost per order} + eval('1')"})
        self.assertFalse(bad.json()["valid"])
        self.assertIn("not allowed", bad.json()["error"])

    def test_library_and_wins(self):
        listed = self.call("GET", "kpi-library").json()
        self.assertGreaterEqual(len(listed), 16)
        added = self.call("POST", "kpi-library", {"key": "retention"})
        self.assertEqual(added.status_code, 201)
        self.assertEqual(added.json()["replaces"], "CRM licences in use")
        again = self.call("POST", "kpi-library", {"key": "retention"})
        self.assertEqual(again.status_code, 400)
        win = self.call(
            "POST",
            "wins",
            {
                "title": "Orders up",
                "achieved_on": "2025-04-01",
                "kpi_id": self.orders.pk,
                "goal_id": self.goal.pk,
            },
        )
        self.assertEqual(win.status_code, 201)
        foreign = self.call(
            "POST",
            "wins",
            {"title": "x", "achieved_on": "2025-04-01", "kpi_id": self.other_ascent["kpi"].pk},
        )
        self.assertEqual(foreign.status_code, 422)

    def test_dashboard_figures(self):
        data = self.call("GET", "dashboard").json()
        goal = data["goals"][0]
        self.assertEqual((goal["id"], goal["status"]), (self.goal.pk, "on_track"))
        self.assertEqual([k["id"] for k in goal["kpis"]], [self.orders.pk])
        self.assertEqual(data["goals_without_kpi_ids"], [])
        self.assertEqual(data["recent_win_ids"], [self.ascent["win"].pk])


class PagesTests(KpiTestCase):
    def test_record_and_delete_a_value_by_hand(self):
        self.login("editor")
        url = self.url("kpis:measurement_add", self.orders.pk)
        self.client.post(url, {"date": "2025-04-30", "value": "131.5", "source": "by hand"})
        self.assertEqual(self.values(self.orders)[date(2025, 4, 30)], 131.5)
        future = (timezone.localdate() + timedelta(days=3)).isoformat()
        response = self.client.post(url, {"date": future, "value": "1"})
        self.assertContains(response, "The date is in the future", status_code=422)
        response = self.client.post(url, {"date": "2025-05-31", "value": "1e400"}, follow=True)
        self.assertNotIn(date(2025, 5, 31), self.values(self.orders))
        measurement = Measurement.objects.get(kpi=self.orders, date=date(2025, 4, 30))
        self.client.post(self.url("kpis:measurement_delete", self.orders.pk, measurement.pk))
        self.assertNotIn(date(2025, 4, 30), self.values(self.orders))
        self.orders.refresh_from_db()
        self.assertEqual(self.orders.latest_date, date(2025, 3, 31))

    def test_library_adds_a_kpi_to_finish(self):
        self.login("editor")
        response = self.client.post(self.url("kpis:library_add"), {"key": "checkout-success"})
        kpi = Kpi.objects.get(organization=self.org, replaces="Server uptime")
        self.assertRedirects(response, self.url("kpis:kpi_edit", kpi.pk))
        self.assertEqual(kpi.status, Status.NOT_SET)
        again = self.client.post(
            self.url("kpis:library_add"), {"key": "checkout-success"}, follow=True
        )
        self.assertContains(again, "You already have the KPI")
        library = self.client.get(self.url("kpis:library"))
        self.assertContains(library, "In use")

    def test_detail_page_shows_chart_data_status_and_the_rule(self):
        self.login("viewer")
        response = self.client.get(self.url("kpis:kpi_detail", self.orders.pk))
        chart = response.context["chart"]
        self.assertEqual(chart["target"], ["2028-01-01", 200.0])
        self.assertEqual(len(chart["values"]), 3)
        self.assertContains(response, "straight line from the baseline to the target")
        self.assertNotContains(response, "Record a value")  # viewers read only

    def test_list_filters_by_status(self):
        self.login("viewer")
        response = self.client.get(self.url("kpis:kpi_list") + "?status=no_data")
        names = [k.name for k in response.context["page"].object_list]
        self.assertEqual(names, [])
        response = self.client.get(self.url("kpis:kpi_list") + "?status=not_set")
        names = [k.name for k in response.context["page"].object_list]
        self.assertEqual(names, ["Cost per order", "IT cost"])


class FormulaCheckPageTests(KpiTestCase):
    def test_the_field_is_checked_as_it_is_typed(self):
        self.login("editor")
        url = self.url("kpis:formula_check")
        ok = self.client.post(url, {"formula": "{IT cost} / {Orders}"})
        self.assertContains(ok, "Uses IT cost, Orders")
        self.assertContains(ok, "gives 5")  # 600 / 120, both of 31 March 2025
        bad = self.client.post(url, {"formula": "{IT cost} / {Cost per order}"})
        self.assertContains(bad, "is itself calculated")
        broken = self.client.post(url, {"formula": "os.system('x')"})
        self.assertContains(broken, "is not allowed")
        form = self.client.get(self.url("kpis:kpi_create"))
        self.assertContains(form, f'hx-post="{url}"')
