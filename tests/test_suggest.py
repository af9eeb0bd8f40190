"""Suggested links: the ranking on a small made-up organisation, the glossary, what is left
out, accepting a link (audited, editors only, within the organisation), the API and the
number of queries."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.test import override_settings

from cairn.aigov.models import AiUseCase
from cairn.assessment.models import Application, Capability
from cairn.core import services as core_services
from cairn.core.models import AuditEvent, Membership, Organization, Role
from cairn.goals.models import PainPoint
from cairn.kpis import dashboard
from cairn.kpis.models import Kpi
from cairn.language.models import GlossaryTerm
from cairn.links import evaluate, suggest
from cairn.portfolio.models import Initiative
from tests.base import PAGE, CairnTestCase, make_goal

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


class SuggestTestCase(CairnTestCase):
    """Acme's fixtures, plus Northwind: three goals whose words differ, and rows to link."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.north = org = Organization.objects.create(name="Northwind", slug="northwind")
        Membership.objects.create(user=cls.editor, organization=org, role=Role.EDITOR)
        Membership.objects.create(user=cls.viewer, organization=org, role=Role.VIEWER)
        cls.costs = make_goal(
            org,
            "Cut operating costs by 20%",
            description="Spend less on suppliers, invoices and month-end work done by hand.",
        )
        cls.service = make_goal(
            org,
            "Lead the industry in customer service",
            description="Customers get an answer in one contact, by phone, chat or in store.",
        )
        cls.rental = make_goal(
            org,
            "Launch a gear rental service",
            description="Rent tents and skis from every store, with bookings and deposits.",
        )
        cls.invoices = Initiative.objects.create(
            organization=org, title="Automatic supplier-invoice matching", one_off_cost=10
        )
        cls.bookings = Initiative.objects.create(
            organization=org,
            title="Rental booking and deposits",
            description="Book tents and skis online; take the deposit at the till.",
            one_off_cost=20,
        )
        cls.chat = Initiative.objects.create(
            organization=org, title="Chat for customers asking about orders", one_off_cost=5
        )
        cls.chat.goals.set([cls.service])
        cls.pain = PainPoint.objects.create(
            organization=org, title="Supplier invoices matched by hand", severity=4
        )
        GlossaryTerm.objects.create(
            organization=org, term="CRM", meaning="The system that holds every customer's history"
        )
        cls.crm_kpi = Kpi.objects.create(organization=org, name="CRM adoption", unit="%")
        cls.case = AiUseCase.objects.create(
            organization=org,
            title="Invoice reader",
            description="Reads supplier invoices and matches them to orders.",
        )
        cls.capability = Capability.objects.create(
            organization=org, name="Rent out gear", description="Bookings, deposits, check-in."
        )
        Capability.objects.create(organization=org, name="Finance and close")
        cls.app = Application.objects.create(organization=org, name="Rental booking spreadsheet")
        cls.key = core_services.create_api_token(cls.editor, "t")[1]
        cls.viewer_key = core_services.create_api_token(cls.viewer, "t")[1]

    def setUp(self):
        cache.clear()

    def found(self, item, kind):
        item = suggest.queryset(kind).get(pk=item.pk)
        return suggest.suggest(self.north, item, kind)

    def url(self, name, *args):
        from django.urls import reverse

        return reverse(name, args=[self.north.slug, *args])


