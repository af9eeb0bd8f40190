"""Outgoing webhooks: where an organisation's events are sent, and each delivery's record.

Plain models (not ``OrgModel``): a webhook's address and secret belong to the installation
that sends, not to the strategy, so they stay out of the organisation's JSON export.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from cairn.core.models import Organization, unique_name


class Event(models.TextChoices):
    """What a webhook can be told about."""

    DECISION_RECORDED = "decision.recorded", "A decision is recorded"
    KPI_STATUS_CHANGED = "kpi.status_changed", "A KPI's status changes (on track, at risk…)"
    REVIEW_COMPLETED = "review.completed", "A strategy review is completed"
    INITIATIVE_STATUS_CHANGED = "initiative.status_changed", "An initiative changes status"
    MEASUREMENT_ADDED = "measurement.added", "A new KPI measurement is recorded"


# The same, as a delivery's page names what was sent.
EVENT_NOUNS = {
    "decision.recorded": "Decision recorded",
    "kpi.status_changed": "KPI status changed",
    "review.completed": "Review completed",
    "initiative.status_changed": "Initiative status changed",
    "measurement.added": "Measurement added",
}
TEST_EVENT = "webhook.test"  # sent by the "Send a test" button only; no one subscribes to it


class Format(models.TextChoices):
    JSON = "json", "JSON, signed (for your own systems)"
    SLACK = "slack", "Slack message"
    TEAMS = "teams", "Microsoft Teams message"


class Webhook(models.Model):
    """An address Cairn tells, signed with the secret, when one of ``events`` happens."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=120, help_text="For you: e.g. “Committee channel”.")
    url = models.CharField("address (URL)", max_length=500)
    secret = models.CharField(max_length=128)
    events = models.JSONField(default=list)  # Event values
    format = models.CharField(max_length=5, choices=Format.choices, default=Format.JSON)
    active = models.BooleanField("switched on", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [unique_name("webhook")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> str:
        return "whsec_" + secrets.token_urlsafe(32)

    @property
    def secret_hint(self) -> str:
        """The secret as pages show it after creation: its last four characters only."""
        return "••••••••" + self.secret[-4:]

    def event_labels(self) -> list[str]:
        labels = dict(Event.choices)
        return [labels.get(e, e) for e in self.events]

    def subscribes(self, event: str) -> bool:
        return event == TEST_EVENT or event in self.events


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one webhook: its body, its tries and the answer.

    ``key`` names the event (the audit row it came from), so the same event is queued once
    per webhook however often it is seen. A queued delivery is sent once ``next_attempt_at``
    has passed; a worker claims it by moving that time on (``services.claim``)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    key = models.CharField(max_length=80)
    payload = models.JSONField(encoder=DjangoJSONEncoder)  # the JSON format's body
    state = models.CharField(
        max_length=6, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)  # of the last try
    created = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "key"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["webhook", "-created"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook_id} ({self.state})"

    @property
    def event_label(self) -> str:
        """The event in words, as the webhook's page lists it."""
        if self.event == TEST_EVENT:
            return "Test message"
        return EVENT_NOUNS.get(self.event, self.event)
