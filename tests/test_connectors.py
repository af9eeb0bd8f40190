"""KPI connectors against real sources on the loopback: an HTTP server serving CSV, .xlsx and
JSON (and failing: 500, slow, malformed, too large, redirects), a SQLite file, and the
test database's own PostgreSQL server when the suite runs on PostgreSQL."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from cairn.core.models import AuditEvent, Membership, Organization, Role
from cairn.kpis import connector_services as runs
from cairn.kpis import connectors
from cairn.kpis.connector_models import ConnectorKind, KpiConnector, KpiConnectorRun
from cairn.kpis.models import Kpi, Measurement
from cairn.notifications.models import Notification

TOKEN = "s3cret-token-never-shown"
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TODAY = date.today()
DAYS = [TODAY - timedelta(days=7 * n) for n in (3, 2, 1)]  # three weekly dates, all past


def _csv(rows, header="date,value") -> bytes:
    return (header + "\n" + "".join(f"{d},{v}\n" for d, v in rows)).encode()


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Value"])
    for d, v in rows:
        sheet.append([d, v])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Source(BaseHTTPRequestHandler):
    """The loopback server's pages; ``server.state`` says what the flaky page answers."""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        server = self.server
        server.seen.append((self.path, dict(self.headers)))
        rows = [(d.isoformat(), 100 + i) for i, d in enumerate(DAYS)]
        pages = {
            "/orders.csv": _csv(rows),
            "/orders.xlsx": _xlsx([(d, 100 + i) for i, d in enumerate(DAYS)]),
            "/changed.csv": _csv([(DAYS[0].isoformat(), 100), (DAYS[1].isoformat(), 150)]),
            "/semicolons.csv": _csv(rows, "date;value").replace(b",", b";"),
            "/bad.csv": _csv([(DAYS[0].isoformat(), 1), ("31/02/2026", 2), ("2026-01-05", "ten")]),
            "/points.json": json.dumps(
                {"data": {"points": [{"when": d, "amount": v} for d, v in rows]}}
            ).encode(),
            "/big.csv": _csv([(DAYS[0].isoformat(), 1)] * 400),
            "/future.csv": _csv([((TODAY + timedelta(days=30)).isoformat(), 5)]),
            "/huge-value.csv": _csv([(DAYS[0].isoformat(), 5000)]),
        }
        if self.path == "/secured.csv":
            if self.headers.get("X-Api-Key") != TOKEN:
                return self._send(401, b"no")
            return self._send(200, _csv(rows))
        if self.path == "/error":
            return self._send(500, b"broken")
        if self.path == "/flaky.csv":
            return self._send(500 if server.state["fail"] else 200, _csv(rows))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "https://elsewhere.example/orders.csv")
            self.end_headers()
            return None
        if self.path == "/slow.csv":
            time.sleep(1.5)
            return self._send(200, _csv(rows))
        if self.path == "/endless.csv":  # no Content-Length: the body is cut while read
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"2026-01-01,1\n" * 100)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the connector stopped reading at its limit, as the test expects
            return None
        body = pages.get(self.path)
        return self._send(200 if body is not None else 404, body or b"not here")

    def _send(self, code: int, body: bytes):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LoopbackServer:
    def __enter__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Source)
        self.httpd.seen, self.httpd.state = [], {"fail": True}
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_org():
    org = Organization.objects.create(name="Acme", slug="acme")
    users = {}
    for name, role in (("owner", Role.OWNER), ("editor", Role.EDITOR), ("viewer", Role.VIEWER)):
        users[name] = User.objects.create_user(name, password="pw", email=f"{name}@acme.test")
        Membership.objects.create(user=users[name], organization=org, role=role)
    kpi = Kpi.objects.create(organization=org, name="Orders", unit="orders", owner="")
    return org, users, kpi


