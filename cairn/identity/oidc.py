"""Single sign-on with any OpenID Connect provider (mozilla-django-oidc), set up from the
environment (the "Single sign-on" block of cairn/settings.py, docs/sso.md).

The library expects the provider's endpoints as settings; here they come from the provider's
discovery document (``<issuer>/.well-known/openid-configuration``), fetched at the first
single sign-on and kept for an hour. Nothing is fetched when Cairn starts or when a password
sign-in loads the backends, so ``cairn check`` and password sign-in work without the provider.

Who a sign-in is, in order: the account with the same e-mail address when the provider says
it verified it (``email_verified``); the account single sign-on made earlier for the same
username claim (an account with no password); else a new account ("just in time"). Then a
pending invitation from a /join/ link is accepted, and the role map is applied.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from cairn.core import services
from cairn.core.models import AuditAction, Membership, Organization, Role
from cairn.identity.events import record
from cairn.identity.models import SecurityKind

logger = logging.getLogger("cairn.security")

# request.session[VIA_KEY] == "sso" in a session that single sign-on opened (the second
# factor is then the provider's business: cairn/identity/second_factor.py reads it).
VIA_KEY = "cairn_via"
INVITE_KEY = "cairn_sso_invite"  # the /join/ link's key, kept between the two legs
DISCOVERY_SECONDS = 3600  # how long the discovery document is kept
LEEWAY_SECONDS = 60  # clock difference allowed with the provider on exp and iat

REFUSED = "Single sign-on did not sign you in. Try again, or ask whoever runs Cairn for help."
UNREACHABLE = "The sign-in service cannot be reached just now. Try again in a few minutes."

# mozilla-django-oidc's endpoint settings, and where discovery names each.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class DiscoveryError(Exception):
    """The provider's discovery document could not be had or is not usable."""


