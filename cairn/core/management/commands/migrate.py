"""``cairn migrate``, safe to run from every app server at once: one migrates, the others
wait for it and then find nothing left to do.

On PostgreSQL the lock is a session advisory lock; on SQLite an exclusive lock on a file
beside the database. Django's own ``migrate`` does the rest, unchanged.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

from django.core.management.commands import migrate
from django.db import connections

# Any fixed 64-bit number, the same for every Cairn process: "cairn" in ASCII.
LOCK_KEY = 0x636169726E


class Command(migrate.Command):
    help = (
        migrate.Command.help + " Several servers may run it at once: one migrates, the "
        "others wait for it (a lock in the database)."
    )

    def handle(self, *args, **options):
        with migration_lock(options["database"], self.stdout, options["verbosity"]):
            return super().handle(*args, **options)


@contextmanager
def migration_lock(alias: str, out, verbosity: int = 1):
    connection = connections[alias]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                if verbosity:
                    out.write("Another server is migrating this database: waiting for it…")
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or name.startswith("file:"):
        yield  # an in-memory database is this process's alone
        return
    with open(Path(name).with_name(Path(name).name + ".migrate-lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if verbosity:
                out.write("Another server is migrating this database: waiting for it…")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