class RankingTests(SuggestTestCase):
    def test_the_goal_sharing_the_telling_words_comes_first_with_them(self):
        goals = self.found(self.bookings, "initiative")["goal"]
        self.assertEqual(goals[0].target, self.rental)
        self.assertLessEqual({"rental", "deposits"}, set(goals[0].words))
        self.assertTrue(all(a.score >= b.score for a, b in zip(goals, goals[1:], strict=False)))
        goals = self.found(self.invoices, "initiative")["goal"]
        self.assertEqual(goals[0].target, self.costs)
        self.assertIn("invoice", goals[0].words)  # invoices and invoice are one word

    def test_an_initiative_also_gets_the_pain_points_it_answers(self):
        found = self.found(self.invoices, "initiative")
        self.assertEqual(found["painpoint"][0].target, self.pain)
        self.assertEqual(set(found), {"goal", "painpoint", "swot"})

    def test_the_glossary_expands_abbreviations(self):
        goals = self.found(self.crm_kpi, "kpi")["goal"]
        # "CRM" shares no word with any goal; its meaning shares "customer".
        self.assertEqual(goals[0].target, self.service)
        self.assertIn("customer", goals[0].words)
        GlossaryTerm.objects.filter(organization=self.north).delete()
        self.assertEqual(self.found(self.crm_kpi, "kpi")["goal"], [])

    def test_links_already_made_are_left_out(self):
        self.bookings.goals.add(self.rental)
        goals = self.found(self.bookings, "initiative")["goal"]
        self.assertNotIn(self.rental, [s.target for s in goals])

    def test_what_links_to_a_goal_teaches_the_next_suggestion(self):
        # "orders" is in no goal's own text: the chat initiative linked to service brings it.
        goals = self.found(self.case, "usecase")["goal"]
        self.assertEqual(goals[0].target, self.costs)  # supplier invoices
        order_kpi = Kpi.objects.create(organization=self.north, name="Orders answered in chat")
        self.assertEqual(self.found(order_kpi, "kpi")["goal"][0].target, self.service)

    def test_an_application_gets_capabilities(self):
        caps = self.found(self.app, "application")["capability"]
        self.assertEqual(caps[0].target, self.capability)

    def test_nothing_in_common_suggests_nothing(self):
        odd = Initiative.objects.create(organization=self.north, title="Paint the walls")
        self.assertEqual(self.found(odd, "initiative")["goal"], [])

    def test_the_measurement_finds_hidden_links_again(self):
        self.invoices.goals.add(self.costs)
        self.bookings.goals.add(self.rental)
        rows = {r["links"]: r for r in evaluate.hidden_links(self.north).rows()}
        self.assertEqual(rows["initiative → goal"]["n"], 3)
        self.assertEqual(rows["initiative → goal"]["first"], 1.0)
        self.assertIn("all → goal", evaluate.table(list(rows.values())))


