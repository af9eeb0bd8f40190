"""Single sign-on, end to end against a real OpenID Connect provider on the loopback
(tests/oidc_provider: django-oauth-toolkit in a gunicorn process, RS256 key made here).

Cairn is driven with the test client; the provider with a real HTTP client: Cairn's redirect
is followed to the provider, the person signs in there, and the provider's redirect back
(code and state) is handed to Cairn's callback, which swaps the code for the tokens over HTTP.
ID tokens made here, signed with the provider's key but wrong in one way, go through the
backend's verification, which fetches the provider's published keys.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.test import TestCase, override_settings

from cairn.core import services
from cairn.core.models import Membership, Organization, Role
from cairn.identity import oidc
from cairn.identity.backends import SSO_REQUIRED
from cairn.identity.models import SecurityEvent, SecurityKind
from tests.processes import BIN, ROOT, Process, free_port, wait_for

CLIENT_ID = "cairn-test-client"
CLIENT_SECRET = "cairn-test-secret-0123456789abcdefghij"
CALLBACK = "http://testserver/accounts/oidc/callback/"
PASSWORD = "provider-password-1"
LOCAL_PASSWORD = "correct horse battery"

# The provider's people and their claims (sub is the provider's own user id).
PEOPLE = {
    "nadia": {"email": "nadia@example.com", "email_verified": True, "given_name": "Nadia"},
    "dana": {"email": "Dana@Example.com", "email_verified": True},
    "ursula": {"email": "ursula@example.com", "email_verified": False},
    "uma": {"email": "uma@example.com"},  # no email_verified claim: not verified
    "olivia": {
        "email": "olivia@example.com",
        "email_verified": True,
        "groups": ["cairn-owners", "unrelated"],
    },
    "eddie": {
        "email": "eddie@example.com",
        "email_verified": True,
        "groups": ["cairn-editors", "ghost-group"],
    },
    "vera": {"email": "vera@example.com", "email_verified": True},
}

ROLE_MAP = [
    ("cairn-owners", "summit", "owner"),
    ("cairn-editors", "summit", "editor"),
    ("ghost-group", "no-such-org", "owner"),  # an organisation that does not exist: ignored
]


class Provider:
    """The provider process and what the test needs to know of it."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="cairn-oidc-"))
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (self.folder / "key.pem").write_bytes(pem)
        people = {
            name: {"password": PASSWORD, "claims": {"preferred_username": name, **claims}}
            for name, claims in PEOPLE.items()
        }
        (self.folder / "people.json").write_text(json.dumps(people))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.base}/o"
        self.env = {
            "PATH": str(BIN),
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "PROVIDER_DB": str(self.folder / "provider.sqlite3"),
            "PROVIDER_KEY": str(self.folder / "key.pem"),
            "PROVIDER_ISSUER": self.issuer,
            "PROVIDER_PEOPLE": str(self.folder / "people.json"),
            "PROVIDER_CLIENT_ID": CLIENT_ID,
            "PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
            "PROVIDER_REDIRECT_URI": CALLBACK,
            "PROVIDER_POST_LOGOUT_URI": "http://testserver/accounts/login/",
        }
        subprocess.run(
            [str(BIN / "python"), "-m", "django", "provider_setup"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        self.process = Process(
            [str(BIN / "gunicorn"), "tests.oidc_provider.wsgi:application"]
            + ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"],
            self.env,
            self.folder / "provider.log",
        )
        wait_for(self._up, 30, f"the provider on port {self.port}", every=0.1)
        self.jwks = requests.get(f"{self.issuer}/.well-known/jwks.json", timeout=5).json()
        self.kid = self.jwks["keys"][0]["kid"]

    def _up(self) -> bool:
        if not self.process.alive():
            raise AssertionError(f"The provider stopped:\n{self.process.output()}")
        try:
            url = f"{self.issuer}/.well-known/openid-configuration"
            return requests.get(url, timeout=10).status_code == 200
        except requests.RequestException:  # not listening yet, or still loading Django
            return False

    def stop(self) -> None:
        self.process.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def sign(self, claims: dict, key=None, **headers) -> str:
        """An ID token signed with the provider's key (or ``key``), under its key id."""
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": self.kid, **headers}
        )


PROVIDER: Provider | None = None


@pytest.fixture(scope="module", autouse=True)
def provider():
    global PROVIDER
    PROVIDER = Provider()
    yield PROVIDER
    PROVIDER.stop()


class SsoCase(TestCase):
    """Cairn set up for the test provider."""

    def setUp(self):
        self.provider = PROVIDER
        self.enterContext(
            override_settings(
                OIDC_ISSUER=PROVIDER.issuer,
                OIDC_RP_CLIENT_ID=CLIENT_ID,
                OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
                OIDC_ROLE_CLAIM="groups",
                OIDC_ROLE_MAP=ROLE_MAP,
                OIDC_PROVIDER_NAME="Example SSO",
            )
        )
        oidc.forget_discovery()
        self.addCleanup(oidc.forget_discovery)
        # An installation that was set up (with no account, every page leads to /setup/).
        User.objects.create_user("first", "first@example.com", LOCAL_PASSWORD)

    def start(self, **params) -> str:
        """Begin at Cairn: the address of the provider's authorisation page it sends to."""
        response = self.client.get("/accounts/oidc/authenticate/", params)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(f"{PROVIDER.issuer}/authorize/?"))
        return response["Location"]

    def at_provider(self, authorize_url: str, username: str) -> tuple[str, requests.Session]:
        """Sign in at the provider as ``username``; the Cairn callback it sends back to (path
        and query), and the browser's session at the provider."""
        browser = requests.Session()
        page = browser.get(authorize_url, timeout=10)  # not signed in there: its login page
        self.assertEqual(urlsplit(page.url).path, "/login/", page.text[:500])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(
            page.url,
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(signed_in.status_code, 302, signed_in.text[:500])
        back = browser.get(
            urljoin(page.url, signed_in.headers["Location"]), allow_redirects=False, timeout=10
        )
        self.assertEqual(back.status_code, 302, back.text[:500])
        location = back.headers["Location"]
        self.assertTrue(location.startswith(CALLBACK + "?"), location)
        return location.removeprefix("http://testserver"), browser

    def sso(self, username: str, **params):
        """The whole sign-in: Cairn's answer to the callback, and the provider session."""
        callback, browser = self.at_provider(self.start(**params), username)
        return self.client.get(callback), browser

    def signed_in_as(self) -> User | None:
        user_id = self.client.session.get("_auth_user_id")
        return User.objects.get(pk=user_id) if user_id else None

    def events(self, kind: SecurityKind) -> list[SecurityEvent]:
        return list(SecurityEvent.objects.filter(kind=kind))


class SignInTests(SsoCase):
    def test_the_button_shows_only_when_single_sign_on_is_set_up(self):
        self.assertContains(self.client.get("/accounts/login/"), "Sign in with Example SSO")
        with override_settings(OIDC_ISSUER="", OIDC_RP_CLIENT_ID=""):
            page = self.client.get("/accounts/login/")
            self.assertNotContains(page, "Sign in with")
            self.assertContains(page, 'name="password"')
            self.assertEqual(self.client.get("/accounts/oidc/authenticate/").status_code, 404)
            self.assertEqual(self.client.get("/accounts/oidc/callback/").status_code, 404)

    def test_first_sign_in_makes_the_account_and_the_next_finds_it(self):
        authorize = self.start(next="/profile/")
        query = parse_qs(urlsplit(authorize).query)
        # Discovery gave the endpoint; the request carries state, nonce and a PKCE challenge.
        self.assertEqual(query["response_type"], ["code"])
        self.assertEqual(query["client_id"], [CLIENT_ID])
        self.assertEqual(query["scope"], ["openid email profile"])
        self.assertEqual(query["redirect_uri"], [CALLBACK])
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(len(query["code_challenge"][0]), 43)
        self.assertTrue(query["state"][0] and query["nonce"][0])
        callback, _ = self.at_provider(authorize, "nadia")
        response = self.client.get(callback)
        self.assertRedirects(response, "/profile/", fetch_redirect_response=False)

        user = User.objects.get(username="nadia")
        self.assertEqual(self.signed_in_as(), user)
        self.assertEqual((user.email, user.first_name), ("nadia@example.com", "Nadia"))
        self.assertFalse(user.has_usable_password())
        self.assertEqual(self.client.session[oidc.VIA_KEY], "sso")
        self.assertTrue(self.client.session["oidc_id_token"])
        [event] = self.events(SecurityKind.SSO_SIGN_IN)
        self.assertEqual(event.user, user)
        self.assertEqual(self.client.get("/profile/").status_code, 200)

        self.client.logout()
        response, _ = self.sso("nadia")
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(self.signed_in_as(), user)
        self.assertEqual(User.objects.filter(email__iexact="nadia@example.com").count(), 1)

    def test_a_verified_address_signs_in_to_the_existing_account(self):
        existing = User.objects.create_user("dana.local", "dana@example.com", LOCAL_PASSWORD)
        response, _ = self.sso("dana")  # the provider says Dana@Example.com, verified
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.signed_in_as(), existing)
        self.assertFalse(User.objects.filter(username="dana").exists())
        existing.refresh_from_db()
        self.assertTrue(existing.check_password(LOCAL_PASSWORD))  # the account is untouched

    def test_an_unverified_address_is_not_matched(self):
        existing = User.objects.create_user("ursula.local", "ursula@example.com", LOCAL_PASSWORD)
        response, _ = self.sso("ursula")
        self.assertEqual(response.status_code, 302)
        new = self.signed_in_as()
        self.assertNotEqual(new, existing)
        self.assertEqual(new.username, "ursula")
        self.assertEqual(new.email, "")  # the address stays the one account's that has it

    def test_an_unverified_address_is_not_kept(self):
        self.sso("uma")
        uma = self.signed_in_as()
        self.assertEqual((uma.username, uma.email), ("uma", ""))
        # Whoever proves the address later gets their own account, not this one.
        self.assertEqual(User.objects.filter(email__iexact="uma@example.com").count(), 0)

    def test_a_password_account_with_the_same_name_is_not_taken_over(self):
        local = User.objects.create_user("vera", "someone-else@example.com", LOCAL_PASSWORD)
        response, _ = self.sso("vera")
        self.assertEqual(response.status_code, 302)
        first = self.signed_in_as()
        self.assertNotEqual(first, local)
        self.assertTrue(first.username.startswith("vera-"))
        self.client.logout()
        self.sso("vera")
        self.assertEqual(self.signed_in_as(), first)  # found again under the same name

    def test_groups_map_to_roles_at_each_sign_in(self):
        summit = Organization.objects.create(name="Summit", slug="summit")
        eddie = User.objects.create_user("eddie", "eddie@example.com", LOCAL_PASSWORD)
        Membership.objects.create(user=eddie, organization=summit, role=Role.VIEWER)

        self.sso("olivia")
        olivia = User.objects.get(username="olivia")
        self.assertEqual(Membership.objects.get(user=olivia, organization=summit).role, "owner")
        self.client.logout()

        self.sso("eddie")  # in cairn-editors: the viewer becomes an editor
        self.assertEqual(self.signed_in_as(), eddie)
        self.assertEqual(Membership.objects.get(user=eddie).role, "editor")
        self.assertEqual(Membership.objects.filter(organization__slug="no-such-org").count(), 0)

        # Made an owner in Cairn meanwhile: the provider's groups say editor, at each sign-in.
        Membership.objects.filter(user=eddie).update(role=Role.OWNER)
        self.client.logout()
        self.sso("eddie")
        self.assertEqual(Membership.objects.get(user=eddie).role, "editor")

        # No group the map names: no membership.
        self.client.logout()
        self.sso("nadia")
        self.assertFalse(Membership.objects.filter(user__username="nadia").exists())

    def test_a_join_link_invitation_is_accepted_on_single_sign_on(self):
        acme = Organization.objects.create(name="Acme", slug="acme")
        owner = User.objects.create_user("owner", "owner@example.com", LOCAL_PASSWORD)
        Membership.objects.create(user=owner, organization=acme, role=Role.OWNER)
        invitation, key = services.create_invitation(
            acme, role=Role.EDITOR, label="Nadia", actor=owner
        )
        response, _ = self.sso("nadia", invite=key, next="/o/acme/")
        self.assertRedirects(response, "/o/acme/", fetch_redirect_response=False)
        nadia = User.objects.get(username="nadia")
        self.assertEqual(Membership.objects.get(user=nadia, organization=acme).role, "editor")
        invitation.refresh_from_db()
        self.assertEqual(invitation.accepted_by, nadia)
        self.assertNotIn(oidc.INVITE_KEY, self.client.session)

    def test_a_state_that_is_not_this_browsers_is_refused(self):
        callback, _ = self.at_provider(self.start(), "nadia")
        forged = re.sub(r"state=[^&]+", "state=someone-elses-state", callback)
        response = self.client.get(forged, follow=True)
        self.assertRedirects(response, "/accounts/login/")
        self.assertContains(response, "Single sign-on did not sign you in")
        self.assertIsNone(self.signed_in_as())
        self.assertFalse(User.objects.filter(username="nadia").exists())
        [event] = self.events(SecurityKind.SSO_REFUSED)
        self.assertIn("state", event.detail)

    def test_a_callback_is_used_once(self):
        callback, _ = self.at_provider(self.start(), "nadia")
        self.assertEqual(self.client.get(callback).status_code, 302)
        self.assertIsNotNone(self.signed_in_as())
        self.client.logout()
        response = self.client.get(callback)  # replayed: its state is spent
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        self.assertIsNone(self.signed_in_as())

    def test_a_refusal_at_the_provider_is_said_plainly(self):
        authorize = self.start()
        state = parse_qs(urlsplit(authorize).query)["state"][0]
        response = self.client.get(
            "/accounts/oidc/callback/", {"error": "access_denied", "state": state}, follow=True
        )
        self.assertRedirects(response, "/accounts/login/")
        self.assertContains(response, "Single sign-on did not sign you in")
        self.assertEqual(self.events(SecurityKind.SSO_REFUSED)[0].detail, "access_denied")

    def test_an_unreachable_provider_is_said_plainly(self):
        with override_settings(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}"):
            oidc.forget_discovery()
            response = self.client.get("/accounts/oidc/authenticate/", follow=True)
        self.assertRedirects(response, "/accounts/login/")
        self.assertContains(response, "cannot be reached just now")
        # Password sign-in does not need the provider.
        User.objects.create_user("pat", "pat@example.com", LOCAL_PASSWORD)
        with override_settings(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}"):
            oidc.forget_discovery()
            response = self.client.post(
                "/accounts/login/", {"username": "pat", "password": LOCAL_PASSWORD}
            )
        self.assertEqual(response.status_code, 302)

    def test_a_discovery_document_of_another_issuer_is_refused(self):
        # The provider answers as http://127.0.0.1:…/o whatever name it is reached by.
        with override_settings(OIDC_ISSUER=f"http://localhost:{PROVIDER.port}/o"):
            oidc.forget_discovery()
            response = self.client.get("/accounts/oidc/authenticate/")
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        [event] = self.events(SecurityKind.SSO_REFUSED)
        self.assertIn(f"names another issuer: '{PROVIDER.issuer}'", event.detail)

    def test_sign_out_ends_the_session_and_the_providers(self):
        response, browser = self.sso("nadia")
        id_token = self.client.session["oidc_id_token"]
        response = self.client.post("/accounts/logout/")
        self.assertEqual(response.status_code, 302)
        end = urlsplit(response["Location"])
        self.assertEqual(f"{end.scheme}://{end.netloc}{end.path}", f"{PROVIDER.issuer}/logout/")
        params = parse_qs(end.query)
        self.assertEqual(params["id_token_hint"], [id_token])
        self.assertEqual(params["client_id"], [CLIENT_ID])
        self.assertEqual(params["post_logout_redirect_uri"], ["http://testserver/accounts/login/"])
        self.assertIsNone(self.signed_in_as())
        self.assertRedirects(self.client.get("/profile/"), "/accounts/login/?next=/profile/")
        # The provider signs the browser out and sends it back to Cairn's sign-in page.
        back = browser.get(response["Location"], allow_redirects=False, timeout=10)
        self.assertEqual(back.status_code, 302, back.text[:500])
        self.assertEqual(back.headers["Location"], "http://testserver/accounts/login/")
        again = browser.get(self.start(), timeout=10)
        self.assertEqual(urlsplit(again.url).path, "/login/")  # asked to sign in again

    def test_a_password_session_signs_out_at_cairn_only(self):
        User.objects.create_user("pat", "pat@example.com", LOCAL_PASSWORD)
        self.client.post("/accounts/login/", {"username": "pat", "password": LOCAL_PASSWORD})
        self.assertNotIn(oidc.VIA_KEY, self.client.session)
        response = self.client.post("/accounts/logout/")
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        self.assertIsNone(self.signed_in_as())


