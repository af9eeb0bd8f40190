"""The path: quadrants, scoring, scenarios end to end, applying, pages and API."""

import json
from decimal import Decimal
from unittest import mock

from django.test import TransactionTestCase

from cairn.assessment.models import Team
from cairn.core import services as core_services
from cairn.core.models import AuditEvent
from cairn.goals.models import BusinessGoal
from cairn.portfolio import scoring, services
from cairn.portfolio.models import (
    Criterion,
    Initiative,
    Scenario,
    Status,
    TeamEffort,
    TeamLimit,
    quadrant,
)
from tests.base import PAGE, CairnTestCase, make_goal


def initiative(org, title, **kw):
    return Initiative.objects.create(organization=org, title=title, **kw)


class RuleTests(CairnTestCase):
    def test_quadrants_exactly_as_the_method_says(self):
        expected = {
            ("high", "easy"): "quick_win",
            ("high", "medium"): "quick_win",
            ("high", "hard"): "strategic_bet",
            ("medium", "easy"): "back_burner",
            ("medium", "hard"): "back_burner",
            ("low", "easy"): "back_burner",
        }
        for (impact, feasibility), q in expected.items():
            self.assertEqual(quadrant(impact, feasibility), q)

    def test_weighted_score(self):
        high_goal = self.goal  # priority defaults to medium
        BusinessGoal.objects.filter(pk=high_goal.pk).update(priority=1)
        i = self.path["initiative"]  # high impact, urgency 3, risk 3, serves the goal
        Criterion.objects.filter(organization=self.org).delete()
        none = scoring.score(scoring.with_scoring_data(Initiative.objects).get(pk=i.pk), [])
        self.assertEqual(none.score, Decimal(100))  # impact alone: high = 5 → 100
        Criterion.objects.create(organization=self.org, name="Impact", source="impact", weight=3)
        Criterion.objects.create(organization=self.org, name="Align", source="alignment", weight=1)
        manual = Criterion.objects.create(organization=self.org, name="Brand", weight=1)
        services.set_scores(manual, {i.pk: 2}, actor=self.editor)
        criteria = list(Criterion.objects.filter(organization=self.org))
        scored = scoring.score(scoring.with_scoring_data(Initiative.objects).get(pk=i.pk), criteria)
        # (3×5 + 1×5 + 1×2) / 5 × 20 = 88
        self.assertEqual(scored.score, Decimal("88.0"))
        base = scoring.score(
            scoring.with_scoring_data(Initiative.objects).get(pk=self.path["base"].pk), criteria
        )
        # medium impact 3, no goal 0, not scored 0: (9 + 0 + 0) / 5 × 20 = 36
        self.assertEqual(base.score, Decimal("36.0"))

    def test_dependency_cycles_are_refused_in_the_form(self):
        self.login("editor")
        base = self.path["base"]
        response = self.client.post(
            self.url("portfolio:initiative_edit", base.pk),
            {
                "title": base.title,
                "impact": "medium",
                "feasibility": "hard",
                "kind": "change",
                "status": "idea",
                "one_off_cost": 1,
                "running_cost": 0,
                "effort_months": 1,
                "duration_months": 1,
                "urgency": 3,
                "risk": 3,
                "depends_on": [self.path["initiative"].pk],
            },
        )
        self.assertContains(response, "depend on each other in a circle")


