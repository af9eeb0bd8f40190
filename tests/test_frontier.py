"""What more budget buys: the efficient frontier against brute force, its page, API and CLI."""

from __future__ import annotations

import io
import itertools
import json
import random
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from cairn.core.services import ServiceError
from cairn.portfolio import frontier as service
from cairn.portfolio.models import Frontier, Initiative, RunState
from cairn.solver.frontier import Point, frontier, knee, nice_step
from cairn.solver.portfolio import Item, Problem, fits, total_value
from tests.base import CairnTestCase

FACTORS = ("0.5", "0.75", "1", "1.25", "1.5", "2")


def brute_force(problem: Problem) -> Decimal | None:
    """The best value by trying every selection; None when none fits."""
    ids = [i.id for i in problem.items]
    best = None
    for n in range(len(ids) + 1):
        for chosen in itertools.combinations(ids, n):
            if fits(problem, chosen):
                value = total_value(problem, chosen)
                best = value if best is None or value > best else best
    return best


def random_problem(rng: random.Random, size: int = 7) -> Problem:
    items = []
    for n in range(size):
        requires = (f"i{rng.randrange(n)}",) if n and rng.random() < 0.25 else ()
        excludes = (f"i{rng.randrange(n)}",) if n > 1 and rng.random() < 0.15 else ()
        items.append(
            Item(
                f"i{n}",
                Decimal(rng.randint(1, 30)),
                {"budget": Decimal(rng.randint(5, 60)), "team A": Decimal(rng.randint(0, 6))},
                mandatory=n == 0 and rng.random() < 0.5,
                requires=requires,
                excludes=tuple(x for x in excludes if x not in requires),
            )
        )
    return Problem(
        tuple(items),
        {"budget": Decimal(rng.randint(40, 120)), "team A": Decimal(rng.randint(6, 14))},
        time_limit_s=2,
        workers=2,
    )


class FrontierSolverTests(TestCase):
    def test_every_point_equals_brute_force_and_never_goes_down(self):
        rng = random.Random(19)
        for _ in range(2):
            problem = random_problem(rng, 6)
            curve = frontier(problem, "budget", time_limit_s=2)
            values = [p["value"] for p in curve["points"]]
            self.assertEqual(values, sorted(values), "the curve went down")
            self.assertGreaterEqual(len(values), 20)
            for point in curve["points"]:
                at = Problem(
                    problem.items, {**problem.capacity, "budget": Decimal(str(point["amount"]))}
                )
                best = brute_force(at)
                if best is None:
                    self.assertEqual(point["status"], "infeasible", point)
                else:
                    self.assertEqual(point["status"], "optimal")
                    self.assertEqual(Decimal(str(point["value"])), best, point["amount"])
                    self.assertTrue(fits(at, point["selected"]))
            # The step up and the step down are what the points there say.
            by_amount = {p["amount"]: p for p in curve["points"]}
            up = by_amount[curve["current"] + curve["step"]]
            self.assertAlmostEqual(
                curve["more"]["value"], up["value"] - curve["at_current"]["value"]
            )
            self.assertEqual(
                set(curve["more"]["added"]),
                set(up["selected"]) - set(curve["at_current"]["selected"]),
            )

    def test_shadow_prices_and_staff_curves_are_exact_re_solves(self):
        problem = random_problem(random.Random(7))
        curve = frontier(problem, "budget", time_limit_s=2)
        base = brute_force(problem)
        team = next(s for s in curve["shadow"] if s["limit"] == "team A")
        more = Problem(
            problem.items,
            {**problem.capacity, "team A": problem.capacity["team A"] + Decimal(str(team["unit"]))},
        )
        self.assertEqual(Decimal(str(team["value"])), brute_force(more) - base)
        (staff,) = curve["staff"]
        current = Decimal(str(staff["current"]))
        self.assertEqual(
            [Decimal(str(p["amount"])) for p in staff["points"]],
            [
                (current * Decimal(f)).quantize(Decimal("0.1"))
                for f in ("0.5", "0.75", "1", "1.25", "1.5", "2")
            ],
        )
        values = [p["value"] for p in staff["points"]]
        self.assertEqual(values, sorted(values))

    def test_the_knee_is_where_the_curve_bends(self):
        def points(values):
            return [Point(Decimal(n * 10), v, v, "optimal") for n, v in enumerate(values)]

        self.assertEqual(knee(points([0, 50, 90, 95, 97, 98, 99])), 2)
        self.assertIsNone(knee(points([0, 10, 20, 30, 40])), "a straight line has no knee")
        self.assertIsNone(knee(points([0, 0])))

    def test_nice_steps(self):
        self.assertEqual(nice_step(Decimal(900_000)), Decimal(100_000))
        self.assertEqual(nice_step(Decimal(325_000)), Decimal(50_000))
        self.assertEqual(nice_step(Decimal(3), whole=True), Decimal(1))

    def test_progress_is_reported_to_the_end(self):
        seen = []
        frontier(random_problem(random.Random(3)), progress=lambda d, t: seen.append((d, t)))
        self.assertEqual(seen[-1][0], seen[-1][1])
        self.assertEqual([d for d, _ in seen], sorted(d for d, _ in seen))


