"""A webhook per organisation for tests that need a row of every kind (the isolation matrix)."""

from __future__ import annotations

from cairn.webhooks.models import DeliveryState, Event, Format, Webhook, WebhookDelivery

PUBLIC_URL = "https://93.184.215.14/cairn-hook"  # a public address: no DNS needed


def make_webhooks(org, prefix: str = "") -> dict:
    """One webhook (switched off, so nothing is ever sent) and one past delivery of it."""
    webhook = Webhook.objects.create(
        organization=org,
        name=f"{prefix}Committee channel",
        url=PUBLIC_URL,
        secret=Webhook.new_secret(),
        events=[Event.DECISION_RECORDED],
        format=Format.SLACK,
        active=False,
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="webhook.test",
        key="fixture",
        payload={"event": "webhook.test", "text": "A test"},
        state=DeliveryState.SENT,
        attempts=1,
        response_code=200,
        next_attempt_at=None,
    )
    return {"webhook": webhook, "delivery": delivery}
