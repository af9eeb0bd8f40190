"""Outgoing webhooks: events from real changes, signed deliveries to a real HTTP server on the
loopback, retries with back-off, the address rules. Their pages, API, demo and documentation
are in test_webhook_pages.py."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import tempfile
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditEvent
from cairn.governance.models import Review
from cairn.governance.services import complete_review, decide
from cairn.kpis.models import Kpi
from cairn.webhooks import addresses, services
from cairn.webhooks.forms import WebhookForm
from cairn.webhooks.models import DeliveryState, Event, Format, Webhook, WebhookDelivery
from tests.base import CairnTestCase
from tests.webhook_fixtures import PUBLIC_URL

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
SECRET = "whsec_test_secret_of_the_receiver"


def documented_verify():
    """The verification snippet of docs/webhooks.md, exactly as it is printed there."""
    text = DOCS.read_text()
    section = text.split("## Checking the signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(compile(code, str(DOCS), "exec"), scope)  # noqa: S102 - our own documentation
    return scope["verify"]


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request and answers with the next
    status of ``answers`` (200 when none is left), after ``delay`` seconds."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                if receiver.delay:
                    time.sleep(receiver.delay)
                code = receiver.answers.pop(0) if receiver.answers else 200
                try:
                    self.send_response(code)
                    if 300 <= code < 400:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        return f"{self.scheme}://127.0.0.1:{port}/hooks/cairn?team=it"

    def reset(self):
        self.requests.clear()
        self.answers.clear()
        self.delay = 0.0

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@override_settings(CAIRN_WEBHOOKS_ALLOW_PRIVATE=True, CAIRN_BASE_URL="https://cairn.test")
class WebhookTestCase(CairnTestCase):
    """The personas, and a receiver on the loopback (allowed by the setting)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.receiver.stop()
        super().tearDownClass()

    def setUp(self):
        self.receiver.reset()

    def hook(self, events=tuple(Event.values), fmt=Format.JSON, org=None, **kw) -> Webhook:
        webhook, _ = services.create_webhook(
            org or self.org,
            {
                "name": kw.pop("name", f"Hook {Webhook.objects.count() + 1}"),
                "url": kw.pop("url", self.receiver.url),
                "events": list(events),
                "format": fmt,
                "active": kw.pop("active", True),
                "secret": SECRET,
            },
            actor=self.owner,
        )
        return webhook

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.receiver.requests]

    def decide(self, title="Keep the CRM", **kw):
        return decide(
            self.org, title=title, outcome="Kept for three years.", actor=self.owner, **kw
        )


