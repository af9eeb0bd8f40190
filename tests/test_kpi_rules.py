"""The ascent's pure rules, on hand-worked examples: formulas, status, progress, forecast,
staleness and the roll-up to goals."""

from __future__ import annotations

import math
from datetime import date, timedelta

from django.test import SimpleTestCase

from cairn.kpis import formula
from cairn.kpis.status import (
    STATUS_RULE,
    Forecast,
    Plan,
    Status,
    forecast,
    headline,
    is_stale,
    progress,
    questions,
    roll_up,
    rule,
    status,
)

# 100 → 200 over exactly 1,000 days, tolerance 10% of the distance (10 units).
UP = Plan(True, 100.0, date(2025, 1, 1), 200.0, date(2025, 1, 1) + timedelta(days=1000), 0.10)
# 50 → 30 (lower is better) over 1,000 days.
DOWN = Plan(False, 50.0, date(2025, 1, 1), 30.0, date(2025, 1, 1) + timedelta(days=1000), 0.10)
HALFWAY = date(2025, 1, 1) + timedelta(days=500)


class FormulaTests(SimpleTestCase):
    def test_reads_and_evaluates_arithmetic_with_precedence(self):
        f = formula.parse("{Cost} / {Orders} * 100 - -2 + (1 + 1) * 3")
        self.assertEqual(f.references, ["Cost", "Orders"])
        self.assertEqual(f.evaluate({"Cost": 50.0, "Orders": 200.0}), 50 / 200 * 100 + 2 + 6)

    def test_the_symbols_people_type_from_a_keyboard_or_a_document(self):
        f = formula.parse("{A} × {B} ÷ 2 − 1")
        self.assertEqual(f.evaluate({"A": 3.0, "B": 4.0}), 5.0)

    def test_names_may_hold_spaces_and_punctuation(self):
        f = formula.parse("{IT operating cost (monthly), $} / { Orders shipped }")
        self.assertEqual(f.references, ["IT operating cost (monthly), $", "Orders shipped"])

    def test_division_by_zero_and_missing_inputs_give_no_value(self):
        f = formula.parse("{A} / {B}")
        self.assertIsNone(f.evaluate({"A": 1.0, "B": 0.0}))
        self.assertIsNone(f.evaluate({"A": 1.0}))
        self.assertIsNone(formula.parse("{A} * 1e300 * 1e300").evaluate({"A": 1e10}))

    def test_malicious_or_broken_formulas_are_refused_with_a_reason(self):
        cases = {
            "__import__('os').system('rm -rf /')": "not allowed",
            "{A}.__class__": "not allowed",
            "open('/etc/passwd')": "not allowed",
            "{A} ** 2": "out of place",
            "lambda: 1": "not allowed",
            "{A}; DROP TABLE kpis_kpi": "not allowed",
            "[x for x in ()]": "not allowed",
            "{A} if 1 else {B}": "not allowed",
            "{A} +": "ends too early",
            "({A} + 1": "not closed",
            "{A} + 1)": "out of place",
            "{}": "empty",
            "{A": "not closed",
            "2 + 3": "uses no KPI",
            "": "empty",
            "1e999 * {A}": "too large",
            "(" * 200 + "{A}" + ")" * 200: "nested too deeply",
            "-" * 200 + "{A}": "nested too deeply",
            "{A} + " * 200 + "1": "longer than",
            " + ".join(f"{{K{i}}}" for i in range(21)): "at most 20",
        }
        for text, reason in cases.items():
            with self.subTest(text=text[:40]):
                with self.assertRaises(formula.FormulaError) as caught:
                    formula.parse(text)
                self.assertIn(reason, str(caught.exception))

    def test_rename_follows_the_kpi(self):
        self.assertEqual(
            formula.rename("{Orders} / { Orders } + {Orders shipped}", "Orders", "Sales"),
            "{Sales} / {Sales} + {Orders shipped}",
        )