class RoleMapTests(SsoCase):
    def test_the_claim_may_be_a_list_or_one_value_and_the_highest_role_wins(self):
        self.assertEqual(oidc.role_grants({"groups": "cairn-editors"}), {"summit": "editor"})
        both = {"groups": ["cairn-editors", "cairn-owners", 7]}
        self.assertEqual(oidc.role_grants(both)["summit"], "owner")
        self.assertEqual(oidc.role_grants({"groups": None}), {})
        self.assertEqual(oidc.role_grants({}), {})
        with override_settings(OIDC_ROLE_CLAIM=""):
            self.assertEqual(oidc.role_grants({"groups": ["cairn-owners"]}), {})


class TokenTests(SsoCase):
    """The backend's checks of the ID token, with the provider's real published keys."""

    NONCE = "the-nonce-of-this-sign-in"

    def claims(self, **changes) -> dict:
        now = int(time.time())
        claims = {
            "iss": PROVIDER.issuer,
            "sub": "42",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": self.NONCE,
        }
        return {**claims, **changes}

    def verify(self, token: str) -> dict:
        return oidc.Backend().verify_token(token, nonce=self.NONCE)

    def refused(self, token: str, why: str) -> None:
        with self.assertRaisesRegex(SuspiciousOperation, why):
            self.verify(token)

    def test_a_good_token_is_accepted(self):
        self.assertEqual(self.verify(PROVIDER.sign(self.claims()))["sub"], "42")
        several = self.claims(aud=[CLIENT_ID, "another"], azp=CLIENT_ID)
        self.assertEqual(self.verify(PROVIDER.sign(several))["azp"], CLIENT_ID)

    def test_another_audience_is_refused(self):
        self.refused(PROVIDER.sign(self.claims(aud="another-app")), "another application")
        several = self.claims(aud=[CLIENT_ID, "another"], azp="another")
        self.refused(PROVIDER.sign(several), "issued to another application")
        no_aud = self.claims()
        del no_aud["aud"]
        self.refused(PROVIDER.sign(no_aud), "aud")

    def test_an_expired_token_is_refused(self):
        old = int(time.time()) - 3600
        self.refused(PROVIDER.sign(self.claims(iat=old, exp=old + 300)), "expired")

    def test_another_nonce_is_refused(self):
        self.refused(PROVIDER.sign(self.claims(nonce="a-replayed-nonce")), "Nonce")
        no_nonce = self.claims()
        del no_nonce["nonce"]
        self.refused(PROVIDER.sign(no_nonce), "Nonce")

    def test_another_issuer_is_refused(self):
        self.refused(PROVIDER.sign(self.claims(iss="https://evil.example")), "another issuer")

    def test_a_changed_payload_is_refused(self):
        header, _, signature = PROVIDER.sign(self.claims()).split(".")
        forged = jwt.utils.base64url_encode(json.dumps(self.claims(sub="1")).encode()).decode()
        self.refused(f"{header}.{forged}.{signature}", "signature")

    def test_another_key_and_another_algorithm_are_refused(self):
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.refused(PROVIDER.sign(self.claims(), key=stranger), "signature")
        # HS256 "signed" with the client secret, under the provider's key id: the published
        # key is for RS256 only (the library skips it), and Cairn expects RS256 anyway.
        headers = {"kid": PROVIDER.kid}
        hs = jwt.encode(self.claims(), CLIENT_SECRET, algorithm="HS256", headers=headers)
        self.refused(hs, "HS256|valid JWKS")


