"""Security events for what core announces (core imports no app above it)."""

from django.dispatch import receiver

from cairn.core import signals
from cairn.identity.events import record
from cairn.identity.models import SecurityKind


@receiver(signals.token_created)
def token_created(sender, token, request=None, **kwargs):
    scope = "reads and writes" if token.scope == "write" else "reads only"
    where = f", {token.organization.name} only" if token.organization_id else ""
    record(
        SecurityKind.TOKEN_CREATED,
        request=request,
        user=token.user,
        detail=f"“{token.name}” ({token.prefix}…), {scope}{where}, until {token.expires:%d %b %Y}",
    )


@receiver(signals.token_revoked)
def token_revoked(sender, token, request=None, **kwargs):
    record(
        SecurityKind.TOKEN_REVOKED,
        request=request,
        user=token.user,
        detail=f"“{token.name}” ({token.prefix}…)",
    )
