"""Background work of the terrain, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.assessment import importers
from cairn.core import imports


def _import(job, file, progress) -> dict[str, int]:
    created, updated, unchanged = importers.import_file(
        job.organization,
        importers.KINDS[job.kind],
        file,
        job.filename,
        actor=job.created_by,
        progress=progress,
    )
    return {"added": created, "updated": updated, "unchanged": unchanged}


@task()
def import_inventory(job_id: int) -> None:
    """Import a stored file of teams, capabilities, processes or applications, all or nothing."""
    imports.run(job_id, _import)
