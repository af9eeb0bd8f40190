"""Execution: status reports, spend against plan and benefits, on the pages and in the
figures, with a fixed number of queries whatever the number of rows."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from cairn.execution import services
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.execution.rules import ReportState
from cairn.kpis.models import Measurement
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import Plan, RoadmapItem
from tests.base import CairnTestCase

REPORT = {
    "reported_on": "",
    "health": "red",
    "scope_health": "green",
    "schedule_health": "red",
    "cost_health": "amber",
    "percent_complete": 55,
    "progress": "The vendor slipped the migration by a month.",
    "next_steps": "Test the migration in the spare store.",
    "needs": "Sign the change order.",
}


class StatusReportTests(CairnTestCase):
    def setUp(self):
        self.initiative = self.roadmap["second"]  # in progress, no report yet
        self.today = timezone.localdate()

    def post(self, initiative=None, **changes):
        data = {**REPORT, "reported_on": self.today.isoformat(), **changes}
        url = self.url("execution:report_create", (initiative or self.initiative).pk)
        return self.client.post(url, data)

    def test_an_editor_writes_a_report_and_the_overview_shows_it(self):
        self.login("editor")
        response = self.post()
        self.assertRedirects(response, self.url("execution:initiative", self.initiative.pk))
        report = StatusReport.objects.get(initiative=self.initiative)
        self.assertEqual(report.period, self.today.replace(day=1))
        self.assertEqual(report.created_by, self.editor)
        page = self.client.get(self.url("execution:overview"))
        self.assertContains(page, "In trouble")
        self.assertContains(page, "55%")
        detail = self.client.get(self.url("execution:initiative", self.initiative.pk))
        self.assertContains(detail, "Sign the change order.")

    def test_one_report_per_period(self):
        self.login("editor")
        self.post()
        response = self.post(progress="Again")
        self.assertContains(response, "There is already a report for")
        self.assertEqual(StatusReport.objects.filter(initiative=self.initiative).count(), 1)

    def test_ideas_do_not_report_and_bad_values_are_refused(self):
        self.login("editor")
        idea = self.path["base"]
        self.assertEqual(idea.status, "idea")
        self.assertContains(self.post(idea), "only approved initiatives and those in progress")
        for field, value in [
            ("percent_complete", 101),
            ("percent_complete", -1),
            ("health", "purple"),
            ("reported_on", "9999-01-01"),
            ("progress", ""),
        ]:
            with self.subTest(field=field, value=value):
                response = self.post(**{field: value})
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["form"].errors.get(field), field)
        self.assertFalse(StatusReport.objects.filter(initiative=self.initiative).exists())

    def test_viewers_read_but_do_not_write(self):
        self.login("viewer")
        self.assertEqual(self.post().status_code, 403)
        self.assertEqual(self.client.get(self.url("execution:overview")).status_code, 200)

    def test_the_next_report_starts_from_the_last(self):
        self.login("editor")
        report = self.execution["report"]
        page = self.client.get(self.url("execution:report_create", report.initiative_id))
        self.assertEqual(page.context["form"].initial["percent_complete"], 40)

    def test_a_missing_report_shows_as_no_report(self):
        # "Clean the data" runs from October 2026 (the plan's first quarter); its report of
        # 20 November holds through December, and is missing once December has ended.
        initiative = self.execution["report"].initiative
        RoadmapItem.objects.filter(initiative=initiative).update(start=0, duration=4)

        def state(today):
            rows = services.rows(self.org, today=today)
            return next(r for r in rows if r.initiative == initiative).report_state

        self.assertEqual(state(date(2026, 12, 31)), ReportState.REPORTED)
        self.assertEqual(state(date(2027, 1, 2)), ReportState.MISSING)
        StatusReport.objects.filter(initiative=initiative).delete()
        self.assertEqual(state(date(2026, 11, 15)), ReportState.NOT_DUE)
        self.assertEqual(state(date(2026, 12, 1)), ReportState.MISSING)


class SpendTests(CairnTestCase):
    def test_planned_spend_follows_the_roadmap(self):
        item = RoadmapItem.objects.get(initiative=self.roadmap["second"])
        plan = Plan.for_org(self.org)
        RoadmapItem.objects.filter(pk=item.pk).update(start=0, duration=2)  # 2 quarters
        item.refresh_from_db()
        by_month = services.planned_spend(item, item.initiative, plan, date(2027, 12, 1))
        self.assertEqual(len(by_month), 6)  # 400 over six months from October 2026
        self.assertEqual(sum(by_month.values()), Decimal(400))
        self.assertEqual(min(by_month), plan.starts_on)

    def test_an_overspend_is_flagged_and_sorted_first(self):
        first = self.roadmap["first"]
        RoadmapItem.objects.filter(initiative=first).update(start=0, duration=1)
        month = services.closed_month()  # to date: to the end of last month
        Actual.objects.create(organization=self.org, initiative=first, month=month, amount=900)
        self.login("viewer")
        page = self.client.get(self.url("execution:spend"))
        rows = page.context["rows"]
        self.assertEqual(rows[0].pk, first.pk)
        self.assertTrue(rows[0].spend.overspent(services.tolerance(self.org)))
        self.assertContains(page, "over")

    def test_an_actual_is_recorded_by_hand_with_its_limits(self):
        self.login("editor")
        url = self.url("execution:actual_create")
        data = {
            "initiative": self.roadmap["second"].pk,
            "month": "2026-11-17",
            "amount": "1250.50",
            "kind": "one_off",
            "source": "INV-2211",
        }
        self.assertEqual(self.client.post(url, data).status_code, 302)
        actual = Actual.objects.get(source="INV-2211")
        self.assertEqual(actual.month, date(2026, 11, 1))
        for field, value in [
            ("amount", "1e12"),
            ("amount", "NaN"),
            ("initiative", self.path["base"].pk),  # an idea spends nothing
            ("initiative", self.other_roadmap["second"].pk),
            ("month", "0001-01-01"),
        ]:
            with self.subTest(field=field, value=value):
                response = self.client.post(url, {**data, field: value, "source": "bad"})
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["form"].errors.get(field))
        self.assertFalse(Actual.objects.filter(source="bad").exists())


class BenefitTests(CairnTestCase):
    def test_the_register_shows_what_was_promised_and_realised(self):
        benefit = self.execution["benefit"]
        initiative = benefit.initiative
        RoadmapItem.objects.filter(initiative=initiative).update(start=0, duration=8)
        plan = Plan.for_org(self.org)
        kpi = benefit.kpi
        Measurement.objects.filter(kpi=kpi).delete()
        Measurement.objects.create(kpi=kpi, date=plan.starts_on - timedelta(days=5), value=20)
        Measurement.objects.create(kpi=kpi, date=plan.starts_on + timedelta(days=40), value=26)
        self.login("viewer")
        page = self.client.get(self.url("execution:benefits"))
        row = page.context["benefits"][0]
        self.assertEqual((row.baseline, row.latest), (20, 26))
        self.assertAlmostEqual(row.realised.share, 1.2)
        self.assertContains(page, "Realised")
        self.assertContains(page, "120%")

    def test_a_benefit_is_refused_without_a_positive_change(self):
        self.login("editor")
        data = {
            "initiative": self.roadmap["first"].pk,
            "kpi": self.ascent["kpi"].pk,
            "change": "-3",
            "due": "2027-06-30",
            "confidence": "high",
        }
        response = self.client.post(self.url("execution:benefit_create"), data)
        self.assertTrue(response.context["form"].errors.get("change"))
        self.assertEqual(Benefit.objects.filter(organization=self.org).count(), 1)


class QueryCountTests(CairnTestCase):
    """The pages read the organisation in a fixed number of queries, whatever its size."""

    def grow(self, n: int) -> None:
        for i in range(n):
            initiative = Initiative.objects.create(
                organization=self.org,
                title=f"Extra {self._testMethodName} {i}",
                status="in_progress",
                one_off_cost=1000,
            )
            StatusReport.objects.create(
                organization=self.org,
                initiative=initiative,
                reported_on=date(2026, 11, 2),
                health="green",
                scope_health="green",
                schedule_health="green",
                cost_health="green",
                percent_complete=10,
                progress="Fine.",
            )
            Actual.objects.create(
                organization=self.org, initiative=initiative, month=date(2026, 11, 1), amount=5
            )
            Benefit.objects.create(
                organization=self.org,
                initiative=initiative,
                kpi=self.ascent["kpi"],
                change=1,
                due=date(2027, 6, 30),
            )

    def count(self, name: str, *args) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            self.assertEqual(self.client.get(self.url(name, *args)).status_code, 200)
        return len(ctx.captured_queries)

    def test_an_initiative_page_is_constant_in_its_reports_spend_and_benefits(self):
        self.login("viewer")
        initiative = self.execution["report"].initiative
        RoadmapItem.objects.filter(initiative=initiative).update(start=0, duration=8)

        def more(n: int, offset: int) -> None:
            for k in range(n):
                month = date(2025, 1, 1) + timedelta(days=31 * (k + offset))
                StatusReport.objects.create(
                    organization=self.org, initiative=initiative, reported_on=month,
                    health="green", scope_health="green", schedule_health="green",
                    cost_health="green", percent_complete=5, progress="Fine.",
                )  # fmt: skip
                Actual.objects.create(
                    organization=self.org, initiative=initiative, month=month, amount=10
                )
                Benefit.objects.create(
                    organization=self.org, initiative=initiative, kpi=self.ascent["kpi"],
                    change=1 + k, due=date(2027, 6, 30),
                )  # fmt: skip

        more(2, 0)
        small = self.count("execution:initiative", initiative.pk)
        more(8, 2)
        self.assertEqual(self.count("execution:initiative", initiative.pk), small)

    def test_constant_in_the_number_of_initiatives(self):
        self.login("viewer")
        for name in ["execution:overview", "execution:spend", "execution:benefits"]:
            with self.subTest(page=name):
                self.grow(2)
                small = self.count(name)
                self.grow(10)
                self.assertEqual(self.count(name), small)


class SettingsTests(CairnTestCase):
    def test_quarterly_reports_and_the_tolerance_are_the_organisations(self):
        from cairn.core.models import Organization

        Organization.objects.filter(pk=self.org.pk).update(
            report_every_months=3, overspend_tolerance_percent=50, fiscal_year_start=4
        )
        self.org.refresh_from_db()
        report = self.execution["report"]  # 20 November 2026
        report.save()
        self.assertEqual(report.period, date(2026, 10, 1))  # the quarter Oct–Dec
        self.assertEqual(services.tolerance(self.org), 0.5)
        self.login("owner")
        response = self.client.post(
            reverse("organization_settings", args=[self.org.slug]),
            {"name": "Acme", "fiscal_year_start": 4, "planning_horizon_years": 3,
             "change_target_percent": 30},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        self.org.refresh_from_db()
        self.assertEqual(
            (self.org.report_every_months, self.org.overspend_tolerance_percent), (3, 50)
        )


class CacheTests(CairnTestCase):
    def test_figures_are_kept_until_something_changes(self):
        from django.core.cache import cache
        from django.test import override_settings

        locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        with override_settings(CACHES=locmem):
            cache.clear()
            self.login("editor")
            initiative = self.roadmap["second"]
            first = services.figures(self.org)
            self.assertIsNone(next(f for f in first if f.pk == initiative.pk).health)
            with self.assertNumQueries(1):  # only the organisation's newest change is read
                services.figures(self.org)
            self.client.post(
                self.url("execution:report_create", initiative.pk),
                {**REPORT, "reported_on": timezone.localdate().isoformat()},
            )
            again = services.figures(self.org)
            self.assertEqual(next(f for f in again if f.pk == initiative.pk).health, "red")
            cache.clear()
