"""Recording what happens to accounts: ``record(SecurityKind.SIGN_IN, request=…, user=…)``."""

from __future__ import annotations

import logging

from cairn.identity.models import SecurityEvent, SecurityKind

logger = logging.getLogger("cairn.security")


def client_ip(request) -> str | None:
    """The address the request came from (REMOTE_ADDR: a proxy in front sets it right with
    its own configuration; X-Forwarded-For is not trusted here)."""
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def record(
    kind: SecurityKind, *, request=None, user=None, username: str = "", detail: str = ""
) -> SecurityEvent:
    if user is not None and not username:
        username = user.get_username()
    event = SecurityEvent.objects.create(
        user=user if user is not None and user.pk else None,
        username=username[:150],
        kind=kind,
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:200],
        detail=detail[:300],
    )
    logger.info("%s: %s from %s %s", kind.label, username, event.ip or "-", detail)
    return event
