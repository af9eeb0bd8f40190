"""Data in and out: the page of every kind's template, export and import, and the
confirmation of a previewed import."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core import imports
from cairn.core.access import get_object_for_member, org_view
from cairn.core.models import ImportJob, ImportState, Role
from cairn.core.services import ServiceError
from cairn.core.tabular import FORMATS, download
from cairn.exchange import books
from cairn.exchange.kinds import KINDS
from cairn.exchange.tasks import WORKBOOK, import_rows

JOB_KINDS = [WORKBOOK, *(k.slug for k in KINDS)]


def _kind(slug: str):
    kind = books.kind_for(slug)
    if kind is None:
        raise Http404("Nothing to import or export by that name.")
    return kind


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404("Files are .csv or .xlsx.")
    return fmt


@org_view()
@require_http_methods(["GET", "POST"])
def index(request):
    """Every kind with its template and export; editors import a file or a whole workbook,
    see what it would change, then confirm."""
    chosen = request.POST.get("kind", "")
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied("You can read this organisation but not change it.")
        kind = None if chosen == WORKBOOK else books.kind_for(chosen)
        upload = request.FILES.get("file")
        if chosen != WORKBOOK and (kind is None or kind.read_only):
            messages.error(request, "Choose what the file contains.")
        elif upload is None:
            messages.error(request, "Choose a file to import.")
        else:
            label = "Whole workbook" if kind is None else kind.label
            try:
                job = imports.start(
                    request.org,
                    upload,
                    kind=chosen,
                    label=label,
                    task=import_rows,
                    actor=request.user,
                    preview=True,
                )
            except ServiceError as e:
                messages.error(request, str(e))
            else:
                return redirect("import_job", request.org.slug, job.pk)
    counts = {k.slug: k.model_class.objects.filter(organization=request.org).count() for k in KINDS}
    rows = [(k, counts[k.slug]) for k in KINDS]
    return render(
        request,
        "exchange/index.html",
        {
            "rows": rows,
            "kinds": [k for k in KINDS if not k.read_only],
            "chosen": chosen or WORKBOOK,
            "workbook": WORKBOOK,
            "recent": imports.recent(request.org, JOB_KINDS),
        },
    )


@org_view()
@require_GET
def export(request, kind: str, fmt: str):
    """Every row of one kind, in the columns its import reads."""
    spec, fmt = _kind(kind), _format(fmt)
    return download(
        books.export_kind(spec, request.org, fmt), f"{request.org.slug}-{kind}.{fmt}", fmt
    )


@org_view()
@require_GET
def template(request, kind: str, fmt: str):
    """The columns and an example row; the Excel template explains each column on a second
    sheet."""
    spec, fmt = _kind(kind), _format(fmt)
    return download(books.template(spec, request.org, fmt), f"cairn-{kind}-template.{fmt}", fmt)


@org_view()
@require_GET
def workbook(request):
    """Every kind in one .xlsx, one sheet each, in the order an import needs."""
    return download(books.export_workbook(request.org), f"{request.org.slug}-cairn.xlsx", "xlsx")


def _preview(request, job_id: int) -> ImportJob:
    job = get_object_for_member(request, ImportJob.objects.all(), job_id)
    if job.kind not in JOB_KINDS:
        raise Http404
    return job


@org_view(Role.EDITOR)
@require_POST
def confirm(request, job_id: int):
    """Import a previewed file, as the preview said."""
    job = _preview(request, job_id)
    if not imports.confirm(job, import_rows):
        messages.error(request, "This file is no longer waiting to be confirmed.")
    return redirect("import_job", request.org.slug, job.pk)


@org_view(Role.EDITOR)
@require_POST
def cancel(request, job_id: int):
    """Drop a previewed file without importing it."""
    job = _preview(request, job_id)
    imports.cancel(job)
    job.refresh_from_db()
    if job.state == ImportState.CANCELLED:
        messages.info(request, "Nothing was imported; the file is deleted.")
    return redirect("exchange:index", request.org.slug)
