"""Organisations, who belongs to them, and the audit trail of every change."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from cairn.core.money import CURRENCY_CHOICES, DEFAULT_CURRENCY, format_money


def hash_key(key: str) -> str:
    """Hash a one-time link or API token: only the hash is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "editor": 1, "owner": 2}[self.value]

    @property
    def description(self) -> str:
        return {
            "owner": "Can change everything, including who has access.",
            "editor": "Can add and change the strategy, but not who has access.",
            "viewer": "Can read everything and change nothing.",
        }[self.value]


class Organization(models.Model):
    """A business whose IT strategy Cairn holds; every domain row belongs to one."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    fiscal_year_start = models.PositiveSmallIntegerField(
        "first month of the financial year",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    planning_horizon_years = models.PositiveSmallIntegerField(
        "planning horizon (years)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    change_target_percent = models.PositiveSmallIntegerField(
        "target share of change (%)",
        default=30,
        validators=[MaxValueValidator(100)],
        help_text="Share of IT spending meant to change the business rather than run it.",
    )
    currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        default=DEFAULT_CURRENCY,
        help_text="Every amount in Cairn is shown and exported in it.",
    )
    report_every_months = models.PositiveSmallIntegerField(
        "status reports",
        choices=[(1, "Every month"), (3, "Every quarter")],
        default=1,
        help_text="How often each initiative under way reports how it is going.",
    )
    overspend_tolerance_percent = models.PositiveSmallIntegerField(
        "overspend tolerance (%)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Spend beyond the plan by more than this goes to the committee.",
    )
    require_sso = models.BooleanField(
        "members sign in with single sign-on",
        default=False,
        help_text="Password sign-in is then refused for the members (not for owners, so that "
        "an owner can still get in if the identity provider is down).",
    )
    require_second_factor = models.CharField(
        "second factor",
        max_length=10,
        choices=[
            ("", "Not required"),
            ("managers", "Required for owners and editors"),
            ("all", "Required for every member"),
        ],
        default="",
        blank=True,
        help_text="Who must confirm a password sign-in with an authenticator app. Single "
        "sign-on relies on the provider's own second factor.",
    )
    # Set when an editor dismisses the getting-started checklist on the dashboard.
    checklist_dismissed = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def money(self, amount, *, short: bool = False) -> str:
        """An amount in this organisation's currency, as ``format_money`` writes it."""
        return format_money(amount, self.currency, short=short)


class Membership(models.Model):
    """A person's place in an organisation, with the role that says what they may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    job_title = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "member"
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    def has_role(self, minimum: Role) -> bool:
        """True when this member's role is at least ``minimum``."""
        return Role(self.role).rank >= Role(minimum).rank

    @property
    def can_edit(self) -> bool:
        return self.has_role(Role.EDITOR)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class Invitation(models.Model):
    """A one-time link an owner hands to a person so they can join with a given role."""

    VALID_FOR = timedelta(days=7)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    label = models.CharField("who it is for", max_length=120)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Invitation for {self.label} to {self.organization}"

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        """Not used, not revoked, not expired."""
        return (
            self.accepted_at is None and self.revoked_at is None and self.expires > timezone.now()
        )

    @property
    def role_description(self) -> str:
        return Role(self.role).description

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires <= timezone.now():
            return "expired"
        return "waiting"


