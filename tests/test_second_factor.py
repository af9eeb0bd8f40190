"""The second factor: setting up an authenticator app, confirming sign-ins with its codes or
a recovery code, the organisations' rule, and what the middleware costs."""

from __future__ import annotations

import time
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cairn.core import services
from cairn.identity import second_factor
from cairn.identity.models import SecurityEvent, SecurityKind
from tests.base import PASSWORD, CairnTestCase

VERIFY = "/accounts/two-factor/verify/"
SET_UP = "/accounts/two-factor/set-up/"
CODES = "/accounts/two-factor/recovery-codes/"
NEW_CODES = "/accounts/two-factor/recovery-codes/new/"
REMOVE = "/accounts/two-factor/remove/"


def code_for(device: TOTPDevice, steps: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps`` windows of 30 s later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def events(kind: SecurityKind, user) -> int:
    return SecurityEvent.objects.filter(kind=kind, user=user).count()


class SecondFactorCase(CairnTestCase):
    def enrol(self, user) -> tuple[TOTPDevice, list[str]]:
        """A confirmed authenticator app and ten recovery codes, as the set-up leaves them."""
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return device, second_factor.new_recovery_codes(user)

    def sign_in(self, persona: str):
        """A password sign-in through the sign-in page."""
        self.client.logout()
        response = self.client.post("/accounts/login/", {"username": persona, "password": PASSWORD})
        self.assertEqual(response.status_code, 302, "the sign-in was refused")
        return response

    def unthrottle(self, device) -> None:
        """As if the wait after a wrong code had passed (1, 2, 4 … seconds)."""
        type(device).objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(minutes=10)
        )

    def pages(self) -> list[str]:
        return [self.url("org_home"), self.url("goals:painpoint_list"), "/profile/"]


class EnrolmentTests(SecondFactorCase):
    def test_setting_up_from_the_profile(self):
        self.login("viewer")
        profile = self.client.get("/profile/")
        self.assertContains(profile, "Second factor")
        self.assertContains(profile, "Set up an authenticator app")
        self.assertNotContains(profile, "New recovery codes")

        page = self.client.get(SET_UP)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "<svg")
        self.assertContains(page, 'aria-label="QR code for your authenticator app"')
        device = TOTPDevice.objects.get(user=self.viewer)
        self.assertFalse(device.confirmed)
        # The key to type by hand is the device's secret, in base32 as apps expect it.
        self.assertIn(page.context["secret"].replace(" ", ""), second_factor.otpauth_url(device))
        self.assertEqual(self.client.get(SET_UP).context["secret"], page.context["secret"])

        done = self.client.post(SET_UP, {"code": code_for(device)})
        self.assertRedirects(done, CODES, fetch_redirect_response=False)
        device.refresh_from_db()
        self.assertTrue(device.confirmed)
        self.assertGreaterEqual(device.last_t, 0)  # the code used is now spent
        self.assertEqual(StaticToken.objects.filter(device__user=self.viewer).count(), 10)
        self.assertEqual(events(SecurityKind.SECOND_FACTOR_ADDED, self.viewer), 1)

        shown = self.client.get(CODES)
        self.assertContains(shown, "Print or copy these codes")
        self.assertEqual(shown["Cache-Control"], "no-store")
        codes = {t.token for t in StaticToken.objects.filter(device__user=self.viewer)}
        self.assertEqual({c.replace("-", "") for c in shown.context["codes"]}, codes)
        # Shown once: the second visit goes back to the profile.
        self.assertRedirects(self.client.get(CODES), "/profile/")
        # This session counts as confirmed: every page opens.
        for url in self.pages():
            self.assertEqual(self.client.get(url).status_code, 200, url)
        profile = self.client.get("/profile/")
        self.assertContains(profile, "10 recovery codes left")
        self.assertContains(profile, "New recovery codes")

    def test_a_wrong_code_at_set_up_is_a_field_error(self):
        self.login("viewer")
        self.client.get(SET_UP)
        device = TOTPDevice.objects.get(user=self.viewer)
        response = self.client.post(SET_UP, {"code": wrong(code_for(device))})
        self.assertEqual(response.status_code, 422)
        self.assertIn("not right", response.context["form"].errors["code"][0])
        self.assertContains(response, "invalid-feedback", status_code=422)
        device.refresh_from_db()
        self.assertFalse(device.confirmed)
        self.assertEqual(device.throttling_failure_count, 1)  # counted, not rolled back
        self.assertFalse(StaticDevice.objects.filter(user=self.viewer).exists())
        self.assertEqual(events(SecurityKind.SECOND_FACTOR_FAILED, self.viewer), 1)
        empty = self.client.post(SET_UP, {"code": ""})
        self.assertIn("code", empty.context["form"].errors)

    def test_a_new_app_replaces_the_old_one_once_confirmed(self):
        old, _ = self.enrol(self.viewer)
        self.login("viewer")
        self.client.post(VERIFY, {"code": code_for(old)})
        self.client.get(SET_UP)
        new = TOTPDevice.objects.get(user=self.viewer, confirmed=False)
        self.client.post(SET_UP, {"code": code_for(new)})
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.viewer)), [new])

    def test_an_unconfirmed_session_cannot_set_up_a_new_app(self):
        self.enrol(self.viewer)
        self.sign_in("viewer")
        response = self.client.get(SET_UP)
        self.assertRedirects(response, f"{VERIFY}?next={SET_UP}", fetch_redirect_response=False)
        self.assertEqual(TOTPDevice.objects.filter(user=self.viewer).count(), 1)


