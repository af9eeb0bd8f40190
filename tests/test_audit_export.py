"""The audit trail exported as CSV and JSON Lines: changes and account events in time order,
filtered by date, person and kind; owners only; bad filters refused with field errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cairn.core import services
from cairn.core.models import AuditEvent, Role
from cairn.identity.events import record
from cairn.identity.models import SecurityEvent, SecurityKind
from tests.base import CairnTestCase


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


class AuditExportTests(CairnTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        record(SecurityKind.SIGN_IN, user=cls.editor)
        record(SecurityKind.SIGN_IN_FAILED, username="viewer", detail="wrong password")
        record(SecurityKind.LOCKED_OUT, username="viewer")
        record(SecurityKind.SIGN_IN, user=cls.outsider)  # Globex's: never in Acme's export
        services.change_role(cls.viewer.memberships.get(), Role.EDITOR, actor=cls.owner)

    def export(self, fmt="csv", **filters):
        self.client.force_login(self.owner)
        return self.client.get(reverse("activity_export", args=["acme", fmt]), filters)

    def test_the_whole_trail_in_time_order_as_csv(self):
        response = self.export()
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response["Content-Disposition"])
        rows = list(csv.DictReader(io.StringIO(body(response))))
        whens = [r["when"] for r in rows]
        self.assertEqual(whens, sorted(whens))
        what = [r["what"] for r in rows]
        self.assertIn("Signed in", what)
        self.assertIn("Sign-in failed", what)
        self.assertIn("Locked out", what)
        self.assertTrue(any(w.startswith("Changed") and "member" in w.lower() for w in what), what)
        self.assertFalse([r for r in rows if r["who"] == "outsider"])
        role = next(r for r in rows if r["object_type"] == "core.membership")
        self.assertIn("editor", role["changes"])
        self.assertEqual(
            len(rows),
            AuditEvent.objects.filter(organization=self.org).count()
            + SecurityEvent.objects.exclude(username="outsider").count(),
        )

    def test_json_lines_filtered_by_person_kind_and_date(self):
        lines = body(self.export("jsonl", kind="security", person="viewer")).splitlines()
        rows = [json.loads(line) for line in lines]
        self.assertEqual([r["kind"] for r in rows], ["sign_in_failed", "locked_out"])
        changes = body(self.export("jsonl", kind="changes")).splitlines()
        self.assertTrue(changes)
        self.assertTrue(all(json.loads(line)["kind"] in ("create", "update", "delete")
                            for line in changes))  # fmt: skip
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        self.assertEqual(body(self.export("jsonl", start=tomorrow)), "")
        locked = body(self.export("jsonl", kind="security:locked_out")).splitlines()
        self.assertEqual(len(locked), 1)

    def test_bad_filters_are_refused_with_field_errors(self):
        today = timezone.localdate()
        response = self.export(start=today.isoformat(), end=(today - timedelta(days=3)).isoformat())
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "The last day comes before the first.", status_code=422)
        self.assertEqual(self.export(kind="nonsense").status_code, 422)
        self.assertEqual(self.export(start="2026-02-30").status_code, 422)
        self.assertEqual(self.export("xml").status_code, 404)

    def test_only_owners_export(self):
        self.client.force_login(self.editor)
        url = reverse("activity_export", args=["acme", "csv"])
        self.assertEqual(self.client.get(url).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_export_reads_a_fixed_number_of_queries(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from cairn.identity import audit

        def count() -> int:
            with CaptureQueriesContext(connection) as seen:
                rows = list(audit.trail(self.org, {}))
            self.assertTrue(rows)
            return len(seen)

        few = count()
        for i in range(40):
            record(SecurityKind.SIGN_IN, user=self.editor, detail=str(i))
            services.change_role(
                self.viewer.memberships.get(), Role.VIEWER if i % 2 else Role.EDITOR,
                actor=self.owner,
            )  # fmt: skip
        self.assertEqual(count(), few)
        self.assertEqual(few, 2)  # the changes with their people; the account events
