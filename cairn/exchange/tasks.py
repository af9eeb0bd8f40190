"""Background work of data in and out, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.core import imports
from cairn.core.models import AuditVia
from cairn.exchange import books

WORKBOOK = "workbook"  # the job kind of a whole workbook


def summary(outcomes) -> dict:
    """A job's result: the counts of all kinds, then each kind's counts and first rows."""
    kinds = [o.as_dict() for o in outcomes]
    return {
        "added": sum(k["added"] for k in kinds),
        "updated": sum(k["changed"] for k in kinds),
        "unchanged": sum(k["unchanged"] for k in kinds),
        "kinds": kinds,
    }


def _import(job, file, progress) -> dict:
    common = {
        "actor": job.created_by,
        "via": AuditVia.WEB,
        "dry_run": job.dry_run,
        "progress": progress,
    }
    org = job.organization
    if job.kind == WORKBOOK:
        outcomes = books.import_workbook(org, file, job.filename, **common)
    else:
        outcomes = books.import_kind(org, books.kind_for(job.kind), file, job.filename, **common)
    return summary(outcomes)


@task()
def import_rows(job_id: int) -> None:
    """Check a stored file and say what it would change (a preview), or import it: all rows
    of every sheet, or none."""
    imports.run(job_id, _import)
