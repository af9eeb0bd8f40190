"""The terrain: TIME rule, gap rules on hand-built cases, SWOT board, pages, API."""

import json

from django.urls import reverse

from cairn.assessment import gaps
from cairn.assessment.models import (
    Application,
    Capability,
    Process,
    SwotItem,
    Team,
    suggest_disposition,
)
from cairn.core import services
from cairn.core.models import AuditEvent, Organization
from cairn.exchange.kinds import KINDS
from cairn.goals.models import BusinessGoal
from tests.base import PAGE, CairnTestCase, make_goal


class DispositionTests(CairnTestCase):
    def test_time_quadrants(self):
        self.assertEqual(suggest_disposition(health=4, fit=4), "invest")
        self.assertEqual(suggest_disposition(health=2, fit=4), "migrate")
        self.assertEqual(suggest_disposition(health=4, fit=2), "tolerate")
        self.assertEqual(suggest_disposition(health=1, fit=1), "eliminate")
        self.assertEqual(suggest_disposition(health=3, fit=3), "invest")  # 3 counts as good

    def test_database_rule_matches_python_rule_for_every_score(self):
        org = Organization.objects.create(name="Grid", slug="grid")
        for health in range(1, 6):
            for fit in range(1, 6):
                Application.objects.create(
                    organization=org, name=f"{health}{fit}", health=health, fit=fit
                )
        Application.objects.create(
            organization=org, name="forced", health=5, fit=5, disposition="eliminate"
        )
        for app in Application.objects.filter(organization=org).with_disposition():
            with self.subTest(app=app.name):
                self.assertEqual(app.effective_disposition, app.effective)

    def test_override_needs_a_reason(self):
        self.login("editor")
        data = {
            "name": "Old CRM",
            "annual_cost": 100,
            "users": 3,
            "lifecycle": "active",
            "health": 1,
            "fit": 1,
            "disposition": "invest",
        }
        response = self.client.post(self.url("assessment:application_create"), data)
        self.assertContains(response, "Say why you chose differently")
        self.assertFalse(Application.objects.filter(name="Old CRM").exists())
        data["disposition_reason"] = "Contract runs to 2027"
        self.client.post(self.url("assessment:application_create"), data)
        app = Application.objects.get(name="Old CRM")
        self.assertTrue(app.is_overridden)
        self.assertEqual(app.effective, "invest")


