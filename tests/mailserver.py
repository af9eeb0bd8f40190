"""A real SMTP server on the loopback for tests (aiosmtpd), and the settings that send to it.

with MailServer() as server, server.settings():
    ... # code that sends mail
    server.wait_for(1)
    message = server.messages[0]  # an email.message.EmailMessage, headers parsed
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.test import override_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """The handler: keeps every message the server accepted; can refuse the next ones."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = 0  # answer "451 try again later" to this many messages first
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class MailServer:
    def __init__(self, *, user: str = "", password: str = "") -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self.user, self.password = user, password
        kwargs = {}
        if user:
            kwargs = {
                "authenticator": self._authenticate,
                "auth_require_tls": False,
            }
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        return AuthResult(success=ok)

    @property
    def messages(self):
        return self.recorder.messages

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        return f"smtp://{auth}127.0.0.1:{self.port}"

    @contextmanager
    def settings(self, **extra):
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=self.port,
            EMAIL_HOST_USER=self.user,
            EMAIL_HOST_PASSWORD=self.password,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=5,
            **extra,
        ):
            yield self

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        """The messages once at least ``count`` have arrived (the server runs in a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"{len(self.messages)} mails, not {count}"
        return self.messages
