"""Background work of the ascent, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.core import imports
from cairn.kpis import services


def _import(job, file, progress) -> dict[str, int]:
    added, updated = services.import_file(
        job.organization, file, job.filename, actor=job.created_by, progress=progress
    )
    return {"added": added, "updated": updated}


@task()
def import_measurements(job_id: int) -> None:
    """Import a stored file of measurements, all or nothing."""
    imports.run(job_id, _import)
