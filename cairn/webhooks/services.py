"""Every change to webhooks, and the sending of their deliveries.

An audit row saved (``audit_saved``, connected in ``apps.py``) becomes, once its transaction
has committed, one delivery per subscribed webhook; the worker sends each
(``tasks.deliver`` → ``attempt``), retrying with back-off until it is answered 2xx or the
tries run out. ``deliver_due`` sends every delivery whose time has come: the retries of a
backend that cannot defer a job, and anything a lost worker left behind.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditAction, AuditEvent, AuditVia, Organization
from cairn.webhooks import addresses, events, formats
from cairn.webhooks.models import TEST_EVENT, DeliveryState, Webhook, WebhookDelivery

logger = logging.getLogger("cairn.webhooks")

TIMEOUT_S = 10  # seconds to connect, and for each read of the answer; then retried later
# After the first try fails, the next ones wait this long; after the last, it has failed.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed delivery is due again after this, should its worker die while sending.
LEASE = timedelta(seconds=TIMEOUT_S * 6)
CACHE_SECONDS = 60  # the organisation's webhooks, kept this long (or until one changes)
USER_AGENT = "Cairn-Webhooks"


# --- Changing webhooks


def _cache_key(org_id: int) -> str:
    return f"webhooks:org:{org_id}"


def _forget(org_id: int) -> None:
    cache.delete(_cache_key(org_id))


def _audited(webhook: Webhook) -> dict[str, Any]:
    """A webhook's values for the audit trail: never its secret."""
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "format": webhook.format,
        "active": webhook.active,
    }


def _record(webhook: Webhook, action, before, after, actor, via) -> None:
    core.record(
        webhook.organization,
        actor=actor,
        action=action,
        obj=webhook,
        before=before,
        after=after,
        via=via,
        object_id=webhook.pk,
    )


FIELDS = ("name", "url", "events", "format", "active")


@transaction.atomic
def create_webhook(
    org: Organization, values: dict[str, Any], *, actor, via: AuditVia = AuditVia.WEB
) -> tuple[Webhook, str]:
    """Add a webhook (values checked by ``WebhookForm``); returns it and its secret, which
    pages show this once (one is made when none is given)."""
    secret = values.get("secret") or Webhook.new_secret()
    webhook = Webhook(organization=org, secret=secret, created_by=actor if actor else None)
    for name in FIELDS:
        if name in values:
            setattr(webhook, name, values[name])
    try:
        with transaction.atomic():
            webhook.save()
    except IntegrityError:
        raise core.ServiceError("There is already a webhook with this name.") from None
    _record(webhook, AuditAction.CREATE, None, _audited(webhook), actor, via)
    transaction.on_commit(lambda: _forget(org.pk))
    return webhook, secret


@transaction.atomic
def update_webhook(
    webhook: Webhook, values: dict[str, Any], *, actor, via: AuditVia = AuditVia.WEB
) -> Webhook:
    """Change a webhook; a ``secret`` given replaces the old one, none keeps it."""
    before = _audited(webhook)
    for name in FIELDS:
        if name in values:
            setattr(webhook, name, values[name])
    new_secret = bool(values.get("secret"))
    if new_secret:
        webhook.secret = values["secret"]
    try:
        with transaction.atomic():
            webhook.save()
    except IntegrityError:
        raise core.ServiceError("There is already a webhook with this name.") from None
    after = _audited(webhook)
    if new_secret:
        after["secret"] = "changed"  # that it changed, never what to
    if after != before:
        _record(webhook, AuditAction.UPDATE, before, after, actor, via)
    transaction.on_commit(lambda: _forget(webhook.organization_id))
    return webhook


@transaction.atomic
def delete_webhook(webhook: Webhook, *, actor, via: AuditVia = AuditVia.WEB) -> None:
    """Delete a webhook and its delivery log (not kept in the trash: nothing to restore)."""
    before, pk = _audited(webhook), webhook.pk
    webhook.delete()
    webhook.pk = pk
    _record(webhook, AuditAction.DELETE, before, None, actor, via)
    transaction.on_commit(lambda: _forget(webhook.organization_id))


# --- From audit rows to deliveries


def subscribed(org_id: int) -> list[tuple[int, list[str]]]:
    """(id, events) of the organisation's active webhooks: one query, or none when cached."""
    key = _cache_key(org_id)
    found = cache.get(key)
    if found is None:
        found = list(
            Webhook.objects.filter(organization_id=org_id, active=True)
            .order_by("pk")
            .values_list("pk", "events")
        )
        cache.set(key, found, CACHE_SECONDS)
    return found


def audit_saved(sender, instance: AuditEvent, created: bool = False, raw: bool = False, **kw):
    """post_save of AuditEvent: a row that may be an event is looked at once its change has
    committed (nothing is read inside the transaction, nothing sent for one rolled back)."""
    if not created or raw or not events.candidates(instance):
        return
    transaction.on_commit(lambda: queue_for_audit(instance), robust=True)


def queue_for_audit(audit: AuditEvent) -> list[WebhookDelivery]:
    """Queue a delivery of each event of this audit row to each webhook subscribed to it."""
    hooks = subscribed(audit.organization_id)
    possible = events.candidates(audit)
    wanted = {e for _, subscribed_to in hooks for e in subscribed_to} & possible
    if not wanted:
        return []
    queued = []
    for event, payload in events.derive(audit, wanted):
        for pk, subscribed_to in hooks:
            if event in subscribed_to:
                delivery = queue(pk, event, f"audit:{audit.pk}:{event}", payload)
                if delivery is not None:
                    queued.append(delivery)
    return queued


