"""Restoring a backup made by ``cairn backup`` (see ``cairn.core.backups``): the whole file
is read and checked before anything is written, then the database and the uploaded files are
replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import connection, transaction

from cairn.core.backups import (
    CHUNK,
    DATABASE_FILE,
    FORMAT,
    LOCK_WAIT,
    MANIFEST,
    MEDIA,
    VENDOR_NAME,
    VERSION,
    Backup,
    BackupError,
    _connect,
    _copy_hashed,
    _tool_failure,
    code_migrations,
    describe_database,
    media_root,
    pg_env,
    pg_tool,
    vendor,
)

# --- Reading a backup


@contextmanager
def read(path: Path, scratch: Path | None = None) -> Iterator[Backup]:
    """Read and check a whole backup, unpacking it into a temporary folder (in ``scratch``
    if given); refuse a file that is missing, not a Cairn backup, or damaged."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    with open(path, "rb") as f:
        if f.read(2) != b"\x1f\x8b":
            raise BackupError(f"{path} is not a Cairn backup (not a .tar.gz file).")
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".cairn-restore-") as folder:
        manifest = _unpack(path, Path(folder))
        yield Backup(path=path, manifest=manifest, folder=Path(folder))


def _is_read_error(error: OSError) -> bool:
    # gzip's "Not a gzipped file", "CRC check failed" and truncated streams are OSErrors.
    return error.errno is None


def _unpack(path: Path, folder: Path) -> dict[str, Any]:
    manifest = None
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile() or first.size > CHUNK:
                raise BackupError(f"{path} is not a Cairn backup (it has no manifest).")
            manifest = _manifest(tar.extractfile(first).read(), path)
            _unpack_members(tar, manifest, path, folder)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        if isinstance(e, OSError) and not _is_read_error(e):
            raise
        what = "is damaged" if manifest else "is not a Cairn backup, or it is damaged"
        raise BackupError(
            f"{path} {what}: it cannot be read to its end ({e}). Nothing was restored."
        ) from None
    return manifest


def _unpack_members(tar: tarfile.TarFile, manifest: dict, path: Path, folder: Path) -> None:
    """Every member after the manifest, into ``folder``, each checked against it."""
    expected = {f["name"]: f for f in manifest["files"]}
    seen: set[str] = set()
    while (member := tar.next()) is not None:
        entry = expected.get(member.name)
        if entry is None or not member.isfile() or member.name in seen:
            raise BackupError(f"{path} is damaged: {member.name} is not in its manifest.")
        target = folder / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with tar.extractfile(member) as src:
            copied = _copy_hashed(src, target)
        if copied != {"size": entry["size"], "sha256": entry["sha256"]}:
            raise BackupError(
                f"{path} is damaged: {member.name} does not match its checksum. "
                "Nothing was restored."
            )
        seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{path} is damaged: {', '.join(missing)} missing.")


def _manifest(raw: bytes, path: Path) -> dict[str, Any]:
    """The manifest, checked for shape: every name it lists is one the restore expects."""
    try:
        manifest = json.loads(raw)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Cairn backup (its manifest is not Cairn's).")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a Cairn backup of format {manifest.get('version')}; this Cairn reads "
            f"format {VERSION}. Restore it with the version of Cairn that made it."
        )
    try:
        kind = manifest["database"]["vendor"]
        names = [f["name"] for f in manifest["files"]]
        for f in manifest["files"]:
            int(f["size"]), str(f["sha256"])
        if not all(isinstance(m, str) and "." in m for m in manifest["migrations"]):
            raise TypeError
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"{path} is damaged: its manifest is incomplete.") from None
    if kind not in DATABASE_FILE or DATABASE_FILE[kind] not in names:
        raise BackupError(f"{path} is damaged: its manifest names no database.")
    for name in names:
        parts = PurePosixPath(name).parts
        if name != DATABASE_FILE[kind] and not (
            len(parts) > 1
            and parts[0] == MEDIA
            and not PurePosixPath(name).is_absolute()
            and ".." not in parts
            and "\\" not in name
        ):
            raise BackupError(f"{path} is damaged: its manifest lists {name!r}.")
    return manifest


# --- Restore


def check_restorable(backup: Backup) -> None:
    """Refuse a backup that this installation cannot take: another database vendor, or
    migrations this version of Cairn does not have (the backup is from a newer one)."""
    here = vendor()
    if backup.vendor != here:
        raise BackupError(
            f"This backup is of a {VENDOR_NAME[backup.vendor]} database and this Cairn uses "
            f"{VENDOR_NAME[here]}: nothing was restored. To move between the two, export each "
            "organisation (cairn export-org) and import it on the other (cairn import-org)."
        )
    newer = sorted(backup.migrations - code_migrations())
    if newer:
        names = ", ".join(f"{app}.{name}" for app, name in newer[:5])
        raise BackupError(
            f"This backup was made by a newer version of Cairn "
            f"({backup.manifest['cairn_version']}): its database has migrations this version "
            f"does not know ({names}). Upgrade Cairn first, then restore. Nothing was restored."
        )


