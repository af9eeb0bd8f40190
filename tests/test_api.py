"""The REST API: CRUD, pagination, bad input, conflicts, query counts."""

import json

from cairn.core import services
from cairn.core.models import AuditEvent
from cairn.goals.models import BusinessGoal, ITMission, PainPoint
from tests.base import CairnTestCase, make_goal, make_mission, make_pain


class ApiTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.editor_key = services.create_api_token(cls.editor, "tests")[1]
        cls.viewer_key = services.create_api_token(cls.viewer, "tests")[1]

    def api(self, method, path, body=None, key=None, raw=None):
        return self.client.generic(
            method,
            f"/api/v1/orgs/acme{path}",
            data=raw if raw is not None else json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key or self.editor_key}",
        )

    def test_goal_lifecycle(self):
        created = self.api(
            "POST",
            "/goals",
            {
                "title": "Win the West",
                "target_date": "2030-06-30",
                "priority": 1,
                "owner_role": "CEO",
            },
        )
        self.assertEqual(created.status_code, 201, created.content)
        goal = created.json()
        self.assertEqual(goal["priority_label"], "High")
        self.assertEqual(goal["version"], 1)
        self.assertEqual(goal["warnings"], [])
        got = self.api("GET", f"/goals/{goal['id']}").json()
        self.assertEqual(got["title"], "Win the West")

        patched = self.api("PATCH", f"/goals/{goal['id']}", {"title": "Win the North West"})
        self.assertEqual(patched.status_code, 200, patched.content)
        self.assertEqual(patched.json()["title"], "Win the North West")
        self.assertEqual(patched.json()["owner_role"], "CEO")  # untouched by PATCH
        self.assertEqual(patched.json()["version"], 2)

        put = self.api(
            "PUT", f"/goals/{goal['id']}", {"title": "Replaced", "target_date": "2031-01-01"}
        )
        self.assertEqual(put.json()["owner_role"], "")  # PUT replaces every field

        self.assertEqual(self.api("DELETE", f"/goals/{goal['id']}").status_code, 204)
        self.assertEqual(self.api("GET", f"/goals/{goal['id']}").status_code, 404)
        actions = list(
            AuditEvent.objects.filter(object_id=goal["id"], object_type="goals.businessgoal")
            .order_by("created", "id")
            .values_list("action", "via")
        )
        self.assertEqual(
            actions,
            [("create", "api"), ("update", "api"), ("update", "api"), ("delete", "api")],
        )

    def test_far_target_date_is_accepted_with_a_warning(self):
        created = self.api("POST", "/goals", {"title": "Someday", "target_date": "2060-01-01"})
        self.assertEqual(created.status_code, 201)
        self.assertIn("More than 10 years", created.json()["warnings"][0])

    def test_mission_links_goals_of_the_same_organisation_only(self):
        ok = self.api("POST", "/missions", {"statement": "Serve", "goal_ids": [self.goal.pk]})
        self.assertEqual(ok.status_code, 201)
        self.assertEqual(ok.json()["goal_ids"], [self.goal.pk])
        bad = self.api("POST", "/missions", {"statement": "Leak", "goal_ids": [self.other_goal.pk]})
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["detail"][0]["loc"], ["body", "goal_ids"])
        self.assertFalse(ITMission.objects.filter(statement="Leak").exists())

    def test_pain_point_refuses_another_organisations_interview(self):
        response = self.api(
            "POST", "/pain-points", {"title": "x", "interview_id": self.other_interview.pk}
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["detail"][0]["loc"], ["body", "interview_id"])

    def test_bad_input_answers_4xx_with_details_and_writes_nothing(self):
        before = (BusinessGoal.objects.count(), AuditEvent.objects.count())
        good = {"title": "Fine", "target_date": "2030-01-01"}
        cases = [
            ({**good, "title": ""}, None, 422),
            ({**good, "title": "   "}, None, 422),
            ({**good, "title": "x" * 201}, None, 422),
            ({**good, "description": "y" * 5001}, None, 422),
            ({**good, "target_date": "2030-02-30"}, None, 422),
            ({**good, "target_date": "next year"}, None, 422),
            ({**good, "priority": 7}, None, 422),
            ({**good, "priority": 2**80}, None, 422),
            ({"title": "no date"}, None, 422),
            (None, "{not json", 400),
            (None, "[1, 2]", 400),
            (None, '"A bare string"', 400),
        ]
        for body, raw, status in cases:
            with self.subTest(body=body, raw=raw):
                response = self.api("POST", "/goals", body, raw=raw)
                self.assertEqual(response.status_code, status, response.content)
                self.assertIn("detail", response.json())
        self.assertEqual((BusinessGoal.objects.count(), AuditEvent.objects.count()), before)

    def test_a_body_that_is_not_an_object_changes_nothing(self):
        for method, body in [("PATCH", '"pwned"'), ("PATCH", "[null, null]"), ("PUT", '"AAA"')]:
            with self.subTest(method=method, body=body):
                response = self.api(method, f"/goals/{self.goal.pk}", raw=body)
                self.assertEqual(response.status_code, 400)
                self.assertTrue(response.json()["detail"].startswith("Cannot parse request body"))
        goal = BusinessGoal.objects.get(pk=self.goal.pk)
        self.assertEqual((goal.title, goal.version), ("Grow market share", 1))

    def test_huge_and_foreign_ids_are_404(self):
        for path in [f"/goals/{2**70}", f"/goals/{self.other_goal.pk}", "/goals/0"]:
            with self.subTest(path=path):
                self.assertEqual(self.api("GET", path).status_code, 404)
        self.assertEqual(
            self.client.get(
                "/api/v1/orgs/acme/goals?offset=99999999999999999999",
                HTTP_AUTHORIZATION=f"Bearer {self.editor_key}",
            ).status_code,
            422,
        )

    def test_stale_version_is_a_conflict(self):
        BusinessGoal.objects.filter(pk=self.goal.pk).update(version=4)
        response = self.api("PATCH", f"/goals/{self.goal.pk}", {"title": "Mine", "version": 3})
        self.assertEqual(response.status_code, 409)
        self.assertIn("Someone else changed", response.json()["detail"])
        ok = self.api("PATCH", f"/goals/{self.goal.pk}", {"title": "Mine", "version": 4})
        self.assertEqual(ok.json()["version"], 5)

    def test_pagination(self):
        for i in range(7):
            make_goal(self.org, f"Goal {i:02}")
        page = self.api("GET", "/goals?limit=3&offset=3").json()
        self.assertEqual(page["count"], 8)
        self.assertEqual(len(page["items"]), 3)
        self.assertEqual(self.api("GET", "/goals?limit=501").status_code, 422)

    def test_list_query_counts_do_not_grow(self):
        # token+user, membership+organisation, count, page, then one query per prefetch
        expected = {"/goals": 6, "/missions": 5, "/interviews": 5, "/pain-points": 5}
        self.api("GET", "/goals")  # the token's last use is written at most once a minute

        def add_rows(n):
            for i in range(n):
                goal = make_goal(self.org, f"Goal {n}-{i}")
                make_mission(self.org, [goal, self.goal])
                make_pain(self.org, goals=[goal], interview=self.interview)

        for path, count in expected.items():
            with self.subTest(path=path):
                self.assertQueryCount(count, self.api, "GET", path)
                add_rows(4)
                self.assertQueryCount(count, self.api, "GET", path)

    def test_session_auth_needs_csrf(self):
        self.client.force_login(self.editor)
        self.assertEqual(self.client.get("/api/v1/orgs/acme/goals").status_code, 200)
        client = self.client_class(enforce_csrf_checks=True)
        client.force_login(self.editor)
        response = client.post(
            "/api/v1/orgs/acme/goals",
            data=json.dumps({"title": "x", "target_date": "2030-01-01"}),
            content_type="application/json",
        )
        self.assertIn(response.status_code, (401, 403))
        self.assertFalse(BusinessGoal.objects.filter(title="x").exists())

    def test_schema_and_docs_are_served(self):
        schema = self.client.get("/api/v1/openapi.json").json()
        self.assertIn("/api/v1/orgs/{org}/goals", schema["paths"])
        self.client.force_login(self.viewer)
        self.assertContains(self.client.get("/api/v1/docs"), "swagger")

    def test_deleting_a_goal_keeps_linked_pain_points(self):
        self.assertEqual(self.api("DELETE", f"/goals/{self.goal.pk}").status_code, 204)
        self.assertTrue(PainPoint.objects.filter(pk=self.pain.pk).exists())