class CardTests(SuggestTestCase):
    def test_editor_links_in_one_click_and_it_is_audited(self):
        self.login("editor")
        page = self.client.get(self.url("links:initiative", self.bookings.pk))
        self.assertContains(page, "Launch a gear rental service")
        self.assertContains(page, "Shared words:")
        self.assertContains(page, f'value="goal:{self.rental.pk}"')
        before = AuditEvent.objects.count()
        response = self.client.post(
            self.url("links:initiative_accept", self.bookings.pk),
            {"target": f"goal:{self.rental.pk}"},
        )
        self.assertRedirects(response, self.url("links:initiative", self.bookings.pk))
        self.assertEqual(list(self.bookings.goals.all()), [self.rental])
        event = AuditEvent.objects.get(pk__gt=0, id__gt=0, object_id=self.bookings.pk)
        self.assertEqual(AuditEvent.objects.count(), before + 1)
        self.assertEqual((event.before["goals"], event.after["goals"]), ([], [self.rental.pk]))
        self.assertEqual(event.actor, self.editor)
        self.bookings.refresh_from_db()
        self.assertEqual(self.bookings.version, 2)
        # Linked: no longer suggested; linking again is refused, nothing audited.
        page = self.client.get(self.url("links:initiative", self.bookings.pk))
        self.assertNotContains(page, f'value="goal:{self.rental.pk}"')
        again = self.client.post(
            self.url("links:initiative_accept", self.bookings.pk),
            {"target": f"goal:{self.rental.pk}"},
            follow=True,
        )
        self.assertContains(again, "already linked")
        self.assertEqual(AuditEvent.objects.count(), before + 1)

    def test_htmx_link_reloads_the_page(self):
        self.login("editor")
        response = self.client.post(
            self.url("links:kpi_accept", self.crm_kpi.pk),
            {"target": f"goal:{self.service.pk}"},
            HTTP_HX_REQUEST="true",
        )
        self.assertEqual((response.status_code, response["HX-Refresh"]), (204, "true"))
        self.assertEqual(list(self.crm_kpi.goals.all()), [self.service])

    def test_viewer_sees_suggestions_without_the_button_and_cannot_post(self):
        self.login("viewer")
        page = self.client.get(self.url("links:initiative", self.bookings.pk))
        self.assertContains(page, "Launch a gear rental service")
        self.assertNotContains(page, 'name="target"')
        response = self.client.post(
            self.url("links:initiative_accept", self.bookings.pk),
            {"target": f"goal:{self.rental.pk}"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.bookings.goals.exists())

    def test_other_organisations_rows_are_not_found(self):
        self.login("editor")
        other = self.other_path["initiative"]
        self.assertEqual(self.client.get(self.url("links:initiative", other.pk)).status_code, 404)
        accept = self.url("links:initiative_accept", self.bookings.pk)
        before = AuditEvent.objects.count()
        # a goal of another organisation (Globex, where the editor is no member)
        response = self.client.post(accept, {"target": f"goal:{self.other_goal.pk}"})
        self.assertEqual(response.status_code, 404)
        # an initiative of Acme, where the editor is a member, through Northwind's address
        mine = self.url("links:initiative_accept", self.path["initiative"].pk)
        self.assertEqual(
            self.client.post(mine, {"target": f"goal:{self.rental.pk}"}).status_code, 404
        )
        self.assertEqual(self.client.post(accept, {"target": "kpi:1"}).status_code, 400)
        self.assertEqual(self.client.post(accept, {"target": "goal:x"}).status_code, 400)
        self.assertEqual(AuditEvent.objects.count(), before)
        self.assertFalse(self.bookings.goals.exists())

    def test_the_pages_card_is_fetched_after_the_page(self):
        self.login("editor")
        detail = self.client.get(
            reverse_org("portfolio:initiative_detail", self.north, self.bookings.pk)
        )
        card = self.url("links:initiative", self.bookings.pk)
        self.assertContains(detail, f'hx-get="{card}"')
        for name, pk in [
            ("kpis:kpi_detail", self.crm_kpi.pk),
            ("aigov:usecase_detail", self.case.pk),
            ("goals:painpoint_list", None),
            ("assessment:application_list", None),
            ("portfolio:initiative_list", None),
            ("kpis:kpi_list", None),
            ("aigov:register", None),
        ]:
            with self.subTest(page=name):
                page = self.client.get(reverse_org(name, self.north, pk))
                self.assertContains(page, 'id="suggested-links"')

    def test_a_new_pain_point_shows_its_suggestion_on_the_list(self):
        self.login("editor")
        response = self.client.post(
            reverse_org("goals:painpoint_create", self.north),
            {"title": "Deposits for rented skis are tracked on paper", "severity": 3},
            follow=True,
        )
        self.assertContains(response, "Deposits for rented skis")
        card = self.client.get(self.url("links:painpoint_unlinked"), HTTP_HX_REQUEST="true")
        self.assertContains(card, "Deposits for rented skis are tracked on paper")
        self.assertContains(card, "Launch a gear rental service")
        new = PainPoint.objects.get(title__startswith="Deposits")
        self.client.post(
            self.url("links:painpoint_accept", new.pk),
            {"target": f"goal:{self.rental.pk}", "back": "list"},
        )
        self.assertEqual(list(new.goals.all()), [self.rental])
        card = self.client.get(self.url("links:painpoint_unlinked"), HTTP_HX_REQUEST="true")
        self.assertNotContains(card, "Deposits for rented skis")

    def test_query_counts_are_fixed(self):
        self.login("viewer")
        # PAGE; the row and its links prefetched; the glossary; per kind of target its rows
        # (goals: two, what links to them in one union) and, for an initiative, the pain
        # points and SWOT items (one each)
        pages = [
            ("links:initiative", self.bookings.pk, PAGE + 1 + 4 + 1 + 2 + 1 + 1),
            ("links:kpi", self.crm_kpi.pk, PAGE + 1 + 1 + 1 + 2),
            ("links:painpoint", self.pain.pk, PAGE + 1 + 1 + 1 + 2),
            ("links:usecase", self.case.pk, PAGE + 1 + 1 + 1 + 2),
            ("links:application", self.app.pk, PAGE + 1 + 2 + 1 + 2),
            # the newest rows linked to nothing, their prefetches, the glossary, the targets
            ("links:initiative_unlinked", None, PAGE + 1 + 4 + 1 + 2),
            ("links:kpi_unlinked", None, PAGE + 1 + 1 + 1 + 2),
            ("links:painpoint_unlinked", None, PAGE + 1 + 1 + 1 + 2),
            ("links:usecase_unlinked", None, PAGE + 1 + 1 + 1 + 2),
            ("links:application_unlinked", None, PAGE + 1 + 2 + 1 + 2),
        ]

        def check():
            for name, pk, expected in pages:
                with self.subTest(page=name):
                    args = [pk] if pk else []
                    self.assertQueryCount(expected, self.client.get, self.url(name, *args))

        check()
        for n in range(6):
            goal = make_goal(self.north, f"Goal {n} about rental deposits")
            Initiative.objects.create(organization=self.north, title=f"I{n}").goals.set([goal])
            PainPoint.objects.create(organization=self.north, title=f"Pain {n} of rental")
            Capability.objects.create(organization=self.north, name=f"Capability {n}")
            GlossaryTerm.objects.create(organization=self.north, term=f"T{n}", meaning="rental")
        check()


def reverse_org(name, org, pk=None):
    from django.urls import reverse

    return reverse(name, args=[org.slug] + ([pk] if pk else []))


@override_settings(CACHES=LOCMEM)
class DashboardTests(SuggestTestCase):
    def test_each_initiative_serving_no_goal_shows_its_best_goal(self):
        self.login("editor")
        home = self.client.get(reverse_org("org_home", self.north))
        self.assertContains(home, "Initiatives that serve no goal")
        body = home.content.decode()
        start = body.index('id="unlinked-initiatives"')
        listing = body[start : body.index("</ul>", start)]
        self.assertIn("Rental booking and deposits", listing)
        self.assertIn("Perhaps: Launch a gear rental service", listing)
        accept = self.url("links:initiative_accept", self.bookings.pk)
        self.assertIn(f'hx-post="{accept}"', listing)
        self.assertIn(f'"target": "goal:{self.rental.pk}"', listing)
        self.login("viewer")
        home = self.client.get(reverse_org("org_home", self.north))
        self.assertContains(home, "Perhaps: Launch a gear rental service")
        self.assertNotContains(home, f'hx-post="{accept}"')

    def test_the_suggestions_cost_three_queries_whatever_the_data(self):
        shiny = list(Initiative.objects.filter(organization=self.north, goals=None))
        goals = dashboard.goal_roll_ups(self.north)
        # the glossary, what links to the goals, the initiatives' own links
        self.assertQueryCount(3, suggest.top_goals, self.north, shiny, goals)
        for n in range(5):
            Initiative.objects.create(organization=self.north, title=f"Rental deposits {n}")
        shiny = list(Initiative.objects.filter(organization=self.north, goals=None))
        found = self.assertQueryCount(3, suggest.top_goals, self.north, shiny, goals)
        self.assertEqual(found[self.bookings.pk].target, self.rental)
        self.assertQueryCount(0, suggest.top_goals, self.north, [], goals)


class ApiTests(SuggestTestCase):
    def api(self, method, path, body=None, key=None):
        return self.client.generic(
            method,
            f"/api/v1/orgs/northwind{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key or self.key}",
        )

    def test_read_and_accept(self):
        got = self.api("GET", f"/initiatives/{self.bookings.pk}/suggestions")
        self.assertEqual(got.status_code, 200)
        first = got.json()["suggestions"][0]
        self.assertEqual(first["target"], f"goal:{self.rental.pk}")
        self.assertIn("rental", first["words"])
        self.assertGreater(first["score"], 0)
        one = self.api("GET", f"/initiatives/{self.bookings.pk}/suggestions?limit=1").json()
        self.assertEqual(len([s for s in one["suggestions"] if s["kind"] == "goal"]), 1)
        made = self.api(
            "POST", f"/initiatives/{self.bookings.pk}/links", {"target": first["target"]}
        )
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(
            made.json(), {"target": first["target"], "title": self.rental.title, "version": 2}
        )
        event = AuditEvent.objects.get(
            object_id=self.bookings.pk, object_type="portfolio.initiative"
        )
        self.assertEqual((event.via, event.after["goals"]), ("api", [self.rental.pk]))
        again = self.api(
            "POST", f"/initiatives/{self.bookings.pk}/links", {"target": first["target"]}
        )
        self.assertEqual(again.status_code, 400)
        self.assertIn("already linked", again.json()["detail"])
        caps = self.api("GET", f"/applications/{self.app.pk}/suggestions").json()
        self.assertEqual(caps["suggestions"][0]["target"], f"capability:{self.capability.pk}")

    def test_bad_input_is_a_4xx_with_details(self):
        path = f"/kpis/{self.crm_kpi.pk}/links"
        for body, where in [
            ({}, "target"),
            ({"target": 12}, "target"),
            ({"target": "swot:1"}, "target"),  # a KPI links to goals only
            ({"target": f"goal:{self.other_goal.pk}"}, "target"),  # another organisation's
            ({"target": "goal:99999999999999999999"}, "target"),
        ]:
            with self.subTest(body=body):
                response = self.api("POST", path, body)
                self.assertEqual(response.status_code, 422, response.content)
                self.assertEqual(response.json()["detail"][0]["loc"][-1], where)
                self.assertTrue(response.json()["detail"][0]["msg"])
        self.assertEqual(
            self.api("GET", f"/kpis/{self.crm_kpi.pk}/suggestions?limit=0").status_code, 422
        )
        self.assertEqual(self.api("GET", "/kpis/0/suggestions").status_code, 404)
        other = self.other_ascent["kpi"].pk
        self.assertEqual(self.api("GET", f"/kpis/{other}/suggestions").status_code, 404)
        self.assertEqual(
            self.api(
                "POST", f"/kpis/{other}/links", {"target": f"goal:{self.service.pk}"}
            ).status_code,
            404,
        )
        self.assertFalse(self.crm_kpi.goals.exists())

    def test_viewer_reads_but_cannot_accept(self):
        path = f"/ai-use-cases/{self.case.pk}"
        self.assertEqual(
            self.api("GET", f"{path}/suggestions", key=self.viewer_key).status_code, 200
        )
        refused = self.api(
            "POST", f"{path}/links", {"target": f"goal:{self.costs.pk}"}, key=self.viewer_key
        )
        self.assertEqual(refused.status_code, 403)
        self.assertFalse(self.case.goals.exists())

    def test_query_counts_are_fixed(self):
        # token, membership; the row and its goals; the glossary; goals and what links to them
        path = f"/pain-points/{self.pain.pk}/suggestions"
        self.api("GET", path)  # the token's first use of the minute is written down
        before = self.assertQueryCount(2 + 2 + 1 + 2, self.api, "GET", path)
        for n in range(5):
            make_goal(self.north, f"Goal {n} on invoices")
        after = self.assertQueryCount(2 + 2 + 1 + 2, self.api, "GET", path)
        self.assertGreater(len(after.json()["suggestions"]), len(before.json()["suggestions"]))
