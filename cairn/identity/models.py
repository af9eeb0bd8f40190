"""What happened to people's accounts (sign-ins, lockouts, second factors, tokens) and the
sessions they have open."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SecurityKind(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    UNLOCKED = "unlocked", "Unlocked"
    SIGN_OUT = "sign_out", "Signed out"
    SSO_SIGN_IN = "sso_sign_in", "Signed in with single sign-on"
    SSO_REFUSED = "sso_refused", "Single sign-on refused"
    SECOND_FACTOR_ADDED = "2fa_added", "Second factor added"
    SECOND_FACTOR_REMOVED = "2fa_removed", "Second factor removed"
    SECOND_FACTOR_FAILED = "2fa_failed", "Wrong second-factor code"
    RECOVERY_CODE_USED = "recovery_used", "Recovery code used"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    SESSION_ENDED = "session_ended", "Session ended"
    TOKEN_CREATED = "token_created", "API token made"
    TOKEN_REVOKED = "token_revoked", "API token revoked"


class SecurityEvent(models.Model):
    """One thing that happened to an account. Kept apart from the organisations' audit trail:
    a person signs in to the installation, not to one organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)  # as typed, or the account's
    kind = models.CharField(max_length=20, choices=SecurityKind.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "created"], name="security_event_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username}"


class UserSession(models.Model):
    """A signed-in browser: listed on the person's profile, where they can end it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    via = models.CharField(max_length=10, default="password")  # password | sso
    created = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.user} from {self.ip}"
