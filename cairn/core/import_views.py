"""The page of an import running in the background worker (core/imports.py)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from cairn.core import imports
from cairn.core.access import get_object_for_member, org_view
from cairn.core.htmx import render_htmx
from cairn.core.models import IMPORT_JOB_DAYS, ImportJob
from cairn.core.services import ServiceError


@org_view()
@require_GET
def import_job(request, job_id: int):
    """Rows read while the worker imports the file, then the counts or every problem; the
    part that changes is polled with htmx every second until the job ends."""
    job = get_object_for_member(request, ImportJob.objects.select_related("created_by"), job_id)
    rows = imports.rows_read(job)
    context = {
        "job": job,
        "rows_read": rows,
        "percent": imports.percent(job, rows),
        "report": imports.stored_report(job),
        "worker_late": imports.worker_late(job),
        "took": imports.took(job),
        "days": IMPORT_JOB_DAYS,
    }
    return render_htmx(request, "core/import_job.html", "core/partials/import_job.html", context)


def start_upload(request, *, kind: str, label: str, task):
    """An import page's POST: store the file and go to its job's page, or say what is wrong
    (no file, too big) and answer None so that the page shows again."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a file to import.")
        return None
    try:
        job = imports.start(
            request.org, upload, kind=kind, label=label, task=task, actor=request.user
        )
    except ServiceError as e:
        messages.error(request, str(e))
        return None
    return redirect("import_job", request.org.slug, job.pk)