class ApiToken(models.Model):
    """A personal key for the REST API; it acts as its user, in that user's organisations."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)  # null: made before tokens expired
    scope = models.CharField(
        max_length=5,
        choices=[("read", "Read only"), ("write", "Read and write")],
        default="read",
    )
    organization = models.ForeignKey(
        "Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only this organisation; empty: all of the person's organisations.",
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        return "cairn_" + secrets.token_urlsafe(30)


class AuditAction(models.TextChoices):
    CREATE = "create", "Added"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    RESTORE = "restore", "Restored"


class AuditVia(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    CLI = "cli", "Command line"


class AuditEvent(models.Model):
    """One change to an organisation's data: who, when, what, and the values before and after."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept so the trail still names people whose accounts were removed.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    via = models.CharField(max_length=10, choices=AuditVia.choices, default=AuditVia.WEB)
    object_type = models.CharField(max_length=60)  # "app_label.model"
    object_id = models.BigIntegerField(null=True)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["organization", "-created"], name="audit_org_recent")]

    def __str__(self) -> str:
        return f"{self.actor_name or 'system'} {self.action} {self.object_type} {self.object_repr}"

    @property
    def type_label(self) -> str:
        """The kind of object in words, e.g. "business goal"."""
        from django.apps import apps

        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except LookupError:
            return self.object_type.split(".")[-1]

    def changes(self) -> list[tuple[str, Any, Any]]:
        """The fields whose value differs between before and after, as (field, old, new)."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def unique_name(noun: str, field: str = "name") -> models.UniqueConstraint:
    """A name that must be unique within an organisation, with a plain message."""
    return models.UniqueConstraint(
        fields=["organization", field],
        name=f"{noun.replace(' ', '_')}_unique_{field}",
        violation_error_message=f"There is already a {noun} with this {field}.",
    )


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> OrgQuerySet:
        return self.filter(organization=organization)


class OrgModel(models.Model):
    """Base of every domain row: its organisation, who made it and when, and a version.

    ``version`` goes up by one on every saved change; a form or API call that edited
    an older version is refused with a conflict rather than silently overwriting.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True


TRASH_DAYS = 30


class TrashEntry(models.Model):
    """A deleted row and every row deleted with it, kept 30 days so the delete can be undone.

    ``payload`` holds the rows (Django's JSON serialisation, ids kept), parents first, and
    the links the delete cleared (``set_null``: model, field, ids)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="trash_entries"
    )
    label = models.CharField(max_length=300)
    model = models.CharField(max_length=60)  # "app_label.model"
    object_id = models.PositiveBigIntegerField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        verbose_name_plural = "trash entries"

    def __str__(self) -> str:
        return self.label

    @property
    def expires(self):
        return self.deleted_at + timedelta(days=TRASH_DAYS)


IMPORT_JOB_DAYS = 7  # a finished import's page, with its report, stays this long


class ImportState(models.TextChoices):
    WAITING = "waiting", "Waiting for the worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    PREVIEW = "preview", "Ready to confirm"  # a dry run read it; nothing is written yet
    CANCELLED = "cancelled", "Cancelled"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Stopped on an error"


class ImportJob(models.Model):
    """A file uploaded on an import page and imported, all rows or none, by the background
    worker; its page shows the rows read, then the counts or every problem.

    The file itself is kept in ``ImportChunk`` rows until the job ends; the job is purged
    after ``IMPORT_JOB_DAYS``."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(max_length=20)  # what the file holds: "applications", "measurements"…
    label = models.CharField(max_length=60)  # the same in words: "Applications"
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)  # bytes
    # CSV: the lines after the header, counted on upload; unknown for Excel.
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    # A preview: the worker reads and checks the file, says what it would add and change,
    # and keeps the file until the person confirms (then the job runs again, for real).
    dry_run = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=ImportState.choices, default=ImportState.WAITING
    )
    # Done: {"added", "updated"[, "unchanged"]}; refused: the report; failed: {"error"}.
    result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    # Names the progress file the worker writes on SQLite (core/imports.py).
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.label} from {self.filename} ({self.state})"

    @property
    def is_active(self) -> bool:
        """Waiting or running: its page keeps polling."""
        return self.state in (ImportState.WAITING, ImportState.RUNNING)


class ImportChunk(models.Model):
    """One piece (up to 1 MiB) of an uploaded import file, in order. Kept in the database so
    that a worker on any server can read what any web server received."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="import_chunk_unique_number")
        ]

    def __str__(self) -> str:
        return f"Piece {self.number} of import {self.job_id}"