class SignInTests(SecondFactorCase):
    def test_a_password_sign_in_is_confirmed_with_a_code_first(self):
        device, _ = self.enrol(self.editor)
        signed_in = self.sign_in("editor")
        landed = self.client.get(signed_in["Location"])
        self.assertEqual(landed.status_code, 302)
        self.assertTrue(landed["Location"].startswith(VERIFY))
        for url in self.pages():
            response = self.client.get(url)
            self.assertRedirects(
                response, f"{VERIFY}?next={url}", fetch_redirect_response=False, msg_prefix=url
            )
        # Posting is refused the same way: nothing is written.
        goals = self.goal.__class__.objects.count()
        self.client.post(self.url("goals:goal_create"), {"title": "Sneaky"})
        self.assertEqual(self.goal.__class__.objects.count(), goals)

        page = self.client.get(f"{VERIFY}?next={self.url('goals:painpoint_list')}")
        self.assertContains(page, "authenticator app")
        bad = self.client.post(
            VERIFY, {"code": wrong(code_for(device)), "next": self.url("goals:painpoint_list")}
        )
        self.assertEqual(bad.status_code, 422)
        self.assertIn("not right", bad.context["form"].errors["code"][0])
        self.assertEqual(events(SecurityKind.SECOND_FACTOR_FAILED, self.editor), 1)

        # django-otp's throttling: right after a wrong code, even the right one waits.
        throttled = self.client.post(VERIFY, {"code": code_for(device)})
        self.assertIn("Too many wrong codes", throttled.context["form"].errors["code"][0])
        self.unthrottle(device)

        good = self.client.post(
            VERIFY, {"code": code_for(device), "next": self.url("goals:painpoint_list")}
        )
        self.assertRedirects(good, self.url("goals:painpoint_list"))
        for url in self.pages():
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_a_code_works_once(self):
        device, _ = self.enrol(self.editor)
        code = code_for(device)
        self.sign_in("editor")
        self.assertRedirects(
            self.client.post(VERIFY, {"code": code}), "/", fetch_redirect_response=False
        )
        self.client.post("/accounts/logout/")
        self.sign_in("editor")
        reused = self.client.post(VERIFY, {"code": code})
        self.assertEqual(reused.status_code, 422)
        self.assertIn("works only once", reused.context["form"].errors["code"][0])
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 302)
        # The next window's code is a new one (the app's clock may run a little ahead).
        self.unthrottle(device)
        self.assertEqual(self.client.post(VERIFY, {"code": code_for(device, 1)}).status_code, 302)

    def test_a_recovery_code_works_once(self):
        _, codes = self.enrol(self.editor)
        self.sign_in("editor")
        typed = second_factor.show_code(codes[0]).upper()  # as copied from the page, shouted
        response = self.client.post(VERIFY, {"code": f" {typed} "})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertContains(self.client.get("/", follow=True), "9 left")
        self.assertEqual(StaticToken.objects.filter(device__user=self.editor).count(), 9)
        self.assertEqual(events(SecurityKind.RECOVERY_CODE_USED, self.editor), 1)
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 200)

        self.client.post("/accounts/logout/")
        self.sign_in("editor")
        again = self.client.post(VERIFY, {"code": codes[0]})
        self.assertEqual(again.status_code, 422)
        self.assertIn("used already", again.context["form"].errors["code"][0])
        self.assertEqual(events(SecurityKind.RECOVERY_CODE_USED, self.editor), 1)

    def test_new_recovery_codes_replace_the_old_ones(self):
        device, old = self.enrol(self.editor)
        self.sign_in("editor")
        self.client.post(VERIFY, {"code": code_for(device)})
        response = self.client.post(NEW_CODES)
        self.assertRedirects(response, CODES, fetch_redirect_response=False)
        new = [c.replace("-", "") for c in self.client.get(CODES).context["codes"]]
        self.assertEqual(len(set(new)), 10)
        self.assertFalse(set(new) & set(old))
        self.assertEqual(StaticToken.objects.filter(device__user=self.editor).count(), 10)
        self.assertEqual(StaticDevice.objects.filter(user=self.editor).count(), 1)
        self.client.post("/accounts/logout/")
        self.sign_in("editor")
        self.assertEqual(self.client.post(VERIFY, {"code": old[1]}).status_code, 422)
        self.unthrottle(StaticDevice.objects.get(user=self.editor))
        self.assertEqual(self.client.post(VERIFY, {"code": new[1]}).status_code, 302)

    def test_an_app_removed_in_another_browser_asks_nothing_more(self):
        device, _ = self.enrol(self.editor)
        self.sign_in("editor")
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 302)
        device.delete()  # as "Remove" in a browser that had confirmed its code
        self.assertRedirects(self.client.get(VERIFY), "/", target_status_code=302)
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 200)

    def test_next_never_leaves_the_site(self):
        device, _ = self.enrol(self.editor)
        self.sign_in("editor")
        response = self.client.post(
            VERIFY, {"code": code_for(device), "next": "https://evil.example/"}
        )
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_open_pages_stay_open_before_the_code(self):
        self.enrol(self.editor)
        self.sign_in("editor")
        self.assertEqual(self.client.get("/healthz").status_code, 200)
        self.assertEqual(self.client.get(VERIFY).status_code, 200)
        self.assertEqual(self.client.get("/accounts/password-reset/").status_code, 200)
        self.assertEqual(self.client.get(SET_UP).status_code, 302)  # not before the code
        self.assertEqual(self.client.get(REMOVE).status_code, 302)
        self.assertEqual(self.client.post(NEW_CODES).status_code, 302)
        self.assertEqual(StaticToken.objects.filter(device__user=self.editor).count(), 10)
        out = self.client.post("/accounts/logout/")
        self.assertEqual(out.status_code, 302)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_htmx_requests_are_sent_to_the_whole_page(self):
        self.enrol(self.editor)
        self.sign_in("editor")
        response = self.client.get(self.url("org_home"), HTTP_HX_REQUEST="true")
        self.assertEqual(response.status_code, 204)
        self.assertTrue(response["HX-Redirect"].startswith(VERIFY))

    def test_single_sign_on_is_not_asked_again(self):
        self.enrol(self.editor)
        self.org.require_second_factor = "all"
        self.org.save()
        for persona in ("editor", "viewer"):  # one with an app, one without
            self.login(persona)
            session = self.client.session
            session["cairn_via"] = "sso"
            session.save()
            for url in self.pages():
                self.assertEqual(self.client.get(url).status_code, 200, (persona, url))
            self.assertEqual(self.client.get("/api/v1/orgs/acme/goals").status_code, 200)


