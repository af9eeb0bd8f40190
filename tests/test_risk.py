"""How likely the dates are: the Monte-Carlo simulation against closed forms."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import numpy as np
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase
from scipy import stats

from cairn.core import services as core
from cairn.core.services import ServiceError
from cairn.portfolio.models import Initiative
from cairn.roadmap import risk
from cairn.roadmap.models import Milestone, RoadmapItem, Simulation
from cairn.solver.portfolio import ProblemError
from cairn.solver.risk import PERT_LAMBDA, Estimate, parse_risk, simulate
from tests.base import CairnTestCase

QUERIES = 7


def exact_pmf(e: Estimate) -> dict[int, float]:
    """The chance of each whole duration: the PERT beta's mass rounded to the nearest."""
    if e.high <= e.low:
        return {int(e.likely): 1.0}
    a = 1 + PERT_LAMBDA * (e.likely - e.low) / (e.high - e.low)
    b = 1 + PERT_LAMBDA * (e.high - e.likely) / (e.high - e.low)
    cdf = stats.beta(a, b).cdf
    out = {}
    for k in range(int(e.low), int(e.high) + 1):
        top = min(1.0, (k + 0.5 - e.low) / (e.high - e.low))
        bottom = max(0.0, (k - 0.5 - e.low) / (e.high - e.low))
        out[k] = float(cdf(top) - cdf(bottom))
    return out


def convolve(*pmfs: dict[int, float]) -> dict[int, float]:
    total = {0: 1.0}
    for pmf in pmfs:
        nxt: dict[int, float] = {}
        for t, p in total.items():
            for k, q in pmf.items():
                nxt[t + k] = nxt.get(t + k, 0.0) + p * q
        total = nxt
    return total


def chain(estimates, **extra) -> dict:
    projects = []
    for n, (low, likely, high) in enumerate(estimates):
        projects.append(
            {
                "id": f"s{n}",
                "duration": likely,
                "after": [f"s{n - 1}"] if n else [],
                "estimate": {"low": low, "high": high},
            }
        )
    return {"projects": projects, "capacity": {}, "horizon": 60, **extra}