def enabled() -> bool:
    """True when single sign-on is configured (an issuer and a client id)."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def discovery() -> dict:
    """The provider's discovery document, fetched once an hour per process."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        raise DiscoveryError("OIDC_ISSUER is not set")
    with _lock:
        kept = _cache.get(issuer)
        if kept and time.monotonic() - kept[0] < DISCOVERY_SECONDS:
            return kept[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(
            url,
            timeout=settings.OIDC_TIMEOUT,
            verify=import_from_settings("OIDC_VERIFY_SSL", True),
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as e:
        raise DiscoveryError(f"{url}: {e}") from e
    # The document must name the issuer that was configured (OpenID Connect Discovery 4.3),
    # or tokens from another issuer could be accepted.
    named = document.get("issuer") if isinstance(document, dict) else None
    if not isinstance(named, str) or named.rstrip("/") != issuer:
        raise DiscoveryError(f"{url} names another issuer: {named!r}")
    missing = [
        k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if k not in document
    ]
    if missing:
        raise DiscoveryError(f"{url} lacks {', '.join(missing)}")
    with _lock:
        _cache[issuer] = (time.monotonic(), document)
    return document


def forget_discovery() -> None:
    """Fetch the discovery document again next time (tests; a provider that moved)."""
    with _lock:
        _cache.clear()


def get_settings(attr, *args):
    """The library's settings, with the endpoints taken from discovery."""
    if attr in ENDPOINTS:
        return discovery().get(ENDPOINTS[attr])
    return import_from_settings(attr, *args)


# --- Who signs in


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def email_verified(claims: dict) -> bool:
    """True when the provider vouches for the e-mail address (some send "true" as text)."""
    return claims.get("email_verified") in (True, "true", "True")


def username_candidates(claims: dict) -> list[str]:
    """The usernames single sign-on gives this person: the username claim, and the same with
    a suffix made from the subject for when that name was already someone else's."""
    raw = (
        _claim(claims, settings.OIDC_USERNAME_CLAIM)
        or _claim(claims, settings.OIDC_EMAIL_CLAIM).partition("@")[0]
    )
    name = re.sub(r"[^\w.@+-]", "-", raw)[:140] or "sso"
    subject = f"{claims.get('iss', settings.OIDC_ISSUER)}|{claims.get('sub', '')}"
    suffix = hashlib.sha256(subject.encode()).hexdigest()[:8]
    return [name, f"{name}-{suffix}"]


def role_grants(claims: dict) -> dict[str, str]:
    """Organisation slug → role, from the role claim through OIDC_ROLE_MAP (the highest role
    when several values name the same organisation)."""
    value = claims.get(settings.OIDC_ROLE_CLAIM) if settings.OIDC_ROLE_CLAIM else None
    if isinstance(value, str):  # one group, or a provider that sends a single value
        value = [value]
    values = {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()
    grants: dict[str, str] = {}
    for claim_value, slug, role in settings.OIDC_ROLE_MAP:
        if claim_value in values and (
            slug not in grants or Role(role).rank > Role(grants[slug]).rank
        ):
            grants[slug] = role
    return grants


def apply_roles(user, claims: dict) -> None:
    """Give the person the roles their groups map to, at each sign-in: a membership is made
    or its role changed (an organisation's last owner is kept). Memberships the map does not
    name are left alone."""
    grants = role_grants(claims)
    orgs = {o.slug: o for o in Organization.objects.filter(slug__in=grants)}
    for slug, role in grants.items():
        org = orgs.get(slug)
        if org is None:
            logger.warning("OIDC_ROLE_MAP names organisation %r, which does not exist", slug)
            continue
        membership = Membership.objects.filter(user=user, organization=org).first()
        if membership is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(user=user, organization=org, role=role)
                    services.record(
                        org,
                        actor=user,
                        action=AuditAction.CREATE,
                        obj=membership,
                        before=None,
                        after=services.snapshot(membership),
                    )
            except IntegrityError:  # the same person's sign-in in another tab made it
                continue
        elif membership.role != role:
            try:
                services.change_role(membership, role, actor=user)
            except services.ServiceError as e:
                logger.warning("Single sign-on left %s's role in %s: %s", user, org, e)


def accept_invitation(request, user) -> None:
    """Accept the invitation of the /join/ link the person started single sign-on from."""
    key = request.session.pop(INVITE_KEY, None)
    invitation = services.find_invitation(key) if key else None
    if invitation is None:
        return
    try:
        services.accept_invitation(invitation, user)
    except services.ServiceError as e:  # used meanwhile, or already a member
        logger.info("Single sign-on did not accept an invitation for %s: %s", user, e)


class Backend(OIDCAuthenticationBackend):
    """Signs people in with the provider's ID token: checks its signature (the provider's
    published keys), issuer, audience, expiry and nonce, then finds or makes the account."""

    get_settings = staticmethod(get_settings)

    def __init__(self, *args, **kwargs):
        # The library's __init__ reads every endpoint, and Django makes a backend for each
        # password sign-in and each request of a signed-in person: read them only when used.
        self.UserModel = get_user_model()

    # The library reads these as attributes.
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: discovery()["token_endpoint"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: discovery().get("userinfo_endpoint"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: discovery()["jwks_uri"])
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None  # always the provider's published keys (jwks_uri)

    def authenticate(self, request, **kwargs):
        # Only the callback view's call (it passes the nonce): never a password sign-in,
        # even one posted with ?code=&state= in its address.
        if request is None or "nonce" not in kwargs or "password" in kwargs or not enabled():
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """The token's claims once its signature, issuer, audience and times are checked (the
        library checks the signature and expiry only)."""
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.PyJWTError as e:
            raise SuspiciousOperation(f"The ID token is not a JWT: {e}") from e
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"The ID token is signed with {header.get('alg')!r}.")
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=discovery()["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError as e:
            raise SuspiciousOperation("The ID token has expired.") from e
        except jwt.InvalidAudienceError as e:
            raise SuspiciousOperation("The ID token is for another application.") from e
        except jwt.InvalidIssuerError as e:
            raise SuspiciousOperation("The ID token is from another issuer.") from e
        except jwt.InvalidSignatureError as e:
            raise SuspiciousOperation("The ID token's signature does not match.") from e
        except jwt.PyJWTError as e:
            raise SuspiciousOperation(f"The ID token is not valid: {e}") from e
        # With several audiences, the token must have been issued to Cairn (Core 3.1.3.7).
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The ID token was issued to another application.")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint when there is one (some
        providers put the groups only in the ID token, others only in userinfo)."""
        claims = self.claims = dict(payload)
        url = self.OIDC_OP_USER_ENDPOINT
        if not (url and access_token):
            return claims
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {access_token}"},
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=settings.OIDC_TIMEOUT,
        )
        response.raise_for_status()
        if response.headers.get("content-type", "").lower().startswith("application/json"):
            info = response.json()
            if info.get("sub") != payload.get("sub"):  # Core 5.3.2: must be the same person
                raise SuspiciousOperation("The userinfo answer is about someone else.")
            claims.update(info)
        return claims

    def verify_claims(self, claims):
        return bool(claims.get("sub")) and bool(
            _claim(claims, settings.OIDC_USERNAME_CLAIM)
            or _claim(claims, settings.OIDC_EMAIL_CLAIM)
        )

    def filter_users_by_claims(self, claims):
        email = _claim(claims, settings.OIDC_EMAIL_CLAIM)
        if email and email_verified(claims):
            users = list(self.UserModel.objects.filter(email__iexact=email))
            if users:
                return users
        # The account single sign-on made before (it has no password, so a password account
        # with the same name is never taken over); the subject's own name first.
        by_name = {
            u.username: u
            for u in self.UserModel.objects.filter(
                username__in=username_candidates(claims),
                password__startswith=UNUSABLE_PASSWORD_PREFIX,
            )
        }
        for name in reversed(username_candidates(claims)):
            if name in by_name:
                return [by_name[name]]
        return []

    def create_user(self, claims):
        taken = set(
            self.UserModel.objects.filter(username__in=username_candidates(claims)).values_list(
                "username", flat=True
            )
        )
        free = [n for n in username_candidates(claims) if n not in taken]
        if not free:
            raise SuspiciousOperation("Both usernames for this person are taken.")
        # Only an address the provider verified, and only if no account has it: an address is
        # one account's only (a password reset must reach one person), and a later verified
        # sign-in with it must not land in an account someone made by typing it.
        email = ""
        if email_verified(claims):
            email = self.UserModel.objects.normalize_email(
                _claim(claims, settings.OIDC_EMAIL_CLAIM)
            )
        if email and self.UserModel.objects.filter(email__iexact=email).exists():
            email = ""
        user = self.UserModel.objects.create_user(
            free[0],
            email=email,
            first_name=_claim(claims, "given_name")[:150],
            last_name=_claim(claims, "family_name")[:150],
        )  # no password: set_unusable_password
        logger.info("Single sign-on made the account %s", user.username)
        return user

    def update_user(self, user, claims):
        """Fill in a name the account lacks; nothing else is taken from the provider."""
        changed = []
        for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
            if not getattr(user, field) and _claim(claims, claim):
                setattr(user, field, _claim(claims, claim)[:150])
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        return user

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            user = super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as e:
            self.request.cairn_sso_refusal = str(e)
            raise
        if user is not None and user.is_active:
            accept_invitation(self.request, user)
            apply_roles(user, self.claims)  # the claims the library just read
        return user


# --- Views: /accounts/oidc/authenticate/ and /accounts/oidc/callback/


def refuse(request, reason: str, message: str = REFUSED):
    """Back to the sign-in page, saying so plainly; the reason goes to the security log."""
    record(SecurityKind.SSO_REFUSED, request=request, detail=reason)
    messages.error(request, message)
    return redirect("login")


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with a state, a nonce and a PKCE challenge. With
    ``?invite=<key>`` (a /join/ link), the invitation is accepted once signed in."""

    get_settings = staticmethod(get_settings)

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)  # the endpoint is read in get(), not here

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery()["authorization_endpoint"]
        except DiscoveryError as e:
            return refuse(request, str(e), UNREACHABLE)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        invite = request.GET.get("invite", "")
        if invite and services.find_invitation(invite):
            request.session[INVITE_KEY] = invite
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the library checks the state, swaps the
    code (with the PKCE verifier) for the tokens and calls Backend; refusals are said plainly."""

    get_settings = staticmethod(get_settings)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            return super().get(request)
        except SuspiciousOperation as e:  # a state that is not this browser's, a bad token
            return refuse(request, str(e))
        except (requests.RequestException, DiscoveryError) as e:
            return refuse(request, f"provider: {e}", UNREACHABLE)

    def login_failure(self):
        request = self.request
        reason = (
            getattr(request, "cairn_sso_refusal", "")
            or request.GET.get("error_description", "")
            or request.GET.get("error", "")
            or ("account inactive" if getattr(self, "user", None) else "no account")
        )
        return refuse(request, reason)

    def login_success(self):
        # Set before login() for its receivers; login() keeps the session's data (a session
        # of someone else is flushed, hence once more after).
        self.request.session[VIA_KEY] = "sso"
        response = super().login_success()
        self.request.session[VIA_KEY] = "sso"
        record(SecurityKind.SSO_SIGN_IN, request=self.request, user=self.user)
        return response


def provider_logout_url(request) -> str:
    """Where signing out sends the browser (OIDC_OP_LOGOUT_URL_METHOD): for a single sign-on
    session, the provider's end_session_endpoint (RP-initiated logout) when it has one, which
    then comes back to Cairn's sign-in page; otherwise straight to the sign-in page."""
    after = resolve_url(settings.LOGOUT_REDIRECT_URL)
    if request.session.get(VIA_KEY) != "sso" or not enabled():
        return after
    try:
        end = discovery().get("end_session_endpoint")
    except DiscoveryError:
        return after
    if not end:
        return after
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(after),
    }
    if request.session.get("oidc_id_token"):
        params["id_token_hint"] = request.session["oidc_id_token"]
    return f"{end}{'&' if '?' in end else '?'}{urlencode(params)}"
