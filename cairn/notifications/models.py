"""What Cairn told whom: the inbox, the mails sent or waiting, each person's choices."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from cairn.core.models import Membership, Organization
from cairn.notifications.kinds import Channel, Kind

KEY_LENGTH = 200


def make_key(*parts) -> str:
    """The unique key of a reminder: its kind, object, period and person. Long keys (a long
    period text) are hashed to fit the column, still unique."""
    key = ":".join(str(p) for p in parts)
    if len(key) > KEY_LENGTH:
        key = key[:120] + ":" + hashlib.sha256(key.encode()).hexdigest()
    return key


class Notification(models.Model):
    """One line of a person's inbox in Cairn: the same event as the mail, if one was sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    lines = models.JSONField(default=list, blank=True)
    url = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=KEY_LENGTH)
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_key")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.subject


class MailState(models.TextChoices):
    QUEUED = "queued", "Waiting"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class MailKind(models.TextChoices):
    """Every kind of mail: the reminders (``Kind``) and the mails a person asked for."""

    INVITATION = "invitation", "An invitation"
    PASSWORD_RESET = "password_reset", "A password reset"
    TEST = "test", "A test mail"


MAIL_KINDS = [*Kind.choices, *MailKind.choices]


class OutgoingMail(models.Model):
    """A mail Cairn sends or sent: written first, sent by the worker.

    ``key`` is unique: the same reminder (kind, object, period, person) is written once, so
    it is never sent twice, whichever worker or run came to it first.
    """

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.EmailField(max_length=254)
    kind = models.CharField(max_length=20, choices=MAIL_KINDS)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    period = models.CharField(max_length=60, blank=True)
    key = models.CharField(max_length=KEY_LENGTH, unique=True)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField()
    unsubscribe_url = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=MailState.choices, default=MailState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt"], name="mail_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class ChannelChoice(models.Model):
    """How one kind of notification reaches someone: e-mail, in Cairn only, or off."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind}: {self.channel}"


class Preference(ChannelChoice):
    """A person's choice, in one organisation, for one kind."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "kind"], name="one_preference_per_kind")
        ]


class OrgDefault(ChannelChoice):
    """An organisation's default for one kind, set by an owner; a person may choose otherwise."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="one_default_per_kind")
        ]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class PersonSettings(models.Model):
    """When a person reads their weekly digest, in their own time zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    time_zone = models.CharField(max_length=60, default="UTC")
    digest_weekday = models.PositiveSmallIntegerField(
        "digest day", choices=Weekday.choices, default=Weekday.MONDAY
    )
    digest_hour = models.PositiveSmallIntegerField(
        "digest hour", default=8, help_text="The hour, in your time zone, from 0 to 23."
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone}"


class ReminderRun(models.Model):
    """One run of the reminders per time slot, whichever worker claims the slot first."""

    slot = models.DateTimeField(unique=True)  # the slot's start, in UTC
    started = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    queued = models.PositiveIntegerField(default=0)  # mails written
    notified = models.PositiveIntegerField(default=0)  # inbox lines written
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"Reminders of {self.slot:%Y-%m-%d %H:%M}"
