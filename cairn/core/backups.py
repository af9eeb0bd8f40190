"""A whole Cairn installation in one ``.tar.gz`` file, and back (``cairn backup``,
``cairn restore``).

The file holds, in this order: ``manifest.json`` (what made the file, the database vendor,
the migrations applied, every other member's size and SHA-256), the database
(``database.pgdump``, a ``pg_dump --format=custom`` on PostgreSQL; ``database.sqlite3``, a
copy made through SQLite's online backup API) and the uploaded files under ``media/``, if
the default storage is a folder on the disk. Both copies are consistent while the app runs:
pg_dump reads one snapshot, the one the migrations are read from; SQLite's backup API copies
the file under a read lock, which WAL lets writers work beside.

A restore reads and checks the whole file before it writes anything.
"""

from __future__ import annotations

import glob
import hashlib
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

FORMAT, VERSION = "cairn-backup", 1
MANIFEST = "manifest.json"
DATABASE_FILE = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
VENDOR_NAME = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
MEDIA = "media"
CHUNK = 1 << 20
# Seconds a restore waits for tables another program holds before it gives up (everything
# rolled back), rather than hang behind an app server left running.
LOCK_WAIT = 60


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator, as it is."""


@dataclass
class Backup:
    """A backup file read and checked: its manifest and its members, unpacked in ``folder``."""

    path: Path
    manifest: dict[str, Any]
    folder: Path

    @property
    def vendor(self) -> str:
        return self.manifest["database"]["vendor"]

    @property
    def database(self) -> Path:
        return self.folder / DATABASE_FILE[self.vendor]

    @property
    def media_files(self) -> list[str]:
        return [f["name"] for f in self.manifest["files"] if f["name"].startswith(MEDIA + "/")]

    @property
    def migrations(self) -> set[tuple[str, str]]:
        return {tuple(m.split(".", 1)) for m in self.manifest["migrations"]}


@dataclass
class Written:
    """What ``create`` wrote: the file, its size, and the sizes of its parts."""

    path: Path
    size: int
    vendor: str
    database_size: int
    media_files: int = 0
    media_size: int = 0
    notes: list[str] = field(default_factory=list)


def cairn_version() -> str:
    try:
        return metadata.version("cairn")
    except metadata.PackageNotFoundError:
        return "unknown"


def vendor() -> str:
    """The configured database's vendor, refused unless backups know how to copy it."""
    if connection.vendor not in DATABASE_FILE:
        raise BackupError(f"Backups work on SQLite and PostgreSQL, not on {connection.vendor}.")
    return connection.vendor


def describe_database() -> str:
    """The configured database in a few words, for messages."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        return f'the PostgreSQL database "{db["NAME"]}" on {where}'
    return f"the SQLite database {db['NAME']}"


# --- Uploaded files


def media_root() -> Path | None:
    """The folder of uploaded files, or None when there is none to copy: the default storage
    is not on the disk, or no folder was configured (Django's default, the current
    directory, is not a place Cairn keeps files in)."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return None
    given = settings.STORAGES.get("default", {}).get("OPTIONS", {}).get("location")
    if not (given or settings.MEDIA_ROOT):
        return None
    return Path(storage.location)


def _media_files(root: Path | None) -> list[Path]:
    if root is None or not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


# --- Tools


def pg_tool(name: str, folder: str | None = None) -> str:
    """The path of a PostgreSQL client program: in ``folder`` if given, else on PATH, else
    the newest of Debian's /usr/lib/postgresql/<version>/bin."""
    if folder:
        path = Path(folder) / name
        if os.access(path, os.X_OK) and path.is_file():
            return str(path)
        raise BackupError(f"{name} is not in {folder} (--pg-bin).")
    found = shutil.which(name)
    if found:
        return found
    debian = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if debian:
        return max(debian, key=lambda p: _version_key(Path(p).parent.parent.name))
    raise BackupError(
        f"{name} is not installed. It comes with PostgreSQL's client tools, of the server's "
        "version or newer (Debian: apt-get install postgresql-client); or name the folder "
        "that holds it with --pg-bin."
    )


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def pg_env() -> dict[str, str]:
    """The environment that points the PostgreSQL tools at the configured database. The
    password goes in PGPASSWORD, never on a command line that every user can list."""
    db = connection.settings_dict
    options = db.get("OPTIONS", {})
    env = dict(os.environ)
    wanted = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGSERVICE": options.get("service"),
        "PGCONNECT_TIMEOUT": options.get("connect_timeout"),
    }
    env.update({k: str(v) for k, v in wanted.items() if v not in (None, "")})
    env["PGAPPNAME"] = "cairn-backup"
    return env


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, env=pg_env(), capture_output=True, text=True, check=False)
    if result.returncode:
        raise BackupError(_tool_failure(what, result.stderr))


