"""Set-up, signing in, organisations, people, invitations, tokens, activity."""

import re

from django.contrib.auth.models import User
from django.test import TestCase
from django.utils import timezone

from cairn.core.models import ApiToken, AuditEvent, Invitation, Membership, Organization, Role
from tests.base import PAGE, PASSWORD, CairnTestCase


class FirstRunTests(TestCase):
    def test_first_page_leads_to_setup_then_setup_disappears(self):
        self.assertRedirects(self.client.get("/"), "/setup/")
        self.assertRedirects(self.client.get("/o/anything/"), "/setup/")
        response = self.client.post(
            "/setup/",
            {
                "username": "morgan",
                "password1": "a-long-passphrase",
                "password2": "a-long-passphrase",
                "organization_name": "Summit Outfitters",
            },
        )
        org = Organization.objects.get()
        self.assertRedirects(response, f"/o/{org.slug}/")
        self.assertEqual(org.slug, "summit-outfitters")
        membership = Membership.objects.get()
        self.assertEqual((membership.user.username, membership.role), ("morgan", Role.OWNER))
        home = self.client.get(f"/o/{org.slug}/")
        self.assertContains(home, "Getting started")
        self.assertContains(home, "0 of 14 done")
        self.client.logout()
        self.assertEqual(self.client.get("/setup/").status_code, 404)
        self.assertRedirects(self.client.get("/"), "/accounts/login/?next=/")

    def test_setup_refuses_bad_input(self):
        response = self.client.post(
            "/setup/",
            {"username": "", "password1": "short", "password2": "other", "organization_name": ""},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            set(response.context["form"].errors), {"username", "password2", "organization_name"}
        )
        self.assertFalse(User.objects.exists())

    def test_healthz(self):
        self.assertEqual(self.client.get("/healthz").json(), {"status": "ok"})


class SignInTests(CairnTestCase):
    def test_sign_in_and_out(self):
        response = self.client.post(
            "/accounts/login/", {"username": "viewer", "password": PASSWORD}, follow=True
        )
        self.assertRedirects(response, "/o/acme/")
        self.assertContains(response, "read-only access")
        self.client.post("/accounts/logout/")
        self.assertRedirects(self.client.get("/o/acme/"), "/accounts/login/?next=/o/acme/")

    def test_wrong_password_is_said_plainly(self):
        response = self.client.post("/accounts/login/", {"username": "viewer", "password": "no"})
        self.assertContains(response, "do not match")

    def test_a_consultant_chooses_between_organisations(self):
        Membership.objects.create(user=self.owner, organization=self.other_org, role=Role.VIEWER)
        self.login("owner")
        response = self.client.get("/")
        self.assertContains(response, "Acme")
        self.assertContains(response, "Globex")
        page = self.client.get("/o/globex/destination/")
        self.assertContains(page, "Globex secret goal")
        self.assertContains(page, 'href="/o/acme/"')  # the switcher

    def test_start_another_organisation(self):
        self.login("viewer")
        response = self.client.post(
            "/orgs/new/",
            {
                "name": "Harbour Dental",
                "fiscal_year_start": 4,
                "planning_horizon_years": 5,
                "change_target_percent": 40,
            },
        )
        org = Organization.objects.get(name="Harbour Dental")
        self.assertRedirects(response, f"/o/{org.slug}/")
        self.assertEqual((org.fiscal_year_start, org.planning_horizon_years), (4, 5))
        self.assertEqual(Membership.objects.get(organization=org).role, Role.OWNER)
        # A blank organisation scores with the four standard criteria at once, audited,
        # and its roadmap starts with the current (fiscal) quarter.
        from cairn.portfolio.models import Criterion
        from cairn.portfolio.scoring import STANDARD
        from cairn.roadmap.models import Plan, first_of_quarter

        criteria = Criterion.objects.filter(organization=org).order_by("-weight")
        self.assertEqual(
            [(c.name, c.source, c.weight) for c in criteria],
            [(name, source, weight) for name, source, weight, _ in STANDARD],
        )
        self.assertEqual(
            AuditEvent.objects.filter(organization=org, object_type="portfolio.criterion").count(),
            4,
        )
        plan = Plan.for_org(org)
        self.assertEqual(plan.starts_on, first_of_quarter(timezone.localdate(), 4))
        self.assertEqual(plan.today, 0)

    def test_settings_refuse_bad_values(self):
        self.login("owner")
        response = self.client.post(
            self.url("organization_settings"),
            {
                "name": " ",
                "fiscal_year_start": 13,
                "planning_horizon_years": 0,
                "change_target_percent": 101,
            },
        )
        self.assertEqual(
            set(response.context["form"].errors),
            {"name", "fiscal_year_start", "planning_horizon_years", "change_target_percent"},
        )
        self.assertEqual(Organization.objects.get(pk=self.org.pk).name, "Acme")


