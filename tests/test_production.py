"""The production shape: liveness and readiness, request ids in JSON logs, a 503 when the
database is out of reach, ``cairn migrate`` under a lock, and the container's entry point
run natively (migrate on start, serve, stop gracefully)."""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from cairn.core import health, logs
from cairn.core.management.commands.migrate import LOCK_KEY
from cairn.core.management.commands.serve import default_workers
from tests.base import CairnTestCase
from tests.processes import ROOT, cairn, free_port, process_env, shared_database, wait_for

SECRET = "production-test-secret-" + "x" * 40


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes, float]:
    """Status, headers, body and seconds taken of a GET, errors included."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, head, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, head, body = error.code, dict(error.headers), error.read()
    return status, head, body, time.monotonic() - started


class HealthTests(CairnTestCase):
    def setUp(self):
        super().setUp()
        health._migrated = False

    def test_liveness_answers_without_touching_the_database(self):
        with self.assertNumQueries(0):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertIn("no-store", response["Cache-Control"])

    def test_ready_when_the_database_answers_and_nothing_is_to_migrate(self):
        response = self.client.get("/readyz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}},
        )
        # The migrations are read once per process: later probes cost one query.
        with self.assertNumQueries(1):
            self.assertEqual(self.client.get("/readyz").status_code, 200)

    def test_a_migration_not_applied_makes_it_not_ready(self):
        last = MigrationRecorder.Migration.objects.filter(app="core").order_by("-name").first()
        last.delete()  # as if the code were newer than the database
        response = self.client.get("/readyz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "5")
        self.assertEqual(response.json()["checks"]["migrations"], "1 pending: run cairn migrate")
        self.assertEqual(response.json()["status"], "not ready")

    def test_redis_out_of_reach_makes_it_not_ready_quickly(self):
        port = free_port()  # nobody listens there
        redis = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        }
        with override_settings(REDIS_URL=f"redis://127.0.0.1:{port}/0", CACHES=redis):
            caches._settings = caches.settings = redis  # the handler reads them once
            try:
                started = time.monotonic()
                response = self.client.get("/readyz")
            finally:
                caches._settings = None
                caches.__dict__.pop("settings", None)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"]["cache"], "unreachable")
        self.assertEqual(response.json()["checks"]["database"], "ok")

    def test_both_probes_need_no_sign_in_and_no_https(self):
        self.client.logout()
        for path in ("/healthz", "/readyz"):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 200)
                self.assertEqual(self.client.post(path).status_code, 405)


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis on the loopback (Debian's redis-server, installed by test-services.sh)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def test_ready_with_a_real_redis(redis_server, client, db):
    redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server,
        }
    }
    with override_settings(REDIS_URL=redis_server, CACHES=redis):
        caches._settings = caches.settings = redis
        try:
            wait_for(lambda: client.get("/readyz").status_code == 200, 10, "Redis to answer")
            response = client.get("/readyz")
        finally:
            caches._settings = None
            caches.__dict__.pop("settings", None)
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "migrations": "ok"}


class RequestIdTests(CairnTestCase):
    def setUp(self):
        super().setUp()
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logs.JsonFormatter())
        self.handler.addFilter(logs.RequestIdFilter())
        self.logger = logging.getLogger("cairn.request")
        self.level = self.logger.level
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)

    def tearDown(self):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)
        super().tearDown()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def test_the_proxys_id_is_kept_sent_back_and_logged(self):
        response = self.client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.2"})
        self.assertEqual(response["X-Request-ID"], "edge-7f3a.2")
        (line,) = self.lines()
        self.assertEqual(line["request_id"], "edge-7f3a.2")
        self.assertEqual(line["path"], "/healthz")
        self.assertEqual(line["status"], 200)
        self.assertEqual(line["method"], "GET")
        self.assertIsInstance(line["duration_ms"], float)
        self.assertEqual(line["logger"], "cairn.request")
        self.assertEqual(line["level"], "INFO")
        self.assertTrue(line["time"].endswith("+00:00"))

    def test_a_missing_or_unsafe_id_is_replaced_by_a_new_one(self):
        sent_back = []
        for given in ("", "a b", "x" * 65, "<script>", "line\nbreak"):
            response = self.client.get("/healthz", headers={"X-Request-ID": given})
            sent_back.append(response["X-Request-ID"])
            self.assertRegex(response["X-Request-ID"], r"^[0-9a-f]{32}$")
        self.assertEqual(len(set(sent_back)), 5)
        self.assertEqual([line["request_id"] for line in self.lines()], sent_back)

    def test_lines_logged_during_a_request_carry_its_id(self):
        self.login()
        page = self.client.get(f"/o/{self.org.slug}/", headers={"X-Request-ID": "abc-123"})
        self.assertEqual(page.status_code, 200)
        self.assertEqual(self.lines()[-1]["request_id"], "abc-123")
        # Outside any request, the id is a dash.
        record = logging.makeLogRecord({"msg": "hello"})
        logs.RequestIdFilter().filter(record)
        self.assertEqual(record.request_id, "-")

    def test_an_exception_is_one_json_line_with_its_traceback(self):
        try:
            raise ValueError("broken figure")
        except ValueError:
            record = logging.LogRecord(
                "cairn.test", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
            )
        record.org = "summit"
        line = json.loads(logs.JsonFormatter().format(record))
        self.assertEqual(line["message"], "failed x")
        self.assertEqual(line["org"], "summit")
        self.assertIn("ValueError: broken figure", line["exception"])
        self.assertNotIn("\n", logs.JsonFormatter().format(record))


def test_serve_defaults_scale_with_the_cores():
    assert default_workers() == min(2 * (os.cpu_count() or 1) + 1, 12)
    help_text = subprocess.run(
        [str(Path(sys.executable).parent / "cairn"), "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--bind", "--workers", "--threads", "--timeout", "--graceful-timeout"):
        assert option in help_text


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_a_quick_503_and_liveness_still_answers(tmp_path):
    """The app server starts while PostgreSQL is out of reach (a restart, a failover)."""
    port = free_port()
    dead = f"postgres://cairn:cairn@127.0.0.1:{free_port()}/cairn"
    env = process_env({"DATABASE_URL": dead}, SECRET_KEY=SECRET)
    server = cairn(
        "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", env=env, log=tmp_path / "s.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/healthz"), 30, "the server to start")
        status, _, body, _ = get(f"{base}/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})

        status, _, body, _ = get(f"{base}/readyz")
        assert status == 503
        assert json.loads(body)["checks"] == {"database": "unreachable"}

        status, head, body, took = get(f"{base}/accounts/login/")
        assert status == 503, server.output()
        assert head["Retry-After"] == "10"
        assert b"Cairn cannot reach its database just now" in body
        assert took < 5  # fails fast, does not hang until the proxy gives up

        status, head, body, took = get(f"{base}/api/v1/orgs", Authorization="Bearer nope")
        assert status == 503
        assert json.loads(body)["detail"].startswith("Cairn cannot reach its database")
        assert took < 5
        assert "Traceback" not in server.output() or "OperationalError" in server.output()
    finally:
        server.stop()


def _answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_migrate_waits_for_another_server_holding_the_lock(tmp_path):
    with shared_database(tmp_path) as database:
        env = process_env(database)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            release = _pg_unlock
        else:
            path = Path(database["SQLITE_PATH"])
            held = open(path.with_name(path.name + ".migrate-lock"), "w")  # noqa: SIM115
            fcntl.flock(held, fcntl.LOCK_EX)

            def release():
                fcntl.flock(held, fcntl.LOCK_UN)
                held.close()

        migrate = cairn("migrate", "--noinput", env=env, log=tmp_path / "migrate.log")
        try:
            wait_for(lambda: "waiting for it" in migrate.output(), 60, "migrate to wait")
            time.sleep(1)
            assert migrate.alive(), "migrate went on while another held the lock"
        finally:
            release()
        assert migrate.popen.wait(60) == 0, migrate.output()
        assert "No migrations to apply." in migrate.output()


def _pg_unlock():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def test_two_servers_migrating_a_new_database_at_once_both_succeed(tmp_path):
    """As in compose.yaml: two app servers start together on an empty database."""
    env = {
        **process_env({"SQLITE_PATH": str(tmp_path / "new.sqlite3")}),
        "CAIRN_DATA_DIR": str(tmp_path),
    }
    first = cairn("migrate", "--noinput", env=env, log=tmp_path / "one.log")
    second = cairn("migrate", "--noinput", env=env, log=tmp_path / "two.log")
    assert first.popen.wait(180) == 0, first.output()
    assert second.popen.wait(180) == 0, second.output()
    outputs = first.output() + second.output()
    assert outputs.count("Applying core.0001_initial... OK") == 1, outputs
    assert "No migrations to apply." in outputs


def test_the_container_entry_point_migrates_serves_and_stops_gracefully(tmp_path):
    """deploy/docker-entrypoint.sh run natively: what the image's `web` command does."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE", "TASKS_BACKEND"}
    }
    env.update(
        CAIRN=str(Path(sys.executable).parent / "cairn"),
        CAIRN_DATA_DIR=str(tmp_path),
        CAIRN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        DEBUG="0",
        SECRET_KEY=SECRET,
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    # What the Dockerfile does at build time: static files collected, with hashed names.
    subprocess.run(
        [env["CAIRN"], "collectstatic", "--noinput", "-v", "0"], env=env, cwd=tmp_path, check=True
    )
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        web = subprocess.Popen(
            [str(ROOT / "deploy" / "docker-entrypoint.sh"), "web"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/readyz"), 180, "the app to be ready")
        status, _, body, _ = get(f"http://127.0.0.1:{port}/readyz")
        assert json.loads(body)["checks"]["migrations"] == "ok"
        # The sign-in page links the stylesheet by its hashed name, which WhiteNoise serves
        # compressed with a cache of a year (a new release has new names).
        status, _, body, _ = get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200
        css = re.search(rb'href="(/static/cairn/cairn\.[0-9a-f]{12}\.css)"', body)
        assert css, body[:2000]
        status, head, _, _ = get(
            f"http://127.0.0.1:{port}{css[1].decode()}", **{"Accept-Encoding": "gzip"}
        )
        assert status == 200
        assert "max-age=315360000" in head["Cache-Control"]
        assert head.get("Content-Encoding") == "gzip"
        web.send_signal(signal.SIGTERM)
        assert web.wait(40) == 0, log.read_text()
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(10)
    text = log.read_text()
    assert "Applying core.0001_initial... OK" in text
    # Cairn's own lines are JSON when DEBUG is off.
    request_lines = [json.loads(line) for line in text.splitlines() if '"cairn.request"' in line]
    assert any(line["path"] == "/readyz" for line in request_lines)
    assert "Shutting down: Master" in text


def test_the_container_files_agree_with_each_other_and_the_settings():
    """compose.yaml, deploy/nginx.conf and the Dockerfile name the same services, files and
    settings: a renamed service or setting breaks this, not a company's deployment."""
    import yaml

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "app1", "app2", "worker", "proxy"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert [services[name]["command"] for name in ("app1", "app2", "worker")] == [
        ["web"],
        ["web"],
        ["worker"],
    ]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = set(re.findall(r"^\s*server (\w+):8000", nginx, re.M))
    assert upstreams == {"app1", "app2"}
    mount = services["proxy"]["volumes"][0].split(":")[0]
    assert (ROOT / mount).resolve() == (ROOT / "deploy" / "nginx.conf")

    settings_text = (ROOT / "cairn" / "settings.py").read_text()
    known = set(
        re.findall(
            r"""(?:environ\.get|environ\[|envbool|envint)\(?\s*["'](\w+)["']""", settings_text
        )
    )
    known |= {"DATABASE_URL", "REDIS_URL", "FORWARDED_ALLOW_IPS"}  # read by dj-database-url,
    # the settings and gunicorn (cairn serve)
    environment = services["app1"]["environment"]
    assert set(environment) <= known, set(environment) - known

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    for source in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / source).exists(), source
    assert "USER cairn" in dockerfile and "collectstatic" in dockerfile
    assert os.access(ROOT / "deploy" / "docker-entrypoint.sh", os.X_OK)
