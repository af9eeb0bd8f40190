"""Where each person is signed in: a ``UserSession`` row per signed-in browser, made at sign-in,
refreshed while it is used, removed at sign-out, and ended from the profile.

Sessions expire after ``SESSION_COOKIE_AGE`` (``CAIRN_SESSION_IDLE_MINUTES``) without use.
Rather than saving the session on every request (``SESSION_SAVE_EVERY_REQUEST``: a write per
page), ``SessionActivityMiddleware`` saves it at most once a minute, which moves its expiry
forward and the row's ``last_seen`` with it. When it last did so is kept in the session
itself, so the other requests cost no query at all.
"""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from cairn.identity.events import client_ip, record
from cairn.identity.models import SecurityKind, UserSession

# In the session: {"at": epoch seconds of the last write, "key": the session key then}.
SEEN = "_cairn_seen"
TOUCH_SECONDS = 60  # last_seen and the expiry move at most this often


def session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def idle_age() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _via(session) -> str:
    backend = (session.get(BACKEND_SESSION_KEY) or "").lower()
    return "sso" if "oidc" in backend else "password"


def _mark(session) -> None:
    session[SEEN] = {"at": int(time.time()), "key": session.session_key}


def _touch(request, user_id) -> None:
    """Write this session's activity: its row's last_seen (made if missing: a session from
    before this feature, or one whose key changed) and, by saving it, its expiry."""
    session = request.session
    now = timezone.now()
    if not UserSession.objects.filter(session_key=session.session_key).update(last_seen=now):
        UserSession.objects.create(
            session_key=session.session_key,
            user_id=user_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            via=_via(session),
            created=now,
            last_seen=now,
        )
    _mark(session)


class SessionActivityMiddleware:
    """After the view: when a signed-in session was read and its last write is more than a
    minute old (or its key changed), write it again. Adds no query to other requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session the request already loaded: reading it here would be a query. And
        # not after a server error, when the database may be what failed.
        if (
            session is None
            or not session.accessed
            or not session.session_key
            or response.status_code >= 500
        ):
            return response
        user_id = session.get(SESSION_KEY)
        if user_id is None:
            return response
        seen = session.get(SEEN) or {}
        if seen.get("key") != session.session_key or time.time() - seen.get("at", 0) >= (
            TOUCH_SECONDS
        ):
            _touch(request, user_id)
        return response


def end_session(row: UserSession, *, request=None) -> None:
    """Sign one browser out: its session is deleted from the store, with its row."""
    session_store()().delete(row.session_key)
    row.delete()
    record(
        SecurityKind.SESSION_ENDED,
        request=request,
        user=row.user,
        detail=f"{row.user_agent[:120] or 'unknown browser'} from {row.ip or 'unknown address'}",
    )


def end_other_sessions(user, *, keep: str | None, request=None) -> int:
    """Sign the person out everywhere but the session ``keep``; how many were ended."""
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=keep or ""))
    for row in rows:
        end_session(row, request=request)
    return len(rows)


def active_sessions(user):
    """The person's sessions still in use (those idle longer have expired), latest first."""
    # last_seen trails the session's last save by at most TOUCH_SECONDS.
    since = timezone.now() - idle_age() - timedelta(seconds=TOUCH_SECONDS)
    return UserSession.objects.filter(user=user, last_seen__gte=since)


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    """A new row for the new session (Django has already given it a new key)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()
    # Rows left by sessions that expired without a sign-out.
    stale = timezone.now() - idle_age() - timedelta(seconds=TOUCH_SECONDS)
    UserSession.objects.filter(user=user, last_seen__lt=stale).delete()
    via = _via(session)
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
            "via": via,
            "last_seen": timezone.now(),
        },
    )
    _mark(session)
    record(SecurityKind.SIGN_IN, request=request, user=user, detail=f"via {via}")


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()
    if user is not None:
        record(SecurityKind.SIGN_OUT, request=request, user=user)


@receiver(post_save, sender=get_user_model())
def password_saved(sender, instance, created, **kwargs):
    """A new password, however it was set (the profile, a reset link, the admin, the command
    line): recorded, and every session of the account ends. Django's views that keep the
    person signed in give their session a new key right after (update_session_auth_hash),
    and the middleware makes its row again."""
    # AbstractBaseUser keeps the raw password in _password from set_password() until the
    # save is over (it then tells the validators): set means this save stores a new one.
    if created or getattr(instance, "_password", None) is None:
        return
    record(SecurityKind.PASSWORD_CHANGED, user=instance)
    for row in UserSession.objects.filter(user=instance):
        session_store()().delete(row.session_key)
    UserSession.objects.filter(user=instance).delete()