class SimulationTests(SimpleTestCase):
    def test_a_single_chain_matches_the_exact_distribution(self):
        estimates = [(2, 3, 7), (1, 2, 4), (3, 4, 9)]
        out = simulate(parse_risk(chain(estimates, runs=20_000, seed=7)))
        pmf = convolve(*(exact_pmf(Estimate(*e)) for e in estimates))
        exact_cdf = np.cumsum([pmf.get(t, 0.0) for t in range(40)])
        simulated = dict(out["finish"]["curve"])
        for t in range(min(simulated), max(simulated) + 1):
            self.assertAlmostEqual(simulated[t], exact_cdf[t], delta=0.015, msg=f"period {t}")
        for q in (50, 80, 95):
            exact = int(np.argmax(exact_cdf >= q / 100))
            got = out["finish"][f"p{q}"]
            # The simulated percentile is the exact one, or a neighbour when the exact CDF
            # is within sampling error of the level there.
            if got != exact:
                self.assertLess(abs(exact_cdf[int(got)] - q / 100), 0.015, (q, got, exact))
        self.assertEqual(out["items"]["s0"]["critical"], 1.0)
        # The last finish is the last item's finish in every run.
        self.assertEqual(
            out["items"]["s2"]["finish"], {k: out["finish"][k] for k in ("p50", "p80", "p95")}
        )

    def test_a_deadline_chance_is_the_closed_form(self):
        data = chain([(2, 2, 6)], runs=20_000, seed=3)
        data["projects"][0]["deadline"] = 3
        out = simulate(parse_risk(data))
        pmf = exact_pmf(Estimate(2, 2, 6))
        self.assertAlmostEqual(out["items"]["s0"]["chance"], pmf[2] + pmf[3], delta=0.012)

    def test_fixed_estimates_replay_the_plan_and_respect_capacity(self):
        # One team of one: the two items cannot overlap, in any run.
        data = {
            "projects": [
                {"id": "a", "duration": 2, "demand": {"team": 1}},
                {"id": "b", "duration": 3, "demand": {"team": 1}},
                {"id": "c", "duration": 1, "after": ["a"]},
            ],
            "capacity": {"team": 1},
            "horizon": 20,
            "start": {"a": 0, "b": 2, "c": 2},
            "runs": 200,
        }
        out = simulate(parse_risk(data))
        self.assertEqual(out["items"]["a"]["finish"]["p95"], 2)
        self.assertEqual(out["items"]["b"]["start"]["p50"], 2)
        self.assertEqual(out["finish"]["p50"], 5)
        # With uncertain durations the team still does one at a time: b starts when a ends.
        data["projects"][0]["estimate"] = {"low": 1, "high": 5}
        out = simulate(parse_risk(data))
        self.assertEqual(out["items"]["b"]["start"], out["items"]["a"]["finish"])
        self.assertGreater(out["items"]["b"]["critical"], 0.99)
        self.assertLess(out["items"]["c"]["critical"], 0.01)
        self.assertEqual(out["tornado"][0]["item"], "a")

    def test_seeded_runs_reproduce(self):
        data = chain([(1, 2, 6), (2, 3, 8)], runs=5_000, seed=11)
        self.assertEqual(simulate(parse_risk(data))["finish"], simulate(parse_risk(data))["finish"])

    def test_cost_percentiles_against_the_budget(self):
        data = chain([(1, 1, 1)], runs=20_000, budget=1000)
        data["projects"][0]["cost"] = {"low": 800, "likely": 900, "high": 1400}
        out = simulate(parse_risk(data))["cost"]
        a = 1 + PERT_LAMBDA * 100 / 600
        b = 1 + PERT_LAMBDA * 500 / 600
        self.assertAlmostEqual(out["chance"], stats.beta(a, b).cdf(200 / 600), delta=0.012)
        p80 = 800 + 600 * stats.beta(a, b).ppf(0.8)
        self.assertAlmostEqual(out["p80"], p80, delta=12)

    def test_bad_estimates_are_refused_in_plain_words(self):
        data = chain([(4, 3, 7)])
        with self.assertRaisesMessage(ProblemError, "best case, most likely and worst case"):
            parse_risk(data)
        with self.assertRaisesMessage(ProblemError, "runs must be"):
            parse_risk(chain([(1, 2, 3)], runs=0))
        result = subprocess.run(
            [sys.executable, "-m", "cairn.cli", "simulate", "-"],
            input=json.dumps(chain([(1, 2, 3)], runs=500)),
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["runs"], 500)


