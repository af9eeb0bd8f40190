"""The reminder rules: each fires on the right day, not before, stops when it should, keeps
one period while it fires (so a person is told once), and skips rows without an owner."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse

from cairn.aigov.models import AiPolicy
from cairn.core.models import Membership
from cairn.execution.models import StatusReport
from cairn.governance.models import Action, AgendaItem, CommitteeMember, Meeting, Review
from cairn.kpis import services as kpi_services
from cairn.kpis.models import Kpi, Measurement
from cairn.notifications import rules
from cairn.notifications.kinds import Due, Kind
from cairn.portfolio.models import Initiative
from tests.base import CairnTestCase


def days(first: date, last: date):
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class RuleTestCase(CairnTestCase):
    def fire(self, kind: Kind, day: date, object_id: int | None = None) -> list[Due]:
        """What one rule says on ``day``, for one object when given."""
        found = rules.RULES[kind](rules.facts(self.org, day), day)
        for due in found:
            self.assertEqual(due.kind, kind)
        return [d for d in found if object_id is None or d.object_id == object_id]

    def one(self, kind: Kind, day: date, object_id: int) -> Due:
        found = self.fire(kind, day, object_id)
        self.assertEqual(len(found), 1, f"{kind} on {day}: {found}")
        return found[0]

    def periods(self, kind: Kind, first: date, last: date, object_id: int) -> set[str]:
        """The periods a rule gives for one object on every day of a span (each day fires)."""
        return {self.one(kind, day, object_id).period for day in days(first, last)}

    def measure(self, kpi: Kpi, day: date, value: float = 1.0) -> None:
        Measurement.objects.create(kpi=kpi, date=day, value=value)
        kpi_services.refresh([kpi.pk])


class KpiDueTests(RuleTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.revenue = Kpi.objects.create(
            organization=cls.org,
            name="Online revenue",
            unit="€",
            owner="Dana",
            target_value=500,
            target_date=date(2027, 12, 31),
        )
        Measurement.objects.create(kpi=cls.revenue, date=date(2026, 10, 15), value=320)
        kpi_services.refresh([cls.revenue.pk])

    def test_due_once_the_month_ends_without_a_value(self):
        for day in days(date(2026, 10, 15), date(2026, 11, 30)):  # October has its value
            self.assertEqual(self.fire(Kind.KPI_DUE, day, self.revenue.pk), [], day)
        due = self.one(Kind.KPI_DUE, date(2026, 12, 1), self.revenue.pk)
        self.assertEqual(due.period, "2026-11")
        self.assertEqual(due.subject, "A value of “Online revenue” is due for November 2026")
        self.assertEqual(due.object_type, "kpis.kpi")
        self.assertEqual(due.owner, "Dana")
        self.assertEqual(due.member_ids, ())
        self.assertEqual(
            due.url, reverse("kpis:kpi_detail", args=["acme", self.revenue.pk]) + "#record"
        )
        self.assertIn("Last value: 320 € on 15 October 2026.", due.lines)
        self.assertIn("Target: 500 € by 31 December 2027.", due.lines)
        # The whole of December it is the same reminder: told once.
        self.assertEqual(
            self.periods(Kind.KPI_DUE, date(2026, 12, 1), date(2026, 12, 31), self.revenue.pk),
            {"2026-11"},
        )
        # Still nothing in December: January asks for December.
        self.assertEqual(
            self.one(Kind.KPI_DUE, date(2027, 1, 1), self.revenue.pk).period, "2026-12"
        )

    def test_a_value_stops_it(self):
        self.assertTrue(self.fire(Kind.KPI_DUE, date(2026, 12, 2), self.revenue.pk))
        self.measure(self.revenue, date(2026, 12, 3))
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 12, 4), self.revenue.pk), [])
        # The value of 3 December counts for November and December: nothing until February.
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2027, 1, 20), self.revenue.pk), [])
        self.assertEqual(
            self.one(Kind.KPI_DUE, date(2027, 2, 1), self.revenue.pk).period, "2027-01"
        )

    def test_quarterly_and_weekly_rhythms(self):
        quarterly = Kpi.objects.create(
            organization=self.org, name="NPS", owner="Dana", rhythm="quarterly"
        )
        self.measure(quarterly, date(2026, 8, 10))
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 12, 31), quarterly.pk), [])
        due = self.one(Kind.KPI_DUE, date(2027, 1, 1), quarterly.pk)
        self.assertEqual(due.period, "2026-Q4")
        self.assertEqual(due.subject, "A value of “NPS” is due for Q4 2026")
        weekly = Kpi.objects.create(
            organization=self.org, name="Tickets", owner="Dana", rhythm="weekly"
        )
        self.measure(weekly, date(2026, 11, 20))  # a Friday, in week 47
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 11, 29), weekly.pk), [])
        self.assertEqual(
            self.periods(Kind.KPI_DUE, date(2026, 11, 30), date(2026, 12, 6), weekly.pk),
            {"2026-W48"},
        )
        due = self.one(Kind.KPI_DUE, date(2026, 12, 7), weekly.pk)
        self.assertEqual(due.period, "2026-W49")
        self.assertEqual(
            due.subject, "A value of “Tickets” is due for the week of 30 November 2026"
        )

    def test_never_measured_is_due_and_the_baseline_counts(self):
        new = Kpi.objects.create(organization=self.org, name="Churn", owner="Dana")
        self.assertEqual(
            self.one(Kind.KPI_DUE, date(2026, 12, 1), new.pk).lines[0], "No value recorded yet."
        )
        Kpi.objects.filter(pk=new.pk).update(baseline_date=date(2026, 11, 10), baseline_value=3)
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 12, 1), new.pk), [])

    def test_not_without_owner_nor_for_calculated_kpis(self):
        Kpi.objects.filter(pk=self.revenue.pk).update(owner="  ")
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 12, 1), self.revenue.pk), [])
        derived = self.ascent["derived"]
        Kpi.objects.filter(pk=derived.pk).update(owner="Dana")
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 12, 1), derived.pk), [])
        # The fixture's other KPIs have no owner: nobody is told about them.
        self.assertEqual(self.fire(Kind.KPI_DUE, date(2026, 12, 1)), [])

    def test_only_this_organisations_kpis(self):
        Kpi.objects.filter(organization=self.other_org).update(owner="Dana")
        found = self.fire(Kind.KPI_DUE, date(2026, 12, 1))
        self.assertEqual([d.object_id for d in found], [self.revenue.pk])


class KpiStaleTests(RuleTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.revenue = Kpi.objects.create(organization=cls.org, name="Online revenue", owner="Dana")
        Measurement.objects.create(kpi=cls.revenue, date=date(2026, 10, 15), value=320)
        kpi_services.refresh([cls.revenue.pk])

    def test_stale_after_its_rhythm_allows_once(self):
        # A monthly KPI may go 45 days without a value: 29 November is the 45th.
        self.assertEqual(self.fire(Kind.KPI_STALE, date(2026, 11, 29), self.revenue.pk), [])
        due = self.one(Kind.KPI_STALE, date(2026, 11, 30), self.revenue.pk)
        self.assertEqual(
            due.subject, "“Online revenue” has gone stale: no value since 15 October 2026"
        )
        self.assertEqual(due.owner, "Dana")
        # However long it stays stale, it is the same reminder.
        self.assertEqual(
            self.periods(Kind.KPI_STALE, date(2026, 11, 30), date(2027, 3, 1), self.revenue.pk),
            {"2026-11"},
        )

    def test_a_value_stops_it_and_going_stale_again_tells_again(self):
        self.measure(self.revenue, date(2026, 12, 10))
        self.assertEqual(self.fire(Kind.KPI_STALE, date(2026, 12, 11), self.revenue.pk), [])
        self.assertEqual(self.fire(Kind.KPI_STALE, date(2027, 1, 24), self.revenue.pk), [])
        self.assertEqual(
            self.one(Kind.KPI_STALE, date(2027, 1, 25), self.revenue.pk).period, "2027-01"
        )

    def test_not_without_owner_nor_never_measured(self):
        Kpi.objects.filter(pk=self.revenue.pk).update(owner="")
        self.assertEqual(self.fire(Kind.KPI_STALE, date(2026, 12, 30), self.revenue.pk), [])
        new = Kpi.objects.create(organization=self.org, name="Churn", owner="Dana")
        self.assertEqual(self.fire(Kind.KPI_STALE, date(2026, 12, 30), new.pk), [])


class ActionTests(RuleTestCase):
    """The fixture's action: "Send the numbers", Raj, due 1 February 2026."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.action = cls.guideposts["action"]

    def test_due_in_three_days(self):
        pk = self.action.pk
        self.assertEqual(self.fire(Kind.ACTION_DUE, date(2026, 1, 28), pk), [])
        due = self.one(Kind.ACTION_DUE, date(2026, 1, 29), pk)
        self.assertEqual(due.subject, "“Send the numbers” is due in 3 days")
        self.assertEqual(due.period, "2026-02-01")
        self.assertEqual(due.owner, "Raj")
        self.assertEqual(due.object_type, "governance.action")
        meeting = self.guideposts["meeting"]
        self.assertEqual(
            due.url, reverse("governance:meeting_detail", args=["acme", meeting.pk]) + "#actions"
        )
        self.assertIn("Due by Sunday 1 February 2026.", due.lines)
        self.assertEqual(
            self.one(Kind.ACTION_DUE, date(2026, 1, 31), pk).subject,
            "“Send the numbers” is due tomorrow",
        )
        self.assertEqual(
            self.periods(Kind.ACTION_DUE, date(2026, 1, 29), date(2026, 1, 31), pk), {"2026-02-01"}
        )
        self.assertEqual(self.fire(Kind.ACTION_DUE, date(2026, 2, 1), pk), [])  # the day itself
        self.assertEqual(self.fire(Kind.ACTION_DUE, date(2026, 2, 2), pk), [])

    def test_overdue_from_the_day_after_once(self):
        pk = self.action.pk
        self.assertEqual(self.fire(Kind.ACTION_OVERDUE, date(2026, 2, 1), pk), [])
        due = self.one(Kind.ACTION_OVERDUE, date(2026, 2, 2), pk)
        self.assertEqual(due.period, "2026-02-01:overdue")
        self.assertEqual(
            due.subject, "“Send the numbers” was due on 1 February 2026 and is not done"
        )
        self.assertEqual(
            self.periods(Kind.ACTION_OVERDUE, date(2026, 2, 2), date(2026, 3, 15), pk),
            {"2026-02-01:overdue"},
        )

    def test_not_when_done_nor_without_owner(self):
        Action.objects.filter(pk=self.action.pk).update(done=True)
        for kind, day in [
            (Kind.ACTION_DUE, date(2026, 1, 30)),
            (Kind.ACTION_OVERDUE, date(2026, 2, 5)),
        ]:
            self.assertEqual(self.fire(kind, day), [])
        Action.objects.filter(pk=self.action.pk).update(done=False, owner="")
        for kind, day in [
            (Kind.ACTION_DUE, date(2026, 1, 30)),
            (Kind.ACTION_OVERDUE, date(2026, 2, 5)),
        ]:
            self.assertEqual(self.fire(kind, day), [])