def _tool_failure(what: str, stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    text = " ".join(lines[-3:])
    if "server version mismatch" in text:
        return (
            f"{what} is older than the database server: install PostgreSQL's client tools "
            "of the server's version or newer (Debian: postgresql-client-<version>), or name "
            f"their folder with --pg-bin. ({text})"
        )
    return f"{what} failed: {text or 'no message'}"


def _connection_failure(error: Exception) -> BackupError:
    text = " ".join(str(error).split())
    if "password authentication failed" in text or "no password supplied" in text:
        return BackupError(f"The database refused the user name or password (DATABASE_URL): {text}")
    return BackupError(f"Cannot reach {describe_database()}: {text}")


def _connect() -> None:
    try:
        connection.ensure_connection()
    except DatabaseError as e:
        raise _connection_failure(e) from None


def _applied_migrations(cursor) -> list[str]:
    """The migrations applied, as "app.name" (an app's label holds no dot)."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


def code_migrations() -> set[tuple[str, str]]:
    """Every migration this version of Cairn ships (applied or not)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# --- Backup


def default_name(now: datetime) -> str:
    return f"cairn-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def create(output: Path | None = None, *, pg_bin: str | None = None) -> Written:
    """Write a backup of the configured database and the uploaded files to one file."""
    kind = vendor()
    now = datetime.now(UTC)
    target = Path(output) if output else Path.cwd()
    if target.is_dir():
        target = target / default_name(now)
    if target.exists():
        raise BackupError(f"{target} already exists: name another file.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent}.")
    pg_dump = pg_tool("pg_dump", pg_bin) if kind == "postgresql" else None
    _connect()

    # Staged beside the target, so that the finished file is renamed into place at once.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".cairn-backup-") as staging:
        stage = Path(staging)
        database = stage / DATABASE_FILE[kind]
        if kind == "postgresql":
            extra = _dump_postgresql(pg_dump, database)
        else:
            extra = _copy_sqlite(database)
        files = [_entry(database, DATABASE_FILE[kind])]
        root = media_root()
        for source in _media_files(root):
            name = f"{MEDIA}/{source.relative_to(root).as_posix()}"
            copy = stage / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            # Hashed while copied: a file changed meanwhile is in the backup as hashed.
            with open(source, "rb") as f:
                files.append({"name": name, **_copy_hashed(f, copy)})
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "cairn_version": cairn_version(),
            "created_at": now.isoformat(timespec="seconds"),
            "database": {"vendor": kind, **extra["database"]},
            "migrations": extra["migrations"],
            "media": {"included": root is not None, "location": str(root) if root else None},
            "files": files,
        }
        partial = stage / "backup.tar.gz"
        _write_tar(partial, manifest, stage)
        os.replace(partial, target)
    media = [f for f in files if f["name"].startswith(MEDIA + "/")]
    written = Written(
        path=target,
        size=target.stat().st_size,
        vendor=kind,
        database_size=files[0]["size"],
        media_files=len(media),
        media_size=sum(f["size"] for f in media),
    )
    if root is None:
        written.notes.append(
            "No uploaded files to copy: Cairn keeps documents and imports in the database."
        )
    return written


def _dump_postgresql(pg_dump: str, database: Path) -> dict[str, Any]:
    """pg_dump of the snapshot that the migrations and tables are read from."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        if "django_migrations" not in connection.introspection.table_names(cursor):
            raise BackupError(f"{describe_database()} has no Cairn tables: nothing to back up.")
        migrations = _applied_migrations(cursor)
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = sorted(row[0] for row in cursor.fetchall())
        # The snapshot lives as long as this transaction: pg_dump runs inside it.
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={database}",
            ],
            "pg_dump",
        )
    return {
        "database": {"server_version": server_version, "tables": tables},
        "migrations": migrations,
    }


def _copy_sqlite(database: Path) -> dict[str, Any]:
    """A copy through SQLite's online backup API: consistent, however busy the app is."""
    copy = sqlite3.connect(database)
    try:
        connection.connection.backup(copy)
        if "django_migrations" not in {
            row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }:
            raise BackupError(f"{describe_database()} has no Cairn tables: nothing to back up.")
        migrations = _applied_migrations(copy.cursor())
        # One self-contained file: the copy's own journal in the ordinary mode.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    return {"database": {"server_version": sqlite3.sqlite_version}, "migrations": migrations}


def _entry(path: Path, name: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return {"name": name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


def _copy_hashed(source: BinaryIO, target: Path) -> dict[str, Any]:
    """Copy an open file to ``target``; its size and SHA-256, of what was copied."""
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as dst:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _write_tar(path: Path, manifest: dict, stage: Path) -> None:
    # Only its owner may read it: the file holds every password hash and token.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    # A custom-format dump is compressed already: a quick level is enough.
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
        body = json.dumps(manifest, indent=1).encode()
        info = _info(MANIFEST, len(body))
        tar.addfile(info, BytesIO(body))  # first: a restore checks it before reading on
        for entry in manifest["files"]:
            with open(stage / entry["name"], "rb") as f:
                tar.addfile(_info(entry["name"], entry["size"]), f)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(datetime.now(UTC).timestamp())
    return info


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
