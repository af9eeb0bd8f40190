"""A development mail backend: each mail a ``.eml`` file in a folder, to open with any mail
program (Django's own file backend writes every mail of a connection into one log)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.crypto import get_random_string


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            to = re.sub(r"[^A-Za-z0-9@._-]+", "_", (message.to or ["nobody"])[0])[:60]
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{to}-{get_random_string(6)}.eml"
            (self.folder / name).write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
