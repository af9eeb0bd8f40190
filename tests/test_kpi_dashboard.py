"""The dashboard: what it shows, its query counts, its cache, and the forecast's bounds."""

from __future__ import annotations

from datetime import date, timedelta
from unittest.mock import patch

from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from cairn.core import services as core
from cairn.goals.models import BusinessGoal
from cairn.kpis import dashboard, services
from cairn.kpis.models import Kpi, Measurement, Win
from cairn.kpis.status import Status
from cairn.portfolio.models import Initiative
from tests.base import PAGE
from tests.test_kpis import KpiTestCase, csv_file


class DashboardTests(KpiTestCase):
    def test_figures(self):
        today = date(2025, 4, 10)
        # Open initiatives: the path's (one serves the goal) and the roadmap's two (no goal).
        initiatives = Initiative.objects.filter(organization=self.org, status__in=dashboard.OPEN)
        total = sum(i.one_off_cost + i.running_cost for i in initiatives)
        aligned = sum(i.one_off_cost + i.running_cost for i in initiatives if i.goals.exists())
        d = dashboard.figures(self.org, today)
        self.assertEqual((d.spend_total, d.spend_aligned), (total, aligned))
        self.assertEqual(d.shiny_count, sum(1 for i in initiatives if not i.goals.exists()))
        self.assertEqual(d.goals_without_kpi, [])
        lonely = BusinessGoal.objects.create(
            organization=self.org, title="Lonely", target_date=date(2030, 1, 1)
        )
        d = dashboard.figures(self.org, today)
        self.assertEqual(d.goals_without_kpi, [lonely])
        self.assertIn(lonely, d.goals_without_initiative)
        row = next(r for r in d.goals if r.goal == self.goal)
        # Orders: 120 on 31 March 2025; the path from 100 (1 Jan 2025) to 200 (1 Jan 2028)
        # says 108.2 then: ahead, on track, 20% of the way.
        self.assertEqual((row.status, round(row.progress, 2)), (Status.ON_TRACK, 0.2))
        self.assertEqual(d.by_status["on_track"], 1)

    def test_a_kpi_at_its_target_proposes_a_win_until_one_is_recorded(self):
        services.record_one(self.orders, date(2025, 4, 30), 210, actor=self.editor)
        d = dashboard.figures(self.org, date(2025, 5, 1))
        self.assertEqual(d.proposals, [Kpi.objects.get(pk=self.orders.pk)])
        self.login("editor")
        form = self.client.get(self.url("kpis:win_create") + f"?kpi={self.orders.pk}")
        self.assertContains(form, "Orders: target reached")
        self.assertContains(form, "went from 100 to 210")
        self.client.post(
            self.url("kpis:win_create"),
            {
                "title": "Orders doubled",
                "achieved_on": "2025-04-30",
                "kpi": self.orders.pk,
                "goal": self.goal.pk,
            },
        )
        self.assertTrue(Win.objects.filter(kpi=self.orders).exists())
        self.assertEqual(dashboard.figures(self.org, date(2025, 5, 1)).proposals, [])

    def test_stale_kpis(self):
        d = dashboard.figures(self.org, date(2025, 5, 16))  # 46 days after 31 March
        self.assertEqual({k["name"] for k in d.stale}, {"Orders", "IT cost", "Cost per order"})
        self.assertEqual(dashboard.figures(self.org, date(2025, 5, 15)).stale, [])

    def test_the_database_rolls_up_as_the_documented_rule_does(self):
        import random

        from cairn.kpis.status import roll_up

        rng = random.Random(7)
        goals = [
            BusinessGoal.objects.create(
                organization=self.org, title=f"Roll-up {i}", target_date=date(2030, 1, 1)
            )
            for i in range(12)
        ]
        for i in range(60):
            kpi = Kpi.objects.create(
                organization=self.org,
                name=f"Mixed {i}",
                direction=rng.choice(["up", "down"]),
                baseline_value=rng.choice([None, 50.0]),
                baseline_date=date(2024, 1, 1),
                target_value=rng.choice([20.0, 80.0]),
                target_date=date(2028, 1, 1),
                tolerance_percent=rng.choice([5, 10, 25]),
            )
            if rng.random() < 0.8:
                Measurement.objects.create(
                    kpi=kpi, date=date(2025, rng.randint(1, 12), 1), value=rng.uniform(0, 100)
                )
            kpi.goals.set(rng.sample(goals, rng.randint(0, 3)))
        services.refresh(Kpi.objects.values_list("pk", flat=True))
        by_goal = {g.pk: g for g in dashboard.goal_roll_ups(self.org)}
        for goal in goals:
            with self.subTest(goal=goal.title):
                kpis = list(Kpi.objects.filter(goals=goal))
                state, share = roll_up([(k.computed_status(), k.progress) for k in kpis])
                row = by_goal[goal.pk]
                self.assertEqual(dashboard.roll_up_of(row), state)
                if share is None:
                    self.assertIsNone(row.mean)
                else:
                    self.assertAlmostEqual(row.mean, share)

    def test_a_new_organisation_sees_where_to_start(self):
        from cairn.core.models import Membership, Organization, Role

        fresh = Organization.objects.create(name="Fresh", slug="fresh")
        Membership.objects.create(user=self.viewer, organization=fresh, role=Role.VIEWER)
        self.login("viewer")
        # the execution card stops after its first 6 queries: nothing is approved yet
        response = self.assertQueryCount(PAGE + 1 + 11 + 6 + 14, self.client.get, "/o/fresh/")
        self.assertContains(response, "0 of 14 done")
        self.assertContains(response, "Your dashboard will fill in as you go")

    def test_query_counts_do_not_grow_with_the_data(self):
        self.login("viewer")
        pages = [
            # + the execution card's 11 (execution.figures: data version, plan, initiatives with
            # their latest report, first reports, spend, open milestones: 6; the benefits and
            # what is realised of them: 5), the 14 checklist steps, not all done; the 3 of the
            # goal suggested for each initiative serving none (glossary, goals' links, theirs)
            ("org_home", [], PAGE + 1 + 11 + 3 + 11 + 14),
            ("kpis:kpi_list", [], PAGE + 2),
            ("kpis:kpi_detail", [self.orders.pk], PAGE + 9),
            ("kpis:win_list", [], PAGE + 4),
            ("kpis:library", [], PAGE + 1),
            ("kpis:getting_started", [], PAGE + 14),
        ]

        def check():
            for name, args, expected in pages:
                with self.subTest(page=name):
                    self.assertQueryCount(expected, self.client.get, self.url(name, *args))

        check()
        goals = [
            BusinessGoal.objects.create(
                organization=self.org, title=f"Goal {i}", target_date=date(2030, 1, 1)
            )
            for i in range(5)
        ]
        for i in range(30):
            kpi = Kpi.objects.create(
                organization=self.org,
                name=f"KPI {i}",
                baseline_value=0,
                baseline_date=date(2024, 1, 1),
                target_value=100,
                target_date=date(2029, 1, 1),
            )
            kpi.goals.set(goals[: 1 + i % 5])
            Measurement.objects.bulk_create(
                Measurement(kpi=kpi, date=date(2024, 1, 1) + timedelta(days=30 * m), value=m)
                for m in range(20)
            )
            Win.objects.create(
                organization=self.org,
                title=f"Win {i}",
                achieved_on=date(2025, 1, 1),
                kpi=kpi,
                goal=goals[0],
            )
        services.refresh(Kpi.objects.values_list("pk", flat=True))
        for i in range(20):
            Initiative.objects.create(organization=self.org, title=f"Idea {i}", one_off_cost=10 * i)
        check()


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@override_settings(CACHES=LOCMEM)
class DashboardCacheTests(KpiTestCase):
    """The dashboard is cached until anything of the organisation changes: each way of
    changing what it shows must show at once."""

    def setUp(self):
        cache.clear()
        core.record_change(self.org, None, actor=self.owner)  # a first version to cache under

    def home(self):
        return self.client.get(self.url("org_home"))

    def test_a_second_view_reads_the_cache_and_every_change_shows_at_once(self):
        self.login("editor")
        first = self.assertQueryCount(PAGE + 1 + 11 + 3 + 11 + 14, self.home)
        again = self.assertQueryCount(PAGE + 1, self.home)
        self.assertEqual(first.context["body"], again.context["body"])

        services.record_one(self.orders, date(2025, 4, 30), 177, actor=self.editor)
        self.assertContains(self.home(), "177")

        self.client.post(
            self.url("kpis:import"),
            {"file": csv_file([["Orders", "2025-05-31", "188", "", ""]])},
        )
        self.assertContains(self.home(), "188")

        self.client.post(
            self.url("kpis:win_create"),
            {"title": "A win worth telling", "achieved_on": "2025-06-01", "goal": self.goal.pk},
        )
        self.assertContains(self.home(), "A win worth telling")

        initiative = self.path["initiative"]
        self.client.post(
            self.url("portfolio:initiative_edit", initiative.pk),
            {**self.initiative_form(initiative), "title": "Renamed and serving no goal"},
        )
        self.assertContains(self.home(), "Renamed and serving no goal")

    def initiative_form(self, initiative):
        from cairn.portfolio.forms import InitiativeForm

        form = InitiativeForm(instance=initiative, organization=self.org)
        data = {}
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if isinstance(value, list):
                value = [getattr(v, "pk", v) for v in value]
            data[name] = "" if value is None else value
        data["goals"] = []
        return data

    def test_readers_with_other_rights_see_their_own_page(self):
        services.record_one(self.orders, date(2025, 4, 30), 210, actor=self.editor)
        self.login("editor")
        self.assertContains(self.home(), "Record the win")
        self.login("viewer")
        self.assertNotContains(self.home(), "Record the win")

    def test_the_next_day_is_computed_afresh(self):
        self.login("viewer")
        self.home()
        tomorrow = timezone.localdate() + timedelta(days=1)
        with patch("cairn.kpis.views.timezone.localdate", return_value=tomorrow):
            self.assertQueryCount(PAGE + 1 + 11 + 3 + 11 + 14, self.home)


class ForecastBoundsTests(KpiTestCase):
    def test_a_share_is_never_forecast_past_100_percent(self):
        today = timezone.localdate()
        kpi = Kpi.objects.create(
            organization=self.org,
            name="Parcels next day",
            unit="%",
            baseline_value=60,
            baseline_date=today - timedelta(days=120),
            target_value=90,
            target_date=today + timedelta(days=3 * 365),
        )
        Measurement.objects.bulk_create(
            Measurement(kpi=kpi, date=today - timedelta(days=d), value=v)
            for d, v in ((90, 62), (60, 66), (30, 70))
        )
        services.refresh([kpi.pk])
        kpi.refresh_from_db()
        outlook = kpi.forecast(today)
        self.assertEqual(outlook.value, 100.0)  # the line alone reaches far past 100%
        self.assertLessEqual(outlook.high, 100.0)
        self.assertTrue(outlook.meets_target)
