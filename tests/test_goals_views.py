"""The destination pages: create, change, delete, HTMX, bad input, query counts."""

from cairn.core.models import AuditEvent
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint
from tests.base import PAGE, CairnTestCase, make_goal, make_mission, make_pain

GOAL = {"title": "Lead in service", "target_date": "2030-12-31", "priority": "1"}


class DestinationPageTests(CairnTestCase):
    def test_goals_in_priority_order_with_missions_and_flags(self):
        low = make_goal(self.org, "Low one", priority=3)
        high = make_goal(self.org, "High one", priority=1)
        self.login("viewer")
        response = self.client.get(self.url("goals:destination"))
        self.assertEqual(response.status_code, 200)
        goals = list(response.context["goals"])
        self.assertEqual(goals[0], high)
        self.assertEqual(goals[-1], low)
        self.assertContains(response, self.mission.statement)
        self.assertContains(response, self.pain.title)
        self.assertContains(response, "No IT mission yet", count=2)  # high and low
        self.assertEqual(response.context["stats"]["without_mission"], 2)
        self.assertNotContains(response, "Globex secret")
        self.assertNotContains(response, "Add a goal")  # viewers see no edit buttons

    def test_empty_destination_says_what_belongs_there(self):
        BusinessGoal.objects.filter(organization=self.org).delete()
        self.login("editor")
        response = self.client.get(self.url("goals:destination"))
        self.assertContains(response, "No business goals yet")
        self.assertContains(response, "Add your first goal")

    def test_query_count_does_not_grow_with_goals(self):
        self.login("owner")
        url = self.url("goals:destination")
        # the page's (PAGE); goals, missions, pain points (+interview), interview count,
        # unlinked pain count
        self.assertQueryCount(PAGE + 5, self.client.get, url)
        for i in range(15):
            goal = make_goal(self.org, f"Goal {i}")
            make_mission(self.org, [goal], f"Mission {i}")
            make_pain(self.org, f"Pain {i}", goals=[goal, self.goal])
        self.assertQueryCount(PAGE + 5, self.client.get, url)

    def test_other_pages_have_fixed_query_counts(self):
        self.login("owner")
        # Every page: PAGE (session, user, membership, switcher, inbox bell);
        # then what the page itself needs.
        for name, args, expected in [
            # goals, interviews, pain points, members, SWOT, capabilities, applications,
            # initiatives, scenarios, roadmap items placed, milestones
            # + the 3 of the suggested goals, the execution card's 11, the 14 checklist steps
            ("org_home", [], PAGE + 1 + 11 + 3 + 11 + 14),
            ("goals:interview_list", [], PAGE + 1),  # interviews with pain counts
            ("goals:interview_detail", [self.interview.pk], PAGE + 3),  # interview, pains, goals
            ("goals:painpoint_list", [], PAGE + 2),  # pains with interviews, their goals
            ("goals:goal_detail", [self.goal.pk], PAGE + 3),  # goal, missions, pains
            ("activity", [], PAGE + 5),  # count, kinds, one page of events; trash: purge, list
            ("members", [], PAGE + 2),  # members with users, invitations
        ]:
            with self.subTest(page=name):
                url = self.url(name, *args)
                self.assertQueryCount(expected, self.client.get, url)
                for i in range(5):
                    pain = make_pain(
                        self.org, f"More {i}", goals=[self.goal], interview=self.interview
                    )
                    AuditEvent.objects.create(
                        organization=self.org,
                        action="create",
                        object_type="goals.painpoint",
                        object_id=pain.pk,
                        object_repr=str(pain),
                    )
                self.assertQueryCount(expected, self.client.get, url)


