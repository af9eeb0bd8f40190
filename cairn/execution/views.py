"""Pages of execution: the committee's overview, an initiative's reports, spend, benefits."""

from __future__ import annotations

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


@org_view()
@require_GET
def overview(request):
    """Every initiative under way, the ones needing the committee first."""
    found = services.rows(request.org)
    return render(
        request,
        "execution/overview.html",
        {
            "rows": found,
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
    row = next((r for r in services.rows(request.org) if r.initiative.pk == obj.pk), None)
    months = sorted(set(row.plan_by_month) | set(row.actual_by_month)) if row else []
    return render(
        request,
        "execution/initiative.html",
        {
            "initiative": obj,
            "row": row,
            "reports": StatusReport.objects.filter(initiative=obj).select_related("created_by"),
            "months": [(m, row.plan_by_month.get(m), row.actual_by_month.get(m)) for m in months],
            "benefits": [
                b for b in services.benefits(request.org) if b.benefit.initiative_id == obj.pk
            ],
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
    actuals = Actual.objects.filter(organization=request.org).select_related(
        "initiative", "budget_line"
    )[:500]
    found = services.rows(request.org)
    lines = services.budget_lines(request.org, found)
    charts = [
        {
            "labels": [f"{m:%b %Y}" for m in line.months],
            "plan": line.plan,
            "actual": line.actual,
            "forecast": line.forecast,
        }
        for line in lines
    ]
    return render(
        request,
        "execution/spend.html",
        {
            "lines": lines,
            "charts": charts,
            "actuals": actuals,
            "rows": sorted(found, key=lambda r: -r.spend.variance),
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
    found = services.benefits(request.org)
    spent = services.spent_by_initiative(request.org)
    for row in found:
        row.spent = spent.get(row.benefit.initiative_id)
    by_goal: dict[str, list] = {}
    for row in found:  # under each goal its KPI measures
        for goal in [g.title for g in row.benefit.kpi.goals.all()] or ["Not linked to a goal"]:
            by_goal.setdefault(goal, []).append(row)
    return render(
        request,
        "execution/benefits.html",
        {"benefits": found, "by_goal": by_goal, "rules": RULES},
    )


benefit_create, benefit_edit, benefit_delete = model_views(
    Benefit, BenefitForm, id_kwarg="benefit_id", list_url=lambda r: _url(r, "benefits")
)
