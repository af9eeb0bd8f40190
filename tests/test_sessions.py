"""Signed-in sessions: a new key at sign-in, signed out after the idle time, the expiry moved
forward at most once a minute (no write on other pages), each browser listed on the profile
where the person can end the others; sign-out and a new password end sessions too."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.identity.models import SecurityEvent, SecurityKind, UserSession
from cairn.identity.sessions import SEEN, TOUCH_SECONDS
from cairn.identity.templatetags.sessions import device
from tests.base import PASSWORD, CairnTestCase

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/131.0.0.0"


def browser(user_agent: str, ip: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)


def sign_in(client: Client, username: str = "editor") -> None:
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response


def writes(queries) -> list[str]:
    """The writes to the sessions and their rows (the page may write its own things)."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
        and ('"django_session"' in q["sql"] or '"identity_usersession"' in q["sql"])
    ]


class SignInTests(CairnTestCase):
    def test_signing_in_gives_the_session_a_new_key(self):
        client = browser(FIREFOX_LINUX, "10.5.0.1")
        session = client.session  # an anonymous session, with its cookie
        session["seen_the_banner"] = True
        session.save()
        before = session.session_key
        sign_in(client)
        after = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.assertNotEqual(before, after)
        self.assertFalse(Session.objects.filter(session_key=before).exists())
        self.assertTrue(client.session["seen_the_banner"])  # the data moves to the new key
        row = UserSession.objects.get(user=self.editor)
        self.assertEqual(
            (row.session_key, row.ip, row.user_agent, row.via),
            (after, "10.5.0.1", FIREFOX_LINUX, "password"),
        )
        event = SecurityEvent.objects.get(kind=SecurityKind.SIGN_IN)
        self.assertEqual(
            (event.user, event.ip, event.detail), (self.editor, "10.5.0.1", "via password")
        )

    def test_signing_out_removes_the_row(self):
        client = browser(FIREFOX_LINUX, "10.5.0.2")
        sign_in(client)
        client.post("/accounts/logout/")
        self.assertFalse(UserSession.objects.exists())
        self.assertEqual(
            SecurityEvent.objects.filter(user=self.editor).latest("id").kind, SecurityKind.SIGN_OUT
        )

    def test_the_idle_time_comes_from_the_environment_setting(self):
        self.assertEqual(settings.SESSION_COOKIE_AGE, 480 * 60)
        self.assertFalse(settings.SESSION_SAVE_EVERY_REQUEST)