class PeopleViewTests(CairnTestCase):
    def invite(self, role="editor"):
        self.login("owner")
        response = self.client.post(
            self.url("invitation_create"), {"label": "Sam", "role": role}, follow=True
        )
        return re.search(r"/join/([\w-]+)/", response.content.decode()).group(0)

    def test_new_person_joins_with_the_link(self):
        link = self.invite("editor")
        self.client.logout()
        page = self.client.get(link)
        self.assertContains(page, "Join Acme")
        response = self.client.post(
            link,
            {"username": "sam", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
        )
        self.assertRedirects(response, "/o/acme/")
        self.assertEqual(Membership.objects.get(user__username="sam").role, Role.EDITOR)
        self.client.logout()
        self.assertEqual(self.client.get(link).status_code, 404)  # used once only

    def test_existing_account_joins_a_second_organisation(self):
        link = self.invite("viewer")
        self.login("outsider")
        self.client.post(link)
        self.assertTrue(
            Membership.objects.filter(user=self.outsider, organization=self.org).exists()
        )

    def test_owner_changes_roles_but_keeps_an_owner(self):
        self.login("owner")
        editor = Membership.objects.get(user=self.editor)
        self.client.post(self.url("member_role", editor.pk), {"role": "viewer"})
        self.assertEqual(Membership.objects.get(pk=editor.pk).role, Role.VIEWER)
        own = Membership.objects.get(user=self.owner)
        response = self.client.post(
            self.url("member_role", own.pk), {"role": "viewer"}, follow=True
        )
        self.assertContains(response, "at least one owner")
        response = self.client.post(
            self.url("member_role", editor.pk), {"role": "king"}, follow=True
        )
        self.assertContains(response, "Pick one of the roles")

    def test_owner_removes_a_member_and_revokes_a_link(self):
        self.invite()
        viewer = Membership.objects.get(user=self.viewer)
        self.client.post(self.url("member_remove", viewer.pk))
        self.assertFalse(Membership.objects.filter(pk=viewer.pk).exists())
        invitation = Invitation.objects.get(organization=self.org)
        self.client.post(self.url("invitation_revoke", invitation.pk))
        self.assertEqual(Invitation.objects.get(pk=invitation.pk).state, "revoked")
        self.assertTrue(
            AuditEvent.objects.filter(object_type="core.membership", action="delete").exists()
        )

    def test_tokens_are_shown_once_and_revocable(self):
        self.login("editor")
        response = self.client.post(
            "/profile/", {"name": "Finance import", "scope": "write", "days": "90"}
        )
        key = response.context["new_key"]
        self.assertTrue(key.startswith("cairn_"))
        self.assertNotContains(self.client.get("/profile/"), key)
        token = ApiToken.objects.get(user=self.editor)
        self.client.post(f"/profile/tokens/{token.pk}/delete/")
        self.assertFalse(ApiToken.objects.filter(pk=token.pk).exists())
        empty = self.client.post("/profile/", {"name": ""})
        self.assertIn("name", empty.context["form"].errors)

    def test_activity_lists_changes_with_before_and_after(self):
        self.login("editor")
        self.client.post(
            self.url("goals:goal_edit", self.goal.pk),
            {"title": "Grow share fast", "target_date": "2030-01-01", "priority": 1},
        )
        response = self.client.get(self.url("activity"))
        self.assertContains(response, "Grow market share")
        self.assertContains(response, "Grow share fast")
        self.assertContains(response, "Business goal")
        filtered = self.client.get(self.url("activity") + "?type=core.membership")
        self.assertNotContains(filtered, "Grow share fast")

    def test_viewer_sees_why_they_cannot_change(self):
        self.login("viewer")
        response = self.client.get(self.url("goals:goal_create"))
        self.assertContains(
            response, "You can read this organisation but not change it.", status_code=403
        )


class ChecklistTests(CairnTestCase):
    def test_checklist_ticks_itself(self):
        from cairn.checklist import getting_started

        done = [s.done for s in getting_started(self.org)]
        # goal yes; every goal has a mission; an interview; every pain linked; 3 members;
        # a SWOT with one quadrant only; a capability linked to a goal; every app mapped;
        # one initiative serves no goal; no scenario solved; nothing placed; a milestone;
        # a committee of both sides with a meeting; the goal has a measured KPI
        self.assertEqual(
            done,
            [True, True, True, True, True, False, True, True, False, False, False, True, True]
            + [True],
        )
        fresh = Organization.objects.create(name="Fresh", slug="fresh")
        self.assertEqual([s.done for s in getting_started(fresh)], [False] * 14)


class DashboardChecklistTests(CairnTestCase):
    def test_the_checklist_stays_until_dismissed(self):
        self.login("editor")
        home = self.client.get(self.url("org_home"))
        # Acme has goals but not every step done: the checklist stays, with its button.
        self.assertContains(home, "Getting started")
        self.assertContains(home, "of 14 done")
        self.assertContains(home, "Dismiss")
        before = self.audit_count()
        response = self.client.post(self.url("checklist_dismiss"))
        self.assertRedirects(response, self.url("org_home"))
        self.org.refresh_from_db()
        self.assertIsNotNone(self.org.checklist_dismissed)
        self.assertEqual(self.audit_count(), before + 1)
        # session, user, membership+org, switcher; the dashboard's 1 + 11 + 3 (the suggested
        # goals), its execution card's 10 (kpis.dashboard.execution); no checklist steps
        home = self.assertQueryCount(PAGE + 1 + 11 + 3 + 11, self.client.get, self.url("org_home"))
        self.assertNotContains(home, "of 14 done")
        self.assertNotContains(home, "Dismiss")
        page = self.client.get(self.url("kpis:getting_started"))  # still on its own page
        self.assertContains(page, "of 14 done")
        self.assertNotContains(page, "Dismiss")

    def test_a_viewer_cannot_dismiss(self):
        self.login("viewer")
        self.assertNotContains(self.client.get(self.url("org_home")), "Dismiss")
        self.assertEqual(self.client.post(self.url("checklist_dismiss")).status_code, 403)
        self.assertEqual(self.client.get(self.url("checklist_dismiss")).status_code, 403)
        self.org.refresh_from_db()
        self.assertIsNone(self.org.checklist_dismissed)

    def test_the_climb_lists_all_six_steps(self):
        self.login("viewer")
        page = self.client.get(self.url("kpis:getting_started")).content.decode()
        climb = page[page.index("The climb, step by step") :]
        names = re.findall(r"<li[^>]*><a [^>]*><strong>(\w+)</strong>", climb)
        self.assertEqual(
            names, ["Destination", "Terrain", "Path", "Roadmap", "Guideposts", "Ascent"]
        )


class HouseRuleTests(TestCase):
    def test_core_imports_no_domain_app(self):
        """Core is at the bottom: no module in cairn/core imports a domain app when loaded."""
        from pathlib import Path

        core = Path(__file__).resolve().parent.parent / "cairn" / "core"
        from django.conf import settings

        # Every Cairn app above core, read from the settings: a new app is covered at once.
        apps = [a.split(".")[1] for a in settings.INSTALLED_APPS if a.startswith("cairn.")]
        above = "|".join(a for a in apps if a != "core")
        domain = re.compile(
            rf"^(from|import) cairn\.({above})\b|^from cairn import (demo|checklist|{above})\b"
        )
        offenders = [
            f"{path.relative_to(core)}: {line}"
            for path in core.rglob("*.py")
            for line in path.read_text().splitlines()
            if domain.match(line)
        ]
        self.assertEqual(offenders, [])
