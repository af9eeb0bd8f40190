"""The roadmap: items follow approvals, scheduling respects capacity, moves report problems."""

import io
import json
from datetime import date
from decimal import Decimal

from icalendar import Calendar
from openpyxl import load_workbook

from cairn.assessment.models import Team
from cairn.core import services as core_services
from cairn.core.models import AuditEvent
from cairn.portfolio.models import Initiative, TeamEffort
from cairn.roadmap import services
from cairn.roadmap.models import Milestone, Plan, RoadmapItem, TeamCapacity, first_of_quarter
from tests.base import CairnTestCase


class PlanTests(CairnTestCase):
    def test_periods_and_labels(self):
        plan = Plan.objects.get(organization=self.org)  # quarters from 1 October 2026
        self.assertEqual(plan.periods, 12)  # a 3-year horizon
        self.assertEqual(plan.period_start(2), date(2027, 4, 1))
        self.assertEqual(plan.period_of(date(2027, 5, 20)), 2)
        self.assertEqual(plan.period_label(0), "Q4 2026 (Oct–Dec)")
        self.assertEqual(first_of_quarter(date(2026, 11, 28), fiscal_start=4), date(2026, 10, 1))
        self.assertEqual(first_of_quarter(date(2026, 2, 3), fiscal_start=4), date(2026, 1, 1))

    def test_slipped_milestones(self):
        m = Milestone(due=date(2000, 1, 1), done=False)
        self.assertTrue(m.slipped)
        m.done = True
        self.assertFalse(m.slipped)


class SchedulingTests(CairnTestCase):
    def setUp(self):
        self.plan = Plan.objects.get(organization=self.org)
        self.team = Team.objects.create(organization=self.org, name="Apps", headcount=2)
        first, second = self.roadmap["first"], self.roadmap["second"]
        # 3 FTE-months over one quarter = 1 FTE; 12 over two quarters = 2 FTE
        TeamEffort.objects.create(initiative=first, team=self.team, months=3)
        TeamEffort.objects.create(initiative=second, team=self.team, months=12)

    def test_new_approvals_join_the_roadmap(self):
        approved = Initiative.objects.create(
            organization=self.org, title="Portal", status="approved", duration_months=7
        )
        # On the roadmap from the moment it is approved, unscheduled, before anyone schedules.
        item = RoadmapItem.objects.get(initiative=approved)
        self.assertEqual((item.duration, item.start), (3, None))  # 7 months: 3 quarters
        self.assertEqual(services.sync_items(self.org, self.plan), 0)

    def test_schedule_respects_order_and_capacity(self):
        services.run_schedule(self.org, actor=self.editor)
        first = RoadmapItem.objects.get(initiative=self.roadmap["first"])
        second = RoadmapItem.objects.get(initiative=self.roadmap["second"])
        self.assertEqual((first.start, second.start), (0, 1))  # the CRM follows the data work
        self.plan.refresh_from_db()
        self.assertEqual(self.plan.result["status"], "optimal")
        self.assertEqual(services.problems_now(self.org, self.plan), [])
        self.assertTrue(
            AuditEvent.objects.filter(object_type="roadmap.roadmapitem", action="update").exists()
        )
        # A lean quarter: the team has no one in period 1, so the CRM waits a quarter.
        TeamCapacity.objects.create(team=self.team, period=1, fte=Decimal("0.5"))
        services.run_schedule(self.org, actor=self.editor)
        second.refresh_from_db()
        self.assertEqual(second.start, 2)

    def test_no_plan_fits_changes_nothing_and_says_why(self):
        services.run_schedule(self.org, actor=self.editor)
        RoadmapItem.objects.filter(initiative=self.roadmap["second"]).update(deadline=2)
        RoadmapItem.objects.filter(initiative=self.roadmap["first"]).update(earliest=1)
        before = list(RoadmapItem.objects.order_by("pk").values_list("start", flat=True))
        plan = services.run_schedule(self.org, actor=self.editor)
        self.assertEqual(plan.state, "infeasible")
        self.assertIn(
            "“New CRM” must be finished before Q2 2027 (Apr–Jun) starts, but cannot finish "
            "before the end of Q3 2027 (Jul–Sep) because it must follow “Clean the data”",
            plan.result["reasons"],
        )
        after = list(RoadmapItem.objects.order_by("pk").values_list("start", flat=True))
        self.assertEqual(before, after)

    def test_unproven_schedules_finish_in_the_background(self):
        from unittest import mock

        from cairn.solver import schedule as solver

        real = solver.solve_schedule
        calls = []

        def unproven_at_first(problem):
            answer = real(problem)
            calls.append(problem.time_limit_s)
            if len(calls) == 1:
                answer.status = "feasible"
            return answer

        with mock.patch.object(services, "solve_schedule", side_effect=unproven_at_first):
            plan = services.run_schedule(self.org, actor=self.editor)
        # The immediate test backend runs the queued job at once, with the full time limit.
        self.assertEqual(calls, [1.0, 10.0])
        self.assertEqual(plan.state, "done")
        self.login("viewer")
        done = self.client.get(self.url("roadmap:status"))
        self.assertEqual(done["HX-Refresh"], "true")

    def test_a_move_by_hand_is_kept_and_its_problems_reported(self):
        services.run_schedule(self.org, actor=self.editor)
        second = RoadmapItem.objects.get(initiative=self.roadmap["second"])
        problems = services.move_item(second, 0, actor=self.editor)
        second.refresh_from_db()
        self.assertEqual((second.start, second.pinned), (0, True))
        self.assertIn("Apps is over capacity in Q4 2026 (Oct–Dec): needs 3, has 2", problems)
        self.assertIn(
            "“New CRM” starts in Q4 2026 (Oct–Dec) before “Clean the data” has ended", problems
        )
        first = RoadmapItem.objects.get(initiative=self.roadmap["first"])
        self.assertEqual(first.start, 0)  # nothing else moved
        with self.assertRaises(core_services.ServiceError):
            services.move_item(second, 11, actor=self.editor)  # would run past the end


