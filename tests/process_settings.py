"""Settings of the server and worker processes that tests start (tests/processes.py).

Cairn's own settings, with one change: errors are answered as in production (DEBUG off: the
500 and 503 pages, not Django's debug page), while the development secret stays, so that a
session the test signs in is valid in the server too. A test shortens SQLite's busy timeout
with SQLITE_TIMEOUT, as an operator would.
"""

from cairn.settings import *  # noqa: F403

DEBUG = False
