"""Every change of an import from another tool: keep the uploaded file, remember the
mapping, convert the file and hand it to the ordinary initiatives import (a preview the
person confirms), and forget files nobody mapped."""

from __future__ import annotations

import io
import os

from django.core.files.uploadedfile import SimpleUploadedFile

from cairn.core import imports
from cairn.core.models import AuditVia, ImportJob, Organization
from cairn.core.services import ServiceError, record_change, snapshot
from cairn.exchange import mapping as maps
from cairn.exchange.models import FOREIGN_MAX_BYTES, ForeignFile, Source, SourceMapping
from cairn.exchange.tasks import import_rows

KIND = "initiatives"


class MappingRefused(ServiceError):
    """The mapping or the file's rows had problems; nothing was written."""

    def __init__(self, problems: list[str], report=None):
        super().__init__(problems[0] if problems else report.summary())
        self.problems, self.report = problems, report


def purge() -> int:
    """Delete uploads older than a day, of every organisation; returns how many."""
    deleted, _ = ForeignFile.objects.stale().delete()
    return deleted


def store(org: Organization, upload, source: str, *, actor) -> ForeignFile:
    """Keep an uploaded export for the mapping step, after reading its columns.

    Refuses (ServiceError) an unknown tool, a file over 20 MB, or one that cannot be read.
    """
    if source not in Source.values:
        raise ServiceError("Choose the tool the file comes from.")
    if upload.size > FOREIGN_MAX_BYTES:
        raise ServiceError(
            f"The file is {upload.size / 2**20:,.0f} MB; a file from another tool takes at "
            f"most {FOREIGN_MAX_BYTES // 2**20} MB. Export fewer rows at a time."
        )
    name = os.path.basename(upload.name or "file")[:255]
    data = b"".join(upload.chunks())
    try:
        found = maps.survey(io.BytesIO(data), name)
    except maps.SurveyProblem as e:
        raise ServiceError(str(e)) from None
    purge()
    return ForeignFile.objects.create(
        organization=org,
        source=source,
        filename=name,
        size=len(data),
        survey=found.as_json(),
        data=data,
        created_by=actor,
    )


def remembered(org: Organization, source: str) -> maps.Mapping | None:
    """The mapping the organisation used last time for this tool."""
    saved = SourceMapping.objects.filter(organization=org, source=source).first()
    return maps.Mapping.from_json(saved.mapping) if saved else None


def remember(org: Organization, source: str, mapping: maps.Mapping, *, actor, via=AuditVia.WEB):
    """Save the mapping for the next file from this tool (audited when it changed)."""
    saved = SourceMapping.objects.filter(organization=org, source=source).first()
    data = mapping.as_json()
    if saved is None:
        saved = SourceMapping.objects.create(
            organization=org, source=source, mapping=data, created_by=actor
        )
        record_change(saved, None, actor=actor, via=via)
    elif saved.mapping != data:
        before = snapshot(saved)
        saved.mapping, saved.version = data, saved.version + 1
        saved.save()
        record_change(saved, before, actor=actor, via=via)
    return saved


def discard(foreign: ForeignFile) -> None:
    """Delete an upload that will not be imported (not audited: it never was the
    organisation's data)."""
    foreign.delete()


def start_import(
    foreign: ForeignFile, mapping: maps.Mapping, *, actor
) -> tuple[ImportJob, list[str]]:
    """Convert the file through ``mapping`` and queue it as an initiatives import with a
    preview; remember the mapping and delete the upload. Returns the job and notes on what
    was left out. Raises MappingRefused (nothing written, the upload kept) on problems."""
    found = maps.Survey.from_json(foreign.survey)
    problems = maps.check(mapping, found)
    if problems:
        raise MappingRefused(problems)
    gone = MappingRefused(["This file was imported or deleted meanwhile; upload it again."])
    data = ForeignFile.objects.filter(pk=foreign.pk).values_list("data", flat=True).first()
    if data is None:
        raise gone
    converted = maps.convert(io.BytesIO(bytes(data)), foreign.filename, mapping)
    if not converted.report.ok:
        raise MappingRefused([], converted.report)
    # Claimed by deleting it: of two clicks on "Check the file", one imports.
    if not ForeignFile.objects.filter(pk=foreign.pk).delete()[0]:
        raise gone
    stem = os.path.splitext(foreign.filename)[0][:200]
    upload = SimpleUploadedFile(f"{stem} (initiatives).csv", converted.content, "text/csv")
    org = foreign.organization
    # Not in one transaction: an immediate task backend runs the preview inside ``start``.
    job = imports.start(
        org, upload, kind=KIND, label="Initiatives", task=import_rows, actor=actor, preview=True
    )
    remember(org, foreign.source, mapping, actor=actor)
    notes = list(converted.notes)
    if converted.skipped:
        rows = f"{converted.skipped:,} row{'s were' if converted.skipped > 1 else ' was'}"
        notes.insert(0, f"{rows} left out by the filter on “{mapping.column('only')}”.")
    return job, notes
