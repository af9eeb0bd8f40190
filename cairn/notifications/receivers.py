"""What the notifications do when the core announces something (core imports no app)."""

from __future__ import annotations

from cairn.core.models import Role
from cairn.notifications import mail
from cairn.notifications.models import MailKind


def invitation_mail(sender, *, invitation, key, email, actor, link, **kwargs) -> None:
    """An invitation made with an e-mail address: its link is sent there (once)."""
    if not email:
        return
    org = invitation.organization
    inviter = (actor.get_full_name() or actor.get_username()) if actor else "An owner"
    role = Role(invitation.role)
    mail.queue(
        to=email,
        kind=MailKind.INVITATION,
        key=f"invitation:{invitation.pk}",
        subject=f"{inviter} invites you to Cairn",
        template="invitation",
        context={
            "inviter": inviter,
            "organization": org,
            "role": role.label.lower(),
            # "Can change everything…" said to them: "you can change everything…"
            "role_description": role.description[0].lower() + role.description[1:],
            "link": link,
            "expires": invitation.expires,
        },
        organization=org,
        object_type="core.invitation",
        object_id=invitation.pk,
    )