class ReportDueTests(RuleTestCase):
    """The fixture's "Clean the data", in progress, reported on 20 November 2026; monthly
    reports."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.initiative = cls.roadmap["first"]
        Initiative.objects.filter(pk=cls.initiative.pk).update(owner="Lee")

    def report(self, day: date) -> None:
        StatusReport.objects.create(
            organization=self.org,
            initiative=self.initiative,
            reported_on=day,
            health="green",
            scope_health="green",
            schedule_health="green",
            cost_health="green",
            percent_complete=60,
            progress="Going well.",
        )

    def test_due_in_the_last_week_of_a_period_without_a_report(self):
        pk = self.initiative.pk
        for day in days(date(2026, 11, 20), date(2026, 12, 24)):
            self.assertEqual(self.fire(Kind.REPORT_DUE, day, pk), [], day)
        due = self.one(Kind.REPORT_DUE, date(2026, 12, 25), pk)
        self.assertEqual(
            due.subject, "A status report on “Clean the data” is due for December 2026"
        )
        self.assertEqual(due.period, "2026-12-01")
        self.assertEqual(due.owner, "Lee")
        self.assertEqual(due.object_type, "portfolio.initiative")
        self.assertEqual(due.url, reverse("execution:report_create", args=["acme", pk]))
        self.assertIn("Due by 31 December 2026.", due.lines)
        self.assertIn("Latest report: 20 November 2026, needs attention, 40% done.", due.lines)
        self.assertEqual(
            self.periods(Kind.REPORT_DUE, date(2026, 12, 25), date(2026, 12, 31), pk),
            {"2026-12-01"},
        )

    def test_a_report_stops_it(self):
        self.report(date(2026, 12, 26))
        self.assertEqual(self.fire(Kind.REPORT_DUE, date(2026, 12, 27), self.initiative.pk), [])
        self.assertEqual(self.fire(Kind.REPORT_DUE, date(2027, 1, 2), self.initiative.pk), [])
        self.assertEqual(
            self.one(Kind.REPORT_DUE, date(2027, 1, 25), self.initiative.pk).period, "2027-01-01"
        )

    def test_missing_report_tells_at_the_start_of_the_next_period(self):
        pk = self.initiative.pk
        due = self.one(Kind.REPORT_DUE, date(2027, 1, 1), pk)
        self.assertEqual(due.period, "2027-01-01")
        self.assertIn("The report for December 2026 is missing.", due.lines)
        self.assertEqual(
            self.periods(Kind.REPORT_DUE, date(2027, 1, 1), date(2027, 1, 31), pk), {"2027-01-01"}
        )

    def test_quarterly_reports(self):
        self.org.report_every_months = 3
        self.org.save()
        pk = self.initiative.pk
        self.assertEqual(self.fire(Kind.REPORT_DUE, date(2026, 12, 24), pk), [])
        # Reported in Q4: nothing owed for Q4; Q1 2027 is owed at its end.
        self.assertEqual(self.fire(Kind.REPORT_DUE, date(2026, 12, 28), pk), [])
        due = self.one(Kind.REPORT_DUE, date(2027, 3, 25), pk)
        self.assertEqual(due.period, "2027-01-01")
        self.assertEqual(due.subject, "A status report on “Clean the data” is due for Q1 2027")

    def test_not_without_owner_nor_once_done(self):
        second = self.roadmap["second"]  # under way, never reported, no owner
        self.assertEqual(self.fire(Kind.REPORT_DUE, date(2027, 3, 1), second.pk), [])
        Initiative.objects.filter(pk=self.initiative.pk).update(status="done")
        self.assertEqual(self.fire(Kind.REPORT_DUE, date(2027, 1, 1)), [])


class CommitteeTestCase(RuleTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.seat_owner = Membership.objects.get(user=cls.owner, organization=cls.org)
        cls.seat_editor = Membership.objects.get(user=cls.editor, organization=cls.org)
        seat = cls.guideposts["seat"]
        CommitteeMember.objects.filter(pk=seat.pk).update(membership=cls.seat_editor)
        CommitteeMember.objects.create(
            organization=cls.org, committee=seat.committee, membership=cls.seat_owner, name="O"
        )
        cls.members = tuple(sorted([cls.seat_owner.pk, cls.seat_editor.pk]))

    def nobody_with_access(self):
        CommitteeMember.objects.filter(organization=self.org).update(membership=None)


class MeetingSoonTests(CommitteeTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.meeting = Meeting.objects.create(
            organization=cls.org,
            committee=cls.guideposts["seat"].committee,
            title="Q4 meeting",
            held_on=date(2026, 12, 10),
        )
        AgendaItem.objects.create(meeting=cls.meeting, title="Approve the CRM", position=1)
        AgendaItem.objects.create(meeting=cls.meeting, title="Budget 2027", position=2)

    def test_five_days_before(self):
        pk = self.meeting.pk
        self.assertEqual(self.fire(Kind.MEETING_SOON, date(2026, 12, 4), pk), [])
        due = self.one(Kind.MEETING_SOON, date(2026, 12, 5), pk)
        self.assertEqual(due.subject, "“Q4 meeting” is in 5 days, on Thursday 10 December 2026")
        self.assertEqual(due.period, f"{pk}:2026-12-10")
        self.assertEqual(due.lines, ("Approve the CRM", "Budget 2027"))
        self.assertEqual(due.member_ids, self.members)
        self.assertEqual(due.owner, "")
        page = reverse("governance:meeting_detail", args=["acme", pk])
        self.assertEqual(due.url, page)
        self.assertEqual(
            due.links,
            (
                ("The meeting", page),
                ("The briefing pack", reverse("governance:meeting_briefing", args=["acme", pk])),
            ),
        )
        self.assertEqual(
            self.periods(Kind.MEETING_SOON, date(2026, 12, 5), date(2026, 12, 9), pk),
            {f"{pk}:2026-12-10"},
        )
        self.assertEqual(self.fire(Kind.MEETING_SOON, date(2026, 12, 10), pk), [])
        self.assertEqual(self.fire(Kind.MEETING_SOON, date(2026, 12, 11), pk), [])

    def test_a_meeting_moved_is_told_again(self):
        Meeting.objects.filter(pk=self.meeting.pk).update(held_on=date(2026, 12, 17))
        self.assertEqual(self.fire(Kind.MEETING_SOON, date(2026, 12, 9), self.meeting.pk), [])
        due = self.one(Kind.MEETING_SOON, date(2026, 12, 12), self.meeting.pk)
        self.assertEqual(due.period, f"{self.meeting.pk}:2026-12-17")

    def test_nobody_to_tell(self):
        self.nobody_with_access()
        self.assertEqual(self.fire(Kind.MEETING_SOON, date(2026, 12, 6)), [])


class DecisionsWaitingTests(CommitteeTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.proposed = cls.path["initiative"]  # "Automate quoting"
        Initiative.objects.filter(pk=cls.proposed.pk).update(status="proposed")
        Initiative.objects.filter(pk=cls.other_path["initiative"].pk).update(status="proposed")

    def test_weekly_while_proposals_wait(self):
        due = self.one(
            Kind.DECISIONS_WAITING, date(2026, 11, 30), self.guideposts["seat"].committee_id
        )
        self.assertEqual(due.subject, "One proposal is waiting for the committee's decision")
        self.assertEqual(due.lines, ("Automate quoting",))  # not the other organisation's
        self.assertEqual(due.member_ids, self.members)
        self.assertEqual(due.object_type, "governance.committee")
        self.assertEqual(
            due.links,
            (
                (
                    "Automate quoting",
                    reverse("portfolio:initiative_detail", args=["acme", self.proposed.pk]),
                ),
            ),
        )
        committee = self.guideposts["seat"].committee_id
        self.assertEqual(
            self.periods(Kind.DECISIONS_WAITING, date(2026, 11, 30), date(2026, 12, 6), committee),
            {"2026-W49"},
        )
        self.assertEqual(
            self.one(Kind.DECISIONS_WAITING, date(2026, 12, 7), committee).period, "2026-W50"
        )

    def test_stops_once_decided_and_nobody_to_tell(self):
        Initiative.objects.filter(pk=self.proposed.pk).update(status="approved")
        self.assertEqual(self.fire(Kind.DECISIONS_WAITING, date(2026, 12, 1)), [])
        Initiative.objects.filter(pk=self.proposed.pk).update(status="proposed")
        self.nobody_with_access()
        self.assertEqual(self.fire(Kind.DECISIONS_WAITING, date(2026, 12, 1)), [])

    def test_many_are_counted(self):
        Initiative.objects.bulk_create(
            [
                Initiative(organization=self.org, title=f"Idea {n:02}", status="proposed")
                for n in range(12)
            ]
        )
        due = self.fire(Kind.DECISIONS_WAITING, date(2026, 12, 1))[0]
        self.assertEqual(due.subject, "13 proposals are waiting for the committee's decision")
        self.assertEqual(len(due.lines), rules.LINES_SHOWN + 1)
        self.assertEqual(due.lines[-1], "… and 3 more.")


class ReviewDueTests(CommitteeTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.review = Review.objects.create(
            organization=cls.org, kind="quarterly", title="Q4 check-in", due=date(2026, 12, 31)
        )

    def test_within_a_month_then_overdue(self):
        pk = self.review.pk
        self.assertEqual(self.fire(Kind.REVIEW_DUE, date(2026, 11, 29), pk), [])
        due = self.one(Kind.REVIEW_DUE, date(2026, 11, 30), pk)
        self.assertEqual(due.subject, "“Q4 check-in” is due by 31 December 2026")
        self.assertEqual(due.member_ids, self.members)
        self.assertEqual(due.url, reverse("governance:review_detail", args=["acme", pk]))
        self.assertEqual(
            self.periods(Kind.REVIEW_DUE, date(2026, 11, 30), date(2026, 12, 31), pk),
            {"2026-12-31:soon"},
        )
        self.assertEqual(
            self.periods(Kind.REVIEW_DUE, date(2027, 1, 1), date(2027, 2, 1), pk),
            {"2026-12-31:overdue"},
        )
        self.assertEqual(
            self.one(Kind.REVIEW_DUE, date(2027, 1, 1), pk).subject,
            "“Q4 check-in” is overdue: it was due by 31 December 2026",
        )

    def test_not_once_completed_nor_with_nobody_to_tell(self):
        # The fixture's annual review was completed: it is never announced.
        self.assertEqual(
            self.fire(Kind.REVIEW_DUE, date(2026, 4, 1), self.guideposts["review"].pk), []
        )
        Review.objects.filter(pk=self.review.pk).update(completed_on=date(2026, 12, 5))
        self.assertEqual(self.fire(Kind.REVIEW_DUE, date(2026, 12, 6)), [])
        Review.objects.filter(pk=self.review.pk).update(completed_on=None)
        self.nobody_with_access()
        self.assertEqual(self.fire(Kind.REVIEW_DUE, date(2026, 12, 6)), [])


class PolicyReviewTests(RuleTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.policy = cls.aigov["policy"]
        AiPolicy.objects.filter(pk=cls.policy.pk).update(owner="Dana", review_by=date(2027, 1, 15))

    def test_within_a_month_then_overdue(self):
        pk = self.policy.pk
        self.assertEqual(self.fire(Kind.POLICY_REVIEW, date(2026, 12, 14), pk), [])
        due = self.one(Kind.POLICY_REVIEW, date(2026, 12, 15), pk)
        self.assertEqual(
            due.subject, "“People decide about people” is due for review by 15 January 2027"
        )
        self.assertEqual(due.owner, "Dana")
        self.assertEqual(due.object_type, "aigov.aipolicy")
        self.assertEqual(due.url, reverse("aigov:policy_list", args=["acme"]))
        self.assertEqual(
            self.periods(Kind.POLICY_REVIEW, date(2026, 12, 15), date(2027, 1, 15), pk),
            {"2027-01-15:soon"},
        )
        self.assertEqual(
            self.periods(Kind.POLICY_REVIEW, date(2027, 1, 16), date(2027, 3, 1), pk),
            {"2027-01-15:overdue"},
        )

    def test_not_without_owner_nor_review_date(self):
        AiPolicy.objects.filter(pk=self.policy.pk).update(owner="")
        self.assertEqual(self.fire(Kind.POLICY_REVIEW, date(2027, 1, 20)), [])
        AiPolicy.objects.filter(pk=self.policy.pk).update(owner="Dana", review_by=None)
        self.assertEqual(self.fire(Kind.POLICY_REVIEW, date(2027, 1, 20)), [])


class DueNowTests(CommitteeTestCase):
    def test_every_rule_on_one_load(self):
        Kpi.objects.filter(pk=self.ascent["kpi"].pk).update(owner="Dana")
        Initiative.objects.filter(pk=self.path["initiative"].pk).update(status="proposed")
        AiPolicy.objects.filter(pk=self.aigov["policy"].pk).update(
            owner="Dana", review_by=date(2026, 12, 20)
        )
        found = rules.due_now(self.org, date(2026, 12, 1))
        kinds = {d.kind for d in found}
        self.assertEqual(
            kinds,
            {
                Kind.KPI_DUE,
                Kind.KPI_STALE,
                Kind.ACTION_OVERDUE,
                Kind.DECISIONS_WAITING,
                Kind.POLICY_REVIEW,
            },
        )
        self.assertNotIn(Kind.DIGEST, rules.RULES)
        # The digest has its own plan; a failing KPI connector is told by its run, as it fails.
        self.assertEqual(set(rules.RULES), set(Kind) - {Kind.DIGEST, Kind.CONNECTOR_FAILING})
        for due in found:
            self.assertTrue(due.url.startswith("/o/acme/"), due.url)
            self.assertTrue(due.owner or due.member_ids, due)
            self.assertNotIn("Acme", due.subject)

    def test_a_fixed_number_of_queries(self):
        """15 queries: KPIs; actions with their meetings; the execution figures (plan,
        initiatives, first reports, spend, milestones); owners; the committee; its members;
        meetings and their agendas; proposals; reviews; policies."""
        day = date(2026, 12, 1)
        small = self.assertQueryCount(15, rules.facts, self.org, day)
        committee = self.guideposts["seat"].committee
        for n in range(15):
            kpi = Kpi.objects.create(organization=self.org, name=f"KPI {n}", owner="Dana")
            self.measure(kpi, date(2026, 9, 1))
            meeting = Meeting.objects.create(
                organization=self.org,
                committee=committee,
                title=f"M {n}",
                held_on=day + timedelta(days=1 + n % 5),
            )
            AgendaItem.objects.create(meeting=meeting, title=f"Point {n}")
            Action.objects.create(
                organization=self.org,
                meeting=meeting,
                description=f"Do {n}",
                owner="Raj",
                due=day + timedelta(days=n % 4),
            )
            Initiative.objects.create(
                organization=self.org, title=f"Under way {n}", status="in_progress", owner="Lee"
            )
            Initiative.objects.create(
                organization=self.org, title=f"Proposed {n}", status="proposed"
            )
            Review.objects.create(
                organization=self.org, kind="quarterly", title=f"R {n}", due=day + timedelta(days=n)
            )
            AiPolicy.objects.create(
                organization=self.org,
                area="data",
                title=f"P {n}",
                text="x",
                owner="Dana",
                review_by=day + timedelta(days=n),
            )
        large = self.assertQueryCount(15, rules.facts, self.org, day)
        self.assertGreater(len(large.kpis), len(small.kpis))
        self.assertGreater(len(large.meetings), len(small.meetings))
        # The rules themselves read nothing.
        with self.assertNumQueries(0):
            found = [d for rule in rules.RULES.values() for d in rule(large, day)]
        self.assertTrue(found)
