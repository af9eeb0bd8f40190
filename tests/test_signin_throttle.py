"""Password guessing is throttled: per account (whatever the address) and per address
(whatever the account), a plain 429 page, the lockout ending after the cool-off or when an
owner unlocks; every failure and lockout recorded. Password reset links are limited per hour.
Passwords are checked against Django's validators, the common password list included,
wherever one is set."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.test import TestCase, override_settings
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cairn.core import services
from cairn.core.models import Role
from cairn.identity.models import SecurityEvent, SecurityKind
from cairn.notifications.models import OutgoingMail
from tests.base import PAGE, PASSWORD, CairnTestCase

LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED_ACCOUNT = "Too many failed sign-ins for this account. Try again in 15 minutes, or ask an owner of your organisation to unlock you."  # noqa: E501


def kinds(**filters) -> list[str]:
    return list(
        SecurityEvent.objects.filter(**filters).order_by("id").values_list("kind", flat=True)
    )


class SignInThrottleTests(CairnTestCase):
    def sign_in(self, username: str, password: str, ip: str = "10.0.0.1"):
        return self.client.post(
            "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
        )

    def fail_sign_ins(self, times: int, username: str = "editor", ips=None):
        responses = []
        for i in range(times):
            ip = ips[i] if ips else "10.0.0.1"
            responses.append(self.sign_in(username, "not the password", ip))
        return responses

    def test_the_settings_are_the_documented_defaults(self):
        self.assertEqual(LIMIT, 5)
        self.assertEqual(settings.AXES_COOLOFF_TIME, timedelta(minutes=15))
        self.assertEqual(settings.AUTHENTICATION_BACKENDS[0], "axes.backends.AxesStandaloneBackend")
        # Cairn clears the account's count itself, not the address's (see the next tests).
        self.assertFalse(settings.AXES_RESET_ON_SUCCESS)
        self.assertTrue(settings.AXES_ENABLED)

    def test_an_account_is_locked_out_after_the_limit_whatever_the_address(self):
        responses = self.fail_sign_ins(LIMIT, ips=[f"10.0.1.{i}" for i in range(LIMIT)])
        # The form again, with its message, until the last failure.
        for response in responses[:-1]:
            self.assertContains(response, "That username and password do not match")
        last = responses[-1]
        self.assertEqual(last.status_code, 429)
        self.assertContains(last, LOCKED_ACCOUNT, status_code=429)
        self.assertEqual(last["Retry-After"], "900")
        # The right password, from yet another address, is refused too; no session.
        right = self.sign_in("editor", PASSWORD, ip="10.0.9.9")
        self.assertContains(right, LOCKED_ACCOUNT, status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertEqual(
            kinds(username="editor"),
            # The lockout is recorded as axes counts the last failure, before the failure.
            [SecurityKind.SIGN_IN_FAILED] * (LIMIT - 1)
            + [SecurityKind.LOCKED_OUT]
            + [SecurityKind.SIGN_IN_FAILED] * 2,
        )
        refused = SecurityEvent.objects.filter(username="editor").order_by("id").last()
        self.assertEqual((refused.ip, refused.detail), ("10.0.9.9", "refused: locked out"))
        # Others are not held up.
        self.assertEqual(self.sign_in("viewer", PASSWORD, ip="10.0.9.9").status_code, 302)

    def test_an_address_is_locked_out_after_the_limit_whatever_the_account(self):
        for name in ["editor", "viewer", "nobody", "admin", "root"][:LIMIT]:
            last = self.sign_in(name, "guess", ip="10.0.2.2")
        self.assertEqual(last.status_code, 429)
        self.assertContains(
            last,
            "Too many failed sign-ins from this address. Try again in 15 minutes.",
            status_code=429,
        )
        self.assertEqual(self.sign_in("owner", PASSWORD, ip="10.0.2.2").status_code, 429)
        # The same account from elsewhere signs in: no account reached the limit.
        self.assertEqual(self.sign_in("owner", PASSWORD, ip="10.0.3.3").status_code, 302)

    def test_a_success_before_the_limit_clears_the_account(self):
        self.fail_sign_ins(LIMIT - 1)
        self.assertEqual(self.sign_in("editor", PASSWORD, ip="10.0.4.4").status_code, 302)
        self.client.logout()
        responses = self.fail_sign_ins(LIMIT - 1, ips=["10.0.5.5"] * (LIMIT - 1))
        self.assertEqual({r.status_code for r in responses}, {200})
        self.assertEqual(self.sign_in("editor", PASSWORD, ip="10.0.5.5").status_code, 302)

    def test_signing_in_to_ones_own_account_does_not_clear_anothers_count(self):
        self.fail_sign_ins(LIMIT - 1, "editor", ips=["10.0.7.7"] * (LIMIT - 1))
        self.assertEqual(self.sign_in("viewer", PASSWORD, ip="10.0.7.7").status_code, 302)
        self.client.logout()
        last = self.sign_in("editor", "one more guess", ip="10.0.7.7")
        self.assertContains(last, LOCKED_ACCOUNT, status_code=429)

    def test_the_lockout_ends_after_the_cool_off(self):
        self.fail_sign_ins(LIMIT)
        self.assertEqual(self.sign_in("editor", PASSWORD, ip="10.0.6.6").status_code, 429)
        # Sixteen minutes later, as far as the stored attempts tell.
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        self.assertEqual(self.sign_in("editor", PASSWORD, ip="10.0.6.6").status_code, 302)

    @override_settings(AXES_COOLOFF_TIME=timedelta(hours=2))
    def test_the_message_says_the_configured_wait(self):
        response = self.fail_sign_ins(LIMIT)[-1]
        self.assertContains(response, "Try again in 2 hours", status_code=429)
        self.assertEqual(response["Retry-After"], "7200")


class UnlockTests(CairnTestCase):
    PAGE_URL = "/o/acme/members/locked/"

    def lock(self, username="editor"):
        for _ in range(LIMIT):
            self.client.post(
                "/accounts/login/",
                {"username": username, "password": "wrong"},
                REMOTE_ADDR="10.1.0.1",
            )
        self.client.logout()

    def can_sign_in(self, username) -> bool:
        from django.test import Client

        response = Client().post(
            "/accounts/login/", {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.1.9.9"
        )
        return response.status_code == 302

    def test_an_owner_sees_who_is_locked_out_and_unlocks_them(self):
        self.lock("editor")
        self.assertFalse(self.can_sign_in("editor"))
        self.login("owner")
        self.client.get("/profile/")  # the first page after signing in settles the session
        # The page's fixed queries, the members with their users, the locked ones.
        page = self.assertQueryCount(PAGE + 2, self.client.get, self.PAGE_URL)
        self.assertContains(page, "Unlock editor")
        self.assertNotContains(page, "Unlock viewer")
        response = self.client.post(self.PAGE_URL, {"username": "editor"}, follow=True)
        self.assertContains(response, "editor can sign in again.")
        self.assertContains(response, "Nobody in Acme is locked out.")
        unlocked = SecurityEvent.objects.get(kind=SecurityKind.UNLOCKED)
        self.assertEqual((unlocked.username, unlocked.detail), ("editor", "by owner"))
        self.assertTrue(self.can_sign_in("editor"))

    def test_an_editor_cannot_unlock(self):
        self.lock("viewer")
        self.login("editor")
        self.assertEqual(self.client.get(self.PAGE_URL).status_code, 403)
        self.assertEqual(self.client.post(self.PAGE_URL, {"username": "viewer"}).status_code, 403)
        self.assertFalse(self.can_sign_in("viewer"))

    def test_another_organisations_owner_gets_404_and_cannot_unlock_through_their_own(self):
        self.lock("editor")
        self.login("outsider")
        self.assertEqual(self.client.get(self.PAGE_URL).status_code, 404)
        self.assertEqual(self.client.post(self.PAGE_URL, {"username": "editor"}).status_code, 404)
        own = "/o/globex/members/locked/"
        self.assertEqual(self.client.get(own).status_code, 200)
        self.assertEqual(self.client.post(own, {"username": "editor"}).status_code, 404)
        self.assertFalse(self.can_sign_in("editor"))
        self.assertFalse(SecurityEvent.objects.filter(kind=SecurityKind.UNLOCKED).exists())

    def test_anonymous_is_sent_to_sign_in(self):
        response = self.client.get(self.PAGE_URL)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))


class PasswordResetLimitTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.dana = User.objects.create_user("dana", email="dana@example.org", password=PASSWORD)

    def ask(self, email="dana@example.org", ip="10.2.0.1"):
        return self.client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ip)

    def test_the_limit_per_address_gives_a_plain_page_and_no_mail(self):
        limit = settings.CAIRN_PASSWORD_RESETS_PER_HOUR
        self.assertEqual(limit, 5)
        for i in range(limit - 1):
            self.assertRedirects(
                self.ask(f"someone{i}@example.org"), "/accounts/password-reset/sent/"
            )
        self.assertRedirects(self.ask(), "/accounts/password-reset/sent/")
        self.assertEqual(OutgoingMail.objects.count(), 1)
        refused = self.ask()
        self.assertContains(
            refused, "Too many password reset links were asked for", status_code=429
        )
        self.assertEqual(refused["Retry-After"], "3600")
        self.assertEqual(OutgoingMail.objects.count(), 1)
        # Another address may still ask, for another account.
        self.assertEqual(self.ask("else@example.org", ip="10.2.0.2").status_code, 302)

    def test_the_limit_per_e_mail_address_holds_across_addresses(self):
        for i in range(5):
            self.assertEqual(self.ask(ip=f"10.3.0.{i}").status_code, 302)
        self.assertEqual(self.ask("DANA@example.org", ip="10.3.1.1").status_code, 429)
        self.assertEqual(OutgoingMail.objects.count(), 5)

    def test_an_hour_later_it_works_again(self):
        for _ in range(5):
            self.ask()
        self.assertEqual(self.ask().status_code, 429)
        SecurityEvent.objects.update(created=timezone.now() - timedelta(minutes=61))
        self.assertEqual(self.ask().status_code, 302)

    def test_the_form_itself_is_not_counted(self):
        for _ in range(10):
            self.assertEqual(self.client.get("/accounts/password-reset/").status_code, 200)
        self.assertEqual(self.ask().status_code, 302)


# --- Passwords checked wherever one is set.

WEAK = {
    "short": "This password is too short. It must contain at least 10 characters.",
    "qwertyuiop": "This password is too common.",
    "12345678901234": "This password is entirely numeric.",
}


class PasswordRulesTests(CairnTestCase):
    def test_sign_up_through_an_invitation_refuses_weak_and_common_passwords(self):
        _invitation, key = services.create_invitation(
            self.org, role=Role.EDITOR, label="Sam", actor=self.owner
        )
        for password, message in WEAK.items():
            with self.subTest(password=password):
                response = self.client.post(
                    f"/join/{key}/",
                    {"username": "sam", "password1": password, "password2": password},
                )
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, str(response.context["form"].errors["password2"]))
        self.assertFalse(User.objects.filter(username="sam").exists())

    def test_a_password_like_the_user_name_is_refused(self):
        _invitation, key = services.create_invitation(
            self.org, role=Role.EDITOR, label="Sam", actor=self.owner
        )
        response = self.client.post(
            f"/join/{key}/",
            {"username": "samantha-k", "password1": "samantha-k1", "password2": "samantha-k1"},
        )
        self.assertIn("too similar", str(response.context["form"].errors["password2"]))

    def test_the_password_change_refuses_them(self):
        self.login("editor")
        for password, message in WEAK.items():
            with self.subTest(password=password):
                response = self.client.post(
                    "/profile/password/",
                    {
                        "old_password": PASSWORD,
                        "new_password1": password,
                        "new_password2": password,
                    },
                )
                self.assertIn(message, str(response.context["form"].errors["new_password2"]))
        self.editor.refresh_from_db()
        self.assertTrue(self.editor.check_password(PASSWORD))
        self.assertFalse(SecurityEvent.objects.filter(kind=SecurityKind.PASSWORD_CHANGED).exists())

    def test_the_reset_link_refuses_them(self):
        uid = urlsafe_base64_encode(force_bytes(self.viewer.pk))
        token = default_token_generator.make_token(self.viewer)
        form = self.client.get(f"/accounts/password-reset/{uid}/{token}/", follow=True)
        set_url = form.redirect_chain[-1][0]
        for password, message in WEAK.items():
            with self.subTest(password=password):
                response = self.client.post(
                    set_url, {"new_password1": password, "new_password2": password}
                )
                self.assertIn(message, str(response.context["form"].errors["new_password2"]))
        self.viewer.refresh_from_db()
        self.assertTrue(self.viewer.check_password(PASSWORD))
        done = self.client.post(
            set_url, {"new_password1": "a-fresh-passphrase", "new_password2": "a-fresh-passphrase"}
        )
        self.assertEqual(done.status_code, 302)
        self.assertEqual(
            kinds(user=self.viewer, kind=SecurityKind.PASSWORD_CHANGED),
            [SecurityKind.PASSWORD_CHANGED],
        )


class SetupPasswordRulesTests(TestCase):
    def test_the_first_account_refuses_them(self):
        for password, message in WEAK.items():
            with self.subTest(password=password):
                response = self.client.post(
                    "/setup/",
                    {
                        "username": "first",
                        "password1": password,
                        "password2": password,
                        "organization_name": "Acme",
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, str(response.context["form"].errors["password2"]))
        self.assertFalse(User.objects.exists())