class GapRuleTests(CairnTestCase):
    """Each rule on a small organisation built for it."""

    def setUp(self):
        self.o = Organization.objects.create(name="Gaps", slug="gaps")
        self.high = make_goal(self.o, "High goal", priority=1)
        self.low = make_goal(self.o, "Low goal", priority=3)
        self.lonely = make_goal(self.o, "Nobody serves me", priority=2)
        self.sales = Capability.objects.create(organization=self.o, name="Sales")
        self.quoting = Capability.objects.create(
            organization=self.o, name="Quoting", parent=self.sales
        )
        self.support = Capability.objects.create(organization=self.o, name="Support")
        self.empty = Capability.objects.create(organization=self.o, name="Nothing behind me")
        self.sales.goals.set([self.high])
        self.quoting.goals.set([self.high])
        self.support.goals.set([self.low])

    def app(self, name, health, fit, capabilities, **kw):
        app = Application.objects.create(
            organization=self.o, name=name, health=health, fit=fit, **kw
        )
        app.capabilities.set(capabilities)
        return app

    def test_goals_without_capability(self):
        self.assertEqual(list(gaps.goals_without_capability(self.o)), [self.lonely])

    def test_weak_capabilities(self):
        self.app("Spreadsheet", 1, 2, [self.quoting])
        self.app("Good helpdesk", 4, 4, [self.support])
        self.app("Retired good tool", 5, 5, [self.empty], lifecycle="retired")
        weak = {c.name: c.in_use for c in gaps.weak_capabilities(self.o)}
        # Sales has a child, so it is judged through Quoting; Support has a good application.
        self.assertEqual(weak, {"Quoting": 1, "Nothing behind me": 0})

    def test_unhealthy_apps_on_priority_goals(self):
        sick = self.app("Sick quoting", 2, 4, [self.quoting])
        self.app("Sick support", 1, 4, [self.support])  # only a low-priority goal
        self.app("Healthy quoting", 4, 4, [self.quoting])
        self.app("Retired sick", 1, 1, [self.quoting], lifecycle="retired")
        self.assertEqual(list(gaps.unhealthy_apps_on_priority_goals(self.o)), [sick])

    def test_painful_manual_processes_on_a_goals_path(self):
        on_path = Process.objects.create(
            organization=self.o, name="Quote by hand", automation="manual", pain=5
        )
        on_path.capabilities.set([self.quoting])
        off_path = Process.objects.create(
            organization=self.o, name="Filing", automation="manual", pain=5
        )
        off_path.capabilities.set([self.empty])
        mild = Process.objects.create(organization=self.o, name="Mild", automation="manual", pain=3)
        mild.capabilities.set([self.quoting])
        auto = Process.objects.create(
            organization=self.o, name="Auto", automation="automated", pain=5
        )
        auto.capabilities.set([self.quoting])
        self.assertEqual(list(gaps.painful_manual_processes(self.o)), [on_path])

    def test_spend_to_retire_uses_overrides(self):
        self.app("Eliminate me", 1, 1, [], annual_cost=1000)
        self.app("Migrate me", 1, 4, [], annual_cost=500)
        self.app(
            "Kept by choice",
            1,
            1,
            [],
            annual_cost=9999,
            disposition="tolerate",
            disposition_reason="Needed until 2027",
        )
        self.app(
            "Forced out",
            5,
            5,
            [],
            annual_cost=7,
            disposition="eliminate",
            disposition_reason="Vendor exits",
        )
        self.app("Retired", 1, 1, [], annual_cost=100000, lifecycle="retired")
        found = gaps.spend_to_retire(self.o)
        self.assertEqual([a.name for a in found], ["Eliminate me", "Migrate me", "Forced out"])
        lists = {g.key: g for g in gaps.gap_lists(self.o)}
        self.assertEqual(lists["spend"].total_cost, 1507)

    def test_unanswered_questions(self):
        def item(kind, question, answer=""):
            return SwotItem.objects.create(
                organization=self.o,
                kind=kind,
                statement=question,
                it_question=question,
                it_answer=answer,
            )

        open_weakness = item("weakness", "How to automate quoting?")
        item("weakness", "Answered?", "Yes: a quoting tool")
        open_threat = item("threat", "How to resist attacks?")
        item("opportunity", "Could we sell online?")
        SwotItem.objects.create(organization=self.o, kind="threat", statement="No question")
        # threats first, then weaknesses, each most important first
        self.assertEqual(list(gaps.unanswered_questions(self.o)), [open_threat, open_weakness])

    def test_support_scores_and_rollup(self):
        self.assertIsNone(gaps.support_score(None, None, None))
        self.assertEqual(gaps.support_score(5, 5, None), 100)
        self.assertEqual(gaps.support_score(1, 1, None), 0)
        self.assertEqual(gaps.support_score(5, 5, 1), 70)
        self.app("Quoter", 3, 5, [self.quoting])  # (4 - 1) / 4 = 75
        support = gaps.capability_support(self.o)
        self.assertEqual(support[self.quoting.pk], 75)
        self.assertEqual(support[self.sales.pk], 75)  # rolled up from its child
        self.assertIsNone(support[self.empty.pk])
        heat = gaps.heatmap(self.o)
        rows = {c.name: cells for c, cells in heat.rows()}
        goal_index = heat.goals.index(self.high)
        self.assertEqual(rows["Quoting"][goal_index][:2], (75, "Strong"))
        self.assertIsNone(rows["Quoting"][heat.goals.index(self.low)])  # does not serve it


