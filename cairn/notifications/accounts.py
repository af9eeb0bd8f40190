"""Password reset by e-mail: Django's views, with the mail written down and sent by the worker.

The link is made with ``CAIRN_BASE_URL``, never with the host a request names, so a forged
``Host`` header cannot send someone a link to another site. The page says the same whether
or not an account has the address (no guessing who has an account), and accounts without a
usable password (signed in elsewhere, or switched off) get nothing: Django's ``get_users``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.urls import reverse
from django.utils.timesince import timeuntil

from cairn.core.forms import style_fields
from cairn.notifications import mail
from cairn.notifications.models import MailKind


def valid_for() -> str:
    """How long a reset link works, in words ("3 days"), rounded down."""
    start = datetime(2000, 1, 1)
    end = start + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return timeuntil(end, start, depth=1).replace("\xa0", " ")  # no HTML spaces in text


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Asks for an address; queues one reset mail to each account with it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Your e-mail address"
        self.fields["email"].help_text = "The one on your Cairn profile."
        style_fields(self)

    @transaction.atomic
    def save(self, *args, **kwargs):
        # Every mail written before the worker is asked to send them (at commit).
        return super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Queue the mail (Django would send it inside the request, at the request's host)."""
        user = context["user"]
        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        mail.queue(
            to=to_email,
            kind=MailKind.PASSWORD_RESET,
            # Each request its own mail: asking twice sends two links, both working.
            key=f"password_reset:{user.pk}:{uuid.uuid4().hex}",
            subject="Choose a new password for Cairn",
            template="password_reset",
            context={
                "name": user.get_full_name() or user.get_username(),
                "username": user.get_username(),
                "link": mail.absolute(path),
                "valid_for": valid_for(),
            },
            user=user,
            object_type="auth.user",
            object_id=user.pk,
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The new password, twice, styled like the site's other forms."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


# The four pages, for cairn/urls.py; their templates are in templates/registration/.
password_reset = auth_views.PasswordResetView.as_view(form_class=PasswordResetForm)
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