class RoadmapPageTests(CairnTestCase):
    def test_pages_and_query_counts(self):
        self.login("owner")
        services.run_schedule(self.org, actor=self.owner)
        item = self.roadmap["item"]
        # Every page: PAGE (5: session, user, membership, switcher, inbox bell); the roadmap read
        # (plan, items with initiatives, efforts, dependencies, goals, teams, capacities, budget
        # lines and their amounts, scored initiatives 3, criteria: 13); then the page's own.
        # The Gantt and the board add how each initiative is going (execution.figures: the
        # data version it is cached under, plan, initiatives with their latest report, first
        # reports, spend, open milestones: 6).
        pages = [
            ("roadmap:gantt", [], 19 + 6),  # + milestones
            ("roadmap:capacity", [], 18),
            ("roadmap:board", [], 19 + 6),  # + milestones
            ("roadmap:resources", [], 10),  # plan, teams, capacities, lines, their amounts
            ("roadmap:milestones", [], 6),
        ]
        for name, args, expected in pages:
            with self.subTest(page=name):
                self.assertQueryCount(expected, self.client.get, self.url(name, *args))
        for k in range(4):
            i = Initiative.objects.create(
                organization=self.org, title=f"More {k}", status="approved"
            )
            i.depends_on.set([self.roadmap["first"]])
            Milestone.objects.create(
                organization=self.org, initiative=i, title=f"M{k}", due=date(2027, 1, k + 1)
            )
        services.run_schedule(self.org, actor=self.owner)
        for name, args, expected in pages:
            with self.subTest(page=name, grown=True):
                self.assertQueryCount(expected, self.client.get, self.url(name, *args))
        self.assertContains(self.client.get(self.url("roadmap:gantt")), "New CRM")
        self.assertEqual(item.pk, self.roadmap["item"].pk)

    def test_move_endpoint_and_forms_refuse_bad_input(self):
        self.login("editor")
        item = self.roadmap["item"]
        url = self.url("roadmap:item_move", item.pk)
        self.assertEqual(self.client.post(url, {"start": "abc"}).status_code, 422)
        self.assertEqual(self.client.post(url, {"start": "2099-99-99"}).status_code, 422)
        moved = self.client.post(url, {"start": "2027-01-15"}).json()
        self.assertEqual((moved["start"], moved["label"]), (1, "Q1 2027 (Jan–Mar)"))
        edit = self.client.post(
            self.url("roadmap:item_edit", item.pk),
            {"duration": 2, "earliest": 5, "deadline": 6, "start": "", "pinned": "on"},
        )
        self.assertContains(edit, "cannot end by then")
        self.assertContains(edit, "Choose the start to keep")
        bad = self.client.post(
            self.url("roadmap:capacity_save"),
            {f"cap-{self.terrain['team'].pk}-0": "lots"},
            follow=True,
        )
        self.assertContains(bad, "is not an amount of FTE")
        self.assertFalse(TeamCapacity.objects.exists())

    def test_budget_per_period_binds_the_schedule(self):
        self.login("editor")
        line = self.roadmap["budget"]  # 300 a period; the CRM needs 200 a period for 2
        self.client.post(self.url("roadmap:capacity_save"), {f"money-{line.pk}-1": "100"})
        services.run_schedule(self.org, actor=self.editor)
        starts = dict(
            RoadmapItem.objects.filter(organization=self.org).values_list(
                "initiative__title", "start"
            )
        )
        self.assertEqual(starts, {"Clean the data": 0, "New CRM": 2})  # period 1 holds 100
        bad = self.client.post(
            self.url("roadmap:capacity_save"), {f"money-{line.pk}-1": "-5"}, follow=True
        )
        self.assertContains(bad, "is not an amount of money")

    def test_settings_are_audited_and_checked(self):
        self.login("editor")
        url = self.url("roadmap:settings")
        bad = self.client.post(
            url,
            {
                "granularity": "month",
                "starts_on": "2026-10-15",
                "objective": "makespan",
                "time_limit_s": 5,
            },
        )
        self.assertContains(bad, "first day of a month")
        self.client.post(
            url,
            {
                "granularity": "month",
                "starts_on": "2026-10-01",
                "objective": "makespan",
                "time_limit_s": 5,
            },
        )
        plan = Plan.objects.get(organization=self.org)
        self.assertEqual((plan.granularity, plan.periods), ("month", 36))
        self.assertTrue(AuditEvent.objects.filter(object_type="roadmap.plan").exists())

    def test_exports(self):
        self.login("viewer")
        services.run_schedule(self.org, actor=self.owner)
        xlsx = self.client.get(self.url("roadmap:export", "xlsx"))
        rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
        self.assertEqual(rows[0][:4], ("initiative", "status", "quadrant", "starts"))
        self.assertIn("New CRM", [r[0] for r in rows])
        ics = Calendar.from_ical(self.client.get(self.url("roadmap:milestones_ics")).content)
        events = list(ics.walk("VEVENT"))
        self.assertEqual([str(e["summary"]) for e in events], ["Pilot live (New CRM)"])
        self.assertEqual(events[0].decoded("dtstart"), date(2027, 3, 1))


