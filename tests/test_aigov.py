"""AI governance: the tier rules on hand-picked cases, the register's gaps, the NIST
checklist, overdue policies on the agenda and the dashboard."""

from __future__ import annotations

from datetime import date, timedelta

from django.test import SimpleTestCase
from django.utils import timezone

from cairn.aigov import rules, services
from cairn.aigov.models import AiPolicy, AiUseCase
from cairn.governance.models import Decision
from cairn.governance.services import draft_agenda
from cairn.kpis import dashboard
from tests.base import PAGE, CairnTestCase


class TierTests(SimpleTestCase):
    def test_the_purpose_decides_and_sensitive_automatic_decisions_are_raised(self):
        cases = [
            ("social_scoring", "assists", [], "prohibited"),
            ("emotion_workplace", "assists", ["employee"], "prohibited"),
            ("employment", "assists", ["employee"], "high"),
            ("credit", "approves", ["financial"], "high"),
            ("chatbot", "automatic", ["customer"], "limited"),
            ("generated_content", "assists", ["public"], "limited"),
            ("internal", "automatic", ["financial"], "minimal"),
            ("internal", "automatic", ["health", "customer"], "high"),
            ("chatbot", "automatic", ["children"], "high"),
            ("internal", "assists", ["health"], "minimal"),
            ("unknown", "assists", [], "minimal"),
        ]
        for purpose, automation, data, expected in cases:
            with self.subTest(purpose=purpose, automation=automation, data=data):
                self.assertEqual(rules.tier(purpose, automation, data).key, expected)
        reason = rules.tier("internal", "automatic", ["health"]).reason
        self.assertIn("decides on its own with health data", reason)
        self.assertIn(
            "the Act lists this as high risk", rules.tier("employment", "assists", []).reason
        )


class RegisterTests(CairnTestCase):
    def test_gaps_of_a_high_risk_use_case_close_one_by_one(self):
        case = self.aigov["usecase"]
        self.assertEqual(
            services.gaps_of(case),
            ["is high risk with no owner", "is high risk with no approved policy"],
        )
        case.automation = "automatic"
        self.assertIn("is high risk with no person in the loop", services.gaps_of(case))
        case.automation = "assists"
        case.owner = "Head of HR"
        policy = self.aigov["policy"]
        policy.approved_by = Decision.objects.create(
            organization=self.org, title="OK", outcome="OK"
        )
        policy.save()
        case.policies.add(policy)
        self.assertEqual(services.gaps_of(case), [])
        orphan = AiUseCase.objects.create(
            organization=self.org, title="Bot", description="x", purpose="chatbot"
        )
        self.assertEqual(services.gaps_of(orphan), ["serves no business goal"])

    def test_override_needs_a_reason_and_the_register_groups_by_tier(self):
        self.login("editor")
        response = self.client.post(
            self.url("aigov:usecase_create"),
            {
                "title": "Churn prediction",
                "description": "Predicts who may leave",
                "purpose": "internal",
                "automation": "assists",
                "status": "pilot",
                "goals": [self.goal.pk],
                "tier_override": "high",
            },
        )
        self.assertContains(response, "Say why the tier is set by hand.")
        self.client.post(
            self.url("aigov:usecase_create"),
            {
                "title": "Churn prediction",
                "description": "Predicts who may leave",
                "purpose": "internal",
                "automation": "assists",
                "status": "pilot",
                "data": ["customer"],
                "goals": [self.goal.pk],
                "tier_override": "limited",
                "override_reason": "Sales calls customers it flags; we tell them",
            },
        )
        churn = AiUseCase.objects.get(title="Churn prediction")
        self.assertEqual((churn.tier.key, churn.suggested_tier.key), ("limited", "minimal"))
        self.assertEqual(churn.data, ["customer"])
        found = services.register(self.org)
        self.assertEqual([c.title for c in found.by_tier["high"]], ["CV screening"])
        self.assertEqual([c.title for c in found.by_tier["limited"]], ["Churn prediction"])
        self.login("viewer")
        self.assertQueryCount(PAGE + 3, self.client.get, self.url("aigov:register"))

    def test_nist_checklist(self):
        self.login("editor")
        case = self.aigov["usecase"]
        self.client.post(self.url("aigov:usecase_nist", case.pk), {"govern": "on", "map": "on"})
        case.refresh_from_db()
        self.assertEqual(
            case.nist, {"govern": True, "map": True, "measure": False, "manage": False}
        )

    def test_overdue_policies_reach_the_agenda_and_the_dashboard(self):
        today = timezone.localdate()
        AiPolicy.objects.filter(pk=self.aigov["policy"].pk).update(
            review_by=today - timedelta(days=1)
        )
        kinds = {d.kind for d in draft_agenda(self.org, today)}
        self.assertIn("policy", kinds)
        d = dashboard.figures(self.org, today)
        self.assertEqual([p.pk for p in d.policies_overdue], [self.aigov["policy"].pk])
        AiPolicy.objects.filter(pk=self.aigov["policy"].pk).update(review_by=date(2099, 1, 1))
        self.assertEqual(dashboard.figures(self.org, today).policies_overdue, [])