@override_settings(CAIRN_CONNECTORS_ALLOW_PRIVATE=True, CAIRN_WEBHOOKS_ALLOW_PRIVATE=False)
class ConnectorTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = LoopbackServer().__enter__()
        cls.addClassCleanup(cls.server.__exit__)

    @classmethod
    def setUpTestData(cls):
        cls.org, cls.users, cls.kpi = make_org()
        cls.owner = cls.users["owner"]

    def connector(self, path: str, kind=ConnectorKind.CSV_URL, **values) -> KpiConnector:
        values = {"kind": kind, "url": self.server.base + path, **values}
        return runs.save_connector(self.kpi, values, actor=self.owner)

    def values(self) -> dict[date, float]:
        return dict(Measurement.objects.filter(kpi=self.kpi).values_list("date", "value"))

    # --- each kind

    def test_csv_records_new_dates_then_leaves_them_alone_and_takes_changed_values(self):
        connector = self.connector("/orders.csv")
        first = runs.run(connector)
        self.assertEqual((first.ok, first.rows_added, first.rows_unchanged), (True, 3, 0))
        self.assertEqual(self.values(), {DAYS[0]: 100, DAYS[1]: 101, DAYS[2]: 102})
        second = runs.run(connector)
        self.assertEqual((second.rows_added, second.rows_changed, second.rows_unchanged), (0, 0, 3))
        connector = runs.save_connector(
            self.kpi, {"url": self.server.base + "/changed.csv"}, actor=self.owner,
            connector=connector,
        )  # fmt: skip
        third = runs.run(connector)
        self.assertEqual((third.rows_added, third.rows_changed, third.rows_unchanged), (0, 1, 1))
        self.assertEqual(self.values()[DAYS[1]], 150)
        self.assertEqual(Measurement.objects.get(kpi=self.kpi, date=DAYS[1]).source, "connector")
        self.kpi.refresh_from_db()
        self.assertEqual((self.kpi.latest_date, self.kpi.latest_value), (DAYS[2], 102))

    def test_xlsx_and_semicolon_csv(self):
        connector = self.connector("/orders.xlsx")
        self.assertEqual(runs.run(connector).rows_added, 3)
        other = Kpi.objects.create(organization=self.org, name="Semicolons")
        c2 = runs.save_connector(
            other, {"kind": "csv_url", "url": self.server.base + "/semicolons.csv"}, actor=None
        )
        self.assertEqual(runs.run(c2).rows_added, 3)

    def test_json_with_a_selector(self):
        connector = self.connector(
            "/points.json", ConnectorKind.JSON_URL, items_path="data.points",
            date_field="when", value_field="amount",
        )  # fmt: skip
        log = runs.run(connector)
        self.assertTrue(log.ok, log.error)
        self.assertEqual(self.values()[DAYS[0]], 100)
        wrong = runs.save_connector(
            self.kpi, {"items_path": "data.missing"}, actor=None, connector=connector
        )
        log = runs.run(wrong)
        self.assertFalse(log.ok)
        self.assertIn("there is no “missing”", log.error)

    def test_token_is_sent_stored_encrypted_and_never_shown(self):
        connector = self.connector("/secured.csv", auth_header="X-Api-Key", token=TOKEN)
        self.assertTrue(runs.run(connector).ok)
        with connection.cursor() as cursor:
            cursor.execute("SELECT token_encrypted FROM kpis_kpiconnector")
            (raw,) = cursor.fetchone()
        self.assertNotIn(TOKEN, raw)
        self.assertTrue(raw)
        self.client.force_login(self.owner)
        page = self.client.get(reverse("kpis:connector_edit", args=["acme", self.kpi.pk]))
        self.assertNotContains(page, TOKEN)
        self.assertContains(page, "Saved — type a new one to replace it.")
        for name in ("connector", "kpi_detail"):
            self.assertNotContains(
                self.client.get(reverse(f"kpis:{name}", args=["acme", self.kpi.pk])), TOKEN
            )
        audits = AuditEvent.objects.filter(object_type__contains="connector")
        self.assertTrue(audits.exists())
        self.assertFalse(any(TOKEN in json.dumps([a.before, a.after]) for a in audits))
        # An empty token keeps the saved one; a wrong one fails the run.
        runs.save_connector(self.kpi, {"token": ""}, actor=None, connector=connector)
        self.assertTrue(runs.run(connector).ok)
        runs.save_connector(self.kpi, {"token": "wrong"}, actor=None, connector=connector)
        self.assertIn("answered 401", runs.run(connector).error)

    # --- failures: nothing written, a clear reason

    def test_failures_say_why_and_write_nothing(self):
        cases = {
            "/error": "answered 500",
            "/bad.csv": "2 row(s) of the source could not be read",
            "/moved": "redirect to https://elsewhere.example/orders.csv",
            "/future.csv": "is in the future",
            "/nothing-here.csv": "answered 404",
        }
        for path, words in cases.items():
            with self.subTest(path=path):
                KpiConnector.objects.filter(kpi=self.kpi).delete()
                log = runs.run(self.connector(path))
                self.assertFalse(log.ok)
                self.assertIn(words, log.error + json.dumps(log.problems, ensure_ascii=False))
                self.assertEqual(self.values(), {})
                if path == "/bad.csv":
                    bad = log
        self.assertEqual(
            bad.problems,
            [[3, "the date is “31/02/2026”, not a date like 2026-01-31"],
             [4, "the value is “ten”, not a number like 1234.5"]],
        )  # fmt: skip

    def test_timeout_and_size_limits(self):
        with mock.patch.object(connectors, "TIMEOUT", 0.5):
            self.assertIn(
                "No complete answer within 0.5 seconds", runs.run(self.connector("/slow.csv")).error
            )
        KpiConnector.objects.all().delete()
        with mock.patch.object(connectors, "MAX_BYTES", 2000):
            self.assertIn("larger than", runs.run(self.connector("/big.csv")).error)
            KpiConnector.objects.all().delete()
            self.assertIn("larger than", runs.run(self.connector("/endless.csv")).error)
        self.assertEqual(self.values(), {})

    def test_a_questioned_value_fails_unless_the_connector_keeps_them(self):
        Kpi.objects.filter(pk=self.kpi.pk).update(max_value=1000)
        self.kpi.refresh_from_db()
        connector = self.connector("/huge-value.csv")
        log = runs.run(connector)
        self.assertFalse(log.ok)
        self.assertIn("keep values Cairn would question", log.problems[0][1])
        runs.save_connector(self.kpi, {"confirm_questioned": True}, actor=None, connector=connector)
        self.assertTrue(runs.run(connector).ok)
        self.assertEqual(self.values(), {DAYS[0]: 5000})

    # --- addresses

    @override_settings(CAIRN_CONNECTORS_ALLOW_PRIVATE=False)
    def test_private_addresses_and_plain_http_are_refused_unless_allowed(self):
        self.client.force_login(self.owner)
        seen = len(self.server.httpd.seen)
        url = reverse("kpis:connector_edit", args=["acme", self.kpi.pk])
        for address, words in (
            (self.server.base + "/orders.csv", "must start with https://"),
            ("https://127.0.0.1:9/orders.csv", "loopback address"),
            ("https://10.1.2.3/orders.csv", "private network"),
        ):
            with self.subTest(address=address):
                page = self.client.post(
                    url,
                    {
                        "kind": "csv_url",
                        "url": address,
                        "date_field": "date",
                        "value_field": "value",
                        "schedule": "daily",
                    },
                )
                self.assertContains(page, words, status_code=400)
        self.assertFalse(KpiConnector.objects.exists())
        # A connector saved while allowed is refused at its run once that is no longer so.
        connector = KpiConnector.objects.create(
            organization=self.org, kpi=self.kpi, kind="csv_url", url="https://127.0.0.1:9/x.csv"
        )
        self.assertIn("KPI connectors only go to public addresses", runs.run(connector).error)
        self.assertEqual(len(self.server.httpd.seen), seen)  # nothing reached the server

    # --- failures in a row and the alert

    def test_three_failures_in_a_row_alert_the_owner_once_and_a_success_resets(self):
        Kpi.objects.filter(pk=self.kpi.pk).update(owner="editor")  # the editor's user name
        self.kpi.refresh_from_db()
        self.server.httpd.state["fail"] = True
        connector = self.connector("/flaky.csv")
        for n in range(1, 5):
            runs.run(connector)
            connector.refresh_from_db()
            self.assertEqual(connector.consecutive_failures, n)
        notes = Notification.objects.filter(kind="connector_failing")
        self.assertEqual([n.user.username for n in notes], ["editor"])
        self.assertIn("failed 3 times", notes.get().subject)
        self.server.httpd.state["fail"] = False
        self.assertTrue(runs.run(connector).ok)
        connector.refresh_from_db()
        self.assertEqual((connector.consecutive_failures, connector.failing_since), (0, None))
        self.server.httpd.state["fail"] = True

    def test_a_kpi_owned_by_no_member_alerts_owners_and_editors(self):
        connector = self.connector("/error")
        for _ in range(3):
            runs.run(connector)
        told = sorted(
            Notification.objects.filter(kind="connector_failing").values_list(
                "user__username", flat=True
            )
        )
        self.assertEqual(told, ["editor", "owner"])

    # --- the schedule

    def test_the_scheduler_claims_due_enabled_connectors_once(self):
        now = timezone.now()
        due = self.connector("/orders.csv")
        off_kpi = Kpi.objects.create(organization=self.org, name="Off")
        later_kpi = Kpi.objects.create(organization=self.org, name="Later")
        off = runs.save_connector(
            off_kpi, {"kind": "csv_url", "url": due.url, "enabled": False}, actor=None
        )
        later = runs.save_connector(later_kpi, {"kind": "csv_url", "url": due.url}, actor=None)
        KpiConnector.objects.filter(pk=later.pk).update(next_run=now + timedelta(minutes=5))
        KpiConnector.objects.filter(pk=off.pk).update(next_run=now - timedelta(minutes=5))
        self.assertEqual(runs.claim_due(now + timedelta(seconds=1)), [due.pk])
        self.assertEqual(runs.claim_due(now + timedelta(seconds=2)), [])  # claimed: not again
        due.refresh_from_db()
        self.assertAlmostEqual(
            (due.next_run - now).total_seconds(), timedelta(days=1).total_seconds(), delta=5
        )
        with override_settings(TASKS=DATABASE_QUEUE), self.captureOnCommitCallbacks(execute=True):
            runs.enqueue([due.pk])
        job = DBTaskResult.objects.get()
        self.assertEqual(job.args_kwargs["args"], [due.pk, "schedule"])

    # --- "Test now" and the pages

    def test_test_now_shows_the_rows_and_writes_nothing(self):
        connector = self.connector("/orders.csv")
        runs.run(connector)
        Measurement.objects.filter(kpi=self.kpi, date=DAYS[2]).delete()
        before = (
            Measurement.objects.count(),
            AuditEvent.objects.count(),
            KpiConnectorRun.objects.count(),
        )
        self.client.force_login(self.owner)
        page = self.client.post(reverse("kpis:connector_test", args=["acme", self.kpi.pk]))
        self.assertContains(
            page, "<strong>1 new</strong>, 0 with a changed value, 2 already recorded", html=False
        )
        self.assertContains(page, "nothing was recorded")
        after = (
            Measurement.objects.count(),
            AuditEvent.objects.count(),
            KpiConnectorRun.objects.count(),
        )
        self.assertEqual(before, after)
        partial = self.client.post(
            reverse("kpis:connector_test", args=["acme", self.kpi.pk]), HTTP_HX_REQUEST="true"
        )
        self.assertNotContains(partial, "<html")
        self.assertContains(partial, "recorded")

    def test_pages_and_their_query_counts(self):
        connector = self.connector("/orders.csv")
        for _ in range(30):
            runs.run(connector)
        self.client.force_login(self.users["viewer"])
        url = reverse("kpis:connector", args=["acme", self.kpi.pk])
        # session, user, membership+org, KPI+connector, count of runs, the menu's memberships,
        # unread notifications, one page of runs
        with self.assertNumQueries(8):
            page = self.client.get(url)
        self.assertContains(page, "Worked")
        self.assertNotContains(page, "Test now")
        self.assertEqual(
            self.client.post(
                reverse("kpis:connector_test", args=["acme", self.kpi.pk])
            ).status_code,
            403,
        )
        self.client.force_login(self.owner)
        # session, user, membership+org, KPI+connector, the menu's memberships, unread
        # notifications
        with self.assertNumQueries(6):
            self.assertEqual(
                self.client.get(
                    reverse("kpis:connector_edit", args=["acme", self.kpi.pk])
                ).status_code,
                200,
            )

    def test_api_secrets_are_write_only(self):
        from cairn.core import services

        _, key = services.create_api_token(self.owner, "script")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        base = "/api/v1/orgs/acme/kpi-connectors"
        body = {"kpi_id": self.kpi.pk, "kind": "csv_url", "url": self.server.base + "/secured.csv",
                "auth_header": "X-Api-Key", "token": TOKEN}  # fmt: skip
        made = self.client.post(base, body, content_type="application/json", **headers)
        self.assertEqual(made.status_code, 201, made.content)
        self.assertNotIn(TOKEN, made.content.decode())
        self.assertTrue(made.json()["has_token"])
        again = self.client.post(base, body, content_type="application/json", **headers)
        self.assertEqual(again.status_code, 400)
        runs.run(KpiConnector.objects.get())
        listed = self.client.get(f"{base}/{made.json()['id']}/runs", **headers).json()
        self.assertEqual(listed["items"][0]["rows_added"], 3)


