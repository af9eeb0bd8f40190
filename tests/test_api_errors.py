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


class StrictTypeTests(CairnTestCase):
    """JSON values are taken as written: nothing is converted into something else."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = services.create_api_token(cls.editor, "tests")[1]

    def post(self, path, body):
        return self.client.post(
            f"/api/v1/orgs/acme{path}",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )

    def assertRefused(self, response, field):
        self.assertEqual(response.status_code, 422, response.content)
        locs = [e["loc"][-1] for e in response.json()["detail"]]
        self.assertIn(field, locs, response.json())

    def test_values_of_the_wrong_kind_are_refused_and_nothing_is_saved(self):
        goal = {"title": "Win the West", "target_date": "2030-06-30", "priority": 1}
        action = {"title": "Call", "owner": "Dana", "due": "2027-01-01"}
        cases = [
            ("/goals", goal, "target_date", 0),
            ("/goals", goal, "target_date", "2030-06-30T00:00:00"),
            ("/goals", goal, "target_date", "2030-02-30"),
            ("/goals", goal, "target_date", "0001-01-01"),
            ("/goals", goal, "target_date", "9999-12-31"),
            ("/goals", goal, "priority", "1"),
            ("/goals", goal, "priority", True),
            ("/goals", goal, "priority", 1.5),
            ("/goals", goal, "title", 5),
            ("/actions", action, "done", 0),
            ("/actions", action, "done", "false"),
            ("/missions", {"statement": "x"}, "goal_ids", False),
            ("/missions", {"statement": "x"}, "goal_ids", [True]),
            ("/missions", {"statement": "x"}, "goal_ids", ["1"]),
        ]
        from cairn.goals.models import BusinessGoal, ITMission
        from cairn.governance.models import Action

        before = (BusinessGoal.objects.count(), ITMission.objects.count(), Action.objects.count())
        for path, body, field, value in cases:
            with self.subTest(path=path, field=field, value=value):
                self.assertRefused(self.post(path, {**body, field: value}), field)
        after = (BusinessGoal.objects.count(), ITMission.objects.count(), Action.objects.count())
        self.assertEqual(before, after)

    def test_non_finite_numbers_are_refused(self):
        kpi = self.ascent["kpi"]
        for raw in ["NaN", "Infinity", "-Infinity"]:
            with self.subTest(raw=raw):
                body = f'{{"items": [{{"kpi": {kpi.pk}, "date": "2026-01-01", "value": {raw}}}]}}'
                response = self.client.post(
                    "/api/v1/orgs/acme/measurements",
                    data=body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {self.key}",
                )
                self.assertIn(response.status_code, (400, 422), response.content)

    def test_the_right_kinds_are_still_accepted(self):
        response = self.post(
            "/goals", {"title": "Win the West", "target_date": "2030-06-30", "priority": 1.0}
        )
        self.assertEqual(response.status_code, 201, response.content)  # 1.0 is whole
        self.assertEqual(response.json()["priority"], 1)

    def test_every_request_body_is_strict(self):
        """A new body schema that forgets the strict base would convert values again."""
        from pydantic import BaseModel

        from cairn.api.api import api
        from cairn.api.common import In

        bodies = set()
        for _prefix, router in api._routers:
            for path_view in router.path_operations.values():
                for operation in path_view.operations:
                    for model in operation.models:
                        if model.__ninja_param_source__ == "body":
                            for field in model.model_fields.values():
                                kind = field.annotation
                                if isinstance(kind, type) and issubclass(kind, BaseModel):
                                    bodies.add(kind)
        self.assertGreater(len(bodies), 30)
        loose = sorted(b.__name__ for b in bodies if not issubclass(b, In))
        self.assertEqual(loose, [])


class SchemaTests(CairnTestCase):
    def test_the_schema_lists_every_error_an_operation_can_answer(self):
        schema = self.client.get("/api/v1/openapi.json").json()
        put = schema["paths"]["/api/v1/orgs/{org}/goals/{item_id}"]["put"]["responses"]
        self.assertLessEqual({"400", "401", "403", "404", "409", "413", "422", "503"}, set(put))
        listing = schema["paths"]["/api/v1/orgs/{org}/goals"]["get"]["responses"]
        self.assertLessEqual({"401", "403", "404", "414", "422"}, set(listing))
        self.assertNotIn("409", listing)
        self.assertEqual(
            set(schema["paths"]["/api/v1/orgs"]["get"]["responses"]), {"200", "401", "429"}
        )

    def test_dates_say_their_range_and_patches_refuse_null(self):
        schema = self.client.get("/api/v1/openapi.json").json()["components"]["schemas"]
        target = schema["GoalIn"]["properties"]["target_date"]
        self.assertEqual(target["pattern"], r"^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$")
        patch = schema["GoalInPatch"]
        self.assertNotIn("required", patch)
        self.assertEqual(patch["properties"]["title"]["type"], "string")  # not nullable
        key = services.create_api_token(self.editor, "tests")[1]
        response = self.client.patch(
            f"/api/v1/orgs/acme/goals/{self.goal.pk}",
            data=json.dumps({"title": None}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        self.assertEqual(response.status_code, 422, response.content)
        self.assertEqual(response.json()["detail"][0]["loc"][-1], "title")