class CapabilityFormTests(CairnTestCase):
    def test_tree_is_at_most_three_deep_and_has_no_loops(self):
        self.login("editor")
        a = Capability.objects.create(organization=self.org, name="A")
        b = Capability.objects.create(organization=self.org, name="B", parent=a)
        c = Capability.objects.create(organization=self.org, name="C", parent=b)
        response = self.client.post(
            self.url("assessment:capability_create"), {"name": "D", "parent": c.pk}
        )
        self.assertContains(response, "at most 3 levels deep")
        response = self.client.post(
            self.url("assessment:capability_edit", a.pk), {"name": "A", "parent": c.pk}
        )
        self.assertContains(response, "not one of the available choices")

    def test_duplicate_name_is_a_field_error(self):
        self.login("editor")
        response = self.client.post(
            self.url("assessment:capability_create"), {"name": "Quote to cash"}
        )
        self.assertContains(response, "There is already a capability named")

    def test_deleting_a_parent_is_refused_with_a_message(self):
        self.login("editor")
        parent = self.terrain["capability"]
        Capability.objects.create(organization=self.org, name="Child", parent=parent)
        response = self.client.post(
            self.url("assessment:capability_delete", parent.pk), follow=True
        )
        self.assertContains(response, "cannot be deleted while these depend on it: Child")
        self.assertTrue(Capability.objects.filter(pk=parent.pk).exists())


class SwotBoardTests(CairnTestCase):
    def test_new_items_go_last_and_move(self):
        first = self.terrain["swot"]
        second = SwotItem.objects.create(organization=self.org, kind="weakness", statement="B")
        self.assertEqual((first.rank, second.rank), (1, 2))
        self.login("editor")
        self.client.post(self.url("assessment:swot_move", second.pk), {"direction": "up"})
        ranks = dict(
            SwotItem.objects.filter(kind="weakness", organization=self.org).values_list(
                "statement", "rank"
            )
        )
        self.assertEqual(ranks, {"B": 1, "Quoting is manual": 2})
        self.assertTrue(
            AuditEvent.objects.filter(object_type="assessment.swotitem", action="update").exists()
        )

    def test_add_in_place_returns_the_quadrant(self):
        self.login("editor")
        url = self.url("assessment:swot_create") + "?kind=threat"
        form = self.client.get(url, HTTP_HX_REQUEST="true")
        self.assertRegex(
            form.content.decode(), r'value="threat"[^>]*selected|selected[^>]*value="threat"'
        )
        response = self.client.post(
            url,
            {
                "kind": "threat",
                "statement": "New rules could fine us",
                "it_question": "Where are we exposed?",
            },
            HTTP_HX_REQUEST="true",
        )
        self.assertEqual(response["HX-Retarget"], "#quadrant-threat")
        self.assertContains(response, "New rules could fine us")
        self.assertContains(response, "Not answered yet")

    def test_filter_by_goal(self):
        other_goal = make_goal(self.org, "Other goal")
        tagged = SwotItem.objects.create(organization=self.org, kind="strength", statement="Ours")
        tagged.goals.set([other_goal])
        self.login("viewer")
        response = self.client.get(self.url("assessment:swot") + f"?goal={other_goal.pk}")
        self.assertContains(response, "Ours")
        self.assertNotContains(response, "Quoting is manual")
        huge = self.client.get(self.url("assessment:swot") + "?goal=99999999999999999999999")
        self.assertEqual(huge.status_code, 200)


