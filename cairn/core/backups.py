"""A whole Cairn installation in one ``.tar.gz`` file, and back (``cairn backup``,
``cairn restore``).

The file holds, in this order: ``manifest.json`` (what made the file, the database vendor,
the migrations applied, every other member's size and SHA-256), the database
(``database.pgdump``, a ``pg_dump --format=custom`` on PostgreSQL; ``database.sqlite3``, a
copy made through SQLite's online backup API) and the uploaded files under ``media/``, if
the default storage is a folder on the disk. Both copies are consistent while the app runs:
pg_dump reads one snapshot, the one the migrations are read from; SQLite's backup API copies
the file under a read lock, which WAL lets writers work beside.

A restore (``cairn.core.restores``) reads and checks the whole file before it writes anything.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from io import BytesIO
from pathlib import Path
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