class GoalFormTests(CairnTestCase):
    def test_create_goal(self):
        self.login("editor")
        response = self.client.post(self.url("goals:goal_create"), GOAL)
        goal = BusinessGoal.objects.get(title="Lead in service")
        self.assertRedirects(response, self.url("goals:destination") + f"#goal-{goal.pk}")
        self.assertEqual(goal.organization, self.org)
        self.assertEqual(goal.priority, 1)
        self.assertTrue(AuditEvent.objects.filter(object_id=goal.pk, action="create").exists())

    def test_far_target_date_is_saved_with_a_warning(self):
        self.login("editor")
        response = self.client.post(
            self.url("goals:goal_create"), {**GOAL, "target_date": "2045-01-01"}, follow=True
        )
        self.assertTrue(BusinessGoal.objects.filter(title="Lead in service").exists())
        self.assertContains(response, "More than 10 years away")

    def test_bad_input_shows_field_errors_and_writes_nothing(self):
        self.login("editor")
        before = (BusinessGoal.objects.count(), AuditEvent.objects.count())
        cases = [
            ({**GOAL, "title": ""}, "title", "This field is required."),
            ({**GOAL, "title": "   "}, "title", "This field is required."),
            ({**GOAL, "title": "x" * 201}, "title", "at most 200 characters"),
            ({**GOAL, "description": "y" * 5001}, "description", "at most 5000 characters"),
            ({**GOAL, "target_date": "2030-13-45"}, "target_date", "Enter a valid date."),
            ({**GOAL, "target_date": "soon"}, "target_date", "Enter a valid date."),
            ({**GOAL, "priority": "9"}, "priority", "not one of the available choices"),
        ]
        for data, field, message in cases:
            with self.subTest(field=field, message=message):
                response = self.client.post(self.url("goals:goal_create"), data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(field, response.context["form"].errors)
                self.assertContains(response, message)
        self.assertEqual((BusinessGoal.objects.count(), AuditEvent.objects.count()), before)

    def test_mission_refuses_another_organisations_goal(self):
        self.login("editor")
        response = self.client.post(
            self.url("goals:mission_create"),
            {"statement": "Sneaky", "goals": [self.other_goal.pk]},
        )
        self.assertContains(response, "not one of the available choices")
        self.assertFalse(ITMission.objects.filter(statement="Sneaky").exists())

    def test_mission_needs_a_goal(self):
        self.login("editor")
        response = self.client.post(self.url("goals:mission_create"), {"statement": "Alone"})
        self.assertContains(response, "This field is required.")

    def test_huge_ids_are_refused_without_error(self):
        self.login("editor")
        response = self.client.post(
            self.url("goals:painpoint_create"),
            {"title": "Big", "severity": 3, "goals": [2**70], "interview": 2**70},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("goals", response.context["form"].errors)
        self.assertEqual(self.client.get(f"/o/acme/goals/{2**70}/").status_code, 404)

    def test_edit_with_stale_version_is_a_conflict(self):
        self.login("editor")
        BusinessGoal.objects.filter(pk=self.goal.pk).update(version=5)
        response = self.client.post(
            self.url("goals:goal_edit", self.goal.pk), {**GOAL, "seen_version": 4}
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "Someone else changed this business goal", status_code=409)
        self.assertEqual(BusinessGoal.objects.get(pk=self.goal.pk).title, "Grow market share")

    def test_edit_keeps_version_from_the_form(self):
        self.login("editor")
        page = self.client.get(self.url("goals:goal_edit", self.goal.pk))
        self.assertContains(page, 'name="seen_version" value="1"')
        self.client.post(self.url("goals:goal_edit", self.goal.pk), {**GOAL, "seen_version": 1})
        goal = BusinessGoal.objects.get(pk=self.goal.pk)
        self.assertEqual((goal.title, goal.version), ("Lead in service", 2))

    def test_delete_goal_keeps_missions(self):
        self.login("editor")
        url = self.url("goals:goal_delete", self.goal.pk)
        self.assertContains(self.client.get(url), "Delete this business goal?")
        self.assertRedirects(self.client.post(url), self.url("goals:destination"))
        self.assertFalse(BusinessGoal.objects.filter(pk=self.goal.pk).exists())
        self.assertTrue(ITMission.objects.filter(pk=self.mission.pk).exists())

    def test_interview_and_pain_point_flow(self):
        self.login("editor")
        response = self.client.post(
            self.url("goals:interview_create"),
            {
                "stakeholder_name": "Grace",
                "stakeholder_role": "COO",
                "held_on": "2026-10-14",
                "keeps_up_at_night": "Customers calling three times",
            },
        )
        interview = Interview.objects.get(stakeholder_name="Grace")
        self.assertRedirects(response, self.url("goals:interview_detail", interview.pk))
        create = self.url("goals:painpoint_create") + f"?interview={interview.pk}"
        self.assertRegex(
            self.client.get(create).content.decode(), rf'<option value="{interview.pk}" selected'
        )
        self.client.post(
            create,
            {
                "title": "Agents lack history",
                "severity": 5,
                "interview": interview.pk,
                "goals": [self.goal.pk],
            },
        )
        pain = PainPoint.objects.get(title="Agents lack history")
        self.assertEqual(list(pain.goals.all()), [self.goal])
        detail = self.client.get(self.url("goals:interview_detail", interview.pk))
        self.assertContains(detail, "Agents lack history")
        self.assertContains(detail, "“Customers calling three times”")


class HtmxTests(CairnTestCase):
    def test_inline_mission_form_and_card_refresh(self):
        self.login("editor")
        goal = make_goal(self.org, "Needs a mission")
        url = self.url("goals:mission_create") + f"?goal={goal.pk}"
        form = self.client.get(url, HTTP_HX_REQUEST="true")
        self.assertContains(form, "<form")
        self.assertNotContains(form, "<html")
        self.assertRegex(form.content.decode(), rf'value="{goal.pk}"[^>]*checked')
        bad = self.client.post(url, {"statement": "", "goals": [goal.pk]}, HTTP_HX_REQUEST="true")
        self.assertEqual(bad.status_code, 422)
        self.assertContains(bad, "This field is required.", status_code=422)
        ok = self.client.post(
            url,
            {"statement": "IT answers in one contact", "goals": [goal.pk]},
            HTTP_HX_REQUEST="true",
        )
        self.assertEqual(ok["HX-Retarget"], f"#goal-{goal.pk}")
        self.assertContains(ok, "IT answers in one contact")
        self.assertNotContains(ok, "No IT mission yet")
        # The page's figures come along out of band: no goal is without a mission now.
        self.assertContains(
            ok, '<div class="row row-cards mb-3" id="destination-stats" hx-swap-oob="true">'
        )
        self.assertRegex(
            ok.content.decode(),
            r'<div class="h1 mb-0">0</div><div class="text-secondary">goals without an IT mission',
        )

    def test_inline_mission_answer_has_a_fixed_query_count(self):
        self.login("editor")
        goal = make_goal(self.org, "Needs a mission")
        url = self.url("goals:mission_create") + f"?goal={goal.pk}"
        data = {"statement": "IT answers in one contact", "goals": [goal.pk]}
        # session, user, membership+org; the chosen goals; the save (two savepoints, the
        # insert, its goal links read and written, a release, the goals for the audit, the
        # audit event, a release); the card (goal, missions, pain points); the figures
        # (goals with and without a mission, interviews, unlinked pain points)
        first = self.assertQueryCount(
            3 + 1 + 9 + 3 + 3, self.client.post, url, data, HTTP_HX_REQUEST="true"
        )
        self.assertContains(first, 'id="destination-stats"')

    def test_htmx_form_without_card_redirects(self):
        self.login("editor")
        response = self.client.post(self.url("goals:goal_create"), GOAL, HTTP_HX_REQUEST="true")
        self.assertEqual(response.status_code, 204)
        self.assertIn("/destination/", response["HX-Redirect"])


class PlainTitleTests(CairnTestCase):
    def test_initiative_pain_point_and_kpi_titles_are_checked_as_typed(self):
        import re

        self.login("editor")
        check = self.url("language:check")
        for page, field in [
            ("goals:painpoint_create", "title"),
            ("portfolio:initiative_create", "title"),
            ("kpis:kpi_create", "name"),
        ]:
            with self.subTest(page=page):
                html = self.client.get(self.url(page)).content.decode()
                tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', html).group(0)
                self.assertIn(f'hx-post="{check}"', tag)
                self.assertIn("data-plain-check", tag)
                after = html[html.index(tag) + len(tag) :]
                self.assertTrue(after.lstrip().startswith('<div class="plain-check'), page)
        # Other short fields stay unchecked: a goal's owner name is not prose.
        html = self.client.get(self.url("goals:goal_create")).content.decode()
        tag = re.search(r'<input[^>]*name="owner_name"[^>]*>', html).group(0)
        self.assertNotIn("hx-post", tag)
        # The check reads the title it is sent.
        answer = self.client.post(
            check, {"title": "Leverage synergies"}, HTTP_HX_TRIGGER_NAME="title"
        )
        self.assertContains(answer, "try “use”")


class NothingRecordedAheadTests(CairnTestCase):
    """Interviews and decisions are recorded once they happened; a future meeting is planned."""

    def test_the_interview_form_says_what_comes_next_and_starts_today(self):
        from django.utils import timezone

        self.login("editor")
        form = self.client.get(self.url("goals:interview_create"))
        self.assertContains(form, "you turn what they named into pain points")
        self.assertContains(form, f'value="{timezone.localdate():%Y-%m-%d}"')
        # Changing an interview keeps its own date.
        edit = self.client.get(self.url("goals:interview_edit", self.interview.pk))
        self.assertContains(edit, f'value="{self.interview.held_on:%Y-%m-%d}"')

    def test_an_interview_in_the_future_is_refused(self):
        from datetime import timedelta

        from django.utils import timezone

        self.login("editor")
        before = (Interview.objects.count(), self.audit_count())
        tomorrow = timezone.localdate() + timedelta(days=1)
        response = self.client.post(
            self.url("goals:interview_create"),
            {"stakeholder_name": "Lee", "stakeholder_role": "COO", "held_on": tomorrow},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "choose today or an earlier date", response.context["form"].errors["held_on"][0]
        )
        self.assertEqual((Interview.objects.count(), self.audit_count()), before)
        ok = self.client.post(
            self.url("goals:interview_create"),
            {"stakeholder_name": "Lee", "stakeholder_role": "COO", "held_on": timezone.localdate()},
        )
        self.assertEqual(ok.status_code, 302)

    def test_a_decision_in_the_future_is_refused_and_a_planned_meeting_holds_none(self):
        from datetime import timedelta

        from django.utils import timezone

        from cairn.governance.models import Decision, Meeting

        self.login("editor")
        tomorrow = timezone.localdate() + timedelta(days=7)
        planned = Meeting.objects.create(
            organization=self.org,
            committee=self.guideposts["meeting"].committee,
            title="Next quarter",
            held_on=tomorrow,
        )
        before = (Decision.objects.count(), self.audit_count())
        base = {"title": "Buy the scanners", "change": "", "outcome": "Bought."}
        for data, field in [
            ({**base, "decided_on": tomorrow}, "decided_on"),
            ({**base, "decided_on": timezone.localdate(), "meeting": planned.pk}, "meeting"),
        ]:
            with self.subTest(field=field):
                response = self.client.post(self.url("governance:decision_create"), data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(field, response.context["form"].errors)
        self.assertEqual((Decision.objects.count(), self.audit_count()), before)
        # The planned meeting shows as planned and records no minutes or attendance yet.
        page = self.client.get(self.url("governance:meeting_detail", planned.pk))
        self.assertContains(page, "planned")
        self.assertNotContains(page, "· held")
        overview = self.client.get(self.url("governance:overview"))
        self.assertContains(overview, f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b %Y} · planned")
        response = self.client.post(
            self.url("governance:meeting_edit", planned.pk),
            {
                "title": "Next quarter",
                "held_on": tomorrow,
                "minutes": "We agreed.",
                "attendees": [self.guideposts["seat"].pk],
                "seen_version": planned.version,
            },
        )
        self.assertEqual(set(response.context["form"].errors), {"minutes", "attendees"})
        planned.refresh_from_db()
        self.assertEqual((planned.minutes, list(planned.attendees.all())), ("", []))
        # Planned without minutes is fine.
        response = self.client.post(
            self.url("governance:meeting_edit", planned.pk),
            {"title": "Next quarter, moved", "held_on": tomorrow, "seen_version": planned.version},
        )
        self.assertEqual(response.status_code, 302)


class PainToGoalTests(CairnTestCase):
    def test_a_pain_point_becomes_a_goal_in_one_step(self):
        self.login("editor")
        pain = make_pain(self.org, "Fuel spend is known a month late", interview=self.interview)
        pain.severity = 5
        pain.save()
        page = self.client.get(self.url("goals:interview_detail", self.interview.pk))
        make = self.url("goals:painpoint_make_goal", pain.pk)
        self.assertContains(page, f'action="{make}"')
        self.assertContains(self.client.get(self.url("goals:painpoint_list")), f'action="{make}"')
        before = self.audit_count()
        response = self.client.post(make)
        goal = BusinessGoal.objects.get(organization=self.org, title=pain.title)
        self.assertRedirects(response, self.url("goals:goal_edit", goal.pk))
        self.assertEqual(list(pain.goals.all()), [goal])
        self.assertEqual(goal.priority, 1)  # severity 5: high
        self.assertIn(self.interview.stakeholder_name, goal.description)
        self.assertEqual(goal.created_by, self.editor)
        self.assertEqual(self.audit_count(), before + 2)  # the goal, the pain point's link
        events = AuditEvent.objects.order_by("-pk")[:2]
        self.assertEqual({e.object_type for e in events}, {"goals.businessgoal", "goals.painpoint"})

    def test_only_editors_and_only_their_own_pain_points(self):
        self.login("viewer")
        self.assertEqual(
            self.client.post(self.url("goals:painpoint_make_goal", self.pain.pk)).status_code, 403
        )
        self.login("editor")
        other = self.url("goals:painpoint_make_goal", self.other_pain.pk)
        self.assertEqual(self.client.post(other).status_code, 404)
        self.assertEqual(
            self.client.get(self.url("goals:painpoint_make_goal", self.pain.pk)).status_code, 405
        )
        self.assertFalse(
            BusinessGoal.objects.filter(title=self.other_pain.title, organization=self.org).exists()
        )