def when(backup: Backup) -> str:
    """When the backup was made, as people read it: 2 December 2026 at 17:53 UTC."""
    made = datetime.fromisoformat(backup.manifest["created_at"]).astimezone(UTC)
    return f"{made.day} {made:%B %Y} at {made:%H:%M} UTC"


def migrations_behind(backup: Backup) -> int:
    """How many of this version's migrations the backup's database has not had."""
    return len(code_migrations() - backup.migrations)


def restore(backup: Backup, *, pg_bin: str | None = None, wait: float = LOCK_WAIT) -> list[str]:
    """Replace the configured database and the uploaded files with the backup's; returns
    what was done, line by line."""
    check_restorable(backup)
    done = []
    if backup.vendor == "postgresql":
        pg_restore = pg_tool("pg_restore", pg_bin)
        _connect()
        done += _restore_postgresql(pg_restore, backup, wait)
    else:
        _connect()
        _restore_sqlite(backup.database, wait)
    done.append(f"Restored {describe_database()} as it was on {when(backup)}.")
    done += _restore_media(backup)
    return done


def _restore_postgresql(pg_restore: str, backup: Backup, wait: float) -> list[str]:
    done = []
    # Tables the backup has not, made by later migrations, would keep pg_restore from
    # dropping the tables they point to, and `cairn migrate` from creating them again.
    keep = set(backup.manifest["database"].get("tables") or [])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        extra = sorted({row[0] for row in cursor.fetchall()} - keep) if keep else []
    if extra:
        names = ", ".join(connection.ops.quote_name(t) for t in extra)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {names} CASCADE")
        done.append(f"Removed {len(extra)} tables the backup does not have.")
    connection.close()  # this process holds nothing while pg_restore replaces the tables
    args = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--no-password",
        f"--dbname={connection.settings_dict['NAME']}",
        str(backup.database),
    ]
    _restore_watched(args, wait)
    return done


def _restore_watched(args: list[str], wait: float) -> None:
    """Run pg_restore, stopping it if other sessions keep it waiting for their tables longer
    than ``wait`` seconds. (Its lock_timeout cannot be set: the dump's preamble resets it.)"""
    name = f"cairn-restore-{os.getpid()}"
    env = {**pg_env(), "PGAPPNAME": name}
    blocked_since, blockers = None, []
    with subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        while True:
            try:
                _, stderr = process.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                pass
            blockers = _blocking_sessions(name)
            blocked_since = (blocked_since or time.monotonic()) if blockers else None
            if blocked_since and time.monotonic() - blocked_since > wait:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = %s",
                        [name],
                    )
                process.communicate()
                connection.close()
                raise BackupError(busy(wait, ", ".join(blockers)))
    connection.close()
    if process.returncode:
        raise BackupError(_tool_failure("pg_restore", stderr))


def _blocking_sessions(name: str) -> list[str]:
    """The sessions that the session called ``name`` waits for, described for people."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT b.pid, b.application_name, host(b.client_addr) "
            "FROM pg_stat_activity w, unnest(pg_blocking_pids(w.pid)) AS blocker(pid) "
            "JOIN pg_stat_activity b ON b.pid = blocker.pid "
            "WHERE w.application_name = %s ORDER BY b.pid",
            [name],
        )
        return [
            " ".join(filter(None, [f"process {pid}", app and f"({app})", addr and f"from {addr}"]))
            for pid, app, addr in cursor.fetchall()
        ]


def busy(wait: float, who: str) -> str:
    return (
        f"The restore waited {wait:g} s for tables held by {who}: an app server or a "
        "worker still running? Nothing was restored. Stop them and restore again."
    )


def _restore_sqlite(database: Path, wait: float) -> None:
    source = sqlite3.connect(database)
    started = time.monotonic()

    def give_up_when_busy(status, remaining, total):
        # Python retries a locked database for ever; this ends it (nothing copied).
        waited = time.monotonic() - started
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and waited > wait:
            raise BackupError(busy(wait, "another program"))

    try:
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"The backup's database is damaged ({database.name}).")
        # Through the backup API into the open database: its WAL and other connections are
        # handled by SQLite, where replacing the file under them would corrupt it.
        source.backup(connection.connection, progress=give_up_when_busy)
    except sqlite3.Error as e:
        raise BackupError(f"Could not restore {describe_database()}: {e}") from None
    finally:
        source.close()


def _restore_media(backup: Backup) -> list[str]:
    root = media_root()
    names = backup.media_files
    if not backup.manifest["media"]["included"]:
        return []
    if root is None:
        if names:
            return [
                f"The backup holds {len(names)} uploaded files, but this Cairn keeps none on "
                "the disk (no MEDIA_ROOT): they were not restored."
            ]
        return []
    # The new folder is made complete beside the old one, then swapped in.
    root.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}-restoring-"))
    for name in names:
        target = fresh / PurePosixPath(name).relative_to(MEDIA)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(backup.folder / name, target)
    old = root.with_name(f".{root.name}-before-restore")
    if root.exists():
        shutil.rmtree(old, ignore_errors=True)
        root.rename(old)
    fresh.rename(root)
    shutil.rmtree(old, ignore_errors=True)
    return [f"Restored {len(names)} uploaded files into {root}."]