class RoadmapApiTests(CairnTestCase):
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

    def test_run_read_and_move(self):
        body = self.api("POST", "/roadmap/run").json()
        starts = {i["title"]: i["start"] for i in body["items"]}
        self.assertEqual(starts, {"Clean the data": 0, "New CRM": 1})
        item = self.roadmap["item"].pk
        moved = self.api("PATCH", f"/roadmap/items/{item}", {"start": 0})
        self.assertEqual(moved.status_code, 200)
        self.assertTrue(moved.json()["pinned"])
        self.assertTrue(
            any("before “Clean the data” has ended" in p for p in moved.json()["problems"])
        )
        stale = self.api("PATCH", f"/roadmap/items/{item}", {"start": 2, "version": 1})
        self.assertEqual(stale.status_code, 409)
        problems = self.api("GET", "/roadmap").json()["problems"]
        self.assertTrue(any("before “Clean the data” has ended" in p for p in problems))
        bad = self.api("PATCH", f"/roadmap/items/{item}", {"start": 11})
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(
            self.api("PATCH", f"/roadmap/items/{item}", {"start": -1}).status_code, 422
        )
        for body in ({"pinned": None}, {"duration": None}, {"earliest": None, "deadline": 10}):
            with self.subTest(body=body):
                self.assertEqual(self.api("PATCH", f"/roadmap/items/{item}", body).status_code, 422)
        resources = self.api("GET", "/roadmap/resources").json()
        self.assertEqual(resources[0]["name"], "Sales ops")


