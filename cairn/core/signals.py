"""What the core announces, for the apps above it to act on (core imports none of them)."""

from django.dispatch import Signal

# An owner made an invitation link (on the members page or elsewhere). Sent inside the
# transaction that wrote it, with: invitation, key (the one-time secret of the link),
# email (whom to send it to, "" for nobody), actor, link (the full join address, made with
# CAIRN_BASE_URL, never with a request's host).
invitation_created = Signal()

# A person made or revoked one of their API tokens. Sent with: token, request (or None).
token_created = Signal()
token_revoked = Signal()