def queue(webhook_id: int, event: str, key: str, payload: dict) -> WebhookDelivery | None:
    """A new delivery, sent by the worker once the transaction commits; None if this event
    was already queued for this webhook."""
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                webhook_id=webhook_id, event=event, key=key, payload=payload
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue(delivery.pk), robust=True)
    return delivery


def _enqueue(delivery_id: int, when: datetime | None = None) -> None:
    from cairn.webhooks.tasks import deliver

    if when is None:
        deliver.enqueue(delivery_id)
    elif deliver.get_backend().supports_defer:
        deliver.using(run_after=when).enqueue(delivery_id)
    # else: the retry waits for ``deliver_due`` (``cairn send-webhooks``)


def send_test(webhook: Webhook, *, actor=None) -> WebhookDelivery:
    """Queue the "Send a test" delivery (sent even while the webhook is switched off)."""
    payload = events.test_envelope(webhook.organization, webhook.name, timezone.now())
    delivery = queue(webhook.pk, TEST_EVENT, f"test:{uuid.uuid4().hex}", payload)
    assert delivery is not None  # a new key each time
    return delivery


# --- Sending


def claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take a due delivery for this worker, or None if it is not due or another worker took
    it: the conditional UPDATE lets one worker only move its time on."""
    taken = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.QUEUED, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("webhook__organization").get(pk=delivery_id)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST the body; (status code, "") when answered, else (None or the code, the problem).

    Redirects are not followed (the address they lead to was never checked)."""
    target = addresses.resolve(url)  # AddressRefused goes to the caller
    if target.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    # Connect to the address that was checked, not to whatever the name resolves to next
    # (TLS still checks the certificate against the name).
    def connect(address, timeout=None, source_address=None):
        return socket.create_connection((target.address, address[1]), timeout, source_address)

    conn._create_connection = connect
    try:
        conn.request("POST", target.path, body=body, headers={**headers, "Host": target.host})
        response = conn.getresponse()
        response.read(65536)  # enough to let the server finish; the body is not kept
        code = response.status
    except TimeoutError:
        return None, f"No answer within {timeout:g} seconds."
    except ssl.SSLCertVerificationError as e:
        return None, f"The server's certificate could not be verified: {e.verify_message}."
    except ssl.SSLError as e:
        return None, f"The secure connection failed: {e.reason or e}."
    except (OSError, http.client.HTTPException) as e:
        return None, f"Could not reach the server: {e.strerror or e}."
    finally:
        conn.close()
    if 200 <= code < 300:
        return code, ""
    if 300 <= code < 400:
        return code, f"The server answered {code}, a redirect; webhooks do not follow them."
    return code, f"The server answered {code}."


def headers_for(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Cairn-Event": delivery.event,
        "X-Cairn-Delivery": str(delivery.pk),
        "X-Cairn-Timestamp": str(timestamp),
        "X-Cairn-Signature": formats.signature(delivery.webhook.secret, timestamp, body),
    }


def attempt(delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Send one due delivery once and record the answer: sent on 2xx, else queued again after
    the next wait of ``BACKOFF``, or failed after ``MAX_ATTEMPTS`` (or at once, when the
    address is refused or the webhook was switched off). None if it was not due or taken."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return None
    webhook = delivery.webhook
    if not webhook.active and delivery.event != TEST_EVENT:
        return _finish(delivery, now, None, "The webhook was switched off.", retry=False)
    body = formats.body(delivery.payload, webhook.format)
    started = time.monotonic()
    try:
        code, error = post(
            webhook.url, body, headers_for(delivery, body, int(time.time())), TIMEOUT_S
        )
    except addresses.AddressRefused as e:
        return _finish(delivery, now, None, str(e), retry=False)
    delivery.duration_ms = round((time.monotonic() - started) * 1000)
    return _finish(delivery, now, code, error, retry=True)


def _finish(delivery, now, code, error, *, retry: bool) -> WebhookDelivery:
    delivery.response_code = code
    delivery.last_error = error[:500]
    if not error:
        delivery.state, delivery.next_attempt_at = DeliveryState.SENT, None
        delivery.delivered_at = timezone.now()
    elif retry and delivery.attempts < MAX_ATTEMPTS:
        delivery.state = DeliveryState.QUEUED
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    else:
        delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
    delivery.save(
        update_fields=[
            "state",
            "response_code",
            "last_error",
            "next_attempt_at",
            "duration_ms",
            "delivered_at",
        ]
    )
    if delivery.state == DeliveryState.QUEUED:
        _enqueue(delivery.pk, delivery.next_attempt_at)
    elif delivery.state == DeliveryState.FAILED:
        logger.warning("Webhook delivery %s failed: %s", delivery.pk, delivery.last_error)
    return delivery


def deliver_due(now: datetime | None = None, limit: int = 500) -> int:
    """Send every queued delivery whose time has come (oldest first); returns how many were
    sent successfully."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in due:
        done = attempt(pk, now)
        sent += bool(done and done.state == DeliveryState.SENT)
    return sent
