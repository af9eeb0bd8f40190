"""Imports from other tools: upload an export, map its columns and statuses to Cairn's
initiatives (guessed from the tool's layout, remembered per organisation), then the
ordinary preview and confirmation of the initiatives import."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.exchange import from_tools
from cairn.exchange import mapping as maps
from cairn.exchange.models import FOREIGN_KEEP, FOREIGN_MAX_BYTES, ForeignFile, Source
from cairn.portfolio.models import Status


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def from_tool(request):
    """Choose the tool and upload its export; files uploaded and not yet mapped are listed."""
    source = request.POST.get("source", "")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to import.")
        else:
            try:
                foreign = from_tools.store(request.org, upload, source, actor=request.user)
            except ServiceError as e:
                messages.error(request, str(e))
            else:
                return redirect("exchange:from_tool_map", request.org.slug, foreign.pk)
    waiting = (
        ForeignFile.objects.filter(organization=request.org)
        .exclude(pk__in=ForeignFile.objects.stale().values("pk"))
        .defer("data", "survey")
        .select_related("created_by")[:10]
    )
    return render(
        request,
        "exchange/mapping/upload.html",
        {
            "tools": list(maps.TOOLS.values()),
            "chosen": source or Source.JIRA,
            "waiting": waiting,
            "max_mb": FOREIGN_MAX_BYTES // 2**20,
            "max_rows": maps.MAX_ROWS,
            "max_xlsx_rows": maps.MAX_XLSX_ROWS,
            "keep_hours": int(FOREIGN_KEEP.total_seconds() // 3600),
        },
    )


def _foreign(request, upload_id: int) -> ForeignFile:
    """The organisation's upload, without its bytes (the conversion reads them)."""
    queryset = ForeignFile.objects.exclude(pk__in=ForeignFile.objects.stale().values("pk"))
    return get_object_for_member(request, queryset.defer("data"), upload_id)


def _posted(post, found: maps.Survey, tool: maps.Tool) -> tuple[maps.Mapping, list[str]]:
    """The mapping as the form sent it, and what the person must look at again: the value
    choices shown were of another column than the one now chosen."""
    mapping = maps.Mapping(effort_per_month=post.get("effort_per_month", "").strip()[:20])
    for target in maps.TARGET_NAMES:
        mapping.columns[target] = post.get(f"col-{target}", "")[:200]
    again = []
    status = mapping.column("status")
    values = found.values.get(status, [])
    if status == post.get("status_of", ""):
        mapping.statuses = {v: post.get(f"status-{i}", "") for i, v in enumerate(values)}
    elif status:
        mapping.statuses = {v: maps.guess_status(v) for v in values}
        again.append("The status column changed: check what each of its values means below.")
    only = mapping.column("only")
    values = found.values.get(only, [])
    if only == post.get("only_of", ""):
        mapping.only = [v for i, v in enumerate(values) if post.get(f"only-{i}")]
    elif only:
        mapping.only = [v for v in tool.only if v in values]
        again.append("The filter column changed: tick the values to import below.")
    return mapping, again


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def from_tool_map(request, upload_id: int):
    """The file's columns beside Cairn's: choose which fills which, what each status means;
    a problem of the mapping or of any row is listed here and nothing is written."""
    foreign = _foreign(request, upload_id)
    found = maps.Survey.from_json(foreign.survey)
    tool = maps.TOOLS[foreign.source]
    problems, report = [], None
    if request.method == "POST":
        mapping, problems = _posted(request.POST, found, tool)
        if not problems:
            try:
                job, notes = from_tools.start_import(foreign, mapping, actor=request.user)
            except from_tools.MappingRefused as e:
                problems, report = e.problems, e.report
            else:
                for note in notes:
                    messages.warning(request, note)
                return redirect("import_job", request.org.slug, job.pk)
    else:
        mapping = maps.guess(tool, found, from_tools.remembered(request.org, foreign.source))
    status_of, only_of = mapping.column("status"), mapping.column("only")
    columns = [
        (name, found.repeats.get(name, 1), (found.values.get(name) or [""])[0])
        for name in found.columns
    ]
    return render(
        request,
        "exchange/mapping/map.html",
        {
            "foreign": foreign,
            "tool": tool,
            "found": found,
            "columns": columns,
            "targets": [(t, mapping.column(t.name)) for t in maps.TARGETS],
            "mapping": mapping,
            "status_of": status_of,
            "statuses": [
                (i, v, mapping.statuses.get(v, ""))
                for i, v in enumerate(found.values.get(status_of, []))
            ],
            "status_choices": Status.choices,
            "only_of": only_of,
            "only": [
                (i, v, v in mapping.only) for i, v in enumerate(found.values.get(only_of, []))
            ],
            "problems": problems,
            "report": report,
        },
    )


@org_view(Role.EDITOR)
@require_POST
def from_tool_discard(request, upload_id: int):
    """Delete an upload without importing it."""
    foreign = _foreign(request, upload_id)
    from_tools.discard(foreign)
    messages.info(request, "The file is deleted; nothing was imported.")
    return redirect("exchange:from_tool", request.org.slug)
