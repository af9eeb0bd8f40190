"""A million measurements through the web import and the background worker, as in production.

The upload is posted to the *Import measurements* page (Django's test client, in this
process); ``cairn worker --batch`` then runs in a child process on the same SQLite file
(or DATABASE_URL's database). Prints how long the request took, how long the worker took,
the worker's peak memory (getrusage of the child), the progress the job's page showed, and
what happened to a change saved by someone else while the import held the database.

    .venv/bin/python benchmarks/import_job.py [ROWS]      # 1,000,000 by default

The CSV is generated in a temporary folder and deleted; nothing here is committed data.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


class _Server:
    """Cairn under gunicorn on a free port, with the benchmark's session and CSRF token."""

    def __init__(self, session: str):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        args = [str(BIN / "gunicorn"), "cairn.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", "2", "--threads", "4", "--timeout", "60"]
        # As in production: DEBUG off, so that a busy database is the 503 page, not a trace.
        env = {**os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0"}
        subprocess.run([str(BIN / "cairn"), "collectstatic", "--noinput", "-v0"], env=env)
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        self.csrf = "b" * 32  # a cookie token of our own choosing, sent back in the form
        self.cookie = f"sessionid={session}; csrftoken={self.csrf}"
        for _ in range(200):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def get(self, url: str) -> str:
        from urllib.request import Request, urlopen

        with urlopen(Request(self.base + url, headers={"Cookie": self.cookie}), timeout=60) as r:
            return r.read().decode()

    def post(self, url: str, fields: dict, file: Path | None = None) -> tuple[str, str]:
        """POST with curl (a real multipart upload); returns (status, Location)."""
        args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"]
        args += ["-b", self.cookie, "-H", f"Referer: {self.base}/", "-F"]
        args += [f"csrfmiddlewaretoken={self.csrf}"]
        for k, v in fields.items():
            args += ["-F", f"{k}={v}"]
        if file is not None:
            args += ["-F", f"file=@{file}"]
        out = subprocess.run([*args, self.base + url], capture_output=True, text=True).stdout
        status, _, location = out.partition(" ")
        return status, location.removeprefix(self.base)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def main(n: int) -> dict:
    folder = Path(tempfile.mkdtemp())
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(folder / "bench.sqlite3")
    os.environ["CAIRN_DATA_DIR"] = str(folder)
    os.environ["STATIC_ROOT"] = str(folder / "static")
    os.environ["SECRET_KEY"] = "benchmark-" + os.urandom(24).hex()  # one for every process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
    os.environ.pop("TASKS_BACKEND", None)  # the real queue in the database
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from benchmarks.kpis import HOST, _kpis, _owner_and_org, _rows
    from cairn.assessment.models import Team
    from cairn.core.models import ImportJob

    call_command("migrate", verbosity=0)
    user, org = _owner_and_org("Bench import job")
    kpis = _kpis(org)
    team = Team.objects.create(organization=org, name="Finance", headcount=3)
    path = folder / "measurements.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["kpi", "date", "value", "source", "note"])
        for k, day, value, source, note in _rows(n, timezone.localdate()):
            out.writerow([kpis[k].name, day.isoformat(), value, source, note])
    size_mb = round(path.stat().st_size / 2**20, 1)

    client = Client(SERVER_NAME=HOST)
    client.force_login(user)  # signing in writes a session: before the import holds the lock
    server = _Server(client.cookies["sessionid"].value)
    try:
        start = time.perf_counter()
        status, location = server.post(
            f"/o/{org.slug}/ascent/import/", {"kind": "measurements"}, path
        )
        request_s = time.perf_counter() - start
        assert status == "302", status
        job = ImportJob.objects.get(organization=org)
        job_url = location

        env = {**os.environ}
        worker = subprocess.Popen(
            [str(BIN / "cairn"), "worker", "--batch", "--no-startup-delay"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return _follow(server, client, org, team, job, job_url, worker, n, size_mb, request_s)
    finally:
        server.stop()
        path.unlink()


def _follow(server, client, org, team, job, job_url, worker, n, size_mb, request_s) -> dict:
    """Poll the job's page until the worker ends; meanwhile someone saves a change."""
    from cairn.assessment.models import Team
    from cairn.core import imports

    started = time.perf_counter()
    usage: dict = {}

    def reap():
        _pid, status, rusage = os.wait4(worker.pid, 0)
        usage.update(status=status, rusage=rusage, seconds=time.perf_counter() - started)

    reaper = threading.Thread(target=reap)
    reaper.start()

    # Someone else saves a change while the import runs.
    edit: dict = {}

    def other_change():
        time.sleep(15)
        form = {"name": "Finance", "headcount": "4", "lead": "", "skills": "", "seen_version": "1"}
        t = time.perf_counter()
        status, _ = server.post(f"/o/{org.slug}/terrain/teams/{team.pk}/edit/", form)
        edit.update(status=status, seconds=round(time.perf_counter() - t, 1))

    editor = threading.Thread(target=other_change)
    editor.start()

    progress, page_ms = [], []
    while reaper.is_alive():
        t = time.perf_counter()
        page = client.get(job_url, headers={"HX-Request": "true"})
        page_ms.append((time.perf_counter() - t) * 1000)
        job.refresh_from_db()
        progress.append((round(time.perf_counter() - started), imports.rows_read(job)))
        assert page.status_code == 200
        reaper.join(2)
    editor.join()
    job.refresh_from_db()
    peak_mb = round(usage["rusage"].ru_maxrss / 1024, 1)
    return {
        "rows": n,
        "file_mb": size_mb,
        "request_seconds": round(request_s, 3),
        "job": {"state": job.state, "result": job.result, "rows_read": job.rows_read},
        "worker_seconds": round(usage["seconds"], 1),
        "worker_took": imports.took(job),
        "rows_per_second": round(n / (job.finished - job.started).total_seconds()),
        "worker_peak_memory_mb": peak_mb,
        "progress_seen": progress[:: max(1, len(progress) // 12)],
        # The first request loads every view (and OR-Tools): not a cost of the page.
        "job_page_ms": {
            "median": round(sorted(page_ms[1:])[len(page_ms[1:]) // 2], 1),
            "max": round(max(page_ms[1:]), 1),
        },
        "change_during_import": {
            **edit,
            "headcount_after": float(Team.objects.get(pk=team.pk).headcount),
        },
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