class StatusTests(SimpleTestCase):
    def test_straight_path(self):
        self.assertEqual(UP.expected(HALFWAY), 150.0)
        self.assertEqual(UP.expected(date(2020, 1, 1)), 100.0)  # before the baseline
        self.assertEqual(UP.expected(date(2035, 1, 1)), 200.0)  # after the target date
        self.assertEqual(DOWN.expected(HALFWAY), 40.0)

    def test_status_against_the_path_with_the_tolerance(self):
        # Halfway the path says 150; tolerance is 10 units, at risk up to 20 behind.
        expected = {
            150.0: Status.ON_TRACK,
            160.0: Status.ON_TRACK,  # ahead
            140.0: Status.ON_TRACK,  # exactly the tolerance behind
            139.0: Status.AT_RISK,
            130.0: Status.AT_RISK,
            129.9: Status.OFF_TRACK,
            90.0: Status.OFF_TRACK,  # went the wrong way
            200.0: Status.ACHIEVED,
            250.0: Status.ACHIEVED,
        }
        for value, want in expected.items():
            with self.subTest(value=value):
                self.assertEqual(status(UP, value, HALFWAY), want)

    def test_lower_is_better(self):
        # Halfway the path says 40; tolerance is 2 units.
        self.assertEqual(status(DOWN, 41.0, HALFWAY), Status.ON_TRACK)
        self.assertEqual(status(DOWN, 43.0, HALFWAY), Status.AT_RISK)
        self.assertEqual(status(DOWN, 44.5, HALFWAY), Status.OFF_TRACK)
        self.assertEqual(status(DOWN, 30.0, HALFWAY), Status.ACHIEVED)

    def test_progress(self):
        self.assertEqual(progress(UP, 150.0), 0.5)
        self.assertEqual(progress(UP, 90.0), -0.1)
        self.assertEqual(progress(DOWN, 35.0), 0.75)

    def test_the_rule_is_a_sentence_with_the_tolerance(self):
        self.assertIn("10%", rule(10))
        self.assertIn("20% behind", rule(10))

    def test_stale_by_rhythm(self):
        today = date(2026, 6, 30)
        self.assertFalse(is_stale("monthly", today - timedelta(days=45), today))
        self.assertTrue(is_stale("monthly", today - timedelta(days=46), today))
        self.assertTrue(is_stale("weekly", today - timedelta(days=11), today))
        self.assertFalse(is_stale("quarterly", today - timedelta(days=120), today))
        self.assertFalse(is_stale("monthly", None, today))  # never measured: "not measured yet"

    def test_roll_up_takes_the_worst_status_and_the_mean_progress(self):
        state, share = roll_up(
            [(Status.ON_TRACK, 0.5), (Status.AT_RISK, 0.2), (Status.ACHIEVED, 1.4)]
        )
        self.assertEqual(state, Status.AT_RISK)
        self.assertAlmostEqual(share, (0.5 + 0.2 + 1.0) / 3)  # past the target counts as 1
        self.assertEqual(
            roll_up([(Status.OFF_TRACK, -0.2), (Status.ON_TRACK, 0.6)]), (Status.OFF_TRACK, 0.3)
        )
        self.assertEqual(roll_up([(Status.NO_DATA, None)]), (Status.NO_DATA, None))
        self.assertEqual(roll_up([]), (Status.NOT_SET, None))


class ForecastTests(SimpleTestCase):
    def test_a_perfect_line_is_extended_to_the_target_date_with_no_spread(self):
        start = date(2025, 1, 1)
        points = [(start + timedelta(days=100 * i), 100.0 + 10 * i) for i in range(5)]
        result = forecast(points, UP, today=date(2025, 12, 31))
        # 0.1 a day for 1,000 days from 100.
        self.assertAlmostEqual(result.value, 200.0)
        self.assertAlmostEqual(result.low, 200.0)
        self.assertAlmostEqual(result.high, 200.0)
        self.assertTrue(result.meets_target)

    def test_a_slower_pace_misses_the_target_and_the_range_widens_with_noise(self):
        start = date(2025, 1, 1)
        wobble = [0, 3, -3, 2, -2, 1]
        points = [(start + timedelta(days=30 * i), 100.0 + 2 * i + wobble[i]) for i in range(6)]
        result = forecast(points, UP, today=date(2025, 7, 1))
        self.assertLess(result.value, 200)
        self.assertFalse(result.meets_target)
        self.assertLess(result.low, result.value)
        self.assertGreater(result.high, result.value)
        self.assertTrue(math.isclose(result.value - result.low, result.high - result.value))
        self.assertEqual(result.points_used, 6)

    def test_only_the_last_twelve_measurements_count(self):
        start = date(2025, 1, 1)
        old = [(start + timedelta(days=i), 0.0) for i in range(20)]  # an old flat stretch
        recent = [(start + timedelta(days=20 + i), 100.0 + i) for i in range(12)]
        result = forecast(old + recent, UP, today=start + timedelta(days=40))
        self.assertEqual(result.points_used, 12)
        self.assertAlmostEqual(result.value, 100.0 + (1000 - 20))

    def test_no_forecast_without_enough_points_or_once_the_target_date_is_past(self):
        points = [(date(2025, 1, 1), 1.0), (date(2025, 2, 1), 2.0)]
        self.assertIsNone(forecast(points, UP, today=date(2025, 3, 1)))
        points.append((date(2025, 3, 1), 3.0))
        self.assertIsNotNone(forecast(points, UP, today=date(2025, 3, 1)))
        self.assertIsNone(forecast(points, UP, today=date(2028, 1, 1)))


def outlook(value: float) -> Forecast:
    """A forecast landing on ``value`` at UP's target date."""
    return Forecast(value, value - 5, value + 5, UP.reached(value), 12)