class CalendarTests(CairnTestCase):
    def test_one_name_for_a_quarter(self):
        from cairn.core.calendar import month_label, quarter_label

        self.assertEqual(quarter_label(date(2027, 5, 20)), "Q2 2027 (Apr–Jun)")
        self.assertEqual(quarter_label(date(2027, 5, 20), months=False), "Q2 2027")
        # A financial year from April is named by the year it ends in (as reviews are).
        self.assertEqual(quarter_label(date(2027, 4, 1), 4), "Q1 FY2028 (Apr–Jun 2027)")
        self.assertEqual(quarter_label(date(2027, 2, 1), 4), "Q4 FY2027 (Jan–Mar 2027)")
        self.assertEqual(quarter_label(date(2027, 1, 9), 2), "Q4 FY2027 (Nov 2026–Jan 2027)")
        self.assertEqual(month_label(date(2027, 3, 4)), "Mar 2027")

    def test_roadmap_and_reviews_name_quarters_alike(self):
        from cairn.governance import rules

        self.org.fiscal_year_start = 4
        self.org.save()
        plan = Plan.objects.select_related("organization").get(organization=self.org)
        plan.starts_on = date(2026, 10, 1)
        self.assertEqual(plan.period_label(0), "Q3 FY2027 (Oct–Dec 2026)")
        review = rules.review_dates(4, date(2026, 11, 28))[0][1]
        self.assertEqual(review, "Quarterly check-in, Q3 FY2027 (Oct–Dec 2026)")
        plan.granularity = "month"
        self.assertEqual(plan.period_label(2), "Dec 2026")


class ReasonTests(CairnTestCase):
    def test_ids_that_look_like_period_numbers_stay_apart(self):
        """Items 1, 2, 3 and periods 1..3: the titles replace ids, the labels replace
        periods, and a period number is never taken for an item."""
        from cairn.solver.schedule import Project, Schedule, diagnose_reasons

        plan = Plan.objects.get(organization=self.org)  # quarters from 1 October 2026
        a, b = self.roadmap["first"].roadmap_item, self.roadmap["second"].roadmap_item
        problem = Schedule(
            (
                Project("1", 1, earliest=1),
                Project("2", 2, after=("1",), deadline=3),
                Project("3", 1, start=2, earliest=3),
            ),
            {},
            12,
        )
        why = diagnose_reasons(problem)
        deadline = next(r for r in why if r.kind == "deadline")
        self.assertEqual((deadline.items, deadline.periods), (("2", "1"), (3, 4)))
        words = services.describe(why, {"1": a, "2": b, "3": a}, plan)
        self.assertIn(
            "“New CRM” must be finished before Q3 2027 (Jul–Sep) starts, but cannot finish "
            "before the end of Q3 2027 (Jul–Sep) because it must follow “Clean the data”",
            words,
        )
        self.assertIn(
            "“Clean the data” is kept to start in Q2 2027 (Apr–Jun), before its earliest start "
            "Q3 2027 (Jul–Sep)",
            words,
        )
        self.assertFalse(any("period" in w for w in words), words)

    def test_stored_reasons_are_structured_and_readable(self):
        services.run_schedule(self.org, actor=self.editor)
        RoadmapItem.objects.filter(initiative=self.roadmap["second"]).update(deadline=2)
        plan = services.run_schedule(self.org, actor=self.editor)
        second = str(self.roadmap["second"].roadmap_item.pk)
        self.assertIn(
            {
                "kind": "deadline",
                "items": [second, str(self.roadmap["first"].roadmap_item.pk)],
                "resource": "",
                "periods": [2, 3],
                "numbers": [],
            },
            plan.result["why"],
        )
        self.assertTrue(all("period" not in r for r in plan.result["reasons"]))
        self.login("viewer")
        page = self.client.get(self.url("roadmap:gantt"))
        self.assertContains(page, "must be finished before Q2 2027 (Apr–Jun) starts")


