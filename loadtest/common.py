"""What the load test's parts share: where things are, the load's size, and the clusters.

Imported once ``run.py`` runs in the tools virtualenv (with locust and requests).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import loopback  # noqa: F401 - Secure cookies sent to 127.0.0.1 (DEBUG is off)
import requests

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".venv-tools"
ARTIFACTS = ROOT / "test-artifacts"
OUT = ARTIFACTS / "loadtest"
BROWSERS, WRITERS = 50, 5
PAGE_GOAL_MS = 300
SIGN_INS_PER_SECOND = 3
BURST_WRITERS, BURST = 20, 15  # writers without a pause, for this many seconds
# Seconds measured in each phase, after everyone has arrived (signed in at the first).
STEADY = int(os.environ.get("LOADTEST_STEADY_SECONDS", 30))
FAULT = int(os.environ.get("LOADTEST_FAULT_SECONDS", 40))
FAULT_AT = 10  # seconds into a fault phase
CONFLICT_ROUNDS = 5
PAGES = ["dashboard", "path", "roadmap", "KPIs", "KPI page"]
SIGN_IN = {"sign-in form", "sign in"}
LOAD: list[str] = []  # the machine's load average as each phase starts: it is shared


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


class Cluster:
    """One scripts/cluster.sh cluster: started, read from its cluster.env, always stopped."""

    def __init__(self, kind: str, ports: dict[str, int] | None = None):
        self.kind = kind
        self.dir = Path(tempfile.mkdtemp(prefix=f"cairn-load-{kind}."))
        self.ports = {f"CLUSTER_{k}": str(v) for k, v in (ports or {}).items()}
        self.env: dict[str, str] = {}

    def script(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ROOT / "scripts" / "cluster.sh", *args],
            env={**os.environ, **self.ports},
            check=check,
        )

    def start(self) -> None:
        started = time.monotonic()
        self.script("start" if self.kind == "postgresql" else "start-sqlite", str(self.dir))
        self.started_in = time.monotonic() - started
        self.reload()

    def reload(self) -> None:
        self.env = {}
        for line in (self.dir / "cluster.env").read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                self.env[key] = value

    def stop(self) -> None:
        self.script("stop", str(self.dir), check=False)

    def db(self, *args: str) -> dict:
        """loadtest/db.py with Cairn's Python and the cluster's environment."""
        env = {**os.environ, **self.env}
        answer = subprocess.run(
            [Path(self.env["CAIRN_BIN"]) / "python", ROOT / "loadtest" / "db.py", *args],
            env={k: v for k, v in env.items() if k != "VIRTUAL_ENV"},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(answer.stdout.strip().splitlines()[-1])


def api(url: str, token: str, method: str = "GET", **kwargs) -> requests.Response:
    return requests.request(
        method, url, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs
    )


def background(call):
    """Run ``call`` in a thread; the function returned waits for it and raises its error."""
    failure = []

    def run():
        try:
            call()
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
            failure.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait():
        thread.join()
        if failure:
            raise failure[0]

    return wait
