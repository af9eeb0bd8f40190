"""Writing mails down, and sending them from the worker.

A mail is written first (``OutgoingMail``, with its unique key) and sent afterwards by the
worker, never inside a web request. Its plain text comes from a template, and the HTML part
from that same text: paragraphs, lists and links, so the two parts never say different things.

Sending claims a mail with a conditional update (queued → sending), so two workers never send
the same one; a failure waits (1, 5, 30 minutes, 2 and 6 hours) and tries again, then the
mail is marked failed with the server's answer, shown to the organisation's owners. A mail
left "sending" by a worker that was killed goes back to the queue after ``STUCK``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cairn.notifications.models import MailState, OutgoingMail

logger = logging.getLogger("cairn.mail")

BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6)]  # fmt: skip
MAX_ATTEMPTS = len(BACKOFF) + 1
STUCK = timedelta(minutes=10)
UNSUBSCRIBE_SALT = "cairn.notifications.unsubscribe"
LINK_LINE = re.compile(r"^(?P<label>[^\n]{1,200}?): (?P<url>https?://\S+)$")


def absolute(path: str) -> str:
    """A path made a full address with the site's public address (``CAIRN_BASE_URL``)."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.CAIRN_BASE_URL + path


def unsubscribe_token(membership_id: int, kind: str) -> str:
    return signing.dumps({"m": membership_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["m"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(membership_id: int, kind: str) -> str:
    return absolute(reverse("unsubscribe", args=[unsubscribe_token(membership_id, kind)]))


def to_html(text: str, *, subject: str) -> str:
    """The HTML part of a mail, made from its text: blank lines part paragraphs, lines that
    start with "- " make a list, and "Label: https://…" lines become links (the first one a
    button)."""
    blocks, button = [], True
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines)
            blocks.append(f'<ul style="padding-left:20px;margin:0 0 16px">{items}</ul>')
            continue
        html_lines = []
        for line in lines:
            link = LINK_LINE.match(line)
            if link and button:
                html_lines.append(
                    f'<a href="{escape(link["url"])}" style="display:inline-block;'
                    f"background:#1f5f8b;color:#ffffff;padding:10px 18px;border-radius:4px;"
                    f'text-decoration:none;font-weight:600">{escape(link["label"])}</a>'
                )
                button = False
            elif link:
                html_lines.append(
                    f'<a href="{escape(link["url"])}" style="color:#1f5f8b">'
                    f"{escape(link['label'])}</a>"
                )
            elif line.strip() == "--":
                html_lines.append('<hr style="border:0;border-top:1px solid #ddd">')
            else:
                html_lines.append(escape(line))
        blocks.append('<p style="margin:0 0 16px">' + "<br>".join(html_lines) + "</p>")
    return render_to_string(
        "notifications/mail/layout.html", {"subject": subject, "body": "".join(blocks)}
    )


def render(template: str, context: dict) -> tuple[str, str]:
    """(text, html) of a mail template (a ``.txt`` under ``notifications/mail/``)."""
    text = render_to_string(f"notifications/mail/{template}.txt", context).strip() + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, to_html(text, subject=context.get("subject", ""))


def subject_for(organization, subject: str) -> str:
    return f"[{organization.name}] {subject}" if organization else subject


def queue(
    *,
    to: str,
    kind: str,
    key: str,
    subject: str,
    template: str,
    context: dict,
    organization=None,
    user=None,
    object_type: str = "",
    object_id: int | None = None,
    period: str = "",
    unsubscribe: str = "",
    send: bool = True,
) -> OutgoingMail | None:
    """Write a mail down (once per ``key``: None when it already was) and, after the
    transaction commits, ask the worker to send it."""
    full_subject = subject_for(organization, subject)
    text, html = render(template, {**context, "subject": subject, "unsubscribe_url": unsubscribe})
    try:
        with transaction.atomic():
            mail = OutgoingMail.objects.create(
                organization=organization,
                user=user,
                to=to,
                kind=kind,
                key=key,
                subject=full_subject[:300],
                text=text,
                html=html,
                unsubscribe_url=unsubscribe,
                object_type=object_type,
                object_id=object_id,
                period=period[:60],
            )
    except IntegrityError:
        return None
    if send:
        transaction.on_commit(enqueue_sending)
    return mail


def enqueue_sending() -> None:
    from cairn.notifications.tasks import send_mails

    send_mails.enqueue()


def message(mail: OutgoingMail) -> EmailMultiAlternatives:
    headers = {"Auto-Submitted": "auto-generated", "X-Cairn-Mail": mail.kind}
    if mail.unsubscribe_url:
        # RFC 8058: one click, by a POST the mail program makes without asking again.
        headers["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=mail.subject, body=mail.text, to=[mail.to], headers=headers
    )
    email.attach_alternative(mail.html, "text/html")
    return email


def claim(mail_id: int, now: datetime) -> bool:
    """Take a mail for sending; False when another worker has it or it is not due."""
    return bool(
        OutgoingMail.objects.filter(
            pk=mail_id, state=MailState.QUEUED, next_attempt__lte=now
        ).update(state=MailState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def send_one(mail_id: int, *, connection=None, now: datetime | None = None) -> str | None:
    """Send one mail if it is due and nobody else is sending it; its new state, or None."""
    now = now or timezone.now()
    if not claim(mail_id, now):
        return None
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        email = message(mail)
        email.connection = connection
        email.send()  # raises on refusal, with the server's words
    except Exception as error:  # noqa: BLE001 - any failure of the mail server is recorded
        reason = f"{type(error).__name__}: {error}"[:500]
        if connection is not None:  # a broken connection is opened afresh for the next mail
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                connection.connection = None
        if mail.attempts >= MAX_ATTEMPTS:
            state, next_attempt = MailState.FAILED, now
        else:
            state, next_attempt = MailState.QUEUED, now + BACKOFF[mail.attempts - 1]
        OutgoingMail.objects.filter(pk=mail_id).update(
            state=state, last_error=reason, next_attempt=next_attempt, claimed_at=None
        )
        logger.warning("mail %s to %s not sent (attempt %s): %s", mail_id, mail.to,
                       mail.attempts, reason)  # fmt: skip
        return state
    OutgoingMail.objects.filter(pk=mail_id).update(
        state=MailState.SENT, sent_at=timezone.now(), last_error="", claimed_at=None
    )
    return MailState.SENT


def send_due(now: datetime | None = None, *, limit: int = 500) -> dict[str, int]:
    """Send every mail that is due (new ones, and retries whose wait is over), over one
    connection; mails left "sending" by a lost worker are first put back in the queue."""
    now = now or timezone.now()
    OutgoingMail.objects.filter(state=MailState.SENDING, claimed_at__lt=now - STUCK).update(
        state=MailState.QUEUED, claimed_at=None
    )
    due = list(
        OutgoingMail.objects.filter(state=MailState.QUEUED, next_attempt__lte=now)
        .order_by("next_attempt", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    if not due:
        return counts
    connection = get_connection(fail_silently=False)
    try:
        for mail_id in due:
            state = send_one(mail_id, connection=connection, now=now)
            if state:
                counts[state] = counts.get(state, 0) + 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the work
            logger.info("mail connection did not close cleanly", exc_info=True)
    return counts
