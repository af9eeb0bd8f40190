"""Imports that run in the background worker: the uploaded file is stored, the request
returns at once, and the worker imports it, all rows or none, while the job's page shows
the rows read so far and then the outcome.

Each import page calls ``start`` with its own task; the task calls ``run`` with the
function that imports the file (``assessment.importers.import_file`` and
``kpis.services.import_file``, in one transaction each).

Rows read are written where a web server can see them *during* the import's transaction:
on SQLite its one writer holds the lock until the end, so the worker writes a small file
in ``DATA_DIR`` (SQLite lives on one server anyway); on PostgreSQL a second connection
updates the job's row.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.utils import timezone

from cairn.core.models import IMPORT_JOB_DAYS, ImportChunk, ImportJob, ImportState, Organization
from cairn.core.services import ServiceError
from cairn.core.tabular import ImportRefused, Report, RowError

log = logging.getLogger(__name__)

CHUNK_BYTES = 2**20  # the file is stored in pieces this size: never all of it in memory
MAX_BYTES = 200 * 2**20  # a million measurements with long notes is about 60 MB
WORKER_LATE = timedelta(seconds=30)  # a running worker looks for new jobs every second
Importer = Callable[[ImportJob, IO[bytes], Callable[[int], None]], dict[str, int]]


def start(
    org: Organization, upload, *, kind: str, label: str, task, actor, preview: bool = False
) -> ImportJob:
    """Store an uploaded file (a Django ``UploadedFile``) and queue its import.

    ``task`` is the app's background task; it receives the job's id. With ``preview`` the
    worker first only reads the file and records what it would do; ``confirm`` then queues
    the import itself. Refuses a file over ``MAX_BYTES`` with ServiceError.
    """
    if upload.size > MAX_BYTES:
        raise ServiceError(
            f"The file is {upload.size / 2**20:,.0f} MB; an import takes at most "
            f"{MAX_BYTES // 2**20} MB. Split it into several files."
        )
    purge()
    name = os.path.basename(upload.name or "file")[:255]
    with transaction.atomic():
        job = ImportJob.objects.create(
            organization=org,
            kind=kind,
            label=label,
            filename=name,
            created_by=actor,
            dry_run=preview,
        )
        lines, size, last = 0, 0, b"\n"
        for number, data in enumerate(upload.chunks(CHUNK_BYTES)):
            ImportChunk.objects.create(job=job, number=number, data=data)
            lines += data.count(b"\n")
            size += len(data)
            last = data[-1:] or last
        if name.lower().endswith(".csv"):
            # Lines after the header: a cheap count, a little high when a cell holds a
            # line break or the file has blank lines (the bar then ends before 100 %).
            job.total_rows = max(lines - (last == b"\n"), 0)
        job.size = size
        job.save(update_fields=["total_rows", "size"])
    task.enqueue(job.pk)
    job.refresh_from_db()  # an immediate backend (tests, small installs) has already run it
    return job


def confirm(job: ImportJob, task) -> bool:
    """Queue the import of a previewed file, for real; False if it is no longer a preview."""
    confirmed = ImportJob.objects.filter(pk=job.pk, state=ImportState.PREVIEW).update(
        state=ImportState.WAITING, dry_run=False, created=timezone.now(), rows_read=0
    )
    if not confirmed:
        return False
    task.enqueue(job.pk)
    return True


def cancel(job: ImportJob) -> None:
    """Drop a previewed file: nothing was imported and nothing will be."""
    with transaction.atomic():
        if ImportJob.objects.filter(pk=job.pk, state=ImportState.PREVIEW).update(
            state=ImportState.CANCELLED, finished=timezone.now()
        ):
            ImportChunk.objects.filter(job=job).delete()


def recent(org: Organization, kinds: list[str], n: int = 5) -> list[ImportJob]:
    """The organisation's latest imports of these kinds, for the import page (one query)."""
    jobs = ImportJob.objects.filter(organization=org, kind__in=kinds).select_related("created_by")
    return list(jobs.defer("result")[:n])


def purge() -> int:
    """Delete jobs older than IMPORT_JOB_DAYS, their files with them; returns how many."""
    cutoff = timezone.now() - timedelta(days=IMPORT_JOB_DAYS)
    deleted, by_model = ImportJob.objects.filter(created__lt=cutoff).delete()
    for path in _progress_dir().glob("*.rows"):  # left behind by a worker that was killed
        try:
            if path.stat().st_mtime < cutoff.timestamp():
                path.unlink()
        except OSError:
            pass
    return by_model.get(ImportJob._meta.label, 0)