class RemovalTests(SecondFactorCase):
    def setUp(self):
        self.device, self.codes = self.enrol(self.viewer)
        self.sign_in("viewer")
        self.client.post(VERIFY, {"code": self.codes[0]})

    def test_removing_needs_a_current_code(self):
        self.assertContains(self.client.get(REMOVE), "Remove the second factor")
        bad = self.client.post(REMOVE, {"code": wrong(code_for(self.device))})
        self.assertEqual(bad.status_code, 422)
        self.assertIn("code", bad.context["form"].errors)
        self.assertTrue(TOTPDevice.objects.filter(user=self.viewer).exists())
        self.unthrottle(self.device)
        done = self.client.post(REMOVE, {"code": code_for(self.device)})
        self.assertRedirects(done, "/profile/")
        self.assertFalse(TOTPDevice.objects.filter(user=self.viewer).exists())
        self.assertFalse(StaticDevice.objects.filter(user=self.viewer).exists())
        self.assertEqual(events(SecurityKind.SECOND_FACTOR_REMOVED, self.viewer), 1)
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 200)
        self.sign_in("viewer")  # the next sign-in asks nothing
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 200)

    def test_removing_is_refused_when_an_organisation_requires_it(self):
        self.org.require_second_factor = "all"
        self.org.save()
        page = self.client.get(REMOVE)
        self.assertContains(page, "Acme requires a second factor for you")
        self.assertNotContains(self.client.get("/profile/"), f'href="{REMOVE}"')
        response = self.client.post(REMOVE, {"code": code_for(self.device)})
        self.assertEqual(response.status_code, 422)
        self.assertIn("cannot be removed", response.context["form"].errors["code"][0])
        self.assertTrue(TOTPDevice.objects.filter(user=self.viewer).exists())
        self.assertEqual(events(SecurityKind.SECOND_FACTOR_REMOVED, self.viewer), 0)


