"""Outgoing webhooks' pages and API (what each role may do, the secret shown once, their query
counts), the demo's webhook and the documentation."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import override_settings

from cairn.core import services as core
from cairn.core.models import AuditEvent
from cairn.webhooks import demo, services
from cairn.webhooks.models import DeliveryState, Event, Format, Webhook, WebhookDelivery
from tests.base import PAGE, CairnTestCase
from tests.test_webhooks import DOCS, SECRET, WebhookTestCase
from tests.webhook_fixtures import make_webhooks


@override_settings(CAIRN_WEBHOOKS_ALLOW_PRIVATE=True, CAIRN_BASE_URL="https://cairn.test")
class PageTests(WebhookTestCase):
    def test_the_empty_list_says_what_a_webhook_is_for(self):
        self.login()
        response = self.client.get(self.url("webhooks:list"))
        self.assertContains(response, "No webhooks yet")
        self.assertContains(response, "Add the first webhook")

    def test_an_owner_adds_one_sees_the_secret_once_then_masked(self):
        self.login()
        response = self.client.post(
            self.url("webhooks:create"),
            {
                "name": "Committee channel",
                "url": self.receiver.url,
                "events": ["decision.recorded", "review.completed"],
                "format": "slack",
                "active": "on",
                "secret": "",
            },
        )
        webhook = Webhook.objects.get()
        self.assertRedirects(
            response, self.url("webhooks:detail", webhook.pk), fetch_redirect_response=False
        )
        self.assertTrue(webhook.secret.startswith("whsec_") and len(webhook.secret) > 40)
        self.assertEqual(webhook.events, ["decision.recorded", "review.completed"])
        self.assertEqual(webhook.created_by, self.owner)
        page = self.client.get(self.url("webhooks:detail", webhook.pk))
        self.assertContains(page, webhook.secret)
        self.assertContains(page, "It is shown only now")
        again = self.client.get(self.url("webhooks:detail", webhook.pk))
        self.assertNotContains(again, webhook.secret)
        self.assertContains(again, "••••••••" + webhook.secret[-4:])
        audit = AuditEvent.objects.filter(object_type="webhooks.webhook").get()
        self.assertNotIn(webhook.secret, json.dumps(audit.after))
        self.assertEqual(audit.after["url"], self.receiver.url)

    def test_bad_input_is_refused_field_by_field_and_nothing_is_written(self):
        self.login()
        self.hook(name="Taken")
        before = self.audit_count()
        response = self.client.post(
            self.url("webhooks:create"),
            {"name": "Taken", "url": "ftp://x", "format": "json", "secret": "short"},
        )
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertEqual(
            set(form.errors), {"name", "url", "events", "secret"}, form.errors.as_json()
        )
        self.assertContains(response, "There is already a webhook named “Taken”.")
        self.assertContains(response, "Pick at least one thing to tell it about.")
        self.assertEqual((Webhook.objects.count(), self.audit_count()), (1, before))

    def test_a_change_keeps_the_secret_unless_a_new_one_is_given(self):
        webhook = self.hook([Event.DECISION_RECORDED])
        self.login()
        data = {"name": "Renamed", "url": self.receiver.url, "events": ["kpi.status_changed"]}
        response = self.client.post(
            self.url("webhooks:edit", webhook.pk), {**data, "format": "teams", "secret": ""}
        )
        self.assertRedirects(response, self.url("webhooks:detail", webhook.pk))
        webhook.refresh_from_db()
        self.assertEqual((webhook.name, webhook.secret, webhook.active), ("Renamed", SECRET, False))
        self.assertEqual((webhook.format, webhook.events), ("teams", ["kpi.status_changed"]))
        self.client.post(
            self.url("webhooks:edit", webhook.pk),
            {**data, "format": "json", "secret": "a-brand-new-secret-123"},
        )
        webhook.refresh_from_db()
        self.assertEqual(webhook.secret, "a-brand-new-secret-123")
        change = AuditEvent.objects.filter(object_type="webhooks.webhook").first()
        self.assertEqual(change.after["secret"], "changed")

    def test_the_test_button_sends_at_once_and_the_answer_shows(self):
        webhook = self.hook([Event.DECISION_RECORDED], active=False)
        self.login()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url("webhooks:test", webhook.pk))
        self.assertRedirects(response, self.url("webhooks:detail", webhook.pk))
        [request] = self.receiver.requests
        self.assertEqual(request["headers"]["X-Cairn-Event"], "webhook.test")
        body = json.loads(request["body"])
        self.assertEqual(body["data"], {"webhook": webhook.name})
        page = self.client.get(self.url("webhooks:detail", webhook.pk))
        self.assertContains(page, "Test message")
        self.assertContains(page, f"the webhook “{webhook.name}” works.")
        self.assertContains(page, '<span class="badge bg-green-lt">Sent</span>', html=True)

    def test_delete_asks_then_deletes_with_the_log(self):
        webhook = self.hook()
        services.send_test(webhook)
        self.login()
        self.assertContains(self.client.get(self.url("webhooks:delete", webhook.pk)), "Delete")
        response = self.client.post(self.url("webhooks:delete", webhook.pk))
        self.assertRedirects(response, self.url("webhooks:list"))
        self.assertFalse(Webhook.objects.exists() or WebhookDelivery.objects.exists())
        self.assertTrue(
            AuditEvent.objects.filter(object_type="webhooks.webhook", action="delete").exists()
        )

    def test_only_owners_and_only_their_organisations(self):
        webhook = self.hook()
        other = self.hook(org=self.other_org, name="Globex")
        pages = [
            self.url("webhooks:list"),
            self.url("webhooks:create"),
            self.url("webhooks:detail", webhook.pk),
            self.url("webhooks:edit", webhook.pk),
            self.url("webhooks:delete", webhook.pk),
        ]
        for persona in ("viewer", "editor"):
            self.login(persona)
            for url in pages:
                with self.subTest(persona=persona, url=url):
                    self.assertEqual(self.client.get(url).status_code, 403)
            self.assertEqual(
                self.client.post(self.url("webhooks:test", webhook.pk)).status_code, 403
            )
        self.login("outsider")
        for url in pages:
            self.assertEqual(self.client.get(url).status_code, 404)
        self.login("owner")
        for name in ("detail", "edit", "delete"):
            self.assertEqual(
                self.client.get(self.url(f"webhooks:{name}", other.pk)).status_code, 404
            )
        self.assertEqual(self.client.post(self.url("webhooks:test", other.pk)).status_code, 404)
        self.assertEqual(WebhookDelivery.objects.count(), 0)

    def test_the_list_reads_a_fixed_number_of_queries(self):
        self.login()
        url = self.url("webhooks:list")
        self.client.get(url)  # the session's first read
        for n in (1, 3):
            while Webhook.objects.filter(organization=self.org).count() < n:
                webhook = self.hook()
                for _ in range(3):
                    services.send_test(webhook)
            # every page's (PAGE), then the webhooks with their delivery counts (one query)
            response = self.assertQueryCount(PAGE + 1, self.client.get, url)
            self.assertEqual(len(response.context["webhooks"]), n)

    def test_the_detail_reads_a_fixed_number_of_queries(self):
        webhook = self.hook()
        self.login()
        url = self.url("webhooks:detail", webhook.pk)
        self.client.get(url)
        for n in (1, 60):
            while webhook.deliveries.count() < n:
                services.send_test(webhook)
            # every page's (PAGE), then the webhook and its last 50 deliveries
            response = self.assertQueryCount(PAGE + 2, self.client.get, url)
            self.assertEqual(len(response.context["deliveries"]), min(n, 50))


@override_settings(CAIRN_WEBHOOKS_ALLOW_PRIVATE=True, CAIRN_BASE_URL="https://cairn.test")
class ApiTests(WebhookTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.keys = {
            name: core.create_api_token(user, "tests")[1] for name, user in cls.users.items()
        }

    def api(self, method, path, body=None, persona="owner", org="acme"):
        return self.client.generic(
            method,
            f"/api/v1/orgs/{org}/webhooks{path}",
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.keys[persona]}",
        )

    def body(self, **kw):
        return {
            "name": "Ops channel",
            "url": self.receiver.url,
            "events": ["decision.recorded"],
            "format": "slack",
            **kw,
        }

    def test_create_answers_the_secret_once(self):
        created = self.api("POST", "", self.body())
        self.assertEqual(created.status_code, 201, created.content)
        data = created.json()
        webhook = Webhook.objects.get()
        self.assertEqual(data["secret"], webhook.secret)
        self.assertEqual(data["secret_hint"], "••••••••" + webhook.secret[-4:])
        self.assertEqual((data["format"], data["active"]), ("slack", True))
        for response in (self.api("GET", f"/{webhook.pk}"), self.api("GET", "")):
            self.assertEqual(response.status_code, 200)
            self.assertNotIn(webhook.secret, response.content.decode())
            self.assertNotIn('"secret"', response.content.decode())
        self.assertEqual(self.api("GET", "").json()["count"], 1)

    def test_replace_update_and_delete(self):
        webhook = self.hook()
        put = self.api("PUT", f"/{webhook.pk}", self.body(events=["review.completed"]))
        self.assertEqual(put.status_code, 200, put.content)
        webhook.refresh_from_db()
        self.assertEqual((webhook.name, webhook.events), ("Ops channel", ["review.completed"]))
        self.assertEqual(webhook.secret, SECRET)  # none sent: kept
        patch = self.api("PATCH", f"/{webhook.pk}", {"active": False})
        self.assertEqual(patch.status_code, 200, patch.content)
        self.assertFalse(patch.json()["active"])
        webhook.refresh_from_db()
        self.assertEqual((webhook.active, webhook.name), (False, "Ops channel"))
        self.assertEqual(self.api("DELETE", f"/{webhook.pk}").status_code, 204)
        self.assertFalse(Webhook.objects.exists())

    def test_bad_input_is_422_by_field_and_writes_nothing(self):
        before = self.audit_count()
        with override_settings(CAIRN_WEBHOOKS_ALLOW_PRIVATE=False):
            response = self.api("POST", "", self.body())
        self.assertEqual(response.status_code, 422)
        [problem] = response.json()["detail"]
        self.assertEqual(problem["loc"], ["body", "url"])
        self.assertIn("loopback", problem["msg"])
        for body in (
            self.body(events=["nothing.happened"]),
            self.body(events=[]),
            self.body(active="yes"),
            self.body(secret="short"),
        ):
            with self.subTest(body=body):
                self.assertEqual(self.api("POST", "", body).status_code, 422)
        webhook = self.hook(name="Taken")
        self.assertEqual(self.api("PATCH", f"/{webhook.pk}", {"url": "ftp://x"}).status_code, 422)
        self.assertEqual(self.api("POST", "", self.body(name="Taken")).status_code, 422)
        self.assertEqual(self.audit_count(), before + 1)  # the hook made by the test only

    def test_test_and_deliveries(self):
        webhook = self.hook()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.api("POST", f"/{webhook.pk}/test")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["event"], "webhook.test")
        self.assertEqual(len(self.receiver.requests), 1)
        for _ in range(3):
            services.send_test(webhook)
        listed = self.api("GET", f"/{webhook.pk}/deliveries?limit=2")
        self.assertEqual(listed.status_code, 200)
        self.assertEqual(listed.json()["count"], 4)
        self.assertEqual(len(listed.json()["items"]), 2)
        sent = WebhookDelivery.objects.get(pk=response.json()["id"])
        self.assertEqual(sent.state, DeliveryState.SENT)

    def test_owners_only_and_only_their_organisation(self):
        webhook, other = self.hook(), self.hook(org=self.other_org, name="Globex")
        calls = [
            ("GET", ""),
            ("POST", ""),
            ("GET", f"/{webhook.pk}"),
            ("PUT", f"/{webhook.pk}"),
            ("PATCH", f"/{webhook.pk}"),
            ("DELETE", f"/{webhook.pk}"),
            ("GET", f"/{webhook.pk}/deliveries"),
            ("POST", f"/{webhook.pk}/test"),
        ]
        before = self.audit_count()
        for persona in ("viewer", "editor"):
            for method, path in calls:
                with self.subTest(persona=persona, call=f"{method} {path}"):
                    response = self.api(method, path, self.body(), persona=persona)
                    self.assertEqual(response.status_code, 403)
        for method, path in calls:
            with self.subTest(call=f"outsider {method} {path}"):
                response = self.api(method, path, self.body(), persona="outsider")
                self.assertEqual(response.status_code, 404)
            if "{" not in path and path:
                other_path = path.replace(str(webhook.pk), str(other.pk))
                response = self.api(method, other_path, self.body())
                self.assertEqual(response.status_code, 404, f"{method} {other_path}")
        self.assertEqual(self.audit_count(), before)
        self.assertEqual(WebhookDelivery.objects.count(), 0)

    def test_lists_read_a_fixed_number_of_queries(self):
        self.api("GET", "")  # the token's "last used" is written once a minute
        for n in (1, 3):
            while Webhook.objects.filter(organization=self.org).count() < n:
                services.send_test(self.hook())
            # token with its user, membership with its organisation, count, page
            response = self.assertQueryCount(4, self.api, "GET", "")
            self.assertEqual(response.json()["count"], n)
        webhook = Webhook.objects.filter(organization=self.org).first()
        # token with its user, membership, the webhook, count, page
        self.assertQueryCount(5, self.api, "GET", f"/{webhook.pk}/deliveries")


class DemoTests(CairnTestCase):
    def test_the_demo_webhook_is_switched_off_with_a_believable_log(self):
        webhook = demo.load(self.org, self.owner)
        self.assertEqual(demo.load(self.org, self.owner), webhook)  # idempotent
        self.assertEqual(Webhook.objects.count(), 1)
        self.assertFalse(webhook.active)
        self.assertEqual(webhook.format, Format.SLACK)
        self.assertTrue(webhook.url.startswith("https://hooks.slack.example/"))
        states = list(webhook.deliveries.values_list("state", "response_code"))
        self.assertIn((DeliveryState.FAILED, 500), states)
        self.assertIn((DeliveryState.SENT, 200), states)
        self.login()
        page = self.client.get(self.url("webhooks:detail", webhook.pk))
        self.assertContains(page, "The server answered 500.")
        self.assertContains(self.client.get(self.url("webhooks:list")), webhook.name)

    def test_the_matrix_fixture_never_sends(self):
        found = make_webhooks(self.org)
        self.assertFalse(found["webhook"].active)
        self.assertEqual(services.subscribed(self.org.pk), [])  # no active webhook


class DocsTests(CairnTestCase):
    def test_the_documented_headers_and_setting(self):
        text = DOCS.read_text()
        for header in ("X-Cairn-Event", "X-Cairn-Delivery", "X-Cairn-Timestamp"):
            self.assertIn(header, text)
        self.assertIn("CAIRN_WEBHOOKS_ALLOW_PRIVATE=1", text)
        self.assertIn("1 minute, 5 minutes, 30 minutes, 2 hours\nand 6 hours", text)
        self.assertEqual(
            [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)],
            services.BACKOFF[:3],
        )

    def test_every_event_is_documented_and_named(self):
        from cairn.webhooks.models import EVENT_NOUNS

        text = DOCS.read_text()
        for event in Event.values:
            self.assertIn(f"`{event}`", text)
        self.assertEqual(set(EVENT_NOUNS), set(Event.values))