class TerrainPageTests(CairnTestCase):
    def grow(self, n):
        for i in range(n):
            cap = Capability.objects.create(organization=self.org, name=f"Cap {n}-{i}")
            cap.goals.set([self.goal])
            team = Team.objects.create(organization=self.org, name=f"Team {n}-{i}")
            proc = Process.objects.create(
                organization=self.org, name=f"Proc {n}-{i}", team=team, pain=5
            )
            proc.capabilities.set([cap])
            app = Application.objects.create(organization=self.org, name=f"App {n}-{i}", health=1)
            app.capabilities.set([cap])
            app.processes.set([proc])
            SwotItem.objects.create(
                organization=self.org, kind="threat", statement=f"T {n}-{i}", it_question="?"
            )

    def test_query_counts_do_not_grow(self):
        self.login("owner")
        # Every page: PAGE (session, user, membership, switcher, inbox bell); then:
        pages = [
            ("assessment:swot", PAGE + 3),  # goals for the filter, items, their goals
            # heatmap 6 (links, goals, capabilities, 3 support); six lists, each items + count
            ("assessment:gaps", PAGE + 18),
            ("assessment:capability_list", PAGE + 5),  # capabilities, goals, 3 support queries
            ("assessment:team_list", PAGE + 2),  # teams with counts, total
            ("assessment:process_list", PAGE + 2),  # processes with teams, capabilities
            ("assessment:application_list", PAGE + 4),  # totals, page count, one page, capabilities
            # The data page that replaced the terrain's import page: the rows of each kind
            # counted, one query per kind (21, goals to glossary), then the recent imports.
            ("exchange:index", PAGE + len(KINDS) + 1),
        ]
        for name, expected in pages:
            with self.subTest(page=name):
                self.assertQueryCount(expected, self.client.get, self.url(name))
        self.grow(6)
        for name, expected in pages:
            with self.subTest(page=name, grown=True):
                self.assertQueryCount(expected, self.client.get, self.url(name))

    def test_empty_pages_say_what_belongs_there(self):
        empty = Organization.objects.create(name="Empty", slug="empty")
        from cairn.core.models import Membership

        Membership.objects.create(user=self.editor, organization=empty, role="editor")
        self.login("editor")
        for name, text in [
            ("assessment:capability_list", "No capabilities yet"),
            ("assessment:team_list", "No teams yet"),
            ("assessment:process_list", "No processes yet"),
            ("assessment:application_list", "No applications yet"),
            ("assessment:gaps", "Link your"),
        ]:
            with self.subTest(page=name):
                self.assertContains(self.client.get(reverse(name, args=["empty"])), text)

    def test_application_filters(self):
        self.login("viewer")
        Application.objects.create(organization=self.org, name="Sturdy tool", health=5, fit=5)
        url = self.url("assessment:application_list")
        eliminate = self.client.get(url + "?disposition=eliminate")
        self.assertContains(eliminate, "Spreadsheet pricing")
        self.assertNotContains(eliminate, "Sturdy tool")
        self.assertContains(self.client.get(url + "?q=sturdy"), "Sturdy tool")
        self.assertContains(self.client.get(url + "?q=zzz"), "No application matches")


class TerrainApiTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = services.create_api_token(cls.editor, "t")[1]

    def api(self, method, path, body=None):
        return self.client.generic(
            method,
            f"/api/v1/orgs/acme{path}",
            json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )

    def test_application_round_trip(self):
        cap = self.terrain["capability"]
        response = self.api(
            "POST",
            "/applications",
            {
                "name": "New CRM",
                "annual_cost": "12000.50",
                "health": 2,
                "fit": 5,
                "capability_ids": [cap.pk],
                "lifecycle": "planned",
            },
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(body["suggested_disposition"], "migrate")
        self.assertEqual(body["effective_disposition"], "migrate")
        self.assertEqual(body["capability_ids"], [cap.pk])
        bad = self.api("POST", "/applications", {"name": "X", "health": 6})
        self.assertEqual(bad.status_code, 422)
        dup = self.api("POST", "/applications", {"name": "New CRM"})
        self.assertEqual(dup.status_code, 422)
        self.assertIn("already", json.dumps(dup.json()))
        foreign = self.api(
            "POST",
            "/applications",
            {"name": "Y", "capability_ids": [self.other_terrain["capability"].pk]},
        )
        self.assertEqual(foreign.status_code, 422)

    def test_gaps_endpoint(self):
        body = self.api("GET", "/gaps").json()
        by_key = {g["key"]: g for g in body}
        self.assertEqual(by_key["spend"]["count"], 1)
        self.assertEqual(by_key["questions"]["items"][0]["name"], "Quoting is manual")

    def test_list_query_counts(self):
        self.api("GET", "/teams")  # the token's last use is written at most once a minute
        for path, expected in [
            ("/applications", 6),
            ("/capabilities", 5),
            ("/teams", 4),
            ("/processes", 5),
            ("/swot", 5),
        ]:
            with self.subTest(path=path):
                self.assertQueryCount(expected, self.api, "GET", path)
                BusinessGoal.objects.create(
                    organization=self.org, title=f"g{path}", target_date="2030-01-01"
                )
                for i in range(3):
                    Application.objects.create(organization=self.org, name=f"{path}{i}")
                    Team.objects.create(organization=self.org, name=f"{path}{i}")
                self.assertQueryCount(expected, self.api, "GET", path)