class ScenarioTests(CairnTestCase):
    def setUp(self):
        self.scenario = self.path["scenario"]  # one-off budget 120

    def test_run_chooses_within_limits_and_explains_the_rest(self):
        other = initiative(self.org, "Portal", impact="high", feasibility="hard", one_off_cost=70)
        state = services.run_scenario(self.scenario, actor=self.editor)
        self.assertEqual(state, "done")
        self.scenario.refresh_from_db()
        result = self.scenario.result
        self.assertEqual(result["status"], "optimal")
        chosen = set(result["selected"])
        # Quoting (50) needs the data platform (100): 150 > 120, so the portal goes alone.
        self.assertEqual(chosen, {str(other.pk)})
        self.assertLessEqual(result["totals"]["one_off"], 120)
        left_out = set(result["explanations"])
        self.assertEqual(
            left_out | chosen,
            {str(i.pk) for i in Initiative.objects.filter(organization=self.org, status="idea")},
        )
        for why in result["explanations"].values():
            self.assertTrue(why["reasons"])
        self.assertTrue(
            AuditEvent.objects.filter(object_type="portfolio.scenario", action="update").exists()
        )

    def test_blocked_by_a_rejected_dependency(self):
        Initiative.objects.filter(pk=self.path["base"].pk).update(status=Status.REJECTED)
        result = services.compute(self.scenario)
        why = result["explanations"][str(self.path["initiative"].pk)]
        self.assertIn("depends on “Data platform”, which is rejected", why["reasons"][0])
        self.assertNotIn(str(self.path["initiative"].pk), result["selected"])

    def test_team_limits_and_approved_initiatives(self):
        team = Team.objects.create(organization=self.org, name="Apps", headcount=2)
        TeamEffort.objects.create(initiative=self.path["base"], team=team, months=5)
        services.set_team_limits(self.scenario, {team: Decimal(3)}, actor=self.editor)
        result = services.compute(self.scenario)
        self.assertNotIn(str(self.path["base"].pk), result["selected"])
        self.assertIn("team Apps", result["limits"])
        Initiative.objects.filter(pk=self.path["base"].pk).update(status=Status.APPROVED)
        infeasible = services.compute(self.scenario)  # approved must stay, but does not fit
        self.assertEqual(infeasible["status"], "infeasible")

    def test_slow_solves_go_to_the_background(self):
        self.scenario.time_limit_s = 5
        real = services.compute
        calls = []

        def first_not_proven(scenario, time_limit_s=None):
            result = real(scenario, time_limit_s)
            calls.append(time_limit_s)
            return {**result, "status": "feasible"} if len(calls) == 1 else result

        with mock.patch.object(services, "compute", side_effect=first_not_proven):
            state = services.run_scenario(self.scenario, actor=self.editor)
        # The immediate test backend runs the queued job at once, with the full time limit.
        self.assertEqual(state, "done")
        self.assertEqual(calls, [1.0, None])
        self.scenario.refresh_from_db()
        self.assertEqual((self.scenario.state, self.scenario.result["status"]), ("done", "optimal"))

    def test_apply_marks_chosen_ideas_proposed_and_refuses_stale_results(self):
        with self.assertRaises(core_services.ServiceError):
            services.apply_scenario(self.scenario, actor=self.editor)
        services.run_scenario(self.scenario, actor=self.editor)
        self.scenario.refresh_from_db()
        Initiative.objects.filter(pk=self.path["base"].pk).update(one_off_cost=10)
        with self.assertRaisesMessage(core_services.ServiceError, "changed since this run"):
            services.apply_scenario(self.scenario, actor=self.editor)
        services.run_scenario(self.scenario, actor=self.editor)
        self.scenario.refresh_from_db()
        changed = services.apply_scenario(self.scenario, actor=self.editor)
        self.assertEqual(changed, len(self.scenario.result["selected"]))
        statuses = set(
            Initiative.objects.filter(pk__in=self.scenario.result["selected"]).values_list(
                "status", flat=True
            )
        )
        self.assertEqual(statuses, {"proposed"})


class WorkerTests(TransactionTestCase):
    """The real queue: a job waits in the database until ``cairn worker`` runs it.

    A transaction test case, because the worker closes and reopens database connections.
    """

    def test_the_database_queue_and_worker_finish_a_slow_solve(self):
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.test import override_settings

        from cairn.core.models import Membership, Organization

        org = Organization.objects.create(name="Acme", slug="acme")
        editor = User.objects.create_user("editor")
        Membership.objects.create(user=editor, organization=org, role="editor")
        base = initiative(org, "Data platform", one_off_cost=100)
        initiative(org, "Quoting", impact="high", one_off_cost=50).depends_on.set([base])
        scenario = Scenario.objects.create(
            organization=org, name="Lean", one_off_budget=120, time_limit_s=5
        )
        real = services.compute

        def never_proven_quickly(scenario, time_limit_s=None):
            result = real(scenario, time_limit_s)
            return {**result, "status": "feasible"} if time_limit_s else result

        db = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        with (
            override_settings(TASKS=db),
            mock.patch.object(services, "compute", side_effect=never_proven_quickly),
        ):
            state = services.run_scenario(scenario, actor=editor)
            self.assertEqual(state, "queued")
            self.client.force_login(editor)
            status_url = f"/o/acme/path/scenarios/{scenario.pk}/status/"
            waiting = self.client.get(status_url)
            self.assertContains(waiting, "Searching for the best portfolio")
            self.assertContains(waiting, 'hx-trigger="every 1s"')
            call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
        scenario.refresh_from_db()
        self.assertEqual((scenario.state, scenario.result["status"]), ("done", "optimal"))
        done = self.client.get(status_url)
        self.assertNotContains(done, "hx-trigger")


