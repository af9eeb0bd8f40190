"""What an error says, the same on the web and in the API: a busy database, a body too
large, and the plain sentence for each HTTP status the API can answer."""

from __future__ import annotations

from http import HTTPStatus

from django.db import InterfaceError, OperationalError

RETRY_AFTER = 5  # seconds: a busy database is another change finishing, not an outage
BUSY_MESSAGE = (
    "Another change is being saved (an import, perhaps). Nothing of yours was saved: "
    f"try again in {RETRY_AFTER} seconds."
)
UNAVAILABLE_RETRY_AFTER = 10  # seconds: a database restarting is back within a minute
UNAVAILABLE_MESSAGE = (
    "Cairn cannot reach its database just now (it may be restarting). A change you were "
    f"saving was not saved: try again in {UNAVAILABLE_RETRY_AFTER} seconds."
)

# The sentence an API client reads for an error Django or the router answered on its own.
API_DETAIL = {
    400: "The request could not be read: send a JSON object as the body.",
    401: "Authentication required: send `Authorization: Bearer <token>`.",
    403: "You cannot do this in this organisation.",
    404: "Not found.",
    413: "The request is larger than the server accepts.",
    500: "Something went wrong on the server. The error was logged; please try again.",
    503: BUSY_MESSAGE,
}


def database_busy(exc: BaseException | None) -> bool:
    """Whether ``exc`` is SQLite giving up on the write lock after its busy timeout."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the database out of reach: refused, restarting, connection lost
    (not a busy SQLite lock, not a query Cairn got wrong)."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError) or database_busy(exc):
        return False
    text = str(exc).lower()
    return any(
        words in text
        for words in (
            "connection",
            "could not connect",
            "server closed",
            "terminating",
            "shutting down",
            "starting up",
            "timeout expired",
            "the database system is",
            "unable to open database",
        )
    )


def api_detail(status: int, allow: str = "") -> str:
    """The ``detail`` of an API error answered without a handler of ours (router, Django)."""
    if status == 405:
        return (
            f"This method is not allowed here. Allowed: {allow}."
            if allow
            else ("This method is not allowed here.")
        )
    if status in API_DETAIL:
        return API_DETAIL[status]
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return "The request failed."