class EventTests(WebhookTestCase):
    def test_a_decision_is_delivered_signed_as_the_documentation_says(self):
        self.hook([Event.DECISION_RECORDED])
        with self.captureOnCommitCallbacks(execute=True):
            decision = self.decide()
        [request] = self.receiver.requests
        headers, body = request["headers"], request["body"]
        self.assertEqual(request["path"], "/hooks/cairn?team=it")
        self.assertTrue(documented_verify()(SECRET, headers, body))
        self.assertFalse(documented_verify()("another secret", headers, body))
        self.assertFalse(documented_verify()(SECRET, headers, body + b" "))
        delivery = WebhookDelivery.objects.get()
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["User-Agent"], "Cairn-Webhooks")
        self.assertEqual(headers["X-Cairn-Event"], "decision.recorded")
        self.assertEqual(headers["X-Cairn-Delivery"], str(delivery.pk))
        self.assertLessEqual(abs(int(headers["X-Cairn-Timestamp"]) - time.time()), 5)
        sent = json.loads(body)
        self.assertEqual(set(sent), {"event", "organization", "occurred", "object", "data", "text"})
        self.assertEqual(sent["organization"], {"slug": "acme", "name": "Acme"})
        self.assertEqual(
            sent["object"],
            {
                "type": "decision",
                "id": decision.pk,
                "name": "Keep the CRM",
                "url": "https://cairn.test/o/acme/guideposts/decisions/",
            },
        )
        self.assertEqual(sent["data"]["outcome"], "Kept for three years.")
        self.assertEqual(
            (delivery.state, delivery.attempts, delivery.response_code),
            (DeliveryState.SENT, 1, 200),
        )
        self.assertIsNotNone(delivery.delivered_at)
        self.assertIsNotNone(delivery.duration_ms)

    def test_a_decision_that_approves_sends_the_initiatives_new_status_too(self):
        self.hook([Event.DECISION_RECORDED, Event.INITIATIVE_STATUS_CHANGED])
        initiative = self.path["initiative"]  # an idea
        with self.captureOnCommitCallbacks(execute=True):
            self.decide("Approve quoting", change="approve", initiatives=[initiative])
        events = [b["event"] for b in self.bodies()]
        self.assertEqual(sorted(events), ["decision.recorded", "initiative.status_changed"])
        moved = next(b for b in self.bodies() if b["event"] == "initiative.status_changed")
        self.assertEqual(
            moved["data"],
            {"from": "idea", "to": "approved", "from_label": "Idea", "to_label": "Approved"},
        )
        self.assertEqual(
            moved["object"]["url"], f"https://cairn.test/o/acme/path/initiatives/{initiative.pk}/"
        )

    def test_an_initiative_status_changed_through_the_api(self):
        self.hook([Event.INITIATIVE_STATUS_CHANGED])
        _, key = core.create_api_token(self.owner, "t")
        initiative = self.path["initiative"]
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.patch(
                f"/api/v1/orgs/acme/initiatives/{initiative.pk}",
                data=json.dumps({"status": "proposed"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
            self.assertEqual(response.status_code, 200, response.content)
            # a change of something else is no event
            self.client.patch(
                f"/api/v1/orgs/acme/initiatives/{initiative.pk}",
                data=json.dumps({"title": "Automate all quoting"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
        [sent] = self.bodies()
        self.assertEqual((sent["data"]["from"], sent["data"]["to"]), ("idea", "proposed"))
        self.assertIn("went from idea to proposed", sent["text"])

    def test_a_measurement_on_the_page_that_reaches_the_target_changes_the_kpis_status(self):
        self.hook([Event.MEASUREMENT_ADDED, Event.KPI_STATUS_CHANGED])
        kpi = self.ascent["kpi"]  # Orders: 100 → 200, measured 120 last
        before = Kpi.objects.get(pk=kpi.pk).status
        self.login("editor")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                self.url("kpis:measurement_add", kpi.pk),
                {"date": "2025-04-30", "value": "250", "confirm": "1"},
            )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Kpi.objects.get(pk=kpi.pk).status, "achieved")
        by_event = {b["event"]: b for b in self.bodies()}
        self.assertEqual(set(by_event), {"measurement.added", "kpi.status_changed"})
        added = by_event["measurement.added"]
        self.assertEqual((added["data"]["date"], added["data"]["value"]), ("2025-04-30", 250.0))
        self.assertEqual(added["object"]["type"], "kpi")
        changed = by_event["kpi.status_changed"]["data"]
        self.assertEqual((changed["from"], changed["to"]), (before.value, "achieved"))
        self.assertEqual(changed["to_label"], "Target reached")

    def test_a_measurement_that_keeps_the_status_sends_no_status_change(self):
        self.hook([Event.MEASUREMENT_ADDED, Event.KPI_STATUS_CHANGED])
        kpi = self.ascent["kpi"]
        before = Kpi.objects.get(pk=kpi.pk).status
        from cairn.kpis.services import record_one

        with self.captureOnCommitCallbacks(execute=True):
            record_one(kpi, date(2025, 3, 31), 121, actor=self.editor)  # corrects 120
            record_one(kpi, date(2025, 4, 30), 122, actor=self.editor)
        self.assertEqual(Kpi.objects.get(pk=kpi.pk).status, before)
        self.assertEqual([b["event"] for b in self.bodies()], ["measurement.added"])

    def test_a_completed_review(self):
        self.hook([Event.REVIEW_COMPLETED])
        review = Review.objects.create(
            organization=self.org, kind="quarterly", title="Q4 check-in", due=date(2027, 1, 31)
        )
        with self.captureOnCommitCallbacks(execute=True):
            complete_review(review, "On course.", actor=self.owner)
        [sent] = self.bodies()
        self.assertEqual(sent["event"], "review.completed")
        self.assertEqual(sent["data"]["summary"], "On course.")
        self.assertEqual(sent["text"], "Acme completed its quarterly check-in: “Q4 check-in”.")

    def test_only_active_webhooks_of_the_organisation_subscribed_to_the_event_hear_of_it(self):
        self.hook([Event.REVIEW_COMPLETED], name="Reviews only")
        self.hook([Event.DECISION_RECORDED], name="Switched off", active=False)
        self.hook([Event.DECISION_RECORDED], name="Globex", org=self.other_org)
        with self.captureOnCommitCallbacks(execute=True):
            self.decide()
        self.assertEqual(self.receiver.requests, [])
        self.assertFalse(WebhookDelivery.objects.exists())

    def test_a_change_rolled_back_sends_nothing(self):
        self.hook([Event.DECISION_RECORDED])
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    self.decide()
                    raise RuntimeError("the rest of the change failed")
            except RuntimeError:
                pass
        self.assertFalse(WebhookDelivery.objects.exists())
        self.assertEqual(self.receiver.requests, [])

    def test_the_same_event_is_queued_once_per_webhook(self):
        first, second = self.hook([Event.DECISION_RECORDED]), self.hook([Event.DECISION_RECORDED])
        with self.captureOnCommitCallbacks(execute=False):
            self.decide()
        audit = AuditEvent.objects.filter(object_type="governance.decision").first()
        again = services.queue_for_audit(audit)
        self.assertEqual(len(again), 2)  # the callbacks were not run: these are the first
        self.assertEqual(services.queue_for_audit(audit), [])
        self.assertEqual(
            sorted(WebhookDelivery.objects.values_list("webhook_id", flat=True)),
            [first.pk, second.pk],
        )

    def test_no_query_inside_the_change_and_one_at_most_after_it(self):
        audit = core.record(
            self.org,
            actor=self.owner,
            action="create",
            obj=self.guideposts["decision"],
            before=None,
            after={"title": "x"},
        )
        # No webhook: one query to find none (the cache is off in tests), nothing else.
        self.assertQueryCount(1, services.queue_for_audit, audit)
        with override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        ):
            services.subscribed(self.org.pk)
            self.assertQueryCount(0, services.queue_for_audit, audit)  # cached: none
        # A row that cannot be an event is not even looked at after the commit.
        with self.captureOnCommitCallbacks() as callbacks:
            core.record_change(self.goal, core.snapshot(self.goal), actor=self.owner)
        self.assertEqual(callbacks, [])


class SendingTests(WebhookTestCase):
    def queued(self) -> WebhookDelivery:
        with self.captureOnCommitCallbacks(execute=True):
            self.decide()
        return WebhookDelivery.objects.get()

    def test_a_500_is_tried_again_after_a_minute_then_sent(self):
        self.hook([Event.DECISION_RECORDED])
        self.receiver.answers = [500]
        start = timezone.now()
        delivery = self.queued()
        self.assertEqual(
            (delivery.state, delivery.attempts, delivery.response_code),
            (DeliveryState.QUEUED, 1, 500),
        )
        self.assertEqual(delivery.last_error, "The server answered 500.")
        wait = delivery.next_attempt_at - start
        self.assertTrue(timedelta(seconds=59) < wait < timedelta(seconds=75), wait)
        self.assertEqual(services.deliver_due(timezone.now()), 0)  # not due yet
        self.assertEqual(services.deliver_due(start + timedelta(minutes=2)), 1)
        delivery.refresh_from_db()
        self.assertEqual(
            (delivery.state, delivery.attempts, delivery.response_code, delivery.last_error),
            (DeliveryState.SENT, 2, 200, ""),
        )
        first, second = self.receiver.requests
        self.assertEqual(first["body"], second["body"])
        self.assertEqual(
            first["headers"]["X-Cairn-Delivery"], second["headers"]["X-Cairn-Delivery"]
        )

    def test_the_back_off_then_failed(self):
        self.hook([Event.DECISION_RECORDED])
        self.receiver.answers = [503] * 10
        delivery = self.queued()
        waits = []
        for _ in range(5):
            now = delivery.next_attempt_at
            self.assertEqual(services.deliver_due(now - timedelta(seconds=1)), 0)
            services.deliver_due(now)
            delivery.refresh_from_db()
            waits.append((delivery.next_attempt_at - now) if delivery.next_attempt_at else None)
        self.assertEqual(
            waits,
            [timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6)]
            + [None],
        )
        self.assertEqual((delivery.state, delivery.attempts), (DeliveryState.FAILED, 6))
        self.assertEqual(len(self.receiver.requests), 6)
        self.assertEqual(services.deliver_due(timezone.now() + timedelta(days=2)), 0)

    def test_the_command_sends_what_is_due(self):
        from io import StringIO

        from django.core.management import call_command

        self.hook([Event.DECISION_RECORDED])
        with self.captureOnCommitCallbacks(execute=False):
            self.decide()
        audit = AuditEvent.objects.filter(object_type="governance.decision").first()
        with self.captureOnCommitCallbacks(execute=False):  # queued, but no worker ran
            services.queue_for_audit(audit)
        self.assertEqual(WebhookDelivery.objects.get().state, DeliveryState.QUEUED)
        out = StringIO()
        call_command("send-webhooks", stdout=out)
        self.assertIn("Sent 1 webhook deliveries.", out.getvalue())
        self.assertEqual(WebhookDelivery.objects.get().state, DeliveryState.SENT)
        self.assertEqual(len(self.receiver.requests), 1)

    def test_two_workers_never_send_the_same_try(self):
        self.hook([Event.DECISION_RECORDED])
        self.receiver.answers = [500]
        delivery = self.queued()
        later = delivery.next_attempt_at
        self.assertIsNotNone(services.claim(delivery.pk, later))
        self.assertIsNone(services.claim(delivery.pk, later))  # the other worker
        self.assertIsNone(services.attempt(delivery.pk, later))
        self.assertEqual(len(self.receiver.requests), 1)

    def test_no_answer_within_the_timeout(self):
        self.hook([Event.DECISION_RECORDED])
        self.receiver.delay = 1.5
        timeout, services.TIMEOUT_S = services.TIMEOUT_S, 0.3
        try:
            started = time.monotonic()
            delivery = self.queued()
            took = time.monotonic() - started
        finally:
            services.TIMEOUT_S = timeout
        self.assertLess(took, 1.4)
        self.assertEqual(delivery.state, DeliveryState.QUEUED)
        self.assertEqual(delivery.last_error, "No answer within 0.3 seconds.")
        self.assertIsNone(delivery.response_code)

    def test_a_server_that_is_not_there(self):
        self.hook([Event.DECISION_RECORDED], url="http://127.0.0.1:9/nothing-listens")
        delivery = self.queued()
        self.assertEqual(delivery.state, DeliveryState.QUEUED)
        self.assertTrue(delivery.last_error.startswith("Could not reach the server"))

    def test_a_redirect_is_not_followed(self):
        self.hook([Event.DECISION_RECORDED])
        self.receiver.answers = [302]
        delivery = self.queued()
        self.assertEqual(delivery.response_code, 302)
        self.assertIn("redirect", delivery.last_error)
        self.assertEqual(len(self.receiver.requests), 1)

    def test_an_address_refused_at_send_time_fails_at_once(self):
        self.hook([Event.DECISION_RECORDED])
        with override_settings(CAIRN_WEBHOOKS_ALLOW_PRIVATE=False):
            delivery = self.queued()
        self.assertEqual((delivery.state, delivery.attempts), (DeliveryState.FAILED, 1))
        self.assertIn("127.0.0.1 is a loopback address", delivery.last_error)
        self.assertEqual(self.receiver.requests, [])

    def test_a_webhook_switched_off_before_its_retry(self):
        webhook = self.hook([Event.DECISION_RECORDED])
        self.receiver.answers = [500]
        delivery = self.queued()
        services.update_webhook(webhook, {"active": False}, actor=self.owner)
        services.deliver_due(delivery.next_attempt_at)
        delivery.refresh_from_db()
        self.assertEqual(delivery.state, DeliveryState.FAILED)
        self.assertEqual(delivery.last_error, "The webhook was switched off.")
        self.assertEqual(len(self.receiver.requests), 1)

    def test_https_checks_the_certificate(self):
        """A server on the loopback with a certificate no authority signed: the connection
        is made (to the checked address) and refused for its certificate."""
        with tempfile.TemporaryDirectory() as tmp:
            key, cert = f"{tmp}/key.pem", f"{tmp}/cert.pem"
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
                + ["-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                check=True,
                capture_output=True,
            )
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(cert, key)
            secure = Receiver(tls)
        try:
            self.hook([Event.DECISION_RECORDED], url=secure.url)
            delivery = self.queued()
        finally:
            secure.stop()
        self.assertTrue(secure.url.startswith("https://127.0.0.1:"))
        self.assertEqual(delivery.state, DeliveryState.QUEUED)
        self.assertIn("certificate could not be verified", delivery.last_error)
        self.assertEqual(secure.requests, [])  # nothing was sent over it

    def test_slack_and_teams_messages(self):
        slack = self.hook([Event.DECISION_RECORDED], Format.SLACK, name="Slack")
        teams = self.hook([Event.DECISION_RECORDED], Format.TEAMS, name="Teams")
        with self.captureOnCommitCallbacks(execute=True):
            decision = self.decide("Buy <fast> & cheap")
        by_delivery = {
            WebhookDelivery.objects.get(pk=r["headers"]["X-Cairn-Delivery"]).webhook_id: r
            for r in self.receiver.requests
        }
        url = "https://cairn.test/o/acme/guideposts/decisions/"
        slack_body = json.loads(by_delivery[slack.pk]["body"])
        self.assertEqual(
            slack_body,
            {
                "text": "Acme recorded a decision: “Buy &lt;fast&gt; &amp; cheap”. Kept for "
                f"three years. <{url}|Open in Cairn>"
            },
        )
        teams_body = json.loads(by_delivery[teams.pk]["body"])
        self.assertEqual(teams_body["@type"], "MessageCard")
        self.assertEqual(teams_body["@context"], "https://schema.org/extensions")
        self.assertTrue(teams_body["text"].endswith(f"[Open in Cairn]({url})"))
        self.assertIn(f"“{decision.title}”", teams_body["text"])
        self.assertTrue(teams_body["summary"])
        # signed all the same
        for request in self.receiver.requests:
            self.assertTrue(documented_verify()(SECRET, request["headers"], request["body"]))


class AddressTests(CairnTestCase):
    """The address rules with the setting off (its default)."""

    def form(self, url: str, **data) -> WebhookForm:
        data = {"name": "Hook", "url": url, "events": ["decision.recorded"], "format": "json"}
        return WebhookForm(data, organization=self.org)

    def test_internal_addresses_are_refused(self):
        for url, words in [
            ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
            ("https://10.0.0.1/hook", "10.0.0.1 is an address on a private network"),
            ("https://192.168.1.20/hook", "private network"),
            ("http://[::1]/hook", "::1 is a loopback address"),
            ("http://[::ffff:127.0.0.1]/hook", "loopback"),
            ("http://localhost:5432/", "localhost (127.0.0.1) is a loopback address"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://0.0.0.0/", "unspecified"),
            ("http://100.64.1.1/", "not on the public internet"),
            ("https://224.0.0.1/", "multicast"),
            ("ftp://example.com/file", "Only web addresses starting with https://"),
            ("javascript:alert(1)", "Only web addresses"),
            ("https:///nohost", "no server name"),
            ("https://no-such-host.invalid/hook", "No server answers to the name"),
        ]:
            with self.subTest(url=url):
                form = self.form(url)
                self.assertFalse(form.is_valid())
                self.assertIn(words, form.errors["url"][0])
        self.assertFalse(Webhook.objects.exists())

    def test_a_public_address_is_accepted(self):
        self.assertEqual(addresses.problem(PUBLIC_URL), "")
        self.assertEqual(addresses.resolve(PUBLIC_URL).address, "93.184.215.14")
        self.assertTrue(self.form(PUBLIC_URL).is_valid())

    @override_settings(CAIRN_WEBHOOKS_ALLOW_PRIVATE=True)
    def test_the_setting_allows_private_addresses_but_never_other_schemes(self):
        self.assertEqual(addresses.problem("http://10.0.0.1/hook"), "")
        self.assertEqual(addresses.problem("http://localhost/hook"), "")
        self.assertIn("Only web addresses", addresses.problem("file:///etc/passwd"))
