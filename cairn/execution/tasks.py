"""Background work of execution, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.core import imports
from cairn.execution import imports as actuals


def _import(job, file, progress) -> dict[str, int]:
    added, replaced = actuals.import_file(
        job.organization, file, job.filename, actor=job.created_by, progress=progress
    )
    return {"added": added, "replaced": replaced}


@task()
def import_actuals(job_id: int) -> None:
    """Import a stored finance export of actual spend, all or nothing."""
    imports.run(job_id, _import)
