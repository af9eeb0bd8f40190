"""The weekly digest: what changed (from the audit trail), what is off track, the wins."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from cairn.core.models import AuditEvent
from cairn.governance import services as governance
from cairn.kpis import services as kpi_services
from cairn.kpis.models import Kpi, Measurement, Win
from cairn.notifications.digest import digest
from cairn.portfolio.models import Initiative
from tests.base import CairnTestCase


class DigestTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Behind its straight path by far: off track.
        cls.late = Kpi.objects.create(
            organization=cls.org,
            name="Online revenue",
            unit="€",
            baseline_value=100,
            baseline_date=date(2025, 1, 1),
            target_value=200,
            target_date=date(2026, 12, 31),
        )
        Measurement.objects.create(kpi=cls.late, date=date(2026, 10, 31), value=105)
        kpi_services.refresh([cls.late.pk])

    def setUp(self):
        self.start = timezone.now()
        self.today = timezone.localdate()

    def test_what_changed_counted_by_kind_and_the_notable(self):
        proposed = self.path["initiative"]
        Initiative.objects.filter(pk=proposed.pk).update(status="proposed")
        proposed.refresh_from_db()
        governance.decide(
            self.org,
            title="Go with automated quoting",
            outcome="Approved.",
            change="approve",
            initiatives=[proposed],
            actor=self.owner,
        )
        kpi_services.record_one(self.ascent["kpi"], self.today, 130, actor=self.owner)
        kpi_services.record_one(self.ascent["kpi"], self.today - timedelta(days=1), 129, actor=None)
        kpi_services.record_one(self.ascent["kpi"], self.today, 131, actor=self.owner)  # again
        found = digest(self.org, self.start, self.today)
        activity = reverse("activity", args=["acme"])
        counted = dict(found.changed)
        self.assertEqual(
            counted.get("2 measurements added, 1 changed."), f"{activity}?type=kpis.measurement"
        )
        self.assertEqual(counted.get("1 decision added."), f"{activity}?type=governance.decision")
        self.assertIn("1 initiative changed.", counted)
        self.assertIn(
            (
                "Decision: Go with automated quoting",
                reverse("governance:decision_list", args=["acme"]),
            ),
            found.changed,
        )
        self.assertIn(
            (
                "“Automate quoting”: proposed → approved",
                reverse("portfolio:initiative_detail", args=["acme", proposed.pk]),
            ),
            found.changed,
        )
        self.assertIn(
            (
                "“Orders”: 2 new values",
                reverse("kpis:kpi_detail", args=["acme", self.ascent["kpi"].pk]),
            ),
            found.changed,
        )
        self.assertFalse(found.is_empty)

    def test_changes_before_since_and_of_others_are_left_out(self):
        kpi_services.record_one(self.other_ascent["kpi"], self.today, 130, actor=self.outsider)
        AuditEvent.objects.create(
            organization=self.org,
            action="create",
            object_type="governance.decision",
            object_id=1,
            object_repr="An old decision",
            created=self.start - timedelta(days=8),
        )
        found = digest(self.org, self.start, self.today)
        self.assertEqual(found.changed, ())

    def test_off_track_kpis_and_initiatives_in_trouble(self):
        found = digest(self.org, self.start, self.today)
        self.assertIn(
            (
                "“Online revenue” is off track: 105 € against a target of 200 €",
                reverse("kpis:kpi_detail", args=["acme", self.late.pk]),
            ),
            found.off_track,
        )
        first = self.roadmap["first"]  # its report of 20 November 2026 is amber
        self.assertIn(
            (
                "“Clean the data”: needs attention (report of 20 November 2026)",
                reverse("execution:initiative", args=["acme", first.pk]),
            ),
            found.off_track,
        )
        self.assertFalse(any("Globex" in t for t, _ in found.off_track))
        self.assertFalse(found.is_empty)

    def test_wins_since(self):
        Win.objects.create(organization=self.org, title="Quotes in a day", achieved_on=self.today)
        Win.objects.create(
            organization=self.org, title="Older", achieved_on=self.today - timedelta(days=30)
        )
        found = digest(self.org, self.today - timedelta(days=7), self.today)
        self.assertEqual(
            found.wins,
            (
                (
                    f"Quotes in a day ({self.today.day} {self.today:%B %Y})",
                    reverse("kpis:win_list", args=["acme"]),
                ),
            ),
        )

    def test_empty(self):
        Kpi.objects.filter(organization=self.org).delete()
        Initiative.objects.filter(organization=self.org).update(status="idea")
        found = digest(self.org, self.start, self.today)
        self.assertEqual((found.changed, found.off_track, found.wins), ((), (), ()))
        self.assertTrue(found.is_empty)

    def test_a_fixed_number_of_queries(self):
        """9 queries: the changes counted; the notable ones; the KPIs; the execution figures
        (plan, initiatives, first reports, spend, milestones); the wins."""
        small = self.assertQueryCount(9, digest, self.org, self.start, self.today)
        for n in range(12):
            kpi = Kpi.objects.create(
                organization=self.org,
                name=f"Late {n}",
                baseline_value=0,
                baseline_date=date(2025, 1, 1),
                target_value=10,
                target_date=date(2026, 12, 31),
            )
            kpi_services.record_one(kpi, self.today, 1, actor=self.owner)
            Win.objects.create(organization=self.org, title=f"Win {n}", achieved_on=self.today)
            Initiative.objects.create(
                organization=self.org, title=f"Going {n}", status="in_progress"
            )
        large = self.assertQueryCount(9, digest, self.org, self.start, self.today)
        self.assertGreater(len(large.changed), len(small.changed))
        self.assertGreater(len(large.off_track), len(small.off_track))
        self.assertEqual(len(large.wins), 10)