class PathPageTests(CairnTestCase):
    def grow(self, n):
        team = Team.objects.create(organization=self.org, name=f"T{n}")
        for k in range(n):
            i = initiative(self.org, f"I{n}-{k}", impact="high", one_off_cost=k, effort_months=1)
            i.goals.set([self.goal])
            i.depends_on.set([self.path["base"]])
            TeamEffort.objects.create(initiative=i, team=team, months=1)
        TeamLimit.objects.create(scenario=self.path["scenario"], team=team, months=5)
        make_goal(self.org, f"G{n}")

    def test_query_counts_do_not_grow(self):
        self.login("owner")
        services.run_scenario(self.path["scenario"], actor=self.owner)
        scenario = self.path["scenario"].pk
        # Every page: PAGE (session, user, membership, switcher, inbox bell); then:
        pages = [
            ("portfolio:overview", [], PAGE + 4),  # initiatives, goals, scores, criteria
            ("portfolio:initiative_list", [], PAGE + 4),
            ("portfolio:initiative_detail", [self.path["initiative"].pk], PAGE + 16),
            ("portfolio:balance", [], PAGE + 4),  # 2 groups × 2 kinds, summed in the database
            ("portfolio:criteria", [], PAGE + 4),  # criteria, initiatives, goals, hand scores
            ("portfolio:scenario_list", [], PAGE + 2),
            # scenario, mandatory, teams, limits; scored initiatives (4); rebuild the problem
            # to tell whether the result is stale (candidates 7, mandatory, limits)
            ("portfolio:scenario_detail", [scenario], PAGE + 17),
        ]
        for name, args, expected in pages:
            with self.subTest(page=name):
                self.assertQueryCount(expected, self.client.get, self.url(name, *args))
        self.grow(5)
        services.run_scenario(self.path["scenario"], actor=self.owner)
        for name, args, expected in pages:
            with self.subTest(page=name, grown=True):
                self.assertQueryCount(expected, self.client.get, self.url(name, *args))

    def test_scenario_page_shows_choice_ranking_and_reasons(self):
        self.login("editor")
        initiative(self.org, "Portal", impact="high", feasibility="hard", one_off_cost=70)
        self.client.post(self.url("portfolio:scenario_run", self.path["scenario"].pk))
        page = self.client.get(self.url("portfolio:scenario_detail", self.path["scenario"].pk))
        self.assertContains(page, "Proven the best possible")
        self.assertContains(page, "Compared with ranking by score")
        self.assertContains(page, "Not now")
        self.assertContains(page, "One-off budget: needs")
        self.assertContains(page, "Approve and schedule")

    def test_efforts_and_scores_forms_refuse_bad_numbers(self):
        team = Team.objects.create(organization=self.org, name="Apps")
        self.login("editor")
        url = self.url("portfolio:initiative_efforts", self.path["initiative"].pk)
        bad = self.client.post(url, {f"team-{team.pk}": "lots"}, follow=True)
        self.assertContains(bad, "is not a number")
        self.assertFalse(TeamEffort.objects.exists())
        self.client.post(url, {f"team-{team.pk}": "2.5"})
        self.assertEqual(TeamEffort.objects.get().months, Decimal("2.5"))
        manual = Criterion.objects.create(organization=self.org, name="Brand")
        scores = self.url("portfolio:criterion_scores", manual.pk)
        bad = self.client.post(scores, {f"score-{self.path['initiative'].pk}": "9"}, follow=True)
        self.assertContains(bad, "whole numbers from 1 to 5")

    def test_standard_criteria_and_empty_states(self):
        Criterion.objects.filter(organization=self.org).delete()
        self.login("editor")
        self.assertContains(self.client.get(self.url("portfolio:criteria")), "No criteria yet")
        self.client.post(self.url("portfolio:criteria_standard"))
        self.assertEqual(Criterion.objects.filter(organization=self.org).count(), 4)
        Scenario.objects.filter(organization=self.org).delete()
        self.assertContains(
            self.client.get(self.url("portfolio:scenario_list")), "No scenarios yet"
        )


class PathApiTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = core_services.create_api_token(cls.editor, "t")[1]

    def api(self, method, path, body=None):
        return self.client.generic(
            method,
            f"/api/v1/orgs/acme{path}",
            json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )

    def test_create_initiative_and_run_a_scenario(self):
        created = self.api(
            "POST",
            "/initiatives",
            {
                "title": "Portal",
                "impact": "high",
                "feasibility": "hard",
                "one_off_cost": "70",
                "goal_ids": [self.goal.pk],
                "depends_on_ids": [self.path["base"].pk],
            },
        )
        self.assertEqual(created.status_code, 201, created.content)
        self.assertEqual(created.json()["quadrant"], "strategic_bet")
        bad = self.api("POST", "/initiatives", {"title": "X", "impact": "huge"})
        self.assertEqual(bad.status_code, 422)
        run = self.api("POST", f"/scenarios/{self.path['scenario'].pk}/run")
        self.assertEqual(run.status_code, 200, run.content)
        self.assertEqual(run.json()["result"]["status"], "optimal")
        self.assertEqual(self.api("POST", "/scenarios/999999/run").status_code, 404)

    def test_list_query_counts(self):
        self.api("GET", "/criteria")  # the token's last use is written at most once a minute
        # token, membership, count, page, then one query per link kind
        for path, expected in [("/initiatives", 10), ("/criteria", 4), ("/scenarios", 5)]:
            with self.subTest(path=path):
                self.assertQueryCount(expected, self.api, "GET", path)
                for k in range(3):
                    i = initiative(self.org, f"{path}{k}")
                    i.goals.set([self.goal])
                    i.depends_on.set([self.path["base"]])
                    Criterion.objects.create(organization=self.org, name=f"{path}{k}")
                    Scenario.objects.create(organization=self.org, name=f"{path}{k}")
                self.assertQueryCount(expected, self.api, "GET", path)
