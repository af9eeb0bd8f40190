"""API authentication: a personal token (``Authorization: Bearer …``) or the browser session.

A token acts as its person, within what the token allows: it expires, it may only read (every
write answers 403), it may be kept to one organisation (the others answer 404, as if the
person were not a member), and it makes at most ``CAIRN_API_TOKEN_RATE`` requests a minute
(beyond, 429 with ``Retry-After``). Guessing tokens is throttled per address: after
``FAILURES`` wrong tokens in ``FAILURE_WINDOW`` seconds, that address gets 429 until the
window ends.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from cairn.core import services
from cairn.core.throttle import Throttled

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FAILURES = 20  # wrong tokens from one address within the window, then 429
FAILURE_WINDOW = 600  # seconds


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR") or "-"


def _refuse_guessing(request) -> None:
    key = f"cairn:api:bad-token:{_address(request)}"
    if (cache.get(key) or 0) >= FAILURES:
        raise Throttled(
            "Too many wrong tokens from this address: try again in 10 minutes.", FAILURE_WINDOW
        )


def _count_failure(request) -> None:
    key = f"cairn:api:bad-token:{_address(request)}"
    if cache.add(key, 1, FAILURE_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, FAILURE_WINDOW)


def _limit_rate(token) -> None:
    """At most CAIRN_API_TOKEN_RATE requests in each minute per token (0: no limit)."""
    rate = settings.CAIRN_API_TOKEN_RATE
    if rate <= 0:
        return
    now = time.time()
    minute = int(now // 60)
    key = f"cairn:api:rate:{token.pk}:{minute}"
    if cache.add(key, 1, 90):
        return
    try:
        count = cache.incr(key)
    except ValueError:
        cache.add(key, 1, 90)
        return
    if count > rate:
        wait = max(1, int(60 - now % 60) + 1)
        raise Throttled(
            f"This token made more than {rate} requests this minute: try again in {wait} seconds.",
            wait,
        )


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        _refuse_guessing(request)
        found = services.token_for_key(token)
        if found is None:  # said at once: a wrong token never falls back on the session
            _count_failure(request)
            raise HttpError(401, "This token is not valid: revoked, mistyped or unknown.")
        if found.expires is not None and found.expires <= timezone.now():
            raise HttpError(
                401,
                f"This token expired on {found.expires:%d %B %Y}: make a new one on your "
                "profile page.",
            )
        _limit_rate(found)
        if found.scope != "write" and request.method not in SAFE_METHODS:
            raise HttpError(
                403,
                "This token can only read. Make a token that reads and writes on your profile "
                "page to change data.",
            )
        services.note_token_use(found)
        request.user = found.user  # so handlers read request.user whichever way they came in
        request.api_token = found
        return found.user


# The session works for the interactive docs in the browser; it checks the CSRF token.
AUTH = [TokenAuth(), SessionAuth()]
