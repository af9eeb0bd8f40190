"""The execution API: status reports, actual spend in bulk, benefits, the portfolio's figures."""

import json
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.core import services
from cairn.core.models import AuditEvent, AuditVia
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.kpis.models import Measurement
from cairn.portfolio.models import Initiative
from tests import test_execution as execution_tests
from tests.base import CairnTestCase

REPORT = {
    "reported_on": "2026-12-01",
    "health": "green",
    "scope_health": "green",
    "schedule_health": "amber",
    "cost_health": "green",
    "percent_complete": 55,
    "progress": "The archive is clean.",
}


class ExecutionApiTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.keys = {
            name: services.create_api_token(cls.users[name], "tests")[1]
            for name in ("editor", "viewer", "outsider")
        }
        cls.first = cls.roadmap["first"]
        cls.kpi = cls.ascent["kpi"]

    def api(self, method, path, body=None, persona="editor", org="acme"):
        return self.client.generic(
            method,
            f"/api/v1/orgs/{org}{path}",
            data=json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.keys[persona]}",
        )

    def reports_path(self, initiative=None) -> str:
        return f"/initiatives/{(initiative or self.first).pk}/status-reports"

    # --- Status reports

    def test_an_editor_reports_and_lists_the_reports_newest_first(self):
        created = self.api("POST", self.reports_path(), REPORT)
        self.assertEqual(created.status_code, 201, created.content)
        body = created.json()
        self.assertEqual(body["period"], "2026-12-01")
        self.assertEqual((body["percent_complete"], body["reported_by"]), (55, "editor"))
        event = AuditEvent.objects.latest("id")
        self.assertEqual((event.via, event.object_id), (AuditVia.API, body["id"]))
        listed = self.api("GET", self.reports_path(), persona="viewer").json()
        self.assertEqual(listed["count"], 2)
        self.assertEqual(listed["items"][0]["id"], body["id"])

    def test_one_report_a_period_and_only_initiatives_under_way(self):
        clash = self.api("POST", self.reports_path(), {**REPORT, "reported_on": "2026-11-02"})
        self.assertEqual(clash.status_code, 422)
        self.assertEqual(clash.json()["detail"][0]["loc"], ["body", "reported_on"])
        idea = Initiative.objects.create(organization=self.org, title="An idea", status="idea")
        refused = self.api("POST", self.reports_path(idea), REPORT)
        self.assertEqual(refused.status_code, 422)
        self.assertIn("only approved initiatives", refused.json()["detail"][0]["msg"])
        self.assertEqual(StatusReport.objects.filter(organization=self.org).count(), 1)

    def test_report_values_are_taken_as_written(self):
        for field, value in [
            ("percent_complete", "55"),
            ("percent_complete", 101),
            ("health", "purple"),
            ("reported_on", 0),
            ("reported_on", "2400-01-01"),
            ("progress", ""),
        ]:
            with self.subTest(field=field, value=value):
                answer = self.api("POST", self.reports_path(), {**REPORT, field: value})
                self.assertEqual(answer.status_code, 422, answer.content)
        self.assertEqual(StatusReport.objects.filter(organization=self.org).count(), 1)

    def test_reports_refuse_viewers_and_other_organisations(self):
        self.assertEqual(self.api("POST", self.reports_path(), REPORT, "viewer").status_code, 403)
        other = self.reports_path(self.other_roadmap["first"])
        self.assertEqual(self.api("GET", other).status_code, 404)
        self.assertEqual(self.api("POST", other, REPORT).status_code, 404)
        self.assertEqual(self.api("GET", self.reports_path(), org="globex").status_code, 404)
        self.assertEqual(self.api("GET", "/initiatives/99999999999999999999/status-reports")
                         .status_code, 404)  # fmt: skip

    # --- Actual spend

    def item(self, **changes) -> dict:
        return {"initiative_id": self.first.pk, "month": "2026-10-17", "amount": "10.50", **changes}

    def test_actuals_in_bulk_are_added_with_one_audit_event_an_initiative(self):
        second = self.roadmap["second"]
        line = self.roadmap["budget"]
        items = [
            self.item(),
            self.item(amount=-2.25, kind="running", budget_line_id=line.pk, source="CN-1"),
            self.item(initiative_id=second.pk, amount=7),
        ]
        before = AuditEvent.objects.count()
        answer = self.api("POST", "/actuals", {"items": items})
        self.assertEqual(answer.status_code, 201, answer.content)
        self.assertEqual(answer.json(), {"added": 3})
        self.assertEqual(AuditEvent.objects.count(), before + 2)
        added = Actual.objects.filter(organization=self.org, month=date(2026, 10, 1))
        self.assertEqual(sorted(str(a.amount) for a in added), ["-2.25", "10.50", "7.00"])
        listed = self.api("GET", f"/actuals?initiative_id={second.pk}", persona="viewer").json()
        self.assertEqual(
            [(a["amount"], a["month"]) for a in listed["items"]], [("7.00", "2026-10-01")]
        )

    def test_a_bad_last_item_saves_nothing_and_each_problem_names_its_item(self):
        idea = Initiative.objects.create(organization=self.org, title="An idea", status="idea")
        items = [self.item()] * 3 + [
            self.item(initiative_id=idea.pk),
            self.item(budget_line_id=self.other_roadmap["budget"].pk),
            self.item(initiative_id=self.other_roadmap["first"].pk),
        ]
        before = (Actual.objects.count(), AuditEvent.objects.count())
        answer = self.api("POST", "/actuals", {"items": items})
        self.assertEqual(answer.status_code, 422)
        locs = [e["loc"] for e in answer.json()["detail"]]
        self.assertEqual(
            locs,
            [
                ["body", "items", 3, "initiative_id"],
                ["body", "items", 4, "budget_line_id"],
                ["body", "items", 5, "initiative_id"],
            ],
        )
        self.assertEqual((Actual.objects.count(), AuditEvent.objects.count()), before)

    def test_amounts_months_and_kinds_are_checked_before_anything_is_saved(self):
        before = Actual.objects.count()
        for bad in [
            {"amount": "1e12"},
            {"amount": 100000000001},
            {"amount": "1.005"},
            {"amount": "NaN"},
            {"amount": True},
            {"month": "2026-13-01"},
            {"month": "1850-01-01"},
            {"month": 3},
            {"kind": "monthly"},
            {"initiative_id": "1"},
            {"initiative_id": 2**63},
            {"source": "x" * 201},
        ]:
            with self.subTest(bad=bad):
                answer = self.api("POST", "/actuals", {"items": [self.item(), self.item(**bad)]})
                self.assertEqual(answer.status_code, 422, answer.content)
        self.assertEqual(self.api("POST", "/actuals", {"items": []}).status_code, 422)
        self.assertEqual(Actual.objects.count(), before)

    def test_actuals_refuse_viewers_and_other_organisations(self):
        body = {"items": [self.item()]}
        self.assertEqual(self.api("POST", "/actuals", body, "viewer").status_code, 403)
        self.assertEqual(self.api("POST", "/actuals", body, "outsider").status_code, 404)
        self.assertEqual(self.api("GET", "/actuals", persona="outsider").status_code, 404)
        other = self.api("GET", f"/actuals?initiative_id={self.other_roadmap['first'].pk}")
        self.assertEqual(other.json()["count"], 0)

    # --- Benefits

    def test_a_benefit_is_added_changed_and_shows_what_was_realised(self):
        kpi = self.kpi
        Measurement.objects.create(kpi=kpi, date=date(2026, 9, 1), value=10)
        Measurement.objects.create(kpi=kpi, date=timezone.localdate(), value=14)
        body = {"initiative_id": self.first.pk, "kpi_id": kpi.pk, "change": 8, "due": "2030-01-01"}
        created = self.api("POST", "/benefits", body)
        self.assertEqual(created.status_code, 201, created.content)
        benefit = created.json()
        realised = benefit["realised"]
        expected = 4 if kpi.direction == "up" else -4
        self.assertEqual((realised["baseline"], realised["latest"]), (10, 14))
        self.assertEqual(realised["movement"], expected)
        self.assertEqual(realised["share"], expected / 8)
        self.assertIn(realised["state"], ("on_the_way", "behind"))
        changed = self.api(
            "PATCH", f"/benefits/{benefit['id']}", {"change": 4, "version": benefit["version"]}
        )
        self.assertEqual(changed.status_code, 200, changed.content)
        if kpi.direction == "up":
            self.assertEqual(changed.json()["realised"]["state"], "realised")
            self.assertEqual(changed.json()["realised"]["label"], "Realised")
        listed = self.api("GET", "/benefits", persona="viewer").json()
        self.assertEqual(listed["count"], 2)
        self.assertEqual(self.api("DELETE", f"/benefits/{benefit['id']}").status_code, 204)

    def test_benefits_are_refused_bad_values_viewers_and_other_organisations(self):
        good = {
            "initiative_id": self.first.pk,
            "kpi_id": self.kpi.pk,
            "change": 1,
            "due": "2030-01-01",
        }
        for bad in [
            {"change": 0},
            {"change": "3"},
            {"due": 20300101},
            {"confidence": "sure"},
            {"kpi_id": self.other_ascent["kpi"].pk},
            {"initiative_id": self.other_roadmap["first"].pk},
        ]:
            with self.subTest(bad=bad):
                self.assertEqual(self.api("POST", "/benefits", {**good, **bad}).status_code, 422)
        self.assertEqual(self.api("POST", "/benefits", good, "viewer").status_code, 403)
        other = self.other_execution["benefit"].pk
        self.assertEqual(self.api("GET", f"/benefits/{other}").status_code, 404)
        self.assertEqual(Benefit.objects.filter(organization=self.org).count(), 1)

    # --- The portfolio

    def test_execution_answers_the_card_and_the_rows(self):
        answer = self.api("GET", "/execution", persona="viewer")
        self.assertEqual(answer.status_code, 200)
        body = answer.json()
        self.assertEqual(body["benefits_promised"], 1)
        self.assertEqual(body["overspend_tolerance_percent"], self.org.overspend_tolerance_percent)
        row = next(r for r in body["rows"] if r["initiative_id"] == self.first.pk)
        self.assertEqual((row["health"], row["percent_complete"]), ("amber", 40))
        self.assertEqual(row["reported_on"], "2026-11-20")
        self.assertIsInstance(row["spend"]["actual_to_date"], str)  # money as decimal strings
        self.assertEqual(set(body["by_health"]), {"green", "amber", "red"})
        self.assertEqual(self.api("GET", "/execution", persona="outsider").status_code, 404)


class QueryCountTests(CairnTestCase):
    """GET /benefits and GET /execution read a fixed number of queries, whatever the size."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = services.create_api_token(cls.viewer, "tests")[1]

    grow = execution_tests.QueryCountTests.grow  # initiatives with a report, spend, a benefit

    def count(self, path: str) -> int:
        cache.clear()  # the figures are cached until the organisation changes: work them out
        with CaptureQueriesContext(connection) as ctx:
            answer = self.client.get(
                f"/api/v1/orgs/acme{path}", HTTP_AUTHORIZATION=f"Bearer {self.key}"
            )
        self.assertEqual(answer.status_code, 200)
        return len(ctx.captured_queries)

    def test_constant_in_the_number_of_rows(self):
        self.count("/benefits")  # the token's last use is written at most once a minute
        for path in ("/benefits", "/execution"):
            with self.subTest(path=path):
                self.grow(2)
                small = self.count(path)
                self.grow(10)
                self.assertEqual(self.count(path), small)
