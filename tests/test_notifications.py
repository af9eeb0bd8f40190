"""Mail, the inbox and people's choices: sent through a real SMTP server on the loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core import mail as django_mail
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cairn.core import email_url
from cairn.core.models import Membership, Organization, Role
from cairn.notifications import mail, services
from cairn.notifications.kinds import Channel, Due, Kind
from cairn.notifications.models import (
    MailState,
    Notification,
    OutgoingMail,
    Preference,
    ReminderRun,
    make_key,
)
from tests.base import PASSWORD, CairnTestCase
from tests.mailserver import MailServer

BASE = "https://cairn.example.org"


def a_due(org, member, kind=Kind.ACTION_DUE, period="2026-12-04") -> services.Planned:
    due = Due(
        kind=kind,
        object_type="governance.action",
        object_id=7,
        period=period,
        subject="“Send the budget to finance” is due on 4 December",
        lines=("Due on Friday 4 December 2026.", "Agreed at the November committee."),
        url=reverse("org_home", args=[org.slug]),
        member_ids=(member.pk,),
        links=(("The committee", reverse("governance:overview", args=[org.slug])),),
    )
    key = make_key(due.kind, due.object_type, due.object_id, due.period, member.user_id)
    return services.Planned(member, due, Channel.EMAIL, key)


class EmailUrlTests(TestCase):
    def test_each_scheme_gives_its_settings(self):
        base = Path("/srv/cairn")
        smtp = email_url.parse(
            "smtp+tls://robot%40acme.example:p%40ss%3Aword@mail.acme.example", base=base
        )
        self.assertEqual(smtp["EMAIL_HOST"], "mail.acme.example")
        self.assertEqual(smtp["EMAIL_PORT"], 587)
        self.assertEqual(smtp["EMAIL_HOST_USER"], "robot@acme.example")
        self.assertEqual(smtp["EMAIL_HOST_PASSWORD"], "p@ss:word")
        self.assertTrue(smtp["EMAIL_USE_TLS"])
        self.assertFalse(smtp["EMAIL_USE_SSL"])
        ssl = email_url.parse("smtp+ssl://mail.example", base=base)
        self.assertEqual((ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"]), (465, True))
        self.assertEqual(email_url.parse("smtp://localhost:2525", base=base)["EMAIL_PORT"], 2525)
        self.assertEqual(
            email_url.parse("console://", base=base)["EMAIL_BACKEND"], email_url.CONSOLE
        )
        files = email_url.parse("file://mail", base=base)
        self.assertEqual(files["EMAIL_FILE_PATH"], "/srv/cairn/mail")
        self.assertEqual(email_url.parse("file:///tmp/m", base=base)["EMAIL_FILE_PATH"], "/tmp/m")

    def test_bad_urls_say_what_is_wrong(self):
        for url, words in [
            ("imap://mail.example", "must start with smtp://"),
            ("smtp://", "names no host"),
            ("file://", "needs a folder"),
        ]:
            with self.subTest(url=url), self.assertRaisesMessage(email_url.EmailUrlError, words):
                email_url.parse(url, base=Path("/"))


@override_settings(CAIRN_BASE_URL=BASE)
class MailTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.owner.email, cls.owner.first_name = "morgan@acme.example", "Morgan"
        cls.owner.save()
        cls.member = Membership.objects.get(user=cls.owner, organization=cls.org)

    def test_a_reminder_reaches_a_real_mail_server_with_both_parts_and_unsubscribe(self):
        with MailServer() as server, server.settings():
            with self.captureOnCommitCallbacks(execute=True):
                services.queue_reminder(self.org, a_due(self.org, self.member), send=True)
            (message,) = server.wait_for(1)
        self.assertEqual(message["To"], "morgan@acme.example")
        self.assertEqual(
            message["Subject"].strip(), "[Acme] “Send the budget to finance” is due on 4 December"
        )
        self.assertEqual(message["Auto-Submitted"], "auto-generated")
        self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        unsubscribe = "".join(message["List-Unsubscribe"].split()).strip("<>")
        self.assertTrue(unsubscribe.startswith(f"{BASE}/unsubscribe/"))
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        home = f"{BASE}/o/acme/"
        for part in (text, html):
            self.assertIn("Hello Morgan", part)
            self.assertIn(home, part)
            self.assertIn("Agreed at the November committee.", part)
            self.assertIn(unsubscribe, part)
        self.assertIn(f'href="{home}"', html)
        self.assertIn("<li>Due on Friday 4 December 2026.</li>", html)
        row = OutgoingMail.objects.get()
        self.assertEqual((row.state, row.attempts, row.kind), (MailState.SENT, 1, "action_due"))

        # The link goes straight to the page (after signing in).
        self.client.force_login(self.owner)
        self.assertEqual(self.client.get(urlsplit(home).path).status_code, 200)

        # One click, as a mail program does it (RFC 8058): no session, no CSRF token.
        self.client.logout()
        path = urlsplit(unsubscribe).path
        answer = self.client.post(path, {"List-Unsubscribe": "One-Click"})
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.content, b"Unsubscribed.\n")
        choice = Preference.objects.get(membership=self.member, kind=Kind.ACTION_DUE)
        self.assertEqual(choice.channel, Channel.INBOX)  # still in the inbox, no more mail
        self.assertContains(self.client.get(path), "No more mails of this kind")

    def test_the_same_reminder_is_written_once(self):
        planned = a_due(self.org, self.member)
        self.assertIsNotNone(services.queue_reminder(self.org, planned))
        self.assertIsNone(services.queue_reminder(self.org, planned))
        self.assertEqual(OutgoingMail.objects.count(), 1)

    def test_a_refusing_server_is_tried_again_later_then_the_mail_fails_visibly(self):
        services.queue_reminder(self.org, a_due(self.org, self.member))
        now = timezone.now()
        with MailServer() as server, server.settings():
            server.recorder.refuse = 1
            self.assertEqual(mail.send_due(now), {MailState.QUEUED: 1})
            row = OutgoingMail.objects.get()
            self.assertIn("451", row.last_error)
            self.assertEqual(row.next_attempt, now + mail.BACKOFF[0])
            self.assertEqual(mail.send_due(now + timedelta(seconds=30)), {})  # not yet
            self.assertEqual(mail.send_due(now + timedelta(minutes=1)), {MailState.SENT: 1})
            server.wait_for(1)
        self.assertEqual(OutgoingMail.objects.get().attempts, 2)

        # A server that is gone: every try fails, then the mail is marked failed.
        services.queue_reminder(self.org, a_due(self.org, self.member, period="2026-12-11"))
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=MailServer().port,  # nobody listens there
            EMAIL_TIMEOUT=2,
        ):
            when = now
            for _ in range(mail.MAX_ATTEMPTS):
                when += timedelta(hours=7)
                mail.send_due(when)
        failed = OutgoingMail.objects.get(period="2026-12-11")
        self.assertEqual((failed.state, failed.attempts), (MailState.FAILED, mail.MAX_ATTEMPTS))
        self.assertIn("Connection refused", failed.last_error)

        self.client.force_login(self.owner)
        page = self.client.get(reverse("notifications:mail_log", args=["acme"]))
        self.assertContains(page, "could not be sent after every try")
        self.assertContains(page, "Connection refused")
        self.client.post(reverse("notifications:mail_retry", args=["acme", failed.pk]))
        failed.refresh_from_db()
        self.assertEqual((failed.state, failed.attempts), (MailState.QUEUED, 0))

    def test_a_mail_left_sending_by_a_lost_worker_goes_back_to_the_queue(self):
        row = services.queue_reminder(self.org, a_due(self.org, self.member))
        claimed = timezone.now() - mail.STUCK - timedelta(seconds=1)
        OutgoingMail.objects.filter(pk=row.pk).update(state=MailState.SENDING, claimed_at=claimed)
        with MailServer() as server, server.settings():
            self.assertEqual(mail.send_due(), {MailState.SENT: 1})
            server.wait_for(1)

    def test_two_senders_send_a_mail_once(self):
        row = services.queue_reminder(self.org, a_due(self.org, self.member))
        now = timezone.now()
        self.assertTrue(mail.claim(row.pk, now))
        self.assertFalse(mail.claim(row.pk, now))
        self.assertIsNone(mail.send_one(row.pk, now=now))

    def test_a_bad_unsubscribe_link_is_a_plain_404(self):
        page = self.client.get(reverse("unsubscribe", args=["not-a-token"]))
        self.assertEqual(page.status_code, 404)
        self.assertContains(page, "This link does not work", status_code=404)
        forged = mail.unsubscribe_token(self.member.pk, "not_a_kind")
        self.assertEqual(self.client.post(reverse("unsubscribe", args=[forged])).status_code, 404)
        self.assertFalse(Preference.objects.exists())

    def test_the_confirmation_page_stops_the_mails_with_a_button(self):
        path = urlsplit(mail.unsubscribe_url(self.member.pk, Kind.KPI_DUE)).path
        page = self.client.get(path)
        self.assertContains(page, "Stop these mails?")
        self.assertFalse(Preference.objects.exists())  # a GET changes nothing
        self.assertContains(self.client.post(path), "No more mails of this kind")
        self.assertEqual(Preference.objects.get(membership=self.member).channel, Channel.INBOX)


class FileBackendTests(TestCase):
    def test_development_mails_are_eml_files(self):
        import tempfile

        with (
            tempfile.TemporaryDirectory() as folder,
            override_settings(
                EMAIL_BACKEND="cairn.core.mailfiles.EmlFileBackend", EMAIL_FILE_PATH=folder
            ),
        ):
            django_mail.send_mail("Hello", "Body", "cairn@localhost", ["a@b.example"])
            (written,) = Path(folder).glob("*.eml")
            self.assertIn(b"Subject: Hello", written.read_bytes())
            self.assertIn("a@b.example", written.name)


class InboxTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.notes = [
            Notification.objects.create(
                user=cls.viewer,
                organization=cls.org,
                kind=Kind.KPI_DUE,
                subject=f"A value of “Sales {i}” is due",
                lines=["Monthly; last value in October."],
                url=f"/o/acme/kpis/{i}/",
                key=f"k{i}",
            )
            for i in range(3)
        ]
        Notification.objects.create(
            user=cls.outsider, organization=cls.other_org, kind=Kind.KPI_DUE,
            subject="Globex secret reminder", url="/o/globex/", key="g",
        )  # fmt: skip

    def test_the_bell_counts_unread_in_one_query(self):
        self.client.force_login(self.viewer)
        home = reverse("org_home", args=["acme"])
        page = self.client.get(home)
        self.assertContains(page, "Inbox: 3 unread")
        with CaptureQueriesContext(connection) as seen:
            self.client.get(home)
        counts = [
            q["sql"] for q in seen.captured_queries if "notifications_notification" in q["sql"]
        ]
        self.assertEqual(len(counts), 1, counts)
        Notification.objects.filter(user=self.viewer).update(read_at=timezone.now())
        self.assertContains(self.client.get(home), "Inbox: nothing unread")

    def test_opening_marks_read_and_goes_to_the_page(self):
        self.client.force_login(self.viewer)
        page = self.client.get(reverse("inbox"))
        self.assertContains(page, "Sales 0")
        self.assertNotContains(page, "Globex secret")
        opened = self.client.get(reverse("inbox_open", args=[self.notes[0].pk]))
        self.assertRedirects(opened, "/o/acme/kpis/0/", fetch_redirect_response=False)
        self.notes[0].refresh_from_db()
        self.assertIsNotNone(self.notes[0].read_at)
        unread = self.client.get(reverse("inbox") + "?show=unread")
        self.assertNotContains(unread, "Sales 0")
        self.assertContains(unread, "Sales 1")
        self.client.post(reverse("inbox_read_all"))
        self.assertFalse(Notification.objects.filter(user=self.viewer, read_at=None).exists())
        self.assertContains(self.client.get(reverse("inbox") + "?show=unread"), "Nothing unread")

    def test_nobody_opens_another_persons_notification(self):
        self.client.force_login(self.outsider)
        self.assertEqual(
            self.client.get(reverse("inbox_open", args=[self.notes[0].pk])).status_code, 404
        )
        self.notes[0].refresh_from_db()
        self.assertIsNone(self.notes[0].read_at)

    def test_a_notification_never_sends_anyone_off_the_site(self):
        note = Notification.objects.create(
            user=self.viewer, organization=self.org, kind=Kind.KPI_DUE, subject="x",
            url="https://evil.example/", key="evil",
        )  # fmt: skip
        self.client.force_login(self.viewer)
        self.assertRedirects(
            self.client.get(reverse("inbox_open", args=[note.pk])),
            reverse("inbox"),
            fetch_redirect_response=False,
        )

    def test_the_inbox_reads_a_fixed_number_of_queries(self):
        self.client.force_login(self.viewer)
        self.client.get(reverse("inbox"))
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("inbox"))
        for i in range(3, 40):
            Notification.objects.create(
                user=self.viewer, organization=self.org, kind=Kind.KPI_DUE,
                subject=f"More {i}", key=f"more{i}",
            )  # fmt: skip
        with CaptureQueriesContext(connection) as many:
            self.client.get(reverse("inbox"))
        self.assertEqual(len(few), len(many))

    def test_the_api_lists_and_marks_my_notifications_only(self):
        self.client.force_login(self.viewer)
        found = self.client.get("/api/v1/notifications?unread=true").json()
        self.assertEqual(found["count"], 3)
        self.assertEqual({n["organization"] for n in found["items"]}, {"acme"})
        marked = self.client.post(f"/api/v1/notifications/{self.notes[1].pk}/read").json()
        self.assertTrue(marked["read"])
        self.assertEqual(self.client.post("/api/v1/notifications/read-all").json(), {"marked": 2})
        self.client.force_login(self.outsider)
        self.assertEqual(
            self.client.post(f"/api/v1/notifications/{self.notes[0].pk}/read").status_code, 404
        )


class PreferenceTests(CairnTestCase):
    def test_a_person_chooses_per_kind_and_the_digest_time(self):
        self.client.force_login(self.editor)
        url = reverse("notifications:preferences", args=["acme"])
        page = self.client.get(url)
        self.assertContains(page, "Three days before an action you own is due.")
        self.assertContains(page, "no e-mail address")
        data = {f"c-{k.value}": Channel.EMAIL for k in Kind}
        data |= {"c-kpi_due": Channel.OFF, "d-time_zone": "Europe/Paris",
                 "d-digest_weekday": "4", "d-digest_hour": "7"}  # fmt: skip
        self.assertRedirects(self.client.post(url, data), url)
        member = Membership.objects.get(user=self.editor, organization=self.org)
        self.assertEqual(services.People.load(self.org).channel(member, Kind.KPI_DUE), Channel.OFF)
        chosen = services.settings_for(self.editor)
        self.assertEqual((chosen.time_zone, chosen.digest_weekday, chosen.digest_hour),
                         ("Europe/Paris", 4, 7))  # fmt: skip

    def test_bad_choices_are_refused_with_field_errors_and_nothing_saved(self):
        self.client.force_login(self.editor)
        url = reverse("notifications:preferences", args=["acme"])
        data = {f"c-{k.value}": Channel.EMAIL for k in Kind}
        data |= {"c-kpi_due": "carrier-pigeon", "d-time_zone": "Mars/Olympus",
                 "d-digest_weekday": "9", "d-digest_hour": "24"}  # fmt: skip
        page = self.client.post(url, data)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Select a valid choice", count=4)
        self.assertFalse(Preference.objects.exists())

    def test_an_owner_sets_the_defaults_a_member_may_override(self):
        self.client.force_login(self.owner)
        url = reverse("notifications:defaults", args=["acme"])
        data = {k.value: Channel.INBOX for k in Kind}
        self.assertRedirects(self.client.post(url, data), url)
        people = services.People.load(self.org)
        viewer = people.by_id[Membership.objects.get(user=self.viewer).pk]
        self.assertEqual(people.channel(viewer, Kind.MEETING_SOON), Channel.INBOX)
        services.set_choices(viewer, {Kind.MEETING_SOON: Channel.EMAIL})
        self.assertEqual(
            services.People.load(self.org).channel(viewer, Kind.MEETING_SOON), Channel.EMAIL
        )
        self.client.force_login(self.editor)
        self.assertEqual(self.client.post(url, data).status_code, 403)

    def test_the_api_reads_and_sets_choices_strictly(self):
        self.client.force_login(self.viewer)
        url = "/api/v1/orgs/acme/notification-preferences"
        got = self.client.get(url).json()
        self.assertEqual(len(got["choices"]), len(Kind))
        body = {"choices": [{"kind": "digest", "channel": "email"}], "time_zone": "Asia/Tokyo",
                "digest_hour": 6}  # fmt: skip
        saved = self.client.put(url, body, content_type="application/json").json()
        self.assertEqual(saved["digest"]["time_zone"], "Asia/Tokyo")
        digest = next(c for c in saved["choices"] if c["kind"] == "digest")
        self.assertEqual(digest["channel"], "email")
        for bad in [
            {"choices": [{"kind": "spam", "channel": "email"}]},
            {"time_zone": "Mars/Olympus"},
            {"digest_hour": 24},
            {"digest_hour": "6"},
        ]:
            with self.subTest(bad=bad):
                answer = self.client.put(url, bad, content_type="application/json")
                self.assertEqual(answer.status_code, 422, answer.content)
        self.assertEqual(services.settings_for(self.viewer).digest_hour, 6)
        defaults = "/api/v1/orgs/acme/notification-defaults"
        body = json.dumps({"choices": [{"kind": "digest", "channel": "inbox"}]})
        self.assertEqual(
            self.client.put(defaults, body, content_type="application/json").status_code, 403
        )


class SlotTests(TestCase):
    def test_each_slot_is_claimed_once(self):
        now = timezone.now()
        self.assertIsNotNone(services.claim_slot(now, "w1"))
        self.assertIsNone(services.claim_slot(now + timedelta(seconds=1), "w2"))
        self.assertEqual(ReminderRun.objects.get().worker, "w1")
        self.assertIsNotNone(services.claim_slot(now + timedelta(minutes=15)))
        self.assertEqual(services.slot_of(now).minute % 15, 0)


def member_of(user, org: Organization, role=Role.VIEWER) -> Membership:
    return Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})[0]


__all__ = ["PASSWORD", "member_of"]


class QueryCountTests(CairnTestCase):
    """Each page and list operation reads a fixed number of queries, whatever its rows."""

    def add_rows(self, n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            OutgoingMail.objects.create(
                organization=self.org, to=f"p{i}@acme.example", kind=Kind.KPI_DUE,
                key=f"q{i}", subject=f"Mail {i}", text="x", html="x",
                state=MailState.FAILED if i % 3 else MailState.SENT, last_error="550",
            )  # fmt: skip
            Notification.objects.create(
                user=self.owner, organization=self.org, kind=Kind.KPI_DUE,
                subject=f"Note {i}", key=f"q{i}",
            )  # fmt: skip
            member = Membership.objects.create(
                user=get_user_model().objects.create_user(f"extra{i}"), organization=self.org
            )
            services.set_choices(member, {Kind.DIGEST: Channel.EMAIL})

    def counts(self) -> list[int]:
        found = []
        for url in [
            reverse("notifications:mail_log", args=["acme"]),
            reverse("notifications:preferences", args=["acme"]),
            reverse("notifications:defaults", args=["acme"]),
            reverse("inbox"),
            "/api/v1/notifications",
            "/api/v1/orgs/acme/mails",
            "/api/v1/orgs/acme/notification-preferences",
        ]:
            with CaptureQueriesContext(connection) as seen:
                self.assertEqual(self.client.get(url).status_code, 200, url)
            found.append(len(seen))
        return found

    def test_pages_read_a_fixed_number_of_queries(self):
        self.client.force_login(self.owner)
        self.add_rows(2)
        few = self.counts()
        self.add_rows(30, start=2)
        self.assertEqual(self.counts(), few)

    def test_the_reminder_plan_reads_a_fixed_number_of_queries(self):
        self.add_rows(2)
        now = timezone.now()
        with CaptureQueriesContext(connection) as few:
            services.plan(self.org, now)
        self.add_rows(30, start=2)
        with CaptureQueriesContext(connection) as many:
            services.plan(self.org, now)
        self.assertEqual(len(few), len(many))
