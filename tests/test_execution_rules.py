"""The rules of execution on hand-worked examples: health, missing reports, forecast finish,
spend against plan, and benefits realised."""

from datetime import date
from decimal import Decimal
from unittest import TestCase

from cairn.execution import rules
from cairn.execution.rules import BenefitState, Health, ReportState


class HealthTests(TestCase):
    def test_the_worst_of_scope_schedule_and_cost(self):
        self.assertEqual(rules.worst("green", "green", "green"), Health.GREEN)
        self.assertEqual(rules.worst("green", "amber", "green"), Health.AMBER)
        self.assertEqual(rules.worst("amber", "red", "green"), Health.RED)


class PeriodTests(TestCase):
    def test_months_and_financial_quarters(self):
        self.assertEqual(rules.period_of(date(2026, 12, 2)), date(2026, 12, 1))
        # Quarters of a financial year starting in April: Apr–Jun, Jul–Sep, Oct–Dec, Jan–Mar.
        self.assertEqual(rules.period_of(date(2026, 12, 2), 3, 4), date(2026, 10, 1))
        self.assertEqual(rules.period_of(date(2027, 3, 31), 3, 4), date(2027, 1, 1))
        self.assertEqual(rules.period_of(date(2027, 4, 1), 3, 4), date(2027, 4, 1))
        self.assertEqual(rules.period_of(date(2026, 2, 10), 3, 1), date(2026, 1, 1))


class ReportStateTests(TestCase):
    today = date(2026, 12, 2)

    def test_a_report_this_month_or_last_month_is_enough(self):
        for last in [date(2026, 12, 1), date(2026, 11, 3), date(2026, 11, 30)]:
            with self.subTest(last=last):
                self.assertEqual(
                    rules.report_state(last, date(2026, 1, 1), self.today), ReportState.REPORTED
                )

    def test_a_whole_month_without_a_report_is_missing(self):
        # October's report; November ended without one.
        self.assertEqual(
            rules.report_state(date(2026, 10, 28), date(2026, 1, 1), self.today),
            ReportState.MISSING,
        )

    def test_a_new_initiative_owes_its_first_report_after_a_whole_month(self):
        self.assertEqual(
            rules.report_state(None, date(2026, 11, 20), self.today), ReportState.NOT_DUE
        )
        self.assertEqual(
            rules.report_state(None, date(2026, 10, 31), self.today), ReportState.MISSING
        )
        self.assertEqual(rules.report_state(None, None, self.today), ReportState.NOT_DUE)

    def test_quarterly_reporting(self):
        # Calendar quarters: a report in Q3 (Jul–Sep) still counts in Q4; one in Q2 does not.
        self.assertEqual(
            rules.report_state(date(2026, 8, 1), date(2026, 1, 1), self.today, 3),
            ReportState.REPORTED,
        )
        self.assertEqual(
            rules.report_state(date(2026, 6, 30), date(2026, 1, 1), self.today, 3),
            ReportState.MISSING,
        )


class ForecastFinishTests(TestCase):
    planned = date(2027, 6, 30)
    today = date(2026, 12, 2)

    def test_on_plan_without_reports_or_slips(self):
        self.assertEqual(
            rules.forecast_finish(self.planned, date(2026, 1, 1), None, None, [], self.today),
            self.planned,
        )

    def test_an_open_milestone_late_by_30_days_moves_the_finish_by_30_days(self):
        due = [date(2026, 11, 2), date(2026, 11, 20), date(2027, 3, 1)]  # 30 and 12 days late
        self.assertEqual(
            rules.forecast_finish(self.planned, date(2026, 1, 1), None, None, due, self.today),
            date(2027, 7, 30),
        )

    def test_the_pace_of_percent_complete(self):
        # Started 1 Jan 2026; 40% done after 334 days: 100% after 835 days, 15 April 2028.
        start, reported = date(2026, 1, 1), date(2026, 12, 1)
        self.assertEqual(
            rules.forecast_finish(self.planned, start, 40, reported, [], self.today),
            date(2028, 4, 15),
        )
        # Ahead of pace: 80% done, so the plan (later) stands.
        self.assertEqual(
            rules.forecast_finish(self.planned, start, 80, reported, [], self.today),
            self.planned,
        )

    def test_done_is_the_date_of_the_report_that_said_so(self):
        self.assertEqual(
            rules.forecast_finish(
                self.planned, date(2026, 1, 1), 100, date(2026, 11, 15), [], self.today
            ),
            date(2026, 11, 15),
        )