# --- SQL: SQLite always, and PostgreSQL when the suite runs on it (selected, not skipped)

SQL_BACKENDS = ["sqlite"] + (["postgresql"] if connection.vendor == "postgresql" else [])
ROWS_SQL = {
    "sqlite": "SELECT day AS date, amount AS value FROM orders ORDER BY day",
    "postgresql": "SELECT d::date AS date, v AS value FROM (VALUES "
    + ", ".join(f"('{d.isoformat()}', {100 + i})" for i, d in enumerate(DAYS))
    + ") AS t(d, v)",
}
WRITE_SQL = {
    "sqlite": "INSERT INTO orders VALUES ('2026-01-01', 1) RETURNING day AS date, amount AS value",
    "postgresql": "CREATE TABLE cairn_connector_probe (date date, value float)",
}


def _database_url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        path = folder / "shop.db"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE orders (day TEXT, amount REAL)")
        db.executemany(
            "INSERT INTO orders VALUES (?, ?)",
            [(d.isoformat(), 100 + i) for i, d in enumerate(DAYS)],
        )
        db.commit()
        db.close()
        return f"sqlite:///{path}"
    s = connection.settings_dict
    server = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{server}/{s['NAME']}"


@pytest.mark.django_db
@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_sql_reads_read_only(backend, settings):
    settings.CAIRN_CONNECTORS_ALLOW_PRIVATE = True
    with tempfile.TemporaryDirectory() as folder:
        settings.CAIRN_CONNECTORS_SQLITE_DIR = folder
        org, users, kpi = make_org()
        url = _database_url(backend, Path(folder))
        connector = runs.save_connector(
            kpi, {"kind": "sql", "database_url": url, "query": ROWS_SQL[backend]}, actor=None
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT database_encrypted, database_hint FROM kpis_kpiconnector")
            raw, hint = cursor.fetchone()
        assert url not in raw and "PASSWORD" not in hint
        log = runs.run(connector)
        assert (log.ok, log.rows_added, log.error) == (True, 3, "")
        assert (
            dict(Measurement.objects.filter(kpi=kpi).values_list("date", "value"))[DAYS[0]] == 100
        )
        runs.save_connector(kpi, {"query": WRITE_SQL[backend]}, actor=None, connector=connector)
        refused = runs.run(connector)
        assert not refused.ok
        assert "refused the query" in refused.error
        assert "read" in refused.error.lower()  # "readonly database" / "read-only transaction"


@pytest.mark.django_db
def test_sqlite_files_only_from_the_allowed_folder(settings, tmp_path):
    settings.CAIRN_CONNECTORS_SQLITE_DIR = str(tmp_path / "allowed")
    (tmp_path / "allowed").mkdir()
    outside = tmp_path / "other.db"
    sqlite3.connect(outside).close()
    assert "only from the folder" in connectors.database_problem(f"sqlite:///{outside}")
    settings.CAIRN_CONNECTORS_SQLITE_DIR = ""
    assert "none is set" in connectors.database_problem(f"sqlite:///{outside}")
    assert (
        "PyMySQL" in connectors.database_problem("mysql://u:p@db.example.com/x")
        or connectors.HAS_PYMYSQL
    )


class WorkerRunsDueConnectors(TransactionTestCase):
    """The worker's periodic tick queues due connectors; the worker runs them."""

    def test_tick_then_worker(self):
        from cairn.kpis.connector_tasks import tick

        allowed = override_settings(CAIRN_CONNECTORS_ALLOW_PRIVATE=True, TASKS=DATABASE_QUEUE)
        with LoopbackServer() as server, allowed:
            org, users, kpi = make_org()
            runs.save_connector(
                kpi, {"kind": "csv_url", "url": server.base + "/orders.csv"}, actor=None
            )
            tick("test-worker")
            self.assertEqual(DBTaskResult.objects.count(), 1)
            call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
            log = KpiConnectorRun.objects.get()
            self.assertEqual((log.ok, log.rows_added, log.trigger), (True, 3, "schedule"))
            tick("test-worker")  # not due again for a day
            self.assertEqual(DBTaskResult.objects.count(), 1)


class DemoConnectorReadsItsOwnServer(StaticLiveServerTestCase):
    """The demo's connector reads the CSV file the server itself serves."""

    def test_the_demo_feed(self):
        from cairn.kpis import connector_demo

        with override_settings(
            CAIRN_BASE_URL=self.live_server_url, CAIRN_CONNECTORS_ALLOW_PRIVATE=True
        ):
            org, users, _ = make_org()
            connector = connector_demo.load(org, users["owner"])
            self.assertEqual(connector_demo.load(org, users["owner"]).pk, connector.pk)
            log = runs.run(connector)
        self.assertTrue(log.ok, log.error)
        self.assertEqual(log.rows_added, 52)
        kpi = Kpi.objects.get(name=connector_demo.NAME)
        self.assertEqual(kpi.measurement_count, 52)


class SecretKeyTests(TestCase):
    """The key comes from CAIRN_SECRETS_KEY; without one in production, secrets are refused."""

    def test_keys_rotate_and_a_missing_key_refuses_with_a_reason(self):
        from cryptography.fernet import Fernet

        from cairn.kpis import secrets

        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        with override_settings(CAIRN_SECRETS_KEY=old):
            stored = secrets.encrypt(TOKEN)
        with override_settings(CAIRN_SECRETS_KEY=f"{new},{old}"):
            self.assertEqual(secrets.decrypt(stored), TOKEN)  # the old key still opens it
        gone = self.assertRaisesMessage(secrets.SecretError, "can no longer be read")
        with override_settings(CAIRN_SECRETS_KEY=new), gone:
            secrets.decrypt(stored)
        with override_settings(CAIRN_SECRETS_KEY="", CAIRN_SECRETS_FROM_SECRET_KEY=False):
            org, users, kpi = make_org()
            with self.assertRaisesMessage(secrets.SecretError, "CAIRN_SECRETS_KEY"):
                runs.save_connector(
                    kpi,
                    {"kind": "csv_url", "url": "https://93.184.215.14/x.csv", "token": TOKEN},
                    actor=None,
                )
            self.assertFalse(KpiConnector.objects.exists())
            # A connector without secrets needs no key.
            runs.save_connector(
                kpi, {"kind": "csv_url", "url": "https://93.184.215.14/x.csv"}, actor=None
            )
        wrong = self.assertRaisesMessage(secrets.SecretError, "not a Fernet key")
        with override_settings(CAIRN_SECRETS_KEY="not-a-key"), wrong:
            secrets.encrypt(TOKEN)
