"""The guideposts: status transitions, decisions, RACI, agendas drafted from live data,
snapshots compared, the calendar, reviews, and the pages' query counts."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

from django.test import SimpleTestCase
from django.utils import timezone
from icalendar import Calendar

from cairn.core import services as core
from cairn.core.models import AuditEvent
from cairn.governance import rules, services
from cairn.governance.models import (
    AgendaItem,
    CommitteeMember,
    Decision,
    Meeting,
    Raci,
    Review,
    Roadblock,
)
from cairn.kpis.models import Kpi, Measurement
from cairn.kpis.services import refresh
from cairn.portfolio.models import Initiative, transition_problem
from cairn.roadmap.models import Milestone
from tests.base import PAGE, CairnTestCase


class RuleTests(SimpleTestCase):
    def test_transitions(self):
        self.assertIn("cannot go from idea to done", transition_problem("idea", "done"))
        self.assertIn(
            "it can become: approved, deferred, proposed, rejected",
            transition_problem("idea", "in_progress"),
        )
        for old, new in [
            ("idea", "proposed"),
            ("proposed", "approved"),
            ("approved", "in_progress"),
            ("in_progress", "done"),
            ("rejected", "idea"),
            ("done", "done"),
        ]:
            with self.subTest(old=old, new=new):
                self.assertEqual(transition_problem(old, new), "")
        self.assertTrue(transition_problem("rejected", "done"))

    def test_raci_rule(self):
        people = ["Ana", "Ben", "Cy"]

        def row(**cells):
            return {"activity": "Choose", "cells": cells}

        self.assertEqual(rules.raci_problems(people, [row(Ana="A", Ben="R", Cy="I")]), [])
        cases = {
            "has no accountable (A)": row(Ana="R", Ben="R"),
            "has 2 accountable (A)": row(Ana="A", Ben="A", Cy="R"),
            "has no one responsible (R)": row(Ana="A", Ben="C"),
            "letters other than R, A, C, I: X": row(Ana="A", Ben="R", Cy="X"),
            "names someone not in the matrix: Dee": row(Ana="A", Ben="R", Dee="I"),
        }
        for message, bad in cases.items():
            with self.subTest(message=message):
                problems = rules.raci_problems(people, [bad])
                self.assertTrue(any(message in p and "“Choose”" in p for p in problems), problems)
        self.assertIn("Add at least one activity.", rules.raci_problems(people, []))
        for preset in rules.PRESETS.values():
            self.assertEqual(rules.raci_problems(preset["people"], preset["rows"]), [])

    def test_meeting_and_review_calendars(self):
        # The first Tuesday of each of the next four quarters.
        self.assertEqual(
            rules.next_meetings(date(2026, 11, 28), 3),
            [date(2027, 1, 5), date(2027, 4, 6), date(2027, 7, 6), date(2027, 10, 5)],
        )
        self.assertEqual(
            rules.next_meetings(date(2026, 12, 31), 1, 2), [date(2027, 1, 5), date(2027, 2, 2)]
        )
        # A financial year starting in April: FY2027 runs April 2026 to March 2027.
        self.assertEqual(
            rules.review_dates(4, date(2026, 11, 28)),
            [
                ("quarterly", "Quarterly check-in, Q3 FY2027 (Oct–Dec 2026)", date(2026, 12, 31)),
                ("annual", "Annual review of FY2027", date(2027, 3, 31)),
                ("quarterly", "Quarterly check-in, Q1 FY2028 (Apr–Jun 2027)", date(2027, 6, 30)),
                ("quarterly", "Quarterly check-in, Q2 FY2028 (Jul–Sep 2027)", date(2027, 9, 30)),
            ],
        )
        self.assertEqual(
            rules.review_dates(1, date(2026, 1, 1))[-1][1:],
            ("Annual review of FY2026", date(2026, 12, 31)),
        )

    def test_compare_in_plain_words(self):
        then = {
            "goals": [{"id": 1, "title": "Grow", "target_date": "2029-01-01"}],
            "initiatives": [
                {"id": 5, "title": "CRM", "status": "proposed"},
                {"id": 6, "title": "Fax", "status": "idea"},
            ],
            "roadmap": [{"id": 5, "title": "CRM", "starts": "Q1 2027", "ends": "Q2 2027"}],
            "kpis": [{"id": 9, "name": "NPS", "unit": "points", "latest_value": 20.0}],
        }
        now = {
            "goals": [
                {"id": 1, "title": "Grow fast", "target_date": "2030-01-01"},
                {"id": 2, "title": "Cut costs", "target_date": "2029-01-01"},
            ],
            "initiatives": [
                {"id": 5, "title": "CRM", "status": "approved"},
                {"id": 7, "title": "Portal", "status": "idea"},
            ],
            "roadmap": [{"id": 5, "title": "CRM", "starts": "Q2 2027", "ends": "Q3 2027"}],
            "kpis": [
                {
                    "id": 9,
                    "name": "NPS",
                    "unit": "points",
                    "latest_value": 31.5,
                    "status_label": "On track",
                }
            ],
        }
        self.assertEqual(
            rules.compare(then, now),
            [
                ("Goals", "Goal added: “Cut costs”."),
                ("Goals", "Goal renamed from “Grow” to “Grow fast”."),
                ("Goals", "“Grow fast” now aims for 2030-01-01 (was 2029-01-01)."),
                ("Initiatives", "New initiative: “Portal” (idea)."),
                ("Initiatives", "Initiative dropped from the list: “Fax”."),
                ("Initiatives", "“CRM” approved (was proposed)."),
                ("Roadmap", "“CRM” moved: Q1 2027–Q2 2027 then, Q2 2027–Q3 2027 now."),
                ("KPIs", "NPS: 20 points then, 31.5 points now (On track)."),
            ],
        )
        self.assertEqual(rules.compare(now, now), [])


class DecisionTests(CairnTestCase):
    def test_approving_changes_the_initiative_and_records_who(self):
        idea = self.path["initiative"]
        before = AuditEvent.objects.count()
        decision = services.decide(
            self.org,
            title="Approve it",
            outcome="Worth it.",
            change="approve",
            initiatives=[idea],
            meeting=self.guideposts["meeting"],
            actor=self.editor,
        )
        idea.refresh_from_db()
        self.assertEqual((idea.status, idea.version), ("approved", 2))
        self.assertEqual(decision.taken_by, self.editor)
        # the decision, the change, and the initiative's new place on the roadmap
        self.assertEqual(AuditEvent.objects.count(), before + 3)

    def test_a_forbidden_move_is_refused_whole(self):
        done = Initiative.objects.create(organization=self.org, title="Old", status="done")
        idea = self.path["initiative"]
        with self.assertRaises(core.ServiceError) as caught:
            services.decide(
                self.org,
                title="Defer both",
                outcome="x",
                change="defer",
                initiatives=[idea, done],
                actor=self.editor,
            )
        self.assertIn("cannot go from done to deferred", str(caught.exception))
        idea.refresh_from_db()
        self.assertEqual(idea.status, "idea")
        self.assertFalse(Decision.objects.filter(title="Defer both").exists())

    def test_from_the_meeting_page(self):
        self.login("editor")
        idea = self.path["initiative"]
        meeting = self.guideposts["meeting"]
        response = self.client.post(
            self.url("governance:meeting_decide", meeting.pk),
            {"initiative": idea.pk, "change": "approve", "outcome": "Clear business case."},
            follow=True,
        )
        self.assertContains(response, f"Approved: {idea.title}")
        idea.refresh_from_db()
        self.assertEqual(idea.status, "approved")
        self.assertTrue(meeting.decisions.filter(initiatives=idea, change="approve").exists())

    def test_the_initiative_form_follows_the_transitions(self):
        self.login("editor")
        idea = self.path["initiative"]
        from tests.test_kpi_dashboard import DashboardCacheTests

        data = DashboardCacheTests.initiative_form(self, idea)
        response = self.client.post(
            self.url("portfolio:initiative_edit", idea.pk), {**data, "status": "done"}
        )
        self.assertContains(response, "An initiative cannot go from idea to done")
        idea.refresh_from_db()
        self.assertEqual(idea.status, "idea")

    def test_through_the_api_as_in_the_ui(self):
        _, key = core.create_api_token(self.editor, "t")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        idea = self.path["initiative"]

        def post(path, body):
            return self.client.post(
                f"/api/v1/orgs/acme/{path}",
                json.dumps(body),
                content_type="application/json",
                **auth,
            )

        response = post(
            "decisions",
            {"title": "Go", "outcome": "Yes", "change": "approve", "initiative_ids": [idea.pk]},
        )
        self.assertEqual(response.status_code, 201, response.content)
        idea.refresh_from_db()
        self.assertEqual(idea.status, "approved")
        refused = post(
            "decisions",
            {
                "title": "Skip",
                "outcome": "x",
                "change": "reject",
                "initiative_ids": [self.roadmap["first"].pk],
            },
        )
        self.assertEqual(refused.status_code, 200 if False else 400)
        self.assertIn("cannot go from in progress to rejected", refused.json()["detail"])
        foreign = post(
            "decisions",
            {
                "title": "x",
                "outcome": "x",
                "change": "approve",
                "initiative_ids": [self.other_path["initiative"].pk],
            },
        )
        self.assertEqual(foreign.status_code, 422)
        patched = self.client.patch(
            f"/api/v1/orgs/acme/initiatives/{self.path['base'].pk}",
            json.dumps({"status": "done"}),
            content_type="application/json",
            **auth,
        )
        self.assertEqual(patched.status_code, 422)


class RaciPageTests(CairnTestCase):
    def test_saving_checks_the_rule_and_says_which_activity(self):
        raci = self.guideposts["raci"]
        self.login("editor")
        url = self.url("governance:raci_save", raci.pk)
        data = {
            "person-0": "COO",
            "person-1": "IT director",
            "activity-0": "Choose",
            "cell-0-0": "A",
            "cell-0-1": "A",
        }
        response = self.client.post(url, data)
        self.assertContains(response, "“Choose” has 2 accountable (A)", status_code=422)
        raci.refresh_from_db()
        self.assertEqual(len(raci.rows), 3)  # unchanged
        data["cell-0-1"] = "R"
        self.client.post(url, {**data, "person-2": "CFO", "activity-1": ""})
        raci.refresh_from_db()
        self.assertEqual(raci.people, ["COO", "IT director", "CFO"])
        self.assertEqual(
            raci.rows, [{"activity": "Choose", "cells": {"COO": "A", "IT director": "R"}}]
        )

    def test_accountable_view_and_preset(self):
        self.login("editor")
        response = self.client.post(
            self.url("governance:raci_create"), {"preset": "erp", "title": "Choose the ERP"}
        )
        raci = Raci.objects.get(organization=self.org, title="Choose the ERP")
        self.assertRedirects(response, self.url("governance:raci_detail", raci.pk))
        self.assertEqual(raci.people[2], "COO")
        page = self.client.get(self.url("governance:accountable") + "?person=coo")
        self.assertContains(page, "Gather requirements")
        self.assertContains(page, "Accountable")


class AgendaTests(CairnTestCase):
    def test_drafted_from_live_data_each_point_linked_and_added_once(self):
        today = timezone.localdate()
        proposed = Initiative.objects.create(
            organization=self.org, title="Portal", status="proposed"
        )
        Milestone.objects.filter(organization=self.org).update(due=today - timedelta(days=3))
        kpi = self.ascent["kpi"]  # last measured 31 March 2025: stale
        Review.objects.create(organization=self.org, kind="quarterly", title="Q check", due=today)
        kinds = {d.kind: d for d in services.draft_agenda(self.org, today)}
        self.assertEqual(  # execution: the base's status report is amber
            set(kinds),
            {"approval", "roadblock", "milestone", "kpi", "action", "review", "execution"},
        )
        self.assertEqual(
            kinds["approval"].url, self.url("portfolio:initiative_detail", proposed.pk)
        )
        self.assertIn(kpi.name, kinds["kpi"].title)
        meeting = self.guideposts["meeting"]
        first = services.add_drafted_agenda(meeting, actor=self.editor)
        self.assertEqual(first, len(services.draft_agenda(self.org, today)))
        self.assertEqual(services.add_drafted_agenda(meeting, actor=self.editor), 0)
        self.assertEqual(meeting.agenda.count(), first + 1)  # and the point added by hand

    def test_briefing_pack_in_html_and_pdf(self):
        services.add_drafted_agenda(self.guideposts["meeting"], actor=self.editor)
        Initiative.objects.filter(pk=self.path["initiative"].pk).update(status="proposed")
        AgendaItem.objects.all().delete()
        services.add_drafted_agenda(self.guideposts["meeting"], actor=self.editor)
        self.login("viewer")
        html = self.client.get(
            self.url("governance:meeting_briefing", self.guideposts["meeting"].pk)
        )
        self.assertContains(html, "Impact and feasibility")
        pdf = self.client.get(
            self.url("governance:meeting_briefing_pdf", self.guideposts["meeting"].pk)
        )
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
        ).stdout.decode()
        self.assertIn("Approve, defer or reject", text)
        self.assertIn(self.path["initiative"].title, text)


class ReviewAndCalendarTests(CairnTestCase):
    def test_completing_keeps_a_snapshot_and_what_changed_reads_plainly(self):
        review = Review.objects.create(
            organization=self.org, kind="annual", title="FY", due=date(2027, 3, 31)
        )
        self.login("editor")
        self.client.post(
            self.url("governance:review_complete", review.pk), {"summary": "On course."}
        )
        review.refresh_from_db()
        self.assertEqual(review.completed_by, self.editor)
        self.assertEqual({g["title"] for g in review.snapshot["goals"]}, {self.goal.title})
        again = self.client.post(
            self.url("governance:review_complete", review.pk), {"summary": "x"}, follow=True
        )
        self.assertContains(again, "already complete")
        services.decide(
            self.org,
            title="Go",
            outcome="Yes",
            change="approve",
            initiatives=[self.path["initiative"]],
            actor=self.editor,
        )
        Measurement.objects.create(kpi=self.ascent["kpi"], date=date(2025, 4, 30), value=150)
        refresh([self.ascent["kpi"].pk])
        page = self.client.get(self.url("governance:review_compare", review.pk) + "?with=today")
        self.assertContains(page, f"“{self.path['initiative'].title}” approved (was idea).")
        self.assertContains(page, "Orders: 120 then, 150 now")

    def test_calendar_feed_parsed_back_and_revoked(self):
        self.login("owner")
        self.client.post(self.url("governance:calendar_new"))
        overview = self.client.get(self.url("governance:overview"))
        key = overview.context["new_feed_key"]
        self.assertTrue(key)
        self.client.logout()
        feed = self.client.get(f"/calendar/{key}.ics")
        self.assertEqual(feed.status_code, 200)
        calendar = Calendar.from_ical(feed.content)
        summaries = {str(e["summary"]) for e in calendar.walk("VEVENT")}
        self.assertIn(self.guideposts["meeting"].title, summaries)
        self.assertNotIn("Globex secret Q1 meeting", summaries)
        self.assertEqual(self.client.get("/calendar/not-the-key.ics").status_code, 404)
        self.login("owner")
        self.client.post(self.url("governance:calendar_revoke"))
        self.client.logout()
        self.assertEqual(self.client.get(f"/calendar/{key}.ics").status_code, 404)

    def test_a_meeting_as_a_calendar_file(self):
        self.login("viewer")
        response = self.client.get(
            self.url("governance:meeting_ics", self.guideposts["meeting"].pk)
        )
        event = Calendar.from_ical(response.content).walk("VEVENT")[0]
        self.assertEqual(event.decoded("dtstart").date(), date(2026, 1, 6))
        self.assertIn("Budget", str(event["description"]))

    def test_due_reviews_show_in_the_menu(self):
        self.login("viewer")
        page = self.client.get(self.url("governance:overview"))
        self.assertNotContains(page, "Strategy reviews due")
        Review.objects.create(
            organization=self.org,
            kind="quarterly",
            title="Check",
            due=timezone.localdate() + timedelta(days=10),
        )
        page = self.client.get(self.url("governance:overview"))
        self.assertContains(page, "Strategy reviews due within a month or overdue")


class CommitteeTests(CairnTestCase):
    def test_warnings_plan_the_year_and_one_chair(self):
        members = list(CommitteeMember.objects.filter(organization=self.org))
        self.assertEqual(services.warnings(members), [])
        self.assertIn(
            "No one from IT", services.warnings([m for m in members if m.side == "business"])[0]
        )
        created = services.plan_year(self.org, actor=self.editor, today=date(2026, 11, 28))
        self.assertEqual([m.held_on for m in created], rules.next_meetings(date(2026, 11, 28), 3))
        self.assertEqual(
            services.plan_year(self.org, actor=self.editor, today=date(2026, 11, 28)), []
        )
        self.login("editor")
        self.client.post(
            self.url("governance:member_create"),
            {"name": "New chair", "side": "business", "is_chair": "on"},
        )
        chairs = CommitteeMember.objects.filter(organization=self.org, is_chair=True)
        self.assertEqual([c.name for c in chairs], ["New chair"])

    def test_roadblock_stays_open_until_its_removal_is_recorded(self):
        roadblock = self.guideposts["roadblock"]
        self.login("editor")
        response = self.client.post(
            self.url("governance:roadblock_remove", roadblock.pk), {"how": ""}, follow=True
        )
        self.assertContains(response, "Say how the roadblock was removed.")
        self.client.post(
            self.url("governance:roadblock_remove", roadblock.pk), {"how": "Contract signed"}
        )
        roadblock.refresh_from_db()
        self.assertEqual((roadblock.is_open, roadblock.how_removed), (False, "Contract signed"))

    def test_buy_in_page(self):
        Kpi.objects.filter(pk=self.ascent["kpi"].pk).first().initiatives.add(
            self.path["initiative"]
        )
        self.path["initiative"].pain_points.add(self.pain)
        self.login("viewer")
        page = self.client.get(self.url("governance:buy_in", self.interview.pk))
        self.assertContains(page, self.pain.title)
        self.assertContains(page, self.path["initiative"].title)
        self.assertContains(page, "Will show in:")

    def test_query_counts_do_not_grow(self):
        self.login("viewer")
        g = self.guideposts
        pages = [
            ("governance:overview", [], PAGE + 7),
            ("governance:meeting_detail", [g["meeting"].pk], PAGE + 6),
            ("governance:decision_list", [], PAGE + 3),
            ("governance:roadblock_list", [], PAGE + 1),
            ("governance:raci_list", [], PAGE + 1),
            ("governance:raci_detail", [g["raci"].pk], PAGE + 1),
            ("governance:review_detail", [g["review"].pk], PAGE + 2),
            ("governance:buy_in_list", [], PAGE + 1),
        ]

        def check():
            for name, args, expected in pages:
                with self.subTest(page=name):
                    self.assertQueryCount(expected, self.client.get, self.url(name, *args))

        check()
        meeting = g["meeting"]
        for i in range(5):
            services.decide(
                self.org,
                title=f"D{i}",
                outcome="ok",
                meeting=meeting,
                initiatives=[self.path["initiative"]],
                actor=self.editor,
            )
            AgendaItem.objects.create(meeting=meeting, title=f"Point {i}")
            Roadblock.objects.create(
                organization=self.org, initiative=self.path["initiative"], description=f"Block {i}"
            )
            Meeting.objects.create(
                organization=self.org,
                committee=meeting.committee,
                title=f"M{i}",
                held_on=date(2027, 1, 1 + i),
            )
        check()


class EmbeddingTests(CairnTestCase):
    def test_a_note_becomes_a_pain_point_or_an_idea_in_one_step(self):
        visit = self.guideposts["visit"]
        self.login("editor")
        self.client.post(self.url("governance:visit_convert", visit.pk, "pain-point"))
        visit.refresh_from_db()
        self.assertEqual(visit.pain_point.title, "Reps retype every quote into the CRM")
        self.assertIn("Heard by Raj at Weekly sales review", visit.pain_point.description)
        again = self.client.post(
            self.url("governance:visit_convert", visit.pk, "pain-point"), follow=True
        )
        self.assertContains(again, "already a pain point")
        self.client.post(self.url("governance:visit_convert", visit.pk, "idea"))
        visit.refresh_from_db()
        self.assertEqual(visit.initiative.status, "idea")
        self.assertEqual(
            self.client.post(self.url("governance:visit_convert", visit.pk, "other")).status_code,
            404,
        )
        self.login("viewer")
        page = self.client.get(self.url("governance:visit_list"))
        self.assertContains(page, "became a pain point")
        self.assertContains(page, "became an initiative idea")
