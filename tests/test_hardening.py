"""Inputs that once broke a page, and changes that once went unaudited (from a review and an
API fuzzing run)."""

import io
import json
import zipfile

from openpyxl import Workbook, load_workbook

from cairn.assessment.models import SwotItem, Team
from cairn.core import services
from cairn.core.models import AuditEvent
from cairn.core.tabular import ImportRefused
from cairn.exchange import books
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import Milestone, Plan, RoadmapItem
from tests.base import CairnTestCase


class OddInputTests(CairnTestCase):
    def test_unicode_digits_are_not_ids(self):
        self.login("editor")
        for method, url, data in [
            ("post", self.url("goals:mission_create"), {"statement": "x", "goals": "²"}),
            ("post", self.url("goals:painpoint_create"), {"title": "x", "interview": "²"}),
            ("get", self.url("goals:mission_create") + "?goal=²", None),
            ("get", self.url("goals:painpoint_create") + "?interview=²", None),
            ("get", self.url("assessment:swot") + "?goal=²", None),
            (
                "post",
                self.url("portfolio:criterion_scores", self.path["criterion"].pk),
                {f"score-{self.path['initiative'].pk}": "²"},
            ),
            ("post", self.url("roadmap:item_move", self.roadmap["item"].pk), {"start": "²"}),
        ]:
            with self.subTest(url=url, data=data):
                response = getattr(self.client, method)(url, data)
                self.assertLess(response.status_code, 500)

    def test_a_huge_exponent_in_an_import_is_refused_at_once(self):
        text = "name,users,health\nX,1e10000000,3\nY,2,1e999999\n"
        with self.assertRaises(ImportRefused) as refused:
            books.import_kind(
                self.org,
                books.kind_for("applications"),
                io.BytesIO(text.encode()),
                "a.csv",
                actor=self.editor,
            )
        self.assertEqual([e.row for e in refused.exception.report.errors], [2, 3])

    def test_a_broken_workbook_is_reported(self):
        book = Workbook()
        book.active.append(["name"])
        book.active.append(["X"])
        good = io.BytesIO()
        book.save(good)
        broken = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(good.getvalue())) as source,
            zipfile.ZipFile(broken, "w") as target,
        ):
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data[: len(data) // 2]  # truncated XML
                target.writestr(item, data)
        with self.assertRaises(ImportRefused) as refused:
            books.import_kind(
                self.org,
                books.kind_for("teams"),
                io.BytesIO(broken.getvalue()),
                "t.xlsx",
                actor=self.editor,
            )
        self.assertIn("not a valid Excel", refused.exception.report.errors[0].problem)

    def test_control_characters_do_not_break_excel_exports(self):
        Team.objects.create(organization=self.org, name="Ops\x01team")
        self.login("viewer")
        response = self.client.get(self.url("exchange:export", "teams", "xlsx"))
        names = [
            r[0]
            for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        ]
        self.assertIn("Opsteam", names)

    def test_far_dates_are_refused(self):
        self.login("editor")
        response = self.client.post(
            self.url("roadmap:milestone_create"),
            {"initiative": self.roadmap["second"].pk, "title": "Far", "due": "9999-12-31"},
        )
        self.assertContains(response, "between the years 2000 and 2200")
        response = self.client.post(
            self.url("roadmap:settings"),
            {
                "granularity": "quarter",
                "starts_on": "9999-01-01",
                "objective": "makespan",
                "time_limit_s": 5,
            },
        )
        self.assertContains(response, "between the years 2000 and 2200")
        self.assertEqual(self.client.get(self.url("roadmap:milestones_ics")).status_code, 200)

    def test_inline_mission_for_a_goal_that_is_gone(self):
        self.login("editor")
        url = self.url("goals:mission_create") + "?goal=999999"
        response = self.client.post(
            url, {"statement": "Still saved", "goals": [self.goal.pk]}, HTTP_HX_REQUEST="true"
        )
        self.assertEqual(response.status_code, 204)
        self.assertIn("/destination/", response["HX-Redirect"])


class AuditGapTests(CairnTestCase):
    def test_reading_the_roadmap_writes_nothing(self):
        Initiative.objects.create(organization=self.org, title="Newly approved", status="approved")
        key = services.create_api_token(self.viewer, "t")[1]
        before = (RoadmapItem.objects.count(), AuditEvent.objects.count())
        self.client.get("/api/v1/orgs/acme/roadmap", HTTP_AUTHORIZATION=f"Bearer {key}")
        self.assertEqual((RoadmapItem.objects.count(), AuditEvent.objects.count()), before)

    def test_opening_the_roadmap_pages_creates_no_plan(self):
        Plan.objects.filter(organization=self.org).delete()
        self.login("viewer")
        for name in (
            "roadmap:gantt",
            "roadmap:capacity",
            "roadmap:board",
            "roadmap:resources",
            "roadmap:status",
        ):
            with self.subTest(page=name):
                self.assertEqual(self.client.get(self.url(name)).status_code, 200)
        self.assertFalse(Plan.objects.filter(organization=self.org).exists())
        self.login("editor")
        self.client.post(
            self.url("roadmap:settings"),
            {
                "granularity": "month",
                "starts_on": "2026-10-01",
                "objective": "makespan",
                "time_limit_s": 5,
            },
        )
        plan = Plan.objects.get(organization=self.org)
        self.assertEqual(plan.granularity, "month")
        self.assertEqual(
            list(
                AuditEvent.objects.filter(object_type="roadmap.plan").values_list(
                    "action", flat=True
                )
            ),
            ["update", "create"],
        )

    def test_new_roadmap_items_are_audited(self):
        from cairn.roadmap import services as roadmap

        approved = Initiative.objects.create(
            organization=self.org, title="Approved", status="approved"
        )
        roadmap.sync_items(self.org, Plan.objects.get(organization=self.org), actor=self.editor)
        item = RoadmapItem.objects.get(initiative=approved)
        self.assertTrue(
            AuditEvent.objects.filter(
                object_type="roadmap.roadmapitem", object_id=item.pk, action="create"
            ).exists()
        )

    def test_moving_a_swot_item_audits_its_neighbour_too(self):
        from cairn.assessment import services as terrain

        second = SwotItem.objects.create(organization=self.org, kind="weakness", statement="B")
        terrain.move_swot_item(second, up=True, actor=self.editor)
        moved = set(
            AuditEvent.objects.filter(object_type="assessment.swotitem").values_list(
                "object_id", flat=True
            )
        )
        self.assertEqual(moved, {second.pk, self.terrain["swot"].pk})

    def test_deleting_keeps_the_last_values_of_what_goes_with_it(self):
        initiative = self.roadmap["second"]
        milestone, item = self.roadmap["milestone"], self.roadmap["item"]
        services.delete_object(initiative, actor=self.editor)
        deleted = dict(
            AuditEvent.objects.filter(action="delete").values_list("object_type", "before")
        )
        self.assertEqual(deleted["roadmap.milestone"]["title"], "Pilot live")
        self.assertEqual(deleted["roadmap.roadmapitem"]["duration"], 2)
        self.assertFalse(Milestone.objects.filter(pk=milestone.pk).exists())
        self.assertFalse(RoadmapItem.objects.filter(pk=item.pk).exists())
        self.assertTrue(json.dumps(deleted))


class HugeIdTests(CairnTestCase):
    def test_an_id_past_what_databases_store_is_a_422_everywhere_it_is_linked(self):
        key = services.create_api_token(self.editor, "t")[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        huge = 2**70
        cases = [
            (
                "/api/v1/orgs/acme/decisions",
                {"title": "T", "outcome": "O", "initiative_ids": [huge]},
            ),
            ("/api/v1/orgs/acme/missions", {"statement": "S", "goal_ids": [huge]}),
        ]
        for url, body in cases:
            with self.subTest(url=url):
                before = AuditEvent.objects.count()
                response = self.client.post(url, body, content_type="application/json", **auth)
                self.assertEqual(response.status_code, 422, response.content)
                self.assertIn("detail", response.json())
                self.assertEqual(AuditEvent.objects.count(), before)


class DateRangeTests(CairnTestCase):
    """Every model's dates are bounded (cairn.core.dates), in the forms as in the API."""

    def test_absurd_dates_are_refused_by_the_forms(self):
        from cairn.goals.models import BusinessGoal
        from cairn.governance.models import Meeting

        self.login("editor")
        before = BusinessGoal.objects.count(), Meeting.objects.count()
        for day in ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"]:
            with self.subTest(day=day):
                response = self.client.post(
                    self.url("goals:goal_create"),
                    {"title": "Far", "target_date": day, "priority": 2},
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "Enter a date")
                response = self.client.post(
                    self.url("governance:meeting_create"),
                    {"title": "Far", "held_on": day, "status": "planned"},
                )
                self.assertContains(response, "Enter a date")
        self.assertEqual((BusinessGoal.objects.count(), Meeting.objects.count()), before)

    def test_every_model_date_is_a_bounded_field(self):
        from django.core import checks

        self.assertEqual([e for e in checks.run_checks() if e.id == "cairn.E001"], [])
        from django.apps import apps

        from cairn.core.dates import DateField

        dates = [
            f
            for m in apps.get_models()
            if m._meta.app_label in {"goals", "governance", "kpis", "roadmap", "aigov"}
            for f in m._meta.local_fields
            if isinstance(f, DateField)
        ]
        self.assertGreater(len(dates), 15)


class HiddenFieldTests(CairnTestCase):
    def test_a_tampered_version_is_said_not_swallowed(self):
        self.login("editor")
        for seen in ["abc", "0", "99999999999"]:
            with self.subTest(seen=seen):
                response = self.client.post(
                    self.url("goals:goal_edit", self.goal.pk),
                    {
                        "title": "Changed",
                        "target_date": "2030-01-01",
                        "priority": 2,
                        "seen_version": seen,
                    },
                )
                self.assertContains(response, "cannot be saved. Reload it")
        self.goal.refresh_from_db()
        self.assertNotEqual(self.goal.title, "Changed")


class EchoTests(CairnTestCase):
    def test_a_huge_refused_value_is_not_shown_back_whole(self):
        self.login("editor")
        kpi = self.ascent["kpi"]
        response = self.client.post(
            self.url("kpis:measurement_add", kpi.pk), {"date": "2" * 100_000, "value": "1"}
        )
        self.assertEqual(response.status_code, 422)
        self.assertLess(len(response.content), 60_000)
        self.assertTrue(response.context["form"].errors["date"])
        response = self.client.post(
            self.url("goals:goal_create"),
            {"title": "x" * 100_000, "target_date": "2030-01-01", "priority": 2},
        )
        self.assertContains(response, "at most 200 characters")
        self.assertLess(len(response.content), 60_000)

    def test_a_measurement_without_a_date_reads_plainly(self):
        from cairn.kpis.models import Measurement

        self.assertEqual(str(Measurement(value=5)), "5 (no date)")
