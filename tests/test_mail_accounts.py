"""Mails a person asks for: an invitation sent by e-mail, a password reset; the profile's
name and e-mail address. Every mail goes through a real SMTP server on the loopback."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import TestCase, override_settings
from django.utils.html import escape

from cairn.core import services
from cairn.core.models import AuditVia, Invitation, Membership, Role
from cairn.notifications.models import MailKind, MailState, OutgoingMail
from tests.base import PASSWORD, CairnTestCase
from tests.mailserver import MailServer

BASE = "https://cairn.example.org"  # the public address; never the request's host


def parts(message) -> tuple[str, str]:
    """(text, html) of a received mail."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def the_link(message, pattern: str) -> str:
    """The one link matching ``pattern`` in the text part, after checking the HTML part
    links to the very same address."""
    text, html = parts(message)
    links = re.findall(re.escape(BASE) + pattern, text)
    assert len(set(links)) == 1, links
    assert f'href="{escape(links[0])}"' in html, html
    return links[0]


class InvitationMailTests(CairnTestCase):
    def invite(self, server, **data):
        self.login("owner")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                self.url("invitation_create"), {"label": "Sam", "role": "editor", **data}
            )
        return response

    def test_the_mail_arrives_and_its_link_joins_the_organisation(self):
        with MailServer() as server, server.settings(CAIRN_BASE_URL=BASE):
            response = self.invite(server, email="sam@example.org")
            # Not followed here: the page below shows the link once.
            self.assertRedirects(response, "/o/acme/members/", fetch_redirect_response=False)
            message = server.wait_for(1)[0]
        self.assertIn("Acme", message["Subject"])
        self.assertEqual(message["To"], "sam@example.org")
        self.assertEqual(message["X-Cairn-Mail"], "invitation")
        self.assertEqual(server.recorder.envelopes[0][1], ["sam@example.org"])
        text, _html = parts(message)
        self.assertIn("owner invites you to join Acme", text)
        self.assertIn("As editor, you can add and change the strategy", text)
        self.assertRegex(text, r"until \d{1,2} \w+ \d{4}")
        link = the_link(message, r"/join/[\w-]+/")
        invitation = Invitation.objects.get(organization=self.org)
        mail = OutgoingMail.objects.get()
        self.assertEqual(
            (mail.kind, mail.key, mail.state, mail.organization_id),
            (MailKind.INVITATION, f"invitation:{invitation.pk}", MailState.SENT, self.org.pk),
        )
        # The link is still shown for copying, once: the same key as the mail's.
        page = self.client.get("/o/acme/members/")
        self.assertContains(page, f'value="http://testserver{urlsplit(link).path}"')
        self.assertContains(page, "Cairn is sending this link to sam@example.org")
        self.client.logout()
        path = urlsplit(link).path
        self.assertContains(self.client.get(path), "Join Acme")
        response = self.client.post(
            path,
            {"username": "sam", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
        )
        self.assertRedirects(response, "/o/acme/")
        self.assertEqual(Membership.objects.get(user__username="sam").role, Role.EDITOR)

    def test_without_an_address_no_mail_is_written(self):
        with MailServer() as server, server.settings():
            response = self.invite(server)
        self.assertRedirects(response, "/o/acme/members/", fetch_redirect_response=False)
        self.assertEqual(Invitation.objects.filter(organization=self.org).count(), 1)
        self.assertFalse(OutgoingMail.objects.exists())
        self.assertEqual(server.messages, [])
        self.assertContains(self.client.get("/o/acme/members/"), "Send this link to them yourself")

    def test_a_wrong_address_is_refused_on_its_field_and_nothing_is_written(self):
        with MailServer() as server, server.settings():
            response = self.invite(server, email="sam at example")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(list(response.context["form"].errors), ["email"])
        self.assertContains(response, "Enter a valid email address.", status_code=422)
        self.assertContains(response, 'value="Sam"', status_code=422)  # what was typed stays
        self.assertFalse(Invitation.objects.exists())
        self.assertFalse(OutgoingMail.objects.exists())
        self.assertEqual(server.messages, [])

    def test_the_service_sends_it_whichever_door_it_came_through(self):
        with MailServer() as server, server.settings(CAIRN_BASE_URL=BASE):
            with self.captureOnCommitCallbacks(execute=True):
                invitation, key = services.create_invitation(
                    self.org, role=Role.VIEWER, label="Kim", actor=None, email="kim@example.org",
                    via=AuditVia.CLI,
                )  # fmt: skip
            message = server.wait_for(1)[0]
        self.assertEqual(the_link(message, r"/join/[\w-]+/"), f"{BASE}/join/{key}/")
        self.assertIn("An owner invites you to join Acme", parts(message)[0])
        self.assertIn("As viewer, you can read everything and change nothing.", parts(message)[0])

    def test_only_owners_invite(self):
        self.login("editor")
        response = self.client.post(
            self.url("invitation_create"), {"label": "Sam", "role": "owner", "email": "s@x.org"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Invitation.objects.exists())
        self.assertFalse(OutgoingMail.objects.exists())


@override_settings(CAIRN_BASE_URL=BASE)
class PasswordResetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.dana = User.objects.create_user(
            "dana", email="Dana@example.org", password=PASSWORD, first_name="Dana"
        )

    def ask(self, email: str, **extra):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post("/accounts/password-reset/", {"email": email}, **extra)

    def test_the_link_sets_a_new_password(self):
        login = self.client.get("/accounts/login/")
        self.assertContains(login, 'href="/accounts/password-reset/"')
        page = self.client.get("/accounts/password-reset/")
        self.assertTemplateUsed(page, "registration/password_reset_form.html")
        self.assertContains(page, "Forgot your password?")
        with MailServer() as server, server.settings(CAIRN_BASE_URL=BASE):
            response = self.ask("dana@EXAMPLE.org")  # capitals do not matter
            self.assertRedirects(response, "/accounts/password-reset/sent/")
            message = server.wait_for(1)[0]
        self.assertEqual(message["To"], "Dana@example.org")
        self.assertIn("new password", message["Subject"])
        self.assertIn("Hello Dana,", parts(message)[0])
        mail = OutgoingMail.objects.get()
        self.assertEqual((mail.kind, mail.user_id), (MailKind.PASSWORD_RESET, self.dana.pk))
        self.assertTrue(mail.key.startswith(f"password_reset:{self.dana.pk}:"))
        link = the_link(message, r"/accounts/password-reset/[\w-]+/[\w-]+/")

        form = self.client.get(urlsplit(link).path, follow=True)
        self.assertContains(form, "Choose a new password")
        self.assertTemplateUsed(form, "registration/password_reset_confirm.html")
        done = self.client.post(
            form.redirect_chain[-1][0],
            {"new_password1": "a-fresh-passphrase", "new_password2": "a-fresh-passphrase"},
            follow=True,
        )
        self.assertContains(done, "Your password is changed")
        self.assertFalse(
            self.client.login(request=HttpRequest(), username="dana", password=PASSWORD)
        )
        self.assertTrue(
            self.client.login(request=HttpRequest(), username="dana", password="a-fresh-passphrase")
        )
        self.client.logout()
        again = self.client.get(urlsplit(link).path, follow=True)
        self.assertContains(again, "This link no longer works")

    def test_an_unknown_address_gets_the_same_page_and_no_mail(self):
        with MailServer() as server, server.settings():
            known = self.client.get(self.ask("dana@example.org")["Location"])
            unknown_response = self.ask("nobody@example.org")
            self.assertRedirects(unknown_response, "/accounts/password-reset/sent/")
            unknown = self.client.get(unknown_response["Location"])
            server.wait_for(1)

        def page(response) -> str:  # the words, without the page's CSRF token
            return re.sub(r'content="[\w-]+"', "", response.content.decode())

        self.assertEqual(page(known), page(unknown))
        self.assertEqual(len(server.messages), 1)  # Dana's only
        self.assertEqual(OutgoingMail.objects.count(), 1)

    def test_accounts_without_a_usable_password_get_nothing(self):
        self.dana.set_unusable_password()
        self.dana.save()
        with MailServer() as server, server.settings():
            self.assertRedirects(self.ask("dana@example.org"), "/accounts/password-reset/sent/")
        self.assertFalse(OutgoingMail.objects.exists())
        self.assertEqual(server.messages, [])

    @override_settings(ALLOWED_HOSTS=["*"])
    def test_the_link_ignores_the_host_the_request_names(self):
        with MailServer() as server, server.settings(CAIRN_BASE_URL=BASE):
            self.ask("dana@example.org", HTTP_HOST="attacker.example")
            message = server.wait_for(1)[0]
        text, html = parts(message)
        self.assertNotIn("attacker.example", text + html)
        the_link(message, r"/accounts/password-reset/[\w-]+/[\w-]+/")

    def test_asking_twice_sends_two_mails(self):
        with MailServer() as server, server.settings():
            self.ask("dana@example.org")
            self.ask("dana@example.org")
            server.wait_for(2)
        self.assertEqual(OutgoingMail.objects.filter(state=MailState.SENT).count(), 2)


class ProfileDetailsTests(CairnTestCase):
    def save(self, **data):
        return self.client.post("/profile/", {"form": "details", **data})

    def test_a_person_sets_their_name_and_address(self):
        self.login("editor")
        response = self.save(first_name="Erin", last_name="Ng", email="erin@EXAMPLE.org")
        self.assertRedirects(response, "/profile/")
        self.editor.refresh_from_db()
        self.assertEqual(
            (self.editor.first_name, self.editor.last_name, self.editor.email),
            ("Erin", "Ng", "erin@example.org"),  # the domain part in small letters
        )
        page = self.client.get("/profile/")
        self.assertContains(page, 'value="erin@example.org"')
        self.assertContains(page, '<input type="hidden" name="form" value="details"')
        self.assertFalse(self.editor.api_tokens.exists())  # the other form was not sent

    def test_an_address_another_account_uses_is_refused(self):
        User.objects.filter(pk=self.viewer.pk).update(email="Vic@example.org")
        self.login("editor")
        response = self.save(first_name="Erin", last_name="", email="vic@example.org")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            response.context["person_form"].errors,
            {"email": ["Another account already uses this e-mail address."]},
        )
        self.editor.refresh_from_db()
        self.assertEqual((self.editor.first_name, self.editor.email), ("", ""))
        # One's own address, in other capitals, is not "another account's".
        self.login("viewer")
        self.assertRedirects(self.save(first_name="Vic", email="VIC@example.org"), "/profile/")

    def test_a_wrong_address_is_refused_and_nothing_is_saved(self):
        self.login("editor")
        response = self.save(first_name="Erin", last_name="Ng", email="erin@")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(list(response.context["person_form"].errors), ["email"])
        self.assertContains(response, "Enter a valid email address.", status_code=422)
        self.editor.refresh_from_db()
        self.assertEqual((self.editor.first_name, self.editor.last_name), ("", ""))

    def test_an_address_can_be_left_out(self):
        self.login("editor")
        self.assertRedirects(self.save(first_name="Erin", last_name="", email=""), "/profile/")
        self.editor.refresh_from_db()
        self.assertEqual((self.editor.first_name, self.editor.email), ("Erin", ""))
