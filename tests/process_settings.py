"""Settings of the server and worker processes that tests start (tests/processes.py).

Cairn's own settings, with two changes: errors are answered as in production (DEBUG off: the
500 and 503 pages, not Django's debug page), while the development secret stays, so that a
session the test signs in is valid in the server too; and SQLITE_TIMEOUT, when set, shortens
SQLite's busy timeout (seconds) so that a test can outlast it quickly.
"""

import os

from cairn.settings import *  # noqa: F403
from cairn.settings import DATABASES

DEBUG = False
if os.environ.get("SQLITE_TIMEOUT") and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"]["timeout"] = float(os.environ["SQLITE_TIMEOUT"])
