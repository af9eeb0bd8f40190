"""Pages of execution: the committee's overview, an initiative's reports, spend, benefits."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import delete_page, form_page, model_views
from cairn.core.models import Role
from cairn.execution import rules, services
from cairn.execution.forms import ActualForm, BenefitForm, StatusReportForm
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.portfolio.models import Initiative


def _url(request, name: str, *args) -> str:
    return reverse(f"execution:{name}", args=[request.org.slug, *args])


RULES = {
    "report": rules.REPORT_RULE,
    "forecast": rules.FORECAST_RULE,
    "spend": rules.SPEND_RULE,
    "benefit": rules.BENEFIT_RULE,
}


PER_PAGE = 50


def _page(request, found: list):
    """A page of rows: the committee reads the first, where the attention is needed."""
    return Paginator(found, PER_PAGE).get_page(request.GET.get("page"))


@org_view()
@require_GET
def overview(request):
    """Every initiative under way, the ones needing the committee first."""
    found = services.figures(request.org)
    page = _page(request, found)
    return render(
        request,
        "execution/overview.html",
        {
            "rows": services.rows(request.org, found=list(page)),
            "page": page,
            "portfolio": services.portfolio(request.org, found),
            "tolerance": services.tolerance(request.org),
            "rules": RULES,
        },
    )


@org_view()
@require_GET
def initiative(request, initiative_id: int):
    """One initiative's reports, spend by month and benefits."""
    obj = get_object_for_member(request, Initiative, initiative_id)
    found = services.figures(request.org, pks=[obj.pk])
    row = services.rows(request.org, found=found, monthly=True)[0] if found else None
    months = sorted(set(row.plan_by_month) | set(row.actual_by_month)) if row else []
    promised = services.benefits(request.org, initiative_id=obj.pk)
    return render(
        request,
        "execution/initiative.html",
        {
            "initiative": obj,
            "row": row,
            "reports": StatusReport.objects.filter(initiative=obj).select_related("created_by"),
            "months": [(m, row.plan_by_month.get(m), row.actual_by_month.get(m)) for m in months],
            "benefits": promised,
            "benefit_charts": services.benefit_charts(promised),
            "can_report": obj.status in services.UNDER_WAY,
            "rules": RULES,
        },
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def report_create(request, initiative_id: int):
    obj = get_object_for_member(request, Initiative, initiative_id)
    back = _url(request, "initiative", obj.pk)
    latest = StatusReport.objects.filter(initiative=obj).first()
    initial = {}
    if latest is not None:  # start from the last report: most of it still holds
        initial = {
            name: getattr(latest, name)
            for name in ("health", "scope_health", "schedule_health", "cost_health")
        } | {"percent_complete": latest.percent_complete, "next_steps": latest.next_steps}
    return form_page(
        request,
        StatusReportForm,
        title=f"Status report on “{obj}”",
        cancel_url=back,
        success_url=lambda _: back,
        initial=initial,
        form_kwargs={"initiative": obj},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def report_edit(request, report_id: int):
    report = get_object_for_member(
        request, StatusReport.objects.select_related("initiative"), report_id
    )
    back = _url(request, "initiative", report.initiative_id)
    return form_page(
        request,
        StatusReportForm,
        instance=report,
        title=f"Change the status report of {report.reported_on:%-d %B %Y}",
        cancel_url=back,
        success_url=lambda _: back,
        form_kwargs={"initiative": report.initiative},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def report_delete(request, report_id: int):
    report = get_object_for_member(request, StatusReport, report_id)
    return delete_page(
        request, report, success_url=_url(request, "initiative", report.initiative_id)
    )


@org_view()
@require_GET
def spend_list(request):
    recorded = Actual.objects.filter(organization=request.org)
    actuals = recorded.select_related("initiative", "budget_line")[:PER_PAGE]
    found = services.figures(request.org)
    lines = services.budget_lines(request.org, found)
    charts = [line.chart() for line in lines]
    page = _page(request, sorted(found, key=lambda f: (-f.spend.variance, f.title)))
    return render(
        request,
        "execution/spend.html",
        {
            "lines": lines,
            "charts": charts,
            "actuals": actuals,
            "actual_count": recorded.count(),
            "rows": list(page),
            "page": page,
            "portfolio": services.portfolio(request.org, found),
            "tolerance": services.tolerance(request.org),
            "rules": RULES,
        },
    )


actual_create, actual_edit, actual_delete = model_views(
    Actual, ActualForm, id_kwarg="actual_id", list_url=lambda r: _url(r, "spend")
)


@org_view()
@require_GET
def benefit_list(request):
    everything = services.benefits(request.org, attach=False)
    page = Paginator(everything, 2 * PER_PAGE).get_page(request.GET.get("page"))
    found, by_goal = services.register(list(page))
    return render(
        request,
        "execution/benefits.html",
        {"benefits": found, "page": page, "by_goal": by_goal, "rules": RULES},
    )


benefit_create, benefit_edit, benefit_delete = model_views(
    Benefit, BenefitForm, id_kwarg="benefit_id", list_url=lambda r: _url(r, "benefits")
)


# --- Importing actual spend from the finance export

IMPORT_NAMES = 30  # initiatives the import page names; past that it says "and more"


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def actual_import(request):
    """Upload the finance system's export of actual spend; the worker imports all rows or
    none (``imports.REPLACE_RULE``), and the job's page shows its progress, then the counts
    or a report of each problem."""
    from cairn.core import imports as jobs
    from cairn.core.import_views import start_upload
    from cairn.execution import imports
    from cairn.execution.tasks import import_actuals

    if request.method == "POST":
        started = start_upload(request, kind="actuals", label="Spend", task=import_actuals)
        if started is not None:
            return started
    titles = list(
        Initiative.objects.filter(organization=request.org, status__in=services.EXECUTED)
        .order_by("title")
        .values_list("title", flat=True)[: IMPORT_NAMES + 1]
    )
    return render(
        request,
        "execution/import.html",
        {
            "columns": imports.COLUMNS,
            "month_headings": imports.MONTH_HEADINGS,
            "import_rule": imports.REPLACE_RULE,
            "titles": titles[:IMPORT_NAMES],
            "more_titles": len(titles) > IMPORT_NAMES,
            "recent": jobs.recent(request.org, ["actuals"]),
        },
    )


@org_view()
@require_GET
def actual_import_template(request, fmt: str):
    """An example finance export to fill in: the columns and three example rows."""
    from django.http import Http404

    from cairn.core.tabular import FORMATS, download, write_table
    from cairn.execution import imports

    if fmt not in FORMATS:
        raise Http404
    headers, rows = imports.template_rows(request.org.currency)
    return download(write_table(headers, rows, fmt), f"cairn-spend-template.{fmt}", fmt)
