"""``cairn backup`` and ``cairn restore`` as real processes on the test's database (a SQLite
file, or the PostgreSQL test database itself, which the restore replaces): a round trip
gives every organisation back exactly as exported before; a damaged, foreign or other
vendor's file is refused and changes nothing."""

import gzip
import io
import json
import os
import sqlite3
import subprocess
import tarfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from cairn import demo
from cairn.core import backups
from cairn.core.models import AuditVia, Organization
from cairn.goals.models import BusinessGoal
from cairn.kpis.models import Measurement
from cairn.portfolio.models import Initiative
from cairn.transfer import orgfile
from tests.processes import BIN, ROOT, cairn, free_port, process_env, shared_database, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """``cairn <args>`` to its end; its output as text."""
    return subprocess.run(
        [str(BIN / "cairn"), *args, "--skip-checks"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def exports(folder: Path) -> dict[str, dict]:
    """Every organisation's file from ``cairn export-org``, without the time it was made."""
    folder.mkdir(exist_ok=True)
    files = {}
    for slug in Organization.objects.order_by("slug").values_list("slug", flat=True):
        call_command("export-org", "--org", slug, folder / f"{slug}.json", stdout=io.StringIO())
        data = json.loads((folder / f"{slug}.json").read_text())
        del data["exported_at"]
        files[slug] = data
    return files


def media_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def installation(tmp_path):
    """The demo's organisations and a third, on a database other processes share, with
    uploaded files in a folder of their own: the environment of a Cairn process there."""
    summit = demo.load()
    owner = User.objects.get(username="demo-owner")
    orgfile.import_organization(
        orgfile.export(summit), name="Second Outfitters", actor=owner, via=AuditVia.CLI
    )
    media = tmp_path / "media"
    (media / "logos").mkdir(parents=True)
    (media / "logos" / "summit.png").write_bytes(os.urandom(3000))
    (media / "readme.txt").write_text("kept as it was\n")
    (tmp_path / "backup_settings.py").write_text(
        f"from tests.process_settings import *  # noqa: F403\nMEDIA_ROOT = {str(media)!r}\n"
    )
    with shared_database(tmp_path) as database:
        yield process_env(
            database,
            DJANGO_SETTINGS_MODULE="backup_settings",
            PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
            CAIRN_DATA_DIR=str(tmp_path / "var"),
        )


def test_round_trip_gives_every_organisation_back(installation, tmp_path):
    env, media = installation, tmp_path / "media"
    # The backup is of a database one migration behind the code, as after an upgrade of
    # Cairn without `cairn migrate`: the restore says to run it.
    newest = MigrationRecorder.Migration.objects.filter(app="core").latest("id")
    newest_row = {"app": newest.app, "name": newest.name, "applied": newest.applied}
    newest.delete()
    try:
        before = exports(tmp_path / "before")
        assert len(before) == 3 and before["summit"]["tables"]["portfolio.Initiative"]
        files_before = media_tree(media)

        made = run("backup", "--output", str(tmp_path), env=env, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        (path,) = tmp_path.glob("cairn-backup-*.tar.gz")
        assert f"Wrote {path} (" in made.stdout
        assert "uploaded files: 2" in made.stdout
        assert path.stat().st_mode & 0o077 == 0  # password hashes inside: the owner's only
        with tarfile.open(path) as tar:
            names = tar.getnames()
            manifest = json.load(tar.extractfile("manifest.json"))
        database = backups.DATABASE_FILE[connection.vendor]
        assert names == ["manifest.json", database, "media/logos/summit.png", "media/readme.txt"]
        assert manifest["database"]["vendor"] == connection.vendor
        assert f"core.{newest_row['name']}" not in manifest["migrations"]
        assert "goals.0001_initial" in manifest["migrations"]
        assert [f["size"] for f in manifest["files"][1:]] == [3000, 15]

        # Everything changes: renamed, deleted, added; a table that the backup has not.
        summit = Organization.objects.get(slug="summit")
        Organization.objects.filter(pk=summit.pk).update(name="Renamed")
        Initiative.objects.filter(organization__slug="second-outfitters").delete()
        Measurement.objects.filter(kpi__organization=summit).delete()
        Organization.objects.create(name="Added later", slug="added-later")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE stray_newer (id integer PRIMARY KEY, "
                "org_id bigint REFERENCES core_organization (id))"
            )
            cursor.execute("INSERT INTO stray_newer VALUES (1, %s)", [summit.pk])
        (media / "readme.txt").write_text("changed\n")
        (media / "logos" / "summit.png").unlink()
        (media / "new.pdf").write_bytes(b"%PDF-1.7")
        assert exports(tmp_path / "changed") != before

        back = run("restore", str(path), "--yes", env=env, cwd=tmp_path)
        assert back.returncode == 0, back.stderr
        assert "Restored the " in back.stdout
        assert "Restored 2 uploaded files" in back.stdout
        assert "1 migrations behind this one): run `cairn migrate`" in back.stdout

        after = exports(tmp_path / "after")
        assert after == before
        assert media_tree(media) == files_before
        assert "stray_newer" not in connection.introspection.table_names()
    finally:
        MigrationRecorder.Migration.objects.get_or_create(
            app=newest_row["app"], name=newest_row["name"], defaults=newest_row
        )


def rewrite(source: Path, target: Path, change) -> Path:
    """A copy of a backup with its members changed by ``change(name, data) -> (name, data)``
    (None drops one), packed again as a well-formed .tar.gz."""
    with tarfile.open(source) as tar, tarfile.open(target, "w:gz") as out:
        for member in tar.getmembers():
            changed = change(member.name, tar.extractfile(member).read())
            if changed is None:
                continue
            name, data = changed
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def refused(path: Path, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("restore", path, "--yes", stdout=io.StringIO())
    assert message in str(caught.value)


def test_damaged_foreign_and_other_vendor_files_are_refused(installation, tmp_path):
    env, media = installation, tmp_path / "media"
    made = run("backup", "--output", str(tmp_path / "good.tar.gz"), env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    good = tmp_path / "good.tar.gz"
    Organization.objects.filter(slug="summit").update(name="Changed after the backup")
    before, files_before = exports(tmp_path / "before"), media_tree(media)
    database = backups.DATABASE_FILE[connection.vendor]

    # Cut short, as by a full disk or an interrupted copy: the command line says so plainly.
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    result = run("restore", str(cut), "--yes", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"CommandError: {cut} is damaged")
    assert "Traceback" not in result.stderr

    # One byte of the database changed, the archive well formed: the checksum tells.
    def flip(name, data):
        if name == database:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
        return name, data

    refused(rewrite(good, tmp_path / "flipped.tar.gz", flip), "does not match its checksum")
    refused(
        rewrite(good, tmp_path / "short.tar.gz", lambda n, d: None if n == database else (n, d)),
        f"{database} missing",
    )
    refused(
        rewrite(good, tmp_path / "extra.tar.gz", lambda n, d: ("../evil" if "png" in n else n, d)),
        "../evil is not in its manifest",
    )

    # Not Cairn's: any other .tar.gz, a text file, no file at all.
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.add(tmp_path / "backup_settings.py", arcname="settings.py")
    refused(other, "is not a Cairn backup (it has no manifest)")
    (tmp_path / "notes.txt").write_text("not a backup")
    refused(tmp_path / "notes.txt", "is not a Cairn backup (not a .tar.gz file)")
    gzip_json = tmp_path / "org.json.gz"
    gzip_json.write_bytes(gzip.compress(b"{}"))
    refused(gzip_json, "is damaged")
    refused(tmp_path / "missing.tar.gz", "There is no file")

    # The other vendor's backup (its manifest says so, its database has the other's name).
    there = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def other_vendor(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["database"]["vendor"] = there
            manifest["files"][0]["name"] = backups.DATABASE_FILE[there]
            return name, json.dumps(manifest).encode()
        return (backups.DATABASE_FILE[there] if name == database else name), data

    foreign = rewrite(good, tmp_path / "foreign.tar.gz", other_vendor)
    result = run("restore", str(foreign), "--yes", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"This backup is of a {backups.VENDOR_NAME[there]} database and this Cairn uses" in (
        result.stderr
    )

    # Made by a newer Cairn: its database has a migration this code does not know.
    def newer(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["migrations"].append("core.9999_from_the_future")
            manifest["cairn_version"] = "9.0"
            return name, json.dumps(manifest).encode()
        return name, data

    refused(rewrite(good, tmp_path / "newer.tar.gz", newer), "made by a newer version of Cairn")

    # Without --yes, anything but "yes" restores nothing.
    result = subprocess.run(
        [str(BIN / "cairn"), "restore", str(good), "--skip-checks"],
        env=env,
        cwd=tmp_path,
        input="no\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "This replaces the " in result.stdout
    assert "Nothing was restored" in result.stderr

    assert exports(tmp_path / "after") == before
    assert media_tree(media) == files_before


def test_plain_errors_for_missing_tools_and_an_unreachable_database(tmp_path):
    """The same on either test run: a PostgreSQL that nobody listens for."""
    port = free_port()
    env = process_env(
        {"DATABASE_URL": f"postgres://cairn:wrong@127.0.0.1:{port}/nothing"},
        CAIRN_DATA_DIR=str(tmp_path / "var"),
    )
    empty = tmp_path / "no-tools"
    empty.mkdir()
    result = run("backup", "--pg-bin", str(empty), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"CommandError: pg_dump is not in {empty} (--pg-bin)."
    result = run("backup", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f'CommandError: Cannot reach the PostgreSQL database "nothing" on 127.0.0.1:{port}'
    )
    assert "wrong" not in result.stderr
    assert not list(tmp_path.glob("*.tar.gz")) and not list(tmp_path.glob(".cairn-*"))


WRITER = """
import datetime, pathlib, time
from django.db import transaction
from cairn.goals.models import BusinessGoal
stop, n = pathlib.Path({stop!r}), 0
while not stop.exists():
    with transaction.atomic():  # two rows or none: a consistent copy has pairs only
        for _ in range(2):
            BusinessGoal.objects.create(
                organization_id={org}, title=f"pair {{n}}", target_date=datetime.date(2030, 1, 1)
            )
            time.sleep(0.005)
    n += 1
"""


def test_a_backup_taken_while_people_save_is_consistent(tmp_path):
    """A writer commits goals two by two while the backup runs: the restored database has
    every pair whole, some written before the backup, none of those written after."""
    org = Organization.objects.create(name="Busy", slug="busy")
    pairs = BusinessGoal.objects.filter(organization=org)
    stop = tmp_path / "stop"
    with shared_database(tmp_path) as database:
        env = process_env(database, CAIRN_DATA_DIR=str(tmp_path / "var"))
        code = WRITER.format(stop=str(stop), org=org.pk)
        writer = cairn("shell", "-c", code, env=env, log=tmp_path / "writer.log")
        try:
            wait_for(lambda: pairs.count() >= 20, 120, "the writer's first goals")
            made = run("backup", "--output", str(tmp_path / "busy.tar.gz"), env=env, cwd=tmp_path)
            assert made.returncode == 0, made.stderr
            written_by_then = pairs.count()
            wait_for(lambda: pairs.count() > written_by_then + 20, 60, "goals after the backup")
        finally:
            stop.touch()
            writer.popen.wait(60)
        assert writer.popen.returncode == 0, writer.output()
        written = pairs.count()
        back = run("restore", str(tmp_path / "busy.tar.gz"), "--yes", env=env, cwd=tmp_path)
        assert back.returncode == 0, back.stderr
        titles = Counter(pairs.values_list("title", flat=True))
        assert 20 <= sum(titles.values()) <= written_by_then < written
        assert set(titles.values()) == {2}, titles


@contextmanager
def tables_held(database: dict[str, str]):
    """Another program in the middle of a write, as an app server left running would be."""
    if "SQLITE_PATH" in database:
        lock = sqlite3.connect(database["SQLITE_PATH"], isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
    else:
        db = connection.settings_dict
        lock = psycopg.connect(
            host=db["HOST"],
            port=db["PORT"],
            user=db["USER"],
            password=db["PASSWORD"],
            dbname=db["NAME"],
            application_name="app-server-left-running",
        )
        lock.execute("UPDATE core_organization SET name = name")
    try:
        yield
    finally:
        lock.rollback()
        lock.close()


def test_a_restore_kept_waiting_by_another_program_gives_up_and_changes_nothing(tmp_path):
    Organization.objects.create(name="Before the backup", slug="waiting")
    with shared_database(tmp_path) as database:
        # SQLite's busy timeout shortened, as an operator may: each try waits 1 s.
        env = process_env(database, CAIRN_DATA_DIR=str(tmp_path / "var"), SQLITE_TIMEOUT="1")
        made = run("backup", "--output", str(tmp_path / "b.tar.gz"), env=env, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        Organization.objects.filter(slug="waiting").update(name="After the backup")
        with tables_held(database):
            args = ["restore", str(tmp_path / "b.tar.gz"), "--yes", "--wait", "2"]
            result = run(*args, env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert "CommandError: The restore waited 2 s for tables held by " in result.stderr
        if connection.vendor == "postgresql":
            assert "(app-server-left-running)" in result.stderr
        assert "Nothing was restored" in result.stderr
        assert Organization.objects.get(slug="waiting").name == "After the backup"
