"""API tokens: made by a person, named, with an expiry, a scope and optionally one
organisation; hashed, shown once, revocable; a read-only token is refused every write in the
whole schema; a token's rate and guessing tokens are limited."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cairn.api.api import api
from cairn.core import services
from cairn.core.models import ApiToken, Membership, Role, hash_key
from cairn.identity.models import SecurityEvent, SecurityKind
from tests.base import CairnTestCase


# The rate and guessing counters live in the cache: a real one here (tests default to none).
@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
)
class TokenTests(CairnTestCase):
    def setUp(self):
        cache.clear()  # the rate and guessing counters

    def api(self, method: str, path: str, key: str, body: dict | None = None):
        return self.client.generic(
            method,
            path,
            data=json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    def test_a_person_makes_a_read_only_token_for_one_organisation_on_the_profile(self):
        Membership.objects.create(user=self.editor, organization=self.other_org, role=Role.EDITOR)
        self.client.force_login(self.editor)
        page = self.client.post(
            reverse("profile"),
            {"name": "KPI feed", "scope": "read", "days": "30", "organization": self.org.pk},
        )
        self.assertContains(page, "Copy it now: it is shown only once.")
        key = page.context["new_key"]
        token = ApiToken.objects.get(name="KPI feed")
        self.assertEqual(token.key_hash, hash_key(key))  # kept hashed, never the key
        stored = json.dumps(list(ApiToken.objects.values()), default=str)
        self.assertNotIn(key, stored, "stored in clear")
        self.assertEqual((token.scope, token.organization), ("read", self.org))
        self.assertAlmostEqual(
            token.expires, timezone.now() + timedelta(days=30), delta=timedelta(minutes=1)
        )
        self.assertContains(page, "Reads only")
        self.assertContains(page, "Acme only")
        self.assertNotContains(self.client.get(reverse("profile")), key)  # shown once
        event = SecurityEvent.objects.get(kind=SecurityKind.TOKEN_CREATED)
        self.assertEqual(event.user, self.editor)
        self.assertIn("KPI feed", event.detail)

        # It reads its organisation only; the other one is as if the person were not in it.
        self.assertEqual(self.api("GET", "/api/v1/orgs/acme/goals", key).status_code, 200)
        self.assertEqual(self.api("GET", "/api/v1/orgs/globex/goals", key).status_code, 404)
        orgs = self.api("GET", "/api/v1/orgs", key).json()
        self.assertEqual([o["slug"] for o in orgs], ["acme"])

        # Revoked: it no longer works.
        self.client.post(reverse("token_delete", args=[token.pk]))
        self.assertEqual(self.api("GET", "/api/v1/orgs/acme/goals", key).status_code, 401)
        self.assertTrue(SecurityEvent.objects.filter(kind=SecurityKind.TOKEN_REVOKED).exists())

    def test_bad_token_forms_are_refused_with_field_errors_and_nothing_made(self):
        self.client.force_login(self.editor)
        for data in [
            {"name": "x", "scope": "admin", "days": "30"},
            {"name": "x", "scope": "read", "days": "3650"},
            {"name": "x", "scope": "read", "days": "30", "organization": self.other_org.pk},
            {"name": "", "scope": "read", "days": "30"},
        ]:
            with self.subTest(data=data):
                page = self.client.post(reverse("profile"), data)
                self.assertEqual(page.status_code, 422)
                self.assertContains(page, "invalid-feedback", status_code=422)
        self.assertFalse(ApiToken.objects.exists())

    def test_the_service_refuses_what_the_form_would(self):
        for kwargs in [
            {"days": 0},
            {"days": 400},
            {"scope": "all"},
            {"organization": self.other_org},
        ]:
            with self.subTest(kwargs=kwargs), self.assertRaises(services.ServiceError):
                services.create_api_token(self.editor, "x", **kwargs)

    def test_a_read_only_token_is_refused_every_write_in_the_schema(self):
        _, key = services.create_api_token(self.owner, "reader", scope="read")
        schema = api.get_openapi_schema()
        writes = [
            (path, method.upper())
            for path, operations in schema["paths"].items()
            for method in operations
            if method in ("post", "put", "patch", "delete") and operations[method].get("security")
        ]
        self.assertGreater(len(writes), 80)
        before = self.audit_count()
        for path, method in writes:
            url = path.replace("{org}", "acme")
            url = url.replace("{item_id}", "1").replace("{notification_id}", "1")
            with self.subTest(op=f"{method} {path}"):
                answer = self.api(method, url, key)
                self.assertEqual(answer.status_code, 403, answer.content)
                self.assertIn("can only read", answer.json()["detail"])
        self.assertEqual(self.audit_count(), before)
        self.assertEqual(self.api("GET", "/api/v1/orgs/acme/goals", key).status_code, 200)

    def test_an_expired_token_says_so(self):
        token, key = services.create_api_token(self.owner, "old")
        ApiToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(days=1))
        answer = self.api("GET", "/api/v1/orgs/acme/goals", key)
        self.assertEqual(answer.status_code, 401)
        self.assertIn("expired", answer.json()["detail"])
        self.assertIsNone(services.user_for_token(key))

    @override_settings(CAIRN_API_TOKEN_RATE=5)
    def test_a_tokens_rate_is_limited_with_retry_after(self):
        _, key = services.create_api_token(self.owner, "busy")
        _, other = services.create_api_token(self.owner, "quiet")
        for _ in range(2):  # a minute may turn during the calls: then once more
            cache.clear()
            statuses = [self.api("GET", "/api/v1/orgs", key).status_code for _ in range(6)]
            answer = self.api("GET", "/api/v1/orgs", key)
            if statuses[-1] == 429:
                break
        self.assertEqual(statuses, [200] * 5 + [429])
        self.assertEqual(answer.status_code, 429)
        self.assertTrue(1 <= int(answer["Retry-After"]) <= 61)
        self.assertIn("requests this minute", answer.json()["detail"])
        self.assertEqual(self.api("GET", "/api/v1/orgs", other).status_code, 200)  # per token

    def test_guessing_tokens_is_throttled_per_address(self):
        _, key = services.create_api_token(self.owner, "real")
        for i in range(20):
            self.assertEqual(self.api("GET", "/api/v1/orgs", f"cairn_wrong{i}").status_code, 401)
        answer = self.api("GET", "/api/v1/orgs", key)  # even a right one, from that address
        self.assertEqual(answer.status_code, 429)
        self.assertEqual(answer["Retry-After"], "600")
        other = self.client.get(
            "/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR="10.1.2.3"
        )
        self.assertEqual(other.status_code, 200)

    def test_tokens_made_before_expiry_keep_working_until_migrated(self):
        token, key = services.create_api_token(self.owner, "legacy")
        ApiToken.objects.filter(pk=token.pk).update(expires=None)
        self.assertEqual(self.api("GET", "/api/v1/orgs", key).status_code, 200)