class RiskPageTests(CairnTestCase):
    def setUp(self):
        RoadmapItem.objects.filter(pk=self.roadmap["item"].pk).update(
            duration_best=1, duration_worst=5
        )
        Initiative.objects.filter(pk=self.roadmap["second"].pk).update(
            one_off_cost_best=300, one_off_cost_worst=900
        )

    def page(self):
        return self.client.get(self.url("roadmap:risk"))

    def test_empty_then_simulated_by_an_editor(self):
        self.login("viewer")
        self.assertContains(self.page(), "Not simulated yet")
        self.assertEqual(self.client.post(self.url("roadmap:risk_run")).status_code, 403)
        self.assertFalse(Simulation.objects.exists(), "reading writes nothing")
        self.login("editor")
        audits = self.audit_count()
        response = self.client.post(self.url("roadmap:risk_run"), follow=True)
        row = Simulation.objects.get(organization=self.org)
        self.assertEqual(row.state, "done", row.error)
        self.assertEqual(self.audit_count(), audits + 1)
        self.assertContains(response, "likely by")
        self.assertContains(response, "Pilot live")
        self.assertContains(response, 'id="tornado-data"')
        self.assertContains(response, 'data-milestone="milestone-data-1"')
        key = str(self.roadmap["item"].pk)
        figures = row.result["items"][key]
        self.assertLessEqual(figures["finish"]["p50"], figures["finish"]["p80"])
        self.assertLessEqual(figures["finish"]["p80"], figures["finish"]["p95"])
        self.assertGreater(row.result["cost"]["p95"], row.result["cost"]["likely"])

    def test_query_count_is_fixed(self):
        risk.work_out(risk.saved(self.org).pk)
        self.login("viewer")
        self.assertQueryCount(QUERIES, self.page)
        Milestone.objects.create(
            organization=self.org,
            initiative=self.roadmap["first"],
            title="Data clean",
            due=date(2027, 1, 10),
        )
        risk.work_out(risk.saved(self.org).pk)
        self.assertQueryCount(QUERIES, self.page)

    def test_nothing_on_the_roadmap_fails_in_words(self):
        RoadmapItem.objects.filter(organization=self.org).delete()
        with self.assertRaises(ServiceError):
            risk.work_out(risk.saved(self.org).pk)
        self.login("viewer")
        self.assertContains(self.page(), "There is nothing on the roadmap to simulate yet.")

    def test_estimates_out_of_order_are_refused_and_not_stored(self):
        self.login("editor")
        item = self.roadmap["item"]
        edit = self.client.post(
            self.url("roadmap:item_edit", item.pk),
            {"duration": 2, "duration_best": 3, "duration_worst": 1, "earliest": 0},
        )
        self.assertContains(edit, "cannot take longer than expected")
        item.refresh_from_db()
        self.assertEqual((item.duration_best, item.duration_worst), (1, 5))
        key = core.create_api_token(self.editor, "tests")[1]
        answer = self.client.patch(
            f"/api/v1/orgs/acme/roadmap/items/{item.pk}",
            data=json.dumps({"duration_worst": 1}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        self.assertEqual(answer.status_code, 422)
        self.assertIn("less time than expected", answer.json()["detail"])
        initiative = self.roadmap["second"]
        initiative.one_off_cost_best = 500  # more than the 400 expected
        with self.assertRaises(ValidationError):
            initiative.full_clean()

    def test_api_and_tenancy(self):
        keys = {p: core.create_api_token(self.users[p], "tests")[1] for p in self.users}

        def call(method, persona):
            return self.client.generic(
                method,
                "/api/v1/orgs/acme/roadmap/simulation" + ("/run" if method == "POST" else ""),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {keys[persona]}",
            )

        self.assertEqual(call("GET", "viewer").json()["state"], "never")
        self.assertEqual(call("POST", "viewer").status_code, 403)
        self.assertEqual(call("GET", "outsider").status_code, 404)
        self.assertEqual(call("POST", "outsider").status_code, 404)
        done = call("POST", "editor")
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual(done.json()["figures"]["runs"], 10_000)
        self.assertIn("Pilot live", str(call("GET", "viewer").json()["figures"]))
        self.login("outsider")
        self.assertEqual(self.page().status_code, 404)
        self.assertFalse(Simulation.objects.filter(organization=self.other_org).exists())

    def test_the_briefing_and_the_strategy_document_say_how_sure_the_dates_are(self):
        from cairn.documents.content import gather as document

        self.login("viewer")
        briefing = self.url("governance:meeting_briefing", self.guideposts["meeting"].pk)
        self.assertNotContains(self.client.get(briefing), "How likely the dates are")
        risk.work_out(risk.saved(self.org).pk)
        page = self.client.get(briefing)
        self.assertContains(page, "How likely the dates are")
        self.assertContains(page, "Pilot live, due 1 Mar 2027")
        self.assertContains(page, "likely on time")
        roadmap = document(self.org)["roadmap"]
        self.assertRegex(roadmap["likely"], r"^80% likely by \d+ \w+ 20\d\d$")
        (pilot,) = [m for m in roadmap["milestones"] if m["title"] == "Pilot live"]
        self.assertRegex(pilot["likely"], r"^80% likely by .*; \d+% likely on time$")