def run(job_id: int, importer: Importer) -> None:
    """The worker's part: import the stored file, record the outcome, delete the file.

    A job already finished (or purged) is left alone; one still marked running was claimed
    by a worker that died, whose transaction was undone, so it is run again.
    """
    job = ImportJob.objects.select_related("organization", "created_by").filter(pk=job_id).first()
    if job is None or not job.is_active:
        return
    _save(job, state=ImportState.RUNNING, started=timezone.now(), rows_read=0)
    progress = Progress(job)
    state, result = ImportState.FAILED, {"error": "The import stopped unexpectedly."}
    try:
        with _stored_file(job) as file:
            result = importer(job, file, progress)
        state = ImportState.DONE
    except ImportRefused as e:
        state, result = ImportState.REFUSED, report_data(e.report)
    except OperationalError as e:
        if "locked" not in str(e):
            raise
        result = {"error": "The database was busy with other changes for too long. Try again."}
    finally:
        # Recorded even when the import raised (then re-raised for the worker's log).
        rows = progress.rows  # reported every ~1000 rows; the counts say the last ones
        previewed = state == ImportState.DONE and job.dry_run
        if previewed:
            state = ImportState.PREVIEW  # the file is kept for the import itself
        if state in (ImportState.DONE, ImportState.PREVIEW):
            # Rows of the file; an import's other counts ("replaced") are not rows.
            counts = ("added", "updated", "unchanged")
            rows = max(rows, sum(result.get(k, 0) for k in counts))
        try:
            if not previewed:
                ImportChunk.objects.filter(job=job).delete()
            _save(job, state=state, result=result, finished=timezone.now(), rows_read=rows)
        finally:
            progress.close()  # after the save, so that a page never reads rows fall back


def background_import_failed(task_result, why: str) -> None:
    """An import job that ended failed before ``run`` could say so (its worker was lost for
    good, ``cairn.core.failed_jobs``): the import, if still waiting or running, is failed and
    its file deleted. Nothing of it was imported: its transaction ended with the worker."""
    error = f"The import stopped before it finished ({why}). Import the file again."
    active = ImportJob.objects.filter(
        pk=task_result.args[0], state__in=[ImportState.WAITING, ImportState.RUNNING]
    )
    with transaction.atomic():
        job = active.select_for_update().first()
        if job is None:  # run() recorded how it ended
            return
        ImportChunk.objects.filter(job=job).delete()
        _save(job, state=ImportState.FAILED, result={"error": error}, finished=timezone.now())
    _progress_path(job).unlink(missing_ok=True)  # left by the killed worker on SQLite


def report_data(report: Report) -> dict[str, Any]:
    """A refused import's report as JSON: every problem listed, never the rows read."""
    data = {f.name: getattr(report, f.name) for f in fields(Report) if f.name != "rows"}
    return {**data, "errors": [asdict(e) for e in report.errors]}


def stored_report(job: ImportJob) -> Report | None:
    """The report of a refused job, as the import pages show one."""
    if job.state != ImportState.REFUSED or not job.result:
        return None
    names = {f.name for f in fields(Report)} - {"rows", "errors"}
    report = Report(**{k: v for k, v in job.result.items() if k in names})
    report.errors = [RowError(**e) for e in job.result.get("errors", [])]
    return report


def rows_read(job: ImportJob) -> int:
    """The rows read so far: from the worker's progress file while it runs on SQLite."""
    if job.state == ImportState.RUNNING and connection.vendor == "sqlite":
        try:
            return max(job.rows_read, int(_progress_path(job).read_text()))
        except (OSError, ValueError):
            pass
    return job.rows_read


def percent(job: ImportJob, rows: int) -> int | None:
    """How far a CSV import has read, up to 99 until it ends; None when the total is unknown."""
    if not job.total_rows:
        return None
    return min(99, rows * 100 // job.total_rows)


def took(job: ImportJob) -> str:
    """How long the worker took, in words: "40 s", "3 min 5 s"."""
    if not (job.started and job.finished):
        return ""
    seconds = round((job.finished - job.started).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def worker_late(job: ImportJob) -> bool:
    """Still waiting after WORKER_LATE: no worker seems to be running, and the page says so."""
    return job.state == ImportState.WAITING and timezone.now() - job.created > WORKER_LATE


class Progress:
    """The callable an import reports its rows read to (every ~1000 rows)."""

    def __init__(self, job: ImportJob):
        self.job, self.rows = job, 0
        self.path = _progress_path(job) if connection.vendor == "sqlite" else None
        self.side = None  # a second connection, outside the import's transaction

    def __call__(self, rows: int) -> None:
        self.rows = rows
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".part")
            partial.write_text(str(rows))
            os.replace(partial, self.path)  # a reader never sees half a number
            return
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.side.ops.quote_name(ImportJob._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET rows_read = %s WHERE id = %s", [rows, self.job.pk])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _progress_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def _progress_path(job: ImportJob) -> Path:
    return _progress_dir() / f"{job.key}.rows"


def _save(job: ImportJob, **fields) -> None:
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


@contextmanager
def _stored_file(job: ImportJob) -> Iterator[IO[bytes]]:
    """The uploaded file put back together in a temporary file (Excel needs to seek)."""
    with tempfile.TemporaryFile() as file:
        chunks = ImportChunk.objects.filter(job=job).order_by("number").values_list("data")
        for (data,) in chunks.iterator(chunk_size=2):
            file.write(data)
        file.seek(0)
        yield file