class RequirementTests(SecondFactorCase):
    def assert_sent_to_set_up(self, persona: str):
        self.login(persona)
        for url in self.pages():
            response = self.client.get(url)
            self.assertRedirects(
                response, f"{SET_UP}?next={url}", fetch_redirect_response=False, msg_prefix=url
            )
        self.assertEqual(self.client.get(SET_UP).status_code, 200)

    def assert_free(self, persona: str):
        self.login(persona)
        slug = self.users[persona].memberships.get().organization.slug
        for url in [f"/o/{slug}/", f"/o/{slug}/pain-points/", "/profile/"]:
            self.assertEqual(self.client.get(url).status_code, 200, (persona, url))

    def test_managers_rule_asks_owners_and_editors(self):
        self.org.require_second_factor = "managers"
        self.org.save()
        self.assert_sent_to_set_up("owner")
        self.assert_sent_to_set_up("editor")
        self.assert_free("viewer")
        self.assert_free("outsider")  # Globex has no rule

    def test_all_rule_asks_every_member_and_the_set_up_lets_them_in(self):
        self.org.require_second_factor = "all"
        self.org.save()
        self.assert_sent_to_set_up("viewer")
        page = self.client.get(SET_UP)
        self.assertContains(page, "Acme requires a second factor")
        device = TOTPDevice.objects.get(user=self.viewer)
        self.client.post(SET_UP, {"code": code_for(device), "next": self.url("org_home")})
        shown = self.client.get(CODES)  # the codes page is reachable right after
        self.assertContains(shown, f'href="{self.url("org_home")}"')
        self.assert_free("outsider")
        self.client.force_login(self.viewer)  # a new session: the app is now asked for
        self.assertTrue(self.client.get(self.url("org_home"))["Location"].startswith(VERIFY))

    def test_a_new_rule_reaches_people_already_signed_in(self):
        self.login("viewer")
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 200)
        self.org.require_second_factor = "all"
        self.org.save()
        # Within RECHECK_SECONDS the answer kept in the session stands (no query per page) …
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 200)
        session = self.client.session
        session[second_factor.STATE_KEY]["at"] -= second_factor.RECHECK_SECONDS + 1
        session.save()
        # … then it is asked again.
        self.assertEqual(self.client.get(self.url("org_home")).status_code, 302)


