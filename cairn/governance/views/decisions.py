"""Decisions (one by one, or a whole portfolio approved and scheduled) and roadblocks."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import form_page, model_views
from cairn.core.forms import parse_id
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.governance import rules, services
from cairn.governance.forms import (
    ApproveScenarioForm,
    DecisionForm,
    RoadblockForm,
)
from cairn.governance.models import (
    Decision,
    Roadblock,
)
from cairn.governance.views.common import _url
from cairn.portfolio.models import Initiative, Scenario

# --- Decisions


@org_view()
@require_GET
def decision_list(request):
    decisions = (
        Decision.objects.filter(organization=request.org)
        .select_related("meeting", "taken_by")
        .prefetch_related("initiatives", "racis")
    )
    return render(request, "governance/decision_list.html", {"decisions": decisions})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def decision_create(request):
    initial = {"decided_on": timezone.localdate()}
    ids = [n for raw in request.GET.getlist("initiative")[:100] if (n := parse_id(raw))]
    if ids:
        initial["initiatives"] = ids
    if meeting_id := parse_id(request.GET.get("meeting", "")):
        initial["meeting"] = meeting_id
    # Opened from "Approve, defer or reject" (or after proposing a portfolio): pre-set the move.
    change = request.GET.get("change", "")
    if change in rules.CHANGE_TO_STATUS:
        initial["change"] = change
        named = Initiative.objects.filter(organization=request.org, pk__in=ids).order_by("title")
        titles = [i.title for i in named[:3]]
        if titles:
            more = len(ids) - len(titles)
            initial["title"] = (
                f"{services.CHANGE_DONE[change]}: {', '.join(titles)}"
                + (f" and {more} more" if more > 0 else "")
            )[:200]
    form = DecisionForm(request.POST or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide(
                request.org,
                title=data["title"],
                outcome=data["outcome"],
                change=data["change"],
                initiatives=data["initiatives"],
                meeting=data["meeting"],
                context=data["context"],
                options=data["options"],
                decided_on=data["decided_on"],
                actor=request.user,
            )
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Decision recorded: {data['title']}")
            return redirect(_url(request, "decision_list"))
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": "Record a decision", "cancel_url": _url(request, "decision_list")},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def scenario_approve(request, scenario_id: int):
    """Approve what a scenario chose as one committee decision, then schedule the roadmap."""
    from cairn.portfolio.services import chosen_initiatives
    from cairn.roadmap.models import RunState

    scenario = get_object_for_member(request, Scenario, scenario_id)
    back = reverse("portfolio:scenario_detail", args=[request.org.slug, scenario.pk])
    try:
        chosen, refused = list(chosen_initiatives(scenario).order_by("title")), ""
    except ServiceError as e:  # not run, or out of date: say so, with the way back
        chosen, refused = [], str(e)
    form = ApproveScenarioForm(request.POST or None, organization=request.org)
    if refused and request.method == "POST":
        messages.error(request, refused)
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        try:
            decision, plan = services.approve_and_schedule(
                scenario,
                meeting=form.cleaned_data["meeting"],
                outcome=form.cleaned_data["outcome"],
                actor=request.user,
            )
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            approved = decision.initiatives.count() if decision else 0
            done = (
                f"{approved} initiative{pluralize(approved)} approved. "
                if decision
                else "Every chosen initiative was approved already. "
            )
            placed = {
                RunState.DONE: "The roadmap places the work from the current period on.",
                RunState.RUNNING: "The roadmap is being scheduled in the background.",
                RunState.INFEASIBLE: "The work does not fit the teams' capacity: see why below.",
            }
            messages.success(request, done + placed.get(plan.state, ""))
            return redirect(reverse("roadmap:gantt", args=[request.org.slug]))
    return render(
        request,
        "governance/scenario_approve.html",
        {
            "scenario": scenario,
            "chosen": chosen,
            "refused": refused,
            "form": form,
            "cancel_url": back,
        },
    )


_, decision_edit, decision_delete = model_views(
    Decision,
    DecisionForm,
    id_kwarg="decision_id",
    list_url=lambda r: _url(r, "decision_list"),
    consequences="The initiatives it changed keep their status; the change stays in the "
    "activity log.",
)


# --- Roadblocks


@org_view()
@require_GET
def roadblock_list(request):
    roadblocks = Roadblock.objects.filter(organization=request.org).select_related("initiative")
    return render(request, "governance/roadblock_list.html", {"roadblocks": roadblocks})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def roadblock_create(request):
    initial = {"since": timezone.localdate()}
    raw = request.GET.get("initiative", "")
    if raw.isdigit() and len(raw) < 19:
        initial["initiative"] = int(raw)
    return form_page(
        request,
        RoadblockForm,
        title="Raise a roadblock",
        cancel_url=_url(request, "roadblock_list"),
        success_url=lambda obj: _url(request, "roadblock_list"),
        initial=initial,
    )


_, roadblock_edit, roadblock_delete = model_views(
    Roadblock, RoadblockForm, id_kwarg="roadblock_id", list_url=lambda r: _url(r, "roadblock_list")
)


@org_view(Role.EDITOR)
@require_POST
def roadblock_remove(request, roadblock_id: int):
    roadblock = get_object_for_member(request, Roadblock, roadblock_id)
    try:
        services.remove_roadblock(roadblock, request.POST.get("how", ""), actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Roadblock removed: {roadblock}")
    return redirect(_url(request, "roadblock_list"))
