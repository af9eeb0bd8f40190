"""What a delivery says: the JSON envelope, the Slack and Teams messages, and the signature.

The envelope is made when the event happens and kept on the delivery; the body in the
webhook's format is made from it each time it is sent (docs/webhooks.md shows both).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from cairn.core.models import Organization
from cairn.webhooks.models import Format


def base_url() -> str:
    return getattr(settings, "CAIRN_BASE_URL", "http://localhost:8000").rstrip("/")


def link(name: str, org: Organization, *args) -> str:
    """An absolute link to a page of the organisation."""
    return base_url() + reverse(name, args=[org.slug, *args])


def envelope(
    event: str,
    org: Organization,
    occurred: datetime,
    *,
    obj: dict[str, Any],
    data: dict[str, Any],
    text: str,
) -> dict[str, Any]:
    """The body of the JSON format; ``text`` is the one sentence Slack and Teams show."""
    return {
        "event": event,
        "organization": {"slug": org.slug, "name": org.name},
        "occurred": occurred.isoformat(),
        "object": obj,
        "data": data,
        "text": text,
    }


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as markup (https://api.slack.com/reference/surfaces/formatting).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(payload: dict[str, Any], fmt: str) -> bytes:
    """The bytes sent: the envelope itself, or a chat message made from its sentence."""
    url = (payload.get("object") or {}).get("url") or ""
    text = payload.get("text") or payload.get("event", "")
    if fmt == Format.SLACK:
        message: dict[str, Any] = {
            "text": _slack_escape(text) + (f" <{url}|Open in Cairn>" if url else "")
        }
    elif fmt == Format.TEAMS:
        # An Office 365 connector card: what Teams incoming webhooks take (text is Markdown).
        message = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": text[:80],
            "themeColor": "206BC4",
            "text": text + (f" [Open in Cairn]({url})" if url else ""),
        }
    else:
        message = payload
    return json.dumps(message, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the secret."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