class FrontierCommandTests(TestCase):
    def test_cli_prints_the_curve(self):
        problem = {
            "capacity": {"budget": 100},
            "items": [
                {"id": "a", "value": 10, "cost": {"budget": 60}},
                {"id": "b", "value": 8, "cost": {"budget": 50}},
                {"id": "c", "value": 7, "cost": {"budget": 40}},
            ],
            "time_limit_s": 1,
        }
        out = io.StringIO()
        path = self.tmp(json.dumps(problem))
        call_command("frontier", path, stdout=out)
        curve = json.loads(out.getvalue())
        self.assertEqual(curve["limit"], "budget")
        by_amount = {p["amount"]: p["value"] for p in curve["points"]}
        self.assertEqual(by_amount[100.0], 17.0)  # a + c
        self.assertEqual(by_amount[200.0], 25.0)
        self.assertEqual(by_amount[0.0], 0.0)

    def test_cli_refuses_a_bad_limit_in_one_line(self):
        path = self.tmp(json.dumps({"capacity": {"budget": 1}, "items": [], "limit": "cash"}))
        result = subprocess.run(
            [sys.executable, "-m", "cairn.cli", "frontier", path],
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("frontier: limit 'cash' is not a capacity", result.stderr)

    def tmp(self, text: str) -> str:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "problem.json"
        path.write_text(text, encoding="utf-8")
        return str(path)


class FrontierPageTests(CairnTestCase):
    def setUp(self):
        self.scenario = self.path["scenario"]
        # A third initiative, so that the curve has steps to show.
        Initiative.objects.create(
            organization=self.org,
            title="Self-service returns",
            impact="high",
            feasibility="medium",
            one_off_cost=60,
            effort_months=3,
        )

    def page(self):
        return self.client.get(self.url("portfolio:frontier", self.scenario.pk))

    def test_empty_then_worked_out_by_an_editor(self):
        self.login("viewer")
        response = self.page()
        self.assertContains(response, "Not worked out yet")
        self.assertNotContains(response, "Work it out</button>")
        self.assertEqual(
            self.client.post(self.url("portfolio:frontier_run", self.scenario.pk)).status_code,
            403,
        )
        self.login("editor")
        audits = self.audit_count()
        response = self.client.post(
            self.url("portfolio:frontier_run", self.scenario.pk), follow=True
        )
        row = Frontier.objects.get(scenario=self.scenario)
        self.assertEqual(row.state, RunState.DONE, row.error)
        self.assertEqual(row.done, row.total)
        self.assertEqual(self.audit_count(), audits + 1)
        self.assertContains(response, "Each extra")
        self.assertContains(response, "A cut of")
        self.assertContains(response, 'id="frontier-data"')
        self.assertContains(response, "What one more step of each limit adds")
        self.assertContains(response, "The first portfolio that fits")
        values = [p["value"] for p in row.result["points"]]
        self.assertEqual(values, sorted(values))

    def test_query_count_is_fixed(self):
        self.login("editor")
        self.client.post(self.url("portfolio:frontier_run", self.scenario.pk))
        self.login("viewer")
        self.assertQueryCount(16, self.page)
        Initiative.objects.create(
            organization=self.org, title="Another", impact="low", feasibility="easy"
        )
        self.assertQueryCount(16, self.page)

    def test_changed_limits_make_it_stale(self):
        row = service.saved(self.scenario)
        service.work_out(row.pk)
        self.login("viewer")
        self.assertNotContains(self.page(), "have changed since this was worked out")
        self.scenario.one_off_budget = 90
        self.scenario.save()
        self.assertContains(self.page(), "have changed since this was worked out")

    def test_no_initiatives_fails_with_words(self):
        Initiative.objects.filter(organization=self.org).delete()
        row = service.saved(self.scenario)
        with self.assertRaises(ServiceError):
            service.work_out(row.pk)
        row.refresh_from_db()
        self.assertEqual(row.state, RunState.FAILED)
        self.login("viewer")
        self.assertContains(self.page(), "There are no initiatives to choose from yet.")

    def test_another_organisations_scenario_is_not_found(self):
        self.login("outsider")
        self.assertEqual(self.page().status_code, 404)
        self.assertEqual(
            self.client.post(self.url("portfolio:frontier_run", self.scenario.pk)).status_code,
            404,
        )
        self.assertFalse(Frontier.objects.filter(scenario=self.scenario).exists())


class FrontierApiTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from cairn.core import services as core

        cls.editor_key = core.create_api_token(cls.editor, "tests")[1]
        cls.viewer_key = core.create_api_token(cls.viewer, "tests")[1]
        cls.outsider_key = core.create_api_token(cls.outsider, "tests")[1]

    def api(self, method, key, scenario_id=None):
        path = f"/api/v1/orgs/acme/scenarios/{scenario_id or self.path['scenario'].pk}/frontier"
        return self.client.generic(
            method,
            path + ("/run" if method == "POST" else ""),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    def test_work_out_then_read(self):
        before = self.api("GET", self.viewer_key)
        self.assertEqual(before.status_code, 200)
        self.assertEqual(before.json()["state"], "never")
        self.assertIsNone(before.json()["curve"])
        refused = self.api("POST", self.viewer_key)
        self.assertEqual(refused.status_code, 403)
        self.assertIn("detail", refused.json())
        done = self.api("POST", self.editor_key)
        self.assertEqual(done.status_code, 200, done.content)  # the immediate backend
        curve = done.json()["curve"]
        self.assertEqual(curve["limit"], "one-off budget")
        self.assertEqual(curve["current"], 120.0)
        values = [p["value"] for p in curve["points"]]
        self.assertEqual(values, sorted(values))
        self.assertFalse(done.json()["stale"])
        self.assertEqual(self.api("GET", self.viewer_key).json()["curve"], curve)

    def test_other_organisations_and_bad_ids_are_not_found(self):
        self.assertEqual(self.api("GET", self.outsider_key).status_code, 404)
        self.assertEqual(self.api("POST", self.outsider_key).status_code, 404)
        self.assertEqual(self.api("GET", self.viewer_key, 10**12).status_code, 404)
        other = self.other_path["scenario"].pk
        self.assertEqual(self.api("POST", self.editor_key, other).status_code, 404)
        self.assertFalse(Frontier.objects.exists())