class SsoRequiredTests(SsoCase):
    def setUp(self):
        super().setUp()
        self.org = Organization.objects.create(name="Summit", slug="summit", require_sso=True)
        self.member = User.objects.create_user("dana.local", "dana@example.com", LOCAL_PASSWORD)
        Membership.objects.create(user=self.member, organization=self.org, role=Role.EDITOR)
        self.owner = User.objects.create_user("owen", "owen@example.com", LOCAL_PASSWORD)
        Membership.objects.create(user=self.owner, organization=self.org, role=Role.OWNER)

    def sign_in(self, username: str, password: str = LOCAL_PASSWORD):
        return self.client.post("/accounts/login/", {"username": username, "password": password})

    def test_a_members_password_is_refused_with_a_plain_message(self):
        response = self.sign_in("dana.local")
        self.assertContains(response, SSO_REQUIRED)
        self.assertContains(response, "Sign in with Example SSO")
        self.assertNotContains(response, "do not match")
        self.assertIsNone(self.signed_in_as())
        [event] = self.events(SecurityKind.SSO_REFUSED)
        self.assertEqual(event.user, self.member)

    def test_a_wrong_password_says_only_that(self):
        response = self.sign_in("dana.local", "wrong password")
        self.assertContains(response, "do not match")
        self.assertNotContains(response, SSO_REQUIRED)

    def test_an_owner_may_still_use_the_password(self):
        self.assertRedirects(self.sign_in("owen"), "/", fetch_redirect_response=False)
        self.assertEqual(self.signed_in_as(), self.owner)

    def test_the_member_signs_in_with_single_sign_on(self):
        response, _ = self.sso("dana")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.signed_in_as(), self.member)

    def test_without_single_sign_on_set_up_the_password_works(self):
        with override_settings(OIDC_ISSUER="", OIDC_RP_CLIENT_ID=""):
            self.assertEqual(self.sign_in("dana.local").status_code, 302)
        self.assertEqual(self.signed_in_as(), self.member)

    def test_members_of_other_organisations_are_not_concerned(self):
        other = User.objects.create_user("olga", "olga@example.com", LOCAL_PASSWORD)
        free = Organization.objects.create(name="Free", slug="free")
        Membership.objects.create(user=other, organization=free, role=Role.VIEWER)
        self.assertEqual(self.sign_in("olga").status_code, 302)


def test_cairn_check_needs_no_provider_and_reads_the_role_map():
    """`cairn check` with single sign-on set up and the provider unreachable; a role map
    that cannot be read is said at start."""
    env = {
        "PATH": str(BIN),
        "PYTHONPATH": str(ROOT),
        "CAIRN_DATA_DIR": tempfile.mkdtemp(prefix="cairn-check-"),
        "OIDC_ISSUER": f"http://127.0.0.1:{free_port()}/realms/none",
        "OIDC_CLIENT_ID": "cairn",
        "OIDC_ROLE_MAP": "cairn-owners=summit:owner, /team=a=b=summit:viewer",
    }
    try:
        ok = subprocess.run(
            [str(BIN / "cairn"), "check"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert ok.returncode == 0, ok.stderr
        env["OIDC_ROLE_MAP"] = "cairn-owners=summit:admin"
        bad = subprocess.run(
            [str(BIN / "cairn"), "check"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert bad.returncode != 0
        assert "OIDC_ROLE_MAP: 'cairn-owners=summit:admin' is not" in bad.stderr
    finally:
        shutil.rmtree(env["CAIRN_DATA_DIR"], ignore_errors=True)
