"""Jobs for tests/test_worker.py, run by a real ``cairn worker`` process."""

import os
import signal
import time
from pathlib import Path

from django_tasks import task


@task()
def add(a: int, b: int) -> int:
    """A quick job with an answer to check."""
    return a + b


@task()
def nap(seconds: float) -> str:
    """A job that does not touch the database for a while."""
    time.sleep(seconds)
    return "rested"


@task()
def hang_once(marker: str) -> str:
    """The first run writes its process id to ``marker`` and hangs (for the test to kill
    its worker); any later run ends at once."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(120)
    return f"finished by {os.getpid()}"


@task()
def kill_own_worker() -> None:
    """A job that takes its worker down every time, as a segfaulting library would."""
    os.kill(os.getpid(), signal.SIGKILL)