class IdleTests(CairnTestCase):
    def setUp(self):
        self.client = browser(CHROME_WINDOWS, "10.6.0.1")
        sign_in(self.client)
        self.key = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.client.get("/profile/")  # the first page after signing in settles the session

    def age(self, seconds: int) -> None:
        """Make the session's last write ``seconds`` old, as far as the session can tell."""
        session = self.client.session
        session[SEEN] = {"at": int(time.time()) - seconds, "key": self.key}
        session.save()
        UserSession.objects.update(last_seen=timezone.now() - timedelta(seconds=seconds))

    def test_a_session_idle_longer_than_the_idle_time_is_signed_out(self):
        Session.objects.filter(session_key=self.key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
        response = self.client.get("/profile/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_a_page_within_the_minute_writes_nothing(self):
        with CaptureQueriesContext(connection) as ctx:
            self.assertEqual(self.client.get("/o/acme/activity/").status_code, 200)
        self.assertEqual(writes(ctx.captured_queries), [])

    def test_a_page_after_a_minute_moves_the_expiry_and_last_seen(self):
        self.age(TOUCH_SECONDS + 5)
        old_expiry = Session.objects.get(session_key=self.key).expire_date
        with CaptureQueriesContext(connection) as ctx:
            self.client.get("/o/acme/activity/")
        # Two writes: the row's last_seen, then the session itself (with its new expiry).
        done = writes(ctx.captured_queries)
        self.assertEqual(len(done), 2, done)
        self.assertIn('UPDATE "identity_usersession"', done[0])
        self.assertIn('UPDATE "django_session"', done[1])
        new_expiry = Session.objects.get(session_key=self.key).expire_date
        self.assertGreater(new_expiry, old_expiry)
        self.assertAlmostEqual(
            (new_expiry - timezone.now()).total_seconds(), settings.SESSION_COOKIE_AGE, delta=5
        )
        row = UserSession.objects.get(session_key=self.key)
        self.assertLess((timezone.now() - row.last_seen).total_seconds(), 5)
        # And the next page is quiet again.
        with CaptureQueriesContext(connection) as ctx:
            self.client.get("/o/acme/activity/")
        self.assertEqual(writes(ctx.captured_queries), [])

    def test_a_session_from_before_the_rows_gets_one(self):
        UserSession.objects.all().delete()
        self.age(TOUCH_SECONDS + 5)
        self.client.get("/profile/")
        row = UserSession.objects.get()
        self.assertEqual((row.session_key, row.user, row.ip), (self.key, self.editor, "10.6.0.1"))


class SessionListTests(CairnTestCase):
    def setUp(self):
        self.here = browser(CHROME_WINDOWS, "10.7.0.1")
        self.there = browser(FIREFOX_LINUX, "10.7.0.2")
        sign_in(self.here)
        sign_in(self.there)
        self.here.get("/profile/")
        self.there.get("/profile/")

    def test_the_profile_lists_both_browsers_this_one_first(self):
        page = self.here.get("/profile/").content.decode()
        self.assertIn("Where you are signed in", page)
        self.assertLess(page.index("Chrome on Windows"), page.index("Firefox on Linux"))
        self.assertEqual(page.count("this browser"), 1)
        self.assertIn("10.7.0.2", page)
        self.assertEqual(page.count(">End<"), 1)  # only the other one has End
        self.assertIn("Sign out everywhere else", page)

    def test_the_list_is_one_query(self):
        from django.template import Context, Template
        from django.test import RequestFactory

        request = RequestFactory().get("/profile/")
        request.user = self.editor
        request.session = self.here.session
        template = Template("{% load sessions %}{% signed_in_sessions as s %}{{ s|length }}")
        with self.assertNumQueries(1):  # the rows
            self.assertEqual(template.render(Context({"request": request})), "2")

    def test_ending_the_other_browser_signs_it_out(self):
        other = UserSession.objects.get(user_agent=FIREFOX_LINUX)
        response = self.here.post("/accounts/sessions/end/", {"session": other.pk}, follow=True)
        self.assertContains(response, "Firefox on Linux is signed out.")
        self.assertNotContains(response, "10.7.0.2")
        self.assertFalse(Session.objects.filter(session_key=other.session_key).exists())
        gone = self.there.get("/profile/")
        self.assertEqual(gone.status_code, 302)
        self.assertTrue(gone["Location"].startswith("/accounts/login/"))
        self.assertEqual(self.here.get("/profile/").status_code, 200)
        event = SecurityEvent.objects.get(kind=SecurityKind.SESSION_ENDED)
        self.assertEqual((event.user, event.ip), (self.editor, "10.7.0.1"))
        self.assertIn("Firefox", event.detail)

    def test_signing_out_everywhere_else(self):
        third = browser(SAFARI_IPHONE, "10.7.0.3")
        sign_in(third)
        response = self.here.post("/accounts/sessions/end-others/", follow=True)
        self.assertContains(response, "You are signed out everywhere else.")
        for client in (self.there, third):
            self.assertEqual(client.get("/profile/").status_code, 302)
        self.assertEqual(self.here.get("/profile/").status_code, 200)
        self.assertEqual(UserSession.objects.filter(user=self.editor).count(), 1)

    def test_this_browser_and_other_peoples_sessions_cannot_be_ended_here(self):
        viewer = browser(SAFARI_IPHONE, "10.7.0.4")
        sign_in(viewer, "viewer")
        theirs = UserSession.objects.get(user=self.viewer)
        mine = UserSession.objects.get(user_agent=CHROME_WINDOWS)
        for pk in (theirs.pk, mine.pk, "x", ""):
            with self.subTest(pk=pk):
                response = self.here.post("/accounts/sessions/end/", {"session": pk})
                self.assertEqual(response.status_code, 404)
        self.assertEqual(viewer.get("/profile/").status_code, 200)
        self.assertEqual(self.here.get("/profile/").status_code, 200)
        self.assertEqual(self.here.get("/accounts/sessions/end/").status_code, 405)
        self.assertEqual(self.here.get("/accounts/sessions/end-others/").status_code, 405)
        self.assertFalse(SecurityEvent.objects.filter(kind=SecurityKind.SESSION_ENDED).exists())

    def test_anonymous_is_sent_to_sign_in(self):
        response = Client().post("/accounts/sessions/end-others/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(self):
        new = "a new and longer passphrase"
        response = self.here.post(
            "/profile/password/",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
            follow=True,
        )
        self.assertContains(response, "Your password is changed")
        self.assertContains(response, "this browser")
        self.assertNotContains(response, "Firefox on Linux")
        self.assertEqual(self.there.get("/profile/").status_code, 302)
        self.assertEqual(
            list(UserSession.objects.filter(user=self.editor).values_list("user_agent", flat=True)),
            [CHROME_WINDOWS],
        )
        self.assertTrue(
            SecurityEvent.objects.filter(kind=SecurityKind.PASSWORD_CHANGED, user=self.editor)
        )


class DeviceNameTests(CairnTestCase):
    def test_browsers_in_plain_words(self):
        cases = {
            CHROME_WINDOWS: "Chrome on Windows",
            EDGE_WINDOWS: "Edge on Windows",
            FIREFOX_LINUX: "Firefox on Linux",
            SAFARI_IPHONE: "Safari on an iPhone",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/18.1 Safari/605.1.15": "Safari on macOS",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36": "Chrome on Android",
            "curl/8.5.0": "Curl",
            "": "An unknown browser",
            "Something (Windows NT 10.0)": "A browser on Windows",
        }
        for agent, words in cases.items():
            with self.subTest(agent=agent):
                self.assertEqual(device(agent), words)
