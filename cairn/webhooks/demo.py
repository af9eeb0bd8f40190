"""Summit's webhook: the committee's Slack channel, switched off (the demo sends nothing),
with a few past deliveries so its page reads like one in use."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cairn.core.models import Organization
from cairn.webhooks import events, formats
from cairn.webhooks.models import DeliveryState, Event, Format, Webhook, WebhookDelivery

NAME = "Steering committee channel"


def load(org: Organization, owner) -> Webhook:
    """Add the demo webhook and its log, unless it is there already."""
    found = Webhook.objects.filter(organization=org, name=NAME).first()
    if found is not None:
        return found
    webhook = Webhook.objects.create(
        organization=org,
        name=NAME,
        url="https://hooks.slack.example/services/T0SUMMIT/B0STEER/demo",
        secret=Webhook.new_secret(),
        events=[Event.DECISION_RECORDED, Event.KPI_STATUS_CHANGED, Event.REVIEW_COMPLETED],
        format=Format.SLACK,
        active=False,  # an example address: nothing is sent from the demo
        created_by=owner,
    )
    now = timezone.now()
    past = [
        # (days ago, event, object, text, state, code, error, tries, ms)
        (
            12,
            Event.DECISION_RECORDED,
            ("decision", "Move the shop to the new payment provider"),
            f"{org.name} recorded a decision: “Move the shop to the new payment provider”.",
            DeliveryState.SENT,
            200,
            "",
            1,
            184,
        ),
        (
            9,
            Event.KPI_STATUS_CHANGED,
            ("kpi", "Online orders completed without an error"),
            f"In {org.name}, the KPI “Online orders completed without an error” is now at "
            "risk (it was on track).",
            DeliveryState.FAILED,
            500,
            "The server answered 500.",
            6,
            97,
        ),
        (
            3,
            Event.REVIEW_COMPLETED,
            ("review", "Autumn check-in"),
            f"{org.name} completed its quarterly check-in: “Autumn check-in”.",
            DeliveryState.SENT,
            200,
            "",
            2,
            211,
        ),
        (1, "webhook.test", None, None, DeliveryState.SENT, 200, "", 1, 156),
    ]
    for n, (days, event, obj, text, state, code, error, tries, ms) in enumerate(past):
        when = now - timedelta(days=days, hours=n)
        if obj is None:
            payload = events.test_envelope(org, NAME, when)
        else:
            payload = formats.envelope(
                event,
                org,
                when,
                obj={"type": obj[0], "id": None, "name": obj[1], "url": formats.base_url()},
                data={},
                text=text,
            )
        WebhookDelivery.objects.create(
            webhook=webhook,
            event=event,
            key=f"demo:{n}",
            payload=payload,
            state=state,
            attempts=tries,
            response_code=code,
            last_error=error,
            next_attempt_at=None,
            duration_ms=ms,
            created=when,
            delivered_at=when + timedelta(seconds=1) if state == DeliveryState.SENT else None,
        )
    return webhook
