"""The seams between the steps: from a scenario to approved, scheduled work on the roadmap."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.governance.models import Decision, Meeting
from cairn.governance.services import approve_and_schedule, committee_for
from cairn.kpis.models import Kpi
from cairn.portfolio import services as portfolio
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import Plan, RoadmapItem
from tests.base import CairnTestCase


class ApproveAndScheduleTests(CairnTestCase):
    def setUp(self):
        self.scenario = self.path["scenario"]
        portfolio.run_scenario(self.scenario, actor=self.editor)
        self.scenario.refresh_from_db()
        self.chosen = list(portfolio.chosen_initiatives(self.scenario))

    def test_one_decision_approves_the_choice_and_the_roadmap_shows_it(self):
        self.assertTrue(self.chosen)
        decision, plan = approve_and_schedule(self.scenario, actor=self.editor)
        self.assertEqual(decision.change, "approve")
        self.assertEqual(decision.meeting, None)
        self.assertEqual(decision.decided_on, timezone.localdate())
        self.assertEqual(set(decision.initiatives.all()), set(self.chosen))
        for initiative in self.chosen:
            initiative.refresh_from_db()
            self.assertEqual(initiative.status, "approved")
            item = RoadmapItem.objects.get(initiative=initiative)
            self.assertIsNotNone(item.start, "placed by the scheduler at once")
        self.assertEqual(plan.state, "done")

    def test_in_a_meeting_the_decision_is_dated_the_meeting_day(self):
        held = timezone.localdate() - timedelta(days=3)
        meeting = Meeting.objects.create(
            organization=self.org, committee=self._committee(), held_on=held
        )
        decision, _ = approve_and_schedule(self.scenario, meeting=meeting, actor=self.editor)
        self.assertEqual((decision.meeting, decision.decided_on), (meeting, held))

    def _committee(self):
        from cairn.governance.services import saved_committee

        return (
            committee_for(self.org)
            if committee_for(self.org).pk
            else saved_committee(self.org, actor=self.editor)
        )

    def test_the_page_approves_and_lands_on_the_roadmap(self):
        self.login("editor")
        url = self.url("governance:scenario_approve", self.scenario.pk)
        page = self.client.get(url)
        for initiative in self.chosen:
            self.assertContains(page, initiative.title)
        self.assertContains(page, "→ approved")
        response = self.client.post(url, {"meeting": "", "outcome": "Best value for the budget"})
        self.assertRedirects(response, self.url("roadmap:gantt"), fetch_redirect_response=False)
        decision = Decision.objects.filter(organization=self.org).latest("pk")
        self.assertEqual(decision.outcome, "Best value for the budget")
        roadmap = self.client.get(self.url("roadmap:gantt"))
        self.assertContains(roadmap, "approved. The roadmap places the work")
        for initiative in self.chosen:
            self.assertContains(roadmap, initiative.title)

    def test_a_meeting_of_another_organisation_is_refused(self):
        self.login("editor")
        foreign = Meeting.objects.filter(organization=self.other_org).first()
        self.assertIsNotNone(foreign)
        url = self.url("governance:scenario_approve", self.scenario.pk)
        before = Decision.objects.count()
        page = self.client.post(url, {"meeting": foreign.pk})
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Select a valid choice")
        self.assertEqual(Decision.objects.count(), before)

    def test_a_stale_scenario_is_sent_back_to_run_again(self):
        self.login("editor")
        decisions = Decision.objects.filter(organization=self.org).count()
        Initiative.objects.filter(pk=self.chosen[0].pk).update(one_off_cost=10**6)
        url = self.url("governance:scenario_approve", self.scenario.pk)
        self.assertContains(self.client.get(url), "changed since this run")
        response = self.client.post(url)
        self.assertRedirects(response, self.url("portfolio:scenario_detail", self.scenario.pk))
        self.assertEqual(Decision.objects.filter(organization=self.org).count(), decisions)

    def test_viewers_and_outsiders_cannot_approve(self):
        url = self.url("governance:scenario_approve", self.scenario.pk)
        self.login("viewer")
        self.assertEqual(self.client.post(url).status_code, 403)
        self.login("outsider")
        self.assertEqual(self.client.post(url).status_code, 404)

    def test_proposing_opens_the_decision_form_set_to_approve(self):
        self.login("editor")
        response = self.client.post(self.url("portfolio:scenario_apply", self.scenario.pk))
        self.assertEqual(response.status_code, 302)
        self.assertIn("change=approve", response["Location"])
        form = self.client.get(response["Location"]).context["form"]
        self.assertEqual(form.initial["change"], "approve")
        proposed = Initiative.objects.filter(organization=self.org, status="proposed")
        self.assertEqual(set(form.initial["initiatives"]), {i.pk for i in proposed})
        self.assertTrue(form.initial["title"].startswith("Approved: "))


class InitiativePageTests(CairnTestCase):
    def test_the_approve_button_presets_the_move(self):
        self.login("editor")
        idea = self.path["initiative"]
        page = self.client.get(self.url("portfolio:initiative_detail", idea.pk))
        self.assertContains(page, f"?initiative={idea.pk}&amp;change=approve")
        form = self.client.get(
            self.url("governance:decision_create") + f"?initiative={idea.pk}&change=approve"
        ).context["form"]
        self.assertEqual(
            (form.initial["change"], form.initial["initiatives"]), ("approve", [idea.pk])
        )

    def test_it_shows_its_roadmap_slot_and_kpis(self):
        self.login("viewer")
        item = RoadmapItem.objects.get(initiative=self.roadmap["second"])
        RoadmapItem.objects.filter(pk=item.pk).update(start=1)
        kpi = Kpi.objects.filter(organization=self.org).first()
        kpi.initiatives.add(self.roadmap["second"])
        plan = Plan.for_org(self.org)
        page = self.client.get(self.url("portfolio:initiative_detail", self.roadmap["second"].pk))
        self.assertContains(page, f"{plan.period_label(1)} to {plan.period_label(2)}")
        self.assertContains(page, kpi.name)
        idea = self.client.get(self.url("portfolio:initiative_detail", self.path["initiative"].pk))
        self.assertContains(idea, "the roadmap shows an initiative once it is approved")


class ScenarioFormTests(CairnTestCase):
    def test_save_and_run_in_one_click(self):
        from cairn.portfolio.models import Scenario

        self.login("editor")
        page = self.client.get(self.url("portfolio:scenario_create"))
        self.assertContains(page, "Search for the best portfolio for up to (seconds)")
        self.assertContains(page, "Save and run")
        response = self.client.post(
            self.url("portfolio:scenario_create"),
            {"name": "Tight year", "one_off_budget": "100", "time_limit_s": "10", "run": "1"},
        )
        scenario = Scenario.objects.get(organization=self.org, name="Tight year")
        self.assertRedirects(
            response,
            self.url("portfolio:scenario_detail", scenario.pk),
            fetch_redirect_response=False,
        )
        self.assertEqual((scenario.state, scenario.result["status"]), ("done", "optimal"))
        # "Save" alone saves without running.
        self.client.post(
            self.url("portfolio:scenario_edit", scenario.pk),
            {"name": "Tight year", "one_off_budget": "200", "time_limit_s": "10", "version": 1},
        )
        scenario.refresh_from_db()
        self.assertEqual(scenario.one_off_budget, 200)


class PlannedMeetingTests(CairnTestCase):
    def test_a_planned_meeting_takes_no_decision(self):
        from cairn.core.services import ServiceError
        from cairn.governance.services import decide

        meeting = Meeting.objects.filter(organization=self.org).first()
        Meeting.objects.filter(pk=meeting.pk).update(
            held_on=timezone.localdate() + timedelta(days=7)
        )
        meeting.refresh_from_db()
        before = Decision.objects.count()
        with self.assertRaisesMessage(ServiceError, "has not been held yet"):
            decide(
                self.org,
                title="Approve early",
                outcome="Keen",
                change="approve",
                initiatives=[self.path["initiative"]],
                meeting=meeting,
                actor=self.editor,
            )
        with self.assertRaisesMessage(ServiceError, "cannot be dated in the future"):
            decide(
                self.org,
                title="Later",
                outcome="Keen",
                decided_on=timezone.localdate() + timedelta(days=1),
                actor=self.editor,
            )
        self.assertEqual(Decision.objects.count(), before)
        self.path["initiative"].refresh_from_db()
        self.assertEqual(self.path["initiative"].status, "idea")


class ApprovePageQueryTests(CairnTestCase):
    def test_the_approve_page_costs_the_same_however_many_were_chosen(self):
        scenario = self.path["scenario"]
        self.login("editor")
        url = self.url("governance:scenario_approve", scenario.pk)
        counts = []
        for n in range(2):
            for i in range(3 * n):  # more cheap ideas, all chosen
                Initiative.objects.create(
                    organization=self.org, title=f"Extra {n}-{i}", impact="high"
                )
            portfolio.run_scenario(scenario, actor=self.editor)
            scenario.refresh_from_db()
            with CaptureQueriesContext(connection) as ctx:
                self.assertEqual(self.client.get(url).status_code, 200)
            counts.append(len(ctx.captured_queries))
        self.assertEqual(counts[0], counts[1], counts)
