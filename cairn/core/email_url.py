"""E-mail configured by one address, as ``DATABASE_URL`` configures the database.

``smtp://user:password@host:port`` (plain, port 25), ``smtp+tls://`` (STARTTLS, port 587),
``smtp+ssl://`` (implicit TLS, port 465), ``console://`` (printed), ``file:///path`` or
``file://relative/path`` (one ``.eml`` file a mail, for development). User and password are
percent-decoded, so a password may hold any character written as ``%xx``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
FILES = "cairn.core.mailfiles.EmlFileBackend"
PORTS = {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}


class EmailUrlError(ValueError):
    pass


def parse(url: str, *, base: Path) -> dict:
    """The Django settings an ``EMAIL_URL`` stands for (``EMAIL_BACKEND``, ``EMAIL_HOST``…).
    A relative ``file://`` folder is taken from ``base``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": CONSOLE}
    if scheme == "file":
        folder = unquote(parts.netloc + parts.path)
        if not folder:
            raise EmailUrlError("EMAIL_URL file:// needs a folder, e.g. file:///var/cairn/mail")
        path = Path(folder)
        folder = path if path.is_absolute() else base / path
        return {"EMAIL_BACKEND": FILES, "EMAIL_FILE_PATH": str(folder)}
    if scheme not in PORTS:
        raise EmailUrlError(
            f"EMAIL_URL must start with smtp://, smtp+tls://, smtp+ssl://, console:// or "
            f"file://, not {scheme or 'nothing'}://"
        )
    if not parts.hostname:
        raise EmailUrlError("EMAIL_URL names no host, e.g. smtp+tls://user:pass@mail.example:587")
    return {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or PORTS[scheme],
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls",
        "EMAIL_USE_SSL": scheme == "smtp+ssl",
    }
