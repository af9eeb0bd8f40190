"""Pages of the terrain: the SWOT board, the inventory, the gaps, import and export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.assessment import gaps, services
from cairn.assessment.forms import (
    ApplicationForm,
    CapabilityForm,
    ProcessForm,
    SwotItemForm,
    TeamForm,
)
from cairn.assessment.models import (
    DISPOSITION_MEANING,
    DISPOSITION_RULE,
    Application,
    Capability,
    Disposition,
    Lifecycle,
    Process,
    SwotItem,
    SwotKind,
    Team,
)
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import form_page, model_views
from cairn.core.forms import parse_id
from cairn.core.models import Role
from cairn.goals.models import BusinessGoal


def _url(request, name: str, *args) -> str:
    return reverse(f"assessment:{name}", args=[request.org.slug, *args])


# --- SWOT


SWOT_TITLES = {
    SwotKind.STRENGTH: "Strengths",
    SwotKind.WEAKNESS: "Weaknesses",
    SwotKind.OPPORTUNITY: "Opportunities",
    SwotKind.THREAT: "Threats",
}
SWOT_HELP = {
    SwotKind.STRENGTH: "What the business does better than others.",
    SwotKind.WEAKNESS: "What holds the business back today.",
    SwotKind.OPPORTUNITY: "What the market offers that you could seize.",
    SwotKind.THREAT: "What could hurt the business from outside.",
}


def _quadrants(request, goal_id: int | None = None):
    """The four quadrants with their items, filtered to one goal if asked (two queries)."""
    items = SwotItem.objects.filter(organization=request.org).prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id", "title"))
    )
    if goal_id:
        items = items.filter(goals=goal_id)
    by_kind = {kind: [] for kind in SwotKind}
    for item in items:
        by_kind[SwotKind(item.kind)].append(item)
    return [
        {
            "kind": kind,
            "title": SWOT_TITLES[kind],
            "help": SWOT_HELP[kind],
            "items": by_kind[kind],
            "filtered": bool(goal_id),
        }
        for kind in SwotKind
    ]


def _goal_filter(request) -> int | None:
    return parse_id(request.GET.get("goal", ""))


@org_view()
@require_GET
def swot(request):
    """The SWOT board: four quadrants, most important first."""
    goal_id = _goal_filter(request)
    goals = BusinessGoal.objects.filter(organization=request.org).only("id", "title")
    return render(
        request,
        "assessment/swot.html",
        {"quadrants": _quadrants(request, goal_id), "goals": goals, "goal_id": goal_id},
    )


def _quadrant_response(request, kind: str):
    quadrant = next(q for q in _quadrants(request) if q["kind"] == kind)
    response = render(request, "assessment/partials/quadrant.html", {"q": quadrant})
    response["HX-Retarget"] = f"#quadrant-{kind}"
    response["HX-Reswap"] = "outerHTML"
    return response


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def swot_create(request):
    kind = request.GET.get("kind", "")
    initial = {"kind": kind} if kind in SwotKind.values else None
    return form_page(
        request,
        SwotItemForm,
        title="Add to the SWOT",
        initial=initial,
        cancel_url=_url(request, "swot"),
        success_url=lambda i: _url(request, "swot"),
        on_htmx_success=lambda item: _quadrant_response(request, item.kind),
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def swot_edit(request, swot_id: int):
    item = get_object_for_member(request, SwotItem, swot_id)
    old_kind = item.kind

    def refreshed(saved):
        if saved.kind != old_kind:  # moved to another quadrant: both change, reload the board
            response = HttpResponse(status=204)
            response["HX-Redirect"] = _url(request, "swot")
            return response
        return _quadrant_response(request, saved.kind)

    return form_page(
        request,
        SwotItemForm,
        instance=item,
        title="Change the SWOT item",
        cancel_url=_url(request, "swot"),
        success_url=lambda i: _url(request, "swot"),
        on_htmx_success=refreshed,
    )


@org_view(Role.EDITOR)
@require_POST
def swot_move(request, swot_id: int):
    """Move an item one place up or down in its quadrant."""
    item = get_object_for_member(request, SwotItem, swot_id)
    services.move_swot_item(item, up=request.POST.get("direction") != "down", actor=request.user)
    if getattr(request, "htmx", False):
        return _quadrant_response(request, item.kind)
    return redirect(_url(request, "swot") + f"#swot-{item.pk}")


swot_delete = model_views(
    SwotItem, SwotItemForm, id_kwarg="swot_id", list_url=lambda r: _url(r, "swot")
)[2]


# --- Capabilities, teams, processes, applications


@org_view()
@require_GET
def capability_list(request):
    """The capability tree, each with its goals and how many applications and processes."""
    capabilities = (
        Capability.objects.filter(organization=request.org)
        .annotate(
            app_count=Count("applications", distinct=True),
            process_count=Count("processes", distinct=True),
        )
        .prefetch_related(Prefetch("goals", queryset=BusinessGoal.objects.only("id", "title")))
    )
    support = gaps.capability_support(request.org)
    tree = gaps.tree_order(list(capabilities))
    for c in tree:
        c.support = support.get(c.pk)
        c.band, c.band_colour = gaps.band(c.support)
    return render(request, "assessment/capability_list.html", {"capabilities": tree})


@org_view()
@require_GET
def team_list(request):
    teams = Team.objects.filter(organization=request.org).annotate(process_count=Count("processes"))
    totals = teams.aggregate(fte=Sum("headcount"))
    return render(request, "assessment/team_list.html", {"teams": teams, "totals": totals})


@org_view()
@require_GET
def process_list(request):
    processes = (
        Process.objects.filter(organization=request.org)
        .select_related("team")
        .prefetch_related(Prefetch("capabilities", queryset=Capability.objects.only("id", "name")))
    )
    return render(request, "assessment/process_list.html", {"processes": processes})


@org_view()
@require_GET
def application_list(request):
    """The application inventory with filters, paginated, costs summed in the database."""
    apps = Application.objects.filter(organization=request.org).with_disposition()
    disposition = request.GET.get("disposition", "")
    if disposition in Disposition.values:
        apps = apps.filter(effective_disposition=disposition)
    lifecycle = request.GET.get("lifecycle", "")
    if lifecycle in Lifecycle.values:
        apps = apps.filter(lifecycle=lifecycle)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        apps = apps.filter(Q(name__icontains=query) | Q(vendor__icontains=query))
    totals = apps.aggregate(cost=Sum("annual_cost"), count=Count("id"))
    page = Paginator(
        apps.prefetch_related(
            Prefetch("capabilities", queryset=Capability.objects.only("id", "name"))
        ),
        50,
    ).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "assessment/application_list.html",
        {
            "page": page,
            "totals": totals,
            "dispositions": Disposition.choices,
            "lifecycles": Lifecycle.choices,
            "disposition": disposition,
            "lifecycle": lifecycle,
            "q": query,
            "rule": DISPOSITION_RULE,
            "meanings": DISPOSITION_MEANING,
            "query_string": params.urlencode(),
        },
    )


capability_create, capability_edit, capability_delete = model_views(
    Capability,
    CapabilityForm,
    id_kwarg="capability_id",
    list_url=lambda r: _url(r, "capability_list"),
    consequences="Processes and applications keep working but lose the link to it.",
)
team_create, team_edit, team_delete = model_views(
    Team,
    TeamForm,
    id_kwarg="team_id",
    list_url=lambda r: _url(r, "team_list"),
    consequences="Its processes stay, with no owning team.",
)
process_create, process_edit, process_delete = model_views(
    Process, ProcessForm, id_kwarg="process_id", list_url=lambda r: _url(r, "process_list")
)
application_create, application_edit, application_delete = model_views(
    Application,
    ApplicationForm,
    id_kwarg="application_id",
    list_url=lambda r: _url(r, "application_list"),
)


# --- Gaps


@org_view()
@require_GET
def gap_analysis(request):
    """What a steering committee reads in two minutes: the heatmap and the gap lists."""
    return render(
        request,
        "assessment/gaps.html",
        {
            "heatmap": gaps.heatmap(request.org),
            "lists": gaps.gap_lists(request.org),
            "support_rule": gaps.rule_sentence(gaps.support_score),
            "rollup_rule": "A capability with no application of its own takes the average of "
            "the capabilities under it.",
        },
    )
