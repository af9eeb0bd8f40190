"""Password sign-in, refused for the members of an organisation that signs in with single
sign-on (its owners excepted, so that one can still get in when the provider is down)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from cairn.core.models import Membership, Role
from cairn.identity.events import record
from cairn.identity.models import SecurityKind

SSO_REQUIRED = "Your organisation signs in with single sign-on: use the button above."


def sso_required(user) -> bool:
    """True when the person is a member, not an owner, of an organisation that requires
    single sign-on, and single sign-on is set up (or nobody could sign them in)."""
    from cairn.identity import oidc

    return (
        oidc.enabled()
        and Membership.objects.filter(user=user, organization__require_sso=True)
        .exclude(role=Role.OWNER)
        .exists()
    )


class PasswordBackend(ModelBackend):
    """Django's username and password check, then the organisations' single sign-on rule.
    A refusal marks the request (``cairn_sso_required``) for the sign-in form's message and
    raises PermissionDenied, which stops Django from asking any later backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not sso_required(user):
            return user
        if request is not None:
            request.cairn_sso_required = True
        record(
            SecurityKind.SSO_REFUSED,
            request=request,
            user=user,
            detail="password sign-in refused: the organisation signs in with single sign-on",
        )
        raise PermissionDenied(SSO_REQUIRED)
