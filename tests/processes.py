"""Real processes for tests: a worker or a web server on the test's own database.

``shared_database`` lets another process see what the test writes: on PostgreSQL the test
database itself (``test_<name>``); on SQLite, whose test database lives in memory, a copy in
a file that the test's own connection then uses too. Use it in ``transaction=True`` tests,
so that rows are committed where the other process can read them.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def shared_database(folder: Path) -> Iterator[dict[str, str]]:
    """The environment that points a process at the test's database (see the module)."""
    db = connection.settings_dict
    if connection.vendor != "sqlite":
        auth = f"{quote(db['USER'])}:{quote(db['PASSWORD'])}@" if db["USER"] else ""
        port = f":{db['PORT']}" if db["PORT"] else ""
        try:
            yield {"DATABASE_URL": f"postgres://{auth}{db['HOST']}{port}/{db['NAME']}"}
        finally:
            _sessions_ended()
        return
    path = folder / "cairn.sqlite3"
    connection.ensure_connection()
    memory, name = connection.connection, db["NAME"]
    copy = sqlite3.connect(path)
    memory.backup(copy)  # schema and rows so far, in one go
    copy.close()
    # The next query opens the file, with the settings' options (WAL, IMMEDIATE, timeout).
    # The in-memory database lives on in ``memory`` and comes back afterwards.
    connection.connection, db["NAME"] = None, str(path)
    try:
        yield {"SQLITE_PATH": str(path)}
    finally:
        connection.close()
        connection.connection, db["NAME"] = memory, name


def _sessions_ended(timeout: float = 15) -> None:
    """Wait until the sessions of stopped processes are gone: the server ends them a moment
    after their client, and the test database cannot be dropped while one is left."""
    end = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < end:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if not cursor.fetchone()[0]:
                return
            time.sleep(0.1)


def process_env(database: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a Cairn process: tests' process settings, jobs in the database."""
    env = {
        k: v
        for k, v in os.environ.items()
        # the browser tests' async switch and the tests' immediate jobs stay here
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "TASKS_BACKEND", "DATABASE_URL", "SQLITE_PATH"}
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "tests.process_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        **database,
        **extra,
    }


class Process:
    """A child process whose output goes to a file the test can read while it runs."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        self.pid = self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the out-of-memory killer or a pulled plug would, and reap it."""
        self.popen.kill()
        self.popen.wait(10)

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def cairn(*args: str, env: dict[str, str], log: Path) -> Process:
    """Start ``cairn <args>``."""
    return Process([str(BIN / "cairn"), *args], env, log)


def gunicorn(port: int, env: dict[str, str], log: Path, workers: int = 2, threads: int = 8):
    """Start Cairn under gunicorn on 127.0.0.1:``port``."""
    args = [str(BIN / "gunicorn"), "cairn.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--threads", str(threads), "--timeout", "60"]
    args += ["--preload"]  # Django is imported once, before the fork: a quicker start
    return Process(args, env, log)


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.05):
    """Call ``check`` until it returns something true; fail saying ``what`` after ``timeout``."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"Gave up after {timeout} s waiting for {what}")
        time.sleep(every)
