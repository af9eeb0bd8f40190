"""One error contract for the API: whatever fails, and wherever, the answer is JSON with
``detail``; the web gets a page. A busy database is a 503 to retry, never a 500."""

import json

from django.test import Client, override_settings

from cairn.core import services
from tests.base import CairnTestCase


class ApiErrorContractTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = services.create_api_token(cls.editor, "tests")[1]

    def setUp(self):
        self.client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def assertJsonError(self, response, status: int) -> dict:
        self.assertEqual(response.status_code, status, response.content[:300])
        self.assertTrue(response["Content-Type"].startswith("application/json"))
        body = response.json()
        self.assertIn("detail", body)
        self.assertTrue(body["detail"])
        return body

    def test_unknown_path_is_a_json_404(self):
        self.assertJsonError(self.client.get("/api/v1/nowhere"), 404)
        self.assertJsonError(self.client.get("/api/v1/orgs/acme/goals/999999"), 404)

    def test_wrong_method_is_a_json_405_naming_the_allowed_ones(self):
        response = self.client.put("/api/v1/orgs")
        body = self.assertJsonError(response, 405)
        self.assertIn("GET", body["detail"])
        self.assertIn("GET", response["Allow"])

    def test_malformed_bodies_are_a_json_400(self):
        for raw in ["{", "[1, 2]", '"a title"', "\xff\xfe", "1e999999"]:
            with self.subTest(raw=raw):
                response = self.client.post(
                    "/api/v1/orgs/acme/goals", data=raw, content_type="application/json"
                )
                self.assertJsonError(response, 400)

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2**20)
    def test_a_body_over_the_limit_is_a_json_413_saying_the_limit(self):
        body = json.dumps({"title": "x" * 2**20})
        response = self.client.post(
            "/api/v1/orgs/acme/goals", data=body, content_type="application/json"
        )
        detail = self.assertJsonError(response, 413)["detail"]
        self.assertIn("1 MB", detail)

    @override_settings(ROOT_URLCONF="tests.urls_faults")
    def test_a_bug_is_a_json_500_in_the_api_and_a_page_on_the_web(self):
        with self.assertLogs("django.request", "ERROR"):
            body = self.assertJsonError(self.client.get("/api/v1/test-boom"), 500)
        self.assertNotIn("a bug", body["detail"])  # the cause is logged, not shown
        with self.assertLogs("django.request", "ERROR"):
            page = self.client.get("/test-boom/")
        self.assertEqual(page.status_code, 500)
        self.assertContains(page, "Something went wrong", status_code=500)

    @override_settings(ROOT_URLCONF="tests.urls_faults")
    def test_a_busy_database_is_a_503_with_retry_after(self):
        with self.assertLogs("django.request", "ERROR"):
            response = self.client.get("/api/v1/test-locked")
        detail = self.assertJsonError(response, 503)["detail"]
        self.assertIn("try again", detail)
        self.assertEqual(response["Retry-After"], "5")
        with self.assertLogs("django.request", "ERROR"):
            page = self.client.get("/test-locked/")
        self.assertEqual(page.status_code, 503)
        self.assertEqual(page["Retry-After"], "5")
        self.assertContains(page, "try again in 5 seconds", status_code=503)

    def test_the_bulk_limit_fits_under_the_body_limit(self):
        from django.conf import settings

        from cairn.kpis.api import MAX_BULK

        longest = {
            "kpi": "k" * 120,
            "date": "2026-01-01",
            "value": -1.2345678901234567e100,
            "source": "s" * 120,
            "note": "n" * 500,
            "confirmed": False,
        }
        size = len(json.dumps({"items": [longest] * MAX_BULK}).encode())
        self.assertLess(size, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    def test_a_web_page_too_large_is_a_413_page(self):
        self.client.force_login(self.editor)
        with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
            page = self.client.post(self.url("goals:goal_create"), {"title": "x" * 2000})
        self.assertEqual(page.status_code, 413)
        self.assertContains(page, "limit of", status_code=413)
