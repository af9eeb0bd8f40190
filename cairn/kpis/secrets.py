"""Secrets a connector keeps (a token, a database address), encrypted at rest.

The key is a Fernet key from ``CAIRN_SECRETS_KEY`` (several, comma-separated and newest
first, to change keys: new secrets use the first, old ones still open with the others).
Make one with ``python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"``. In development (``DEBUG``) with none set, a key is
derived from ``SECRET_KEY``; in production a connector that needs a secret is refused, with
that reason, until the key is set: nothing else of Cairn needs it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from cairn.core.services import ServiceError

NO_KEY = (
    "This installation has no key for secrets yet: the administrator sets CAIRN_SECRETS_KEY "
    "(see the configuration guide), then the token or database address can be saved."
)


class SecretError(ServiceError):
    """A secret cannot be stored or read; the message says why, for the owner."""


def derived() -> bool:
    """Whether the key is the development one, derived from SECRET_KEY."""
    return not settings.CAIRN_SECRETS_KEY and settings.CAIRN_SECRETS_FROM_SECRET_KEY


def _box() -> MultiFernet:
    if settings.CAIRN_SECRETS_KEY:
        keys = [k.strip() for k in settings.CAIRN_SECRETS_KEY.split(",") if k.strip()]
    elif derived():
        digest = hashlib.sha256(b"cairn-secrets:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    else:
        raise SecretError(NO_KEY)
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise SecretError(
            "CAIRN_SECRETS_KEY is not a Fernet key (32 bytes, URL-safe base64): the "
            "administrator must correct it."
        ) from None


def encrypt(text: str) -> str:
    """The secret, encrypted; "" stays ""."""
    return _box().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The secret in clear, or SecretError when the key that encrypted it is gone."""
    if not token:
        return ""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretError(
            "A saved secret can no longer be read: the key it was stored with is not in "
            "CAIRN_SECRETS_KEY. Type the token or database address again."
        ) from None