class SpendTests(TestCase):
    def test_variance_and_forecast_from_the_remaining_plan(self):
        plan = rules.spread(Decimal(120_000), date(2026, 7, 1), 12)  # 10,000 a month
        actual = {date(2026, m, 1): Decimal(9_000) for m in range(7, 13)}
        figures = rules.spend(plan, actual, date(2026, 12, 1))
        self.assertEqual(figures.planned_to_date, Decimal(60_000))
        self.assertEqual(figures.actual_to_date, Decimal(54_000))
        self.assertEqual(figures.variance, Decimal(-6_000))
        self.assertAlmostEqual(figures.variance_share, -0.10)
        # 54,000 spent + 60,000 still planned (higher than the run rate: 9,000 × 6).
        self.assertEqual(figures.forecast, Decimal(114_000))
        self.assertFalse(figures.overspent(0.10))

    def test_a_run_rate_above_the_plan_drives_the_forecast(self):
        plan = rules.spread(Decimal(120_000), date(2026, 7, 1), 12)
        actual = {date(2026, m, 1): Decimal(15_000) for m in range(7, 13)}
        figures = rules.spend(plan, actual, date(2026, 12, 1))
        self.assertEqual(figures.variance, Decimal(30_000))
        self.assertAlmostEqual(figures.variance_share, 0.5)
        self.assertEqual(figures.forecast, Decimal(90_000 + 15_000 * 6))
        self.assertEqual(figures.forecast_variance, Decimal(60_000))
        self.assertTrue(figures.overspent(0.10))
        self.assertFalse(figures.overspent(0.60))  # within a 60% tolerance to date…
        self.assertTrue(figures.overspent(0.40))  # …but not at completion beyond 40%

    def test_spend_without_a_plan_is_an_overspend(self):
        figures = rules.spend({}, {date(2026, 11, 1): Decimal(500)}, date(2026, 12, 1))
        self.assertIsNone(figures.variance_share)
        self.assertTrue(figures.overspent(0.10))
        self.assertFalse(rules.spend({}, {}, date(2026, 12, 1)).overspent(0.10))

    def test_a_spread_adds_up_to_the_cent(self):
        plan = rules.spread(Decimal(100), date(2026, 11, 1), 3)
        self.assertEqual(
            plan,
            {
                date(2026, 11, 1): Decimal("33.33"),
                date(2026, 12, 1): Decimal("33.33"),
                date(2027, 1, 1): Decimal("33.34"),
            },
        )
        self.assertEqual(rules.spread(Decimal(100), date(2026, 11, 1), 0), {})


class BenefitTests(TestCase):
    """A promise of +10 points of conversion, from 1 Jan 2026 to 31 Dec 2026 (364 days)."""

    start, due = date(2026, 1, 1), date(2026, 12, 31)

    def state(self, latest, today, *, higher=True, baseline=20.0, promise=10.0, start=start):
        return rules.realised(promise, higher, baseline, latest, start, self.due, today)

    def test_realised_once_the_kpi_moved_by_the_promise(self):
        result = self.state(31.0, date(2026, 9, 1))
        self.assertEqual(result.state, BenefitState.REALISED)
        self.assertAlmostEqual(result.share, 1.1)
        self.assertEqual(self.state(30.0, date(2027, 3, 1)).state, BenefitState.REALISED)

    def test_on_the_way_at_half_the_straight_path_or_more(self):
        # Half-way through the year, the straight path is at +5; half its pace is +2.5.
        self.assertEqual(self.state(22.5, date(2026, 7, 2)).state, BenefitState.ON_THE_WAY)
        self.assertEqual(self.state(22.4, date(2026, 7, 2)).state, BenefitState.BEHIND)

    def test_missed_after_its_date(self):
        result = self.state(25.0, date(2027, 1, 1))
        self.assertEqual(result.state, BenefitState.MISSED)
        self.assertAlmostEqual(result.share, 0.5)

    def test_lower_is_better(self):
        # Cost per order from 4.00 down by 1.00.
        result = rules.realised(1.0, False, 4.0, 3.4, self.start, self.due, date(2026, 7, 2))
        self.assertEqual(result.state, BenefitState.ON_THE_WAY)
        self.assertAlmostEqual(result.movement, 0.6)
        moved_the_wrong_way = rules.realised(
            1.0, False, 4.0, 4.5, self.start, self.due, date(2026, 7, 2)
        )
        self.assertEqual(moved_the_wrong_way.state, BenefitState.BEHIND)

    def test_not_started_without_a_start_or_values(self):
        self.assertEqual(
            self.state(25.0, date(2026, 7, 2), start=None).state, BenefitState.NOT_STARTED
        )
        self.assertEqual(self.state(None, date(2026, 7, 2)).state, BenefitState.NOT_STARTED)
        self.assertEqual(
            self.state(25.0, date(2025, 12, 1)).state, BenefitState.NOT_STARTED
        )  # starts next month
        self.assertEqual(self.state(None, date(2027, 2, 1)).state, BenefitState.MISSED)