class HeadlineTests(SimpleTestCase):
    """UP at HALFWAY: the path says 150; the tolerance is 10 units (10% of 100 → 200)."""

    def test_on_the_path_but_the_forecast_misses_beyond_the_tolerance_is_at_risk(self):
        self.assertEqual(headline(UP, 150, HALFWAY, outlook(191)), Status.ON_TRACK)  # 9 short
        self.assertEqual(headline(UP, 150, HALFWAY, outlook(189)), Status.AT_RISK)  # 11 short
        self.assertEqual(headline(UP, 150, HALFWAY, outlook(120)), Status.AT_RISK)  # never worse
        self.assertEqual(headline(UP, 150, HALFWAY, None), Status.ON_TRACK)

    def test_behind_the_path_and_missing_badly_is_off_track(self):
        self.assertEqual(headline(UP, 135, HALFWAY, outlook(181)), Status.AT_RISK)  # 19 short
        self.assertEqual(headline(UP, 135, HALFWAY, outlook(179)), Status.OFF_TRACK)  # 21 short

    def test_a_forecast_never_makes_a_status_better(self):
        self.assertEqual(headline(UP, 135, HALFWAY, outlook(250)), Status.AT_RISK)
        self.assertEqual(headline(UP, 120, HALFWAY, outlook(250)), Status.OFF_TRACK)
        self.assertEqual(headline(UP, 200, HALFWAY, outlook(120)), Status.ACHIEVED)

    def test_lower_is_better_mirrors_it(self):
        # DOWN at HALFWAY: the path says 40; the tolerance is 2 units (10% of 50 → 30).
        self.assertEqual(
            headline(DOWN, 40, HALFWAY, Forecast(31.5, 30, 33, False, 12)), Status.ON_TRACK
        )
        self.assertEqual(
            headline(DOWN, 40, HALFWAY, Forecast(32.5, 30, 33, False, 12)), Status.AT_RISK
        )

    def test_the_forecast_says_when_it_is_within_the_tolerance(self):
        points = [(date(2025, 1, 1) + timedelta(days=100 * i), 100 + 9.5 * i) for i in range(5)]
        ahead = forecast(points, UP, today=date(2026, 1, 1))
        self.assertFalse(ahead.meets_target)  # 195 at the target date
        self.assertTrue(ahead.within_tolerance)
        self.assertIn("within the tolerance", ahead.verdict)

    def test_the_rule_sentence_names_the_forecast(self):
        self.assertIn("the forecast misses by more than 10%", STATUS_RULE)
        self.assertIn("behind and the forecast misses by more than 20%", rule(10))


class QuestionTests(SimpleTestCase):
    DAY = date(2025, 6, 30)

    def fields(self, value, day=DAY, **kw):
        return [f for f, _ in questions(day, value, **kw)]

    def test_percentages_outside_0_to_100(self):
        self.assertEqual(self.fields(100.0, unit="%"), [])
        self.assertEqual(self.fields(0.0, unit="%"), [])
        self.assertEqual(self.fields(100.5, unit="%"), ["value"])
        self.assertEqual(self.fields(-1, unit=" % "), ["value"])
        self.assertEqual(self.fields(140.0, unit="days"), [])

    def test_the_kpis_own_bounds(self):
        self.assertEqual(self.fields(5, low=5, high=10), [])
        self.assertEqual(self.fields(4.9, low=5, high=10), ["value"])
        self.assertEqual(self.fields(10.1, low=5), [])
        self.assertEqual(self.fields(10.1, high=10), ["value"])

    def test_a_date_before_the_baseline(self):
        self.assertEqual(self.fields(1, baseline_date=self.DAY), [])
        self.assertEqual(self.fields(1, baseline_date=self.DAY + timedelta(days=1)), ["date"])

    def test_a_jump_more_than_five_times_the_median_step_once_there_are_four_values(self):
        series = [
            (date(2025, m, 1), v) for m, v in zip((1, 2, 3, 4), (10, 12, 11, 13), strict=True)
        ]
        # Steps 2, 1, 2: the median is 2, so up to 10 away from the value before (13) passes.
        self.assertEqual(self.fields(23, points=series), [])
        self.assertEqual(self.fields(23.5, points=series), ["value"])
        self.assertEqual(self.fields(2.5, points=series), ["value"])
        # Measured before the series: compared with its first value; three values say nothing.
        self.assertEqual(self.fields(30, day=date(2024, 12, 1), points=series), ["value"])
        self.assertEqual(self.fields(1000, points=series[:3]), [])
        # The value it replaces on the same date does not count; a flat series has no step.
        self.assertEqual(self.fields(13, day=date(2025, 4, 1), points=series), [])
        self.assertEqual(self.fields(99, points=[(date(2025, m, 1), 5.0) for m in range(1, 6)]), [])

    def test_every_reason_names_the_value(self):
        found = questions(self.DAY, 120, unit="%", high=110, baseline_date=date(2026, 1, 1))
        self.assertEqual([f for f, _ in found], ["value", "value", "date"])
        self.assertIn("120% is outside 0–100%", found[0][1])
        self.assertIn("before the baseline date, 2026-01-01", found[2][1])