class NeverInThePastTests(CairnTestCase):
    def test_the_first_period_is_the_current_one(self):
        plan = Plan.objects.get(organization=self.org)
        plan.starts_on = date(2024, 10, 1)  # two years and more ago
        plan.save()
        today = plan.today
        self.assertGreater(today, 0)
        kept = self.roadmap["first"].roadmap_item
        kept.start, kept.pinned = 1, True  # under way since then: it stays
        kept.save()
        services.run_schedule(self.org, actor=self.editor)
        kept.refresh_from_db()
        self.assertEqual(kept.start, 1)
        other = RoadmapItem.objects.get(initiative=self.roadmap["second"])
        self.assertGreaterEqual(other.start, today)
        with self.assertRaisesMessage(core_services.ServiceError, "Choose a start between"):
            services.move_item(other, 0, actor=self.editor)
        with self.assertRaisesMessage(core_services.ServiceError, "is past; choose"):
            services.update_item(other, {"start": 2}, plan, actor=self.editor)
        services.update_item(kept, {"duration": 2}, plan, actor=self.editor)  # its start stays
        other.refresh_from_db()
        self.assertGreaterEqual(other.start, today)

    def test_a_new_plan_starts_this_quarter(self):
        from django.utils import timezone

        plan = Plan.for_org(self.org)
        Plan.objects.filter(organization=self.org).delete()
        fresh = Plan.for_org(self.org)
        day = timezone.localdate()
        self.assertEqual(fresh.starts_on, first_of_quarter(day, self.org.fiscal_year_start))
        self.assertEqual(fresh.today, 0)
        self.assertIsNotNone(plan.pk)


class EmptyRoadmapTests(CairnTestCase):
    def test_an_empty_roadmap_says_what_waits(self):
        org = core_services.create_organization("Empty", owner=self.owner, slug="empty")
        for k in range(3):
            Initiative.objects.create(organization=org, title=f"Idea {k}", status="proposed")
        self.login("owner")
        page = self.client.get("/o/empty/roadmap/")
        self.assertContains(page, "3 proposed initiatives wait for a decision")
        self.assertContains(
            page, "/o/empty/guideposts/decisions/new/?change=approve&amp;initiative="
        )
        done = self.client.post("/o/empty/roadmap/schedule/", follow=True)
        self.assertContains(done, "Nothing to schedule")
        self.assertNotContains(done, "best possible")

    def test_capacity_pages_are_named_as_in_the_menu(self):
        self.login("viewer")
        demand = self.client.get(self.url("roadmap:capacity"))
        self.assertContains(demand, "<title>Demand against capacity", html=False)
        self.assertContains(demand, '<h1 class="page-title">Demand against capacity</h1>')
        figures = self.client.get(self.url("roadmap:resources"))
        self.assertContains(figures, '<h1 class="page-title">Teams and budget by period</h1>')
        self.assertContains(figures, ">Demand against capacity</a>")
        self.assertContains(figures, ">Teams and budget by period</a>")