class ApiTests(SecondFactorCase):
    GOALS = "/api/v1/orgs/acme/goals"

    def test_an_unconfirmed_session_gets_403_json(self):
        self.enrol(self.editor)
        self.sign_in("editor")
        response = self.client.get(self.GOALS)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json(), {"detail": "Confirm your sign-in with your authenticator app first."}
        )
        posted = self.client.post(self.GOALS, {"title": "x"}, content_type="application/json")
        self.assertEqual(posted.status_code, 403)

    def test_a_session_that_must_set_up_an_app_gets_403_json(self):
        self.org.require_second_factor = "all"
        self.org.save()
        self.login("viewer")
        response = self.client.get(self.GOALS)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Set up an authenticator app", response.json()["detail"])

    def test_a_confirmed_session_uses_the_api(self):
        device, _ = self.enrol(self.editor)
        self.sign_in("editor")
        self.client.post(VERIFY, {"code": code_for(device)})
        self.assertEqual(self.client.get(self.GOALS).status_code, 200)

    def test_tokens_are_not_affected(self):
        self.enrol(self.editor)
        self.org.require_second_factor = "all"
        self.org.save()
        key = services.create_api_token(self.editor, "script")[1]
        self.client.logout()
        token = self.client.get(self.GOALS, HTTP_AUTHORIZATION=f"Bearer {key}")
        self.assertEqual(token.status_code, 200)
        # With an unconfirmed session as well, the token alone decides: a wrong one is 401,
        # the session does not stand in for it.
        self.sign_in("editor")
        self.assertEqual(
            self.client.get(self.GOALS, HTTP_AUTHORIZATION=f"Bearer {key}").status_code, 200
        )
        self.assertEqual(
            self.client.get(self.GOALS, HTTP_AUTHORIZATION="Bearer nope").status_code, 401
        )


class QueryCountTests(SecondFactorCase):
    """The middleware keeps what it needs in the session: once the first page has looked the
    person up, a page costs what it costs without it (+1 for django-otp's own device read
    when the session is confirmed)."""

    URL = "/o/acme/pain-points/"

    def count(self, *, without: tuple[str, ...] = ()) -> int:
        from django.conf import settings
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        middleware = [m for m in settings.MIDDLEWARE if m not in without]
        with self.settings(MIDDLEWARE=middleware):
            client = Client()  # a client loads its middleware once: a new one, same session
            client.cookies = self.client.cookies
            with CaptureQueriesContext(connection) as ctx:
                self.assertEqual(client.get(self.URL).status_code, 200)
        return len(ctx.captured_queries)

    def test_no_query_for_people_without_an_app(self):
        self.login("viewer")  # the person's apps and rules are looked up at sign-in
        first = self.count()
        later = self.count()
        self.assertEqual(later, self.count(without=(MIDDLEWARE_2FA,)))
        self.assertEqual(first, later)  # not even the first page pays for it

    def test_a_confirmed_session_costs_one_query_a_page(self):
        device, _ = self.enrol(self.viewer)
        self.sign_in("viewer")
        self.client.post(VERIFY, {"code": code_for(device)})
        self.count()
        confirmed = self.count()
        # + 1: OTPMiddleware reads the device the session names (SELECT otp_totp_totpdevice
        # WHERE id = …); SecondFactorMiddleware adds none of its own.
        self.assertEqual(confirmed, self.count(without=(MIDDLEWARE_2FA, MIDDLEWARE_OTP)) + 1)
        self.assertEqual(confirmed, self.count(without=(MIDDLEWARE_2FA,)))


MIDDLEWARE_2FA = "cairn.identity.second_factor.SecondFactorMiddleware"
MIDDLEWARE_OTP = "django_otp.middleware.OTPMiddleware"
