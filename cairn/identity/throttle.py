"""Password guessing, slowed down: django-axes counts failed sign-ins per account and per
address and locks either out for a while (settings ``AXES_*``, docs/sign-in.md); this module
gives the lockout its page, lets an owner unlock a member, records the failures and lockouts
as security events, and limits how often a password reset link may be asked for.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Count, Q, Sum, Value
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from cairn.identity.events import client_ip, record
from cairn.identity.models import SecurityEvent, SecurityKind

RESET_ASKED = "A reset link was asked for"  # the detail of the events the reset limit counts


def cool_off() -> timedelta:
    return get_cool_off() or timedelta(0)


def minutes_text(delta: timedelta) -> str:
    """ "15 minutes", "1 minute", "2 hours"."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _recent_attempts():
    """Failed sign-ins still counted: those within the cool-off."""
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off())


def locked_usernames(usernames) -> set[str]:
    """Which of these accounts are locked out now (one query)."""
    rows = (
        _recent_attempts()
        .filter(username__in=list(usernames))
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def address_locked(ip: str | None) -> bool:
    if not ip:
        return False
    failures = _recent_attempts().filter(ip_address=ip).aggregate(n=Sum("failures_since_start"))
    return (failures["n"] or 0) >= settings.AXES_FAILURE_LIMIT


def lockout_response(request, original_response=None, credentials=None):
    """Axes' ``AXES_LOCKOUT_CALLABLE``: the plain page, 429, instead of the sign-in form."""
    wait = minutes_text(cool_off())
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    by_account = bool(username) and username in locked_usernames([username])
    if by_account or not address_locked(client_ip(request)):
        message = (
            f"Too many failed sign-ins for this account. Try again in {wait}, "
            "or ask an owner of your organisation to unlock you."
        )
    else:
        message = (
            f"Too many failed sign-ins from this address. Try again in {wait}. "
            "Signing in from another network does not wait for this one."
        )
    response = render(
        request,
        "identity/locked_out.html",
        {"title": "Sign-in paused", "message": message},
        status=429,
    )
    response["Retry-After"] = str(int(cool_off().total_seconds()))
    return response


def unlock(username: str, *, actor, request=None) -> int:
    """An owner lets a member try again at once: their failed sign-ins are forgotten (and
    recorded as unlocked when there were any)."""
    count = axes_reset(username=username)
    if count:
        record(
            SecurityKind.UNLOCKED,
            request=request,
            username=username,
            detail=f"by {actor.get_username()}",
        )
    return count


def _failures(request) -> int:
    """The failures axes has just counted for this request (the most of its account's and
    its address's); 0 when it counted none."""
    return getattr(request, "axes_failures_since_start", None) or 0


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs):
    """Every failed sign-in is a security event (axes has counted it before this runs).
    A try while locked out is refused before its password is checked."""
    if _failures(request) > settings.AXES_FAILURE_LIMIT:
        detail = "refused: locked out"
    elif getattr(request, "cairn_sso_required", False):  # cairn.identity.backends
        detail = "refused: the organisation signs in with single sign-on"
    else:
        detail = "wrong user name or password"
    record(
        SecurityKind.SIGN_IN_FAILED,
        request=request,
        username=credentials.get("username") or "",
        detail=detail,
    )


@receiver(user_logged_in)
def success_clears_the_account(sender, request, user, **kwargs):
    """A sign-in clears its account's failures, and only those (not its address's: see
    AXES_RESET_ON_SUCCESS in the settings)."""
    axes_reset(username=user.get_username())


@receiver(user_locked_out)
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """The lockout begins. Axes sends the signal again for each try during the lockout (each
    one also starts the cool-off again); only the one that reached the limit is recorded."""
    if request is None or _failures(request) != settings.AXES_FAILURE_LIMIT:
        return
    record(
        SecurityKind.LOCKED_OUT,
        request=request,
        username=username or "",
        detail=f"after {settings.AXES_FAILURE_LIMIT} failed sign-ins",
    )


# --- Password reset: a limit per hour, per address and per e-mail address typed.


def password_reset_allowed(request, email: str) -> bool:
    """Fewer than ``CAIRN_PASSWORD_RESETS_PER_HOUR`` links asked for in the last hour from
    this address, and for this e-mail address (one query)."""
    limit = settings.CAIRN_PASSWORD_RESETS_PER_HOUR
    if limit <= 0:
        return True
    since = timezone.now() - timedelta(hours=1)
    asked = SecurityEvent.objects.filter(
        kind=SecurityKind.PASSWORD_RESET, detail=RESET_ASKED, created__gte=since
    )
    ip = client_ip(request)
    mine = Q(username=email) | Q(ip=ip) if ip else Q(username=email)
    counts = asked.filter(mine).aggregate(
        by_email=Count("id", filter=Q(username=email)),
        by_ip=Count("id", filter=Q(ip=ip)) if ip else Value(0),
    )
    return counts["by_email"] < limit and counts["by_ip"] < limit


def limit_password_reset(view):
    """Wrap the password reset view: past the limit, a plain 429 page and no mail."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            email = request.POST.get("email", "").strip().lower()[:150]
            if not password_reset_allowed(request, email):
                response = render(
                    request,
                    "identity/locked_out.html",
                    {
                        "title": "Too many reset links asked for",
                        "message": "Too many password reset links were asked for from here "
                        "or for this address. Try again in an hour. "
                        "A link already sent still works.",
                    },
                    status=429,
                )
                response["Retry-After"] = "3600"
                return response
            record(SecurityKind.PASSWORD_RESET, request=request, username=email, detail=RESET_ASKED)
        return view(request, *args, **kwargs)

    return wrapper
