"""Pages of the path: the matrix, the ranking, the balance, criteria and scenarios."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Prefetch, Sum
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.assessment.models import Team
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import form_page, model_views
from cairn.core.forms import parse_amount
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.execution import services as execution
from cairn.kpis.models import Kpi
from cairn.portfolio import scoring, services
from cairn.portfolio.forms import CriterionForm, InitiativeForm, ScenarioForm
from cairn.portfolio.models import (
    QUADRANT_RULE,
    Criterion,
    Initiative,
    Kind,
    Quadrant,
    RunState,
    Scenario,
    Source,
    Status,
    TeamEffort,
    transition_problem,
)


def _url(request, name: str, *args) -> str:
    return reverse(f"portfolio:{name}", args=[request.org.slug, *args])


def _scored(request, queryset=None, criteria=None):
    """Initiatives with their scores, in a fixed number of queries."""
    if queryset is None:
        queryset = Initiative.objects.filter(organization=request.org)
    initiatives = list(scoring.with_scoring_data(queryset))
    scores = scoring.scores(request.org, initiatives, criteria)
    for i in initiatives:
        i.score = scores[i.pk].score
    return initiatives


@org_view()
@require_GET
def overview(request):
    """The impact × feasibility matrix and the three quadrant lists."""
    initiatives = [i for i in _scored(request) if i.status not in (Status.DONE, Status.REJECTED)]
    by_quadrant = {q: [] for q in Quadrant}
    for i in initiatives:
        by_quadrant[i.quadrant].append(i)
    for items in by_quadrant.values():
        items.sort(key=lambda i: -i.score)
    # One number per initiative, in the order of the lists, drawn in its bubble.
    initiatives = [i for q in Quadrant for i in by_quadrant[q]]
    for n, i in enumerate(initiatives, 1):
        i.number = n
    points = [
        {
            "id": i.pk,
            "n": i.number,
            "title": i.title,
            "impact": i.impact,
            "feasibility": i.feasibility,
            "kind": i.kind,
            "cost": float(i.total_cost),
            "score": float(i.score),
            "url": _url(request, "initiative_detail", i.pk),
        }
        for i in initiatives
    ]
    return render(
        request,
        "portfolio/overview.html",
        {
            "quadrants": [(q, by_quadrant[q]) for q in Quadrant],
            "points": points,
            "rule": QUADRANT_RULE,
            "count": len(initiatives),
        },
    )


SORTS = {
    "score": lambda i: (-i.score, i.title),
    "title": lambda i: i.title.lower(),
    "cost": lambda i: (-i.total_cost, i.title),
    "effort": lambda i: (-i.effort_months, i.title),
    "status": lambda i: (i.status, i.title),
}


@org_view()
@require_GET
def initiative_list(request):
    """Every initiative with its weighted score: a ranking that sorts by any column."""
    sort = request.GET.get("sort", "score")
    sort = sort if sort in SORTS else "score"
    status = request.GET.get("status", "")
    queryset = Initiative.objects.filter(organization=request.org)
    if status in Status.values:
        queryset = queryset.filter(status=status)
    criteria = list(Criterion.objects.filter(organization=request.org))
    initiatives = sorted(_scored(request, queryset, criteria), key=SORTS[sort])
    for rank, i in enumerate(initiatives, start=1):
        i.rank = rank
    return render(
        request,
        "portfolio/initiative_list.html",
        {
            "initiatives": initiatives,
            "sort": sort,
            "status": status,
            "statuses": Status.choices,
            "criteria": criteria,
            "rule": scoring.SCORING_RULE,
        },
    )


@org_view()
@require_GET
def initiative_detail(request, initiative_id: int):
    queryset = (
        scoring.with_scoring_data(Initiative.objects.all())
        .prefetch_related(
            "pain_points",
            "swot_items",
            "applications",
            "depends_on",
            "required_by",
            "excludes",
            Prefetch("efforts", queryset=TeamEffort.objects.select_related("team")),
            "decisions",
            "roadblocks",
            "racis",
            Prefetch("kpis", queryset=Kpi.objects.only("id", "name", "status_code", "unit")),
        )
        .select_related("roadmap_item")
    )
    initiative = get_object_for_member(request, queryset, initiative_id)
    item = getattr(initiative, "roadmap_item", None)  # the roadmap's item, when it has one
    criteria = list(Criterion.objects.filter(organization=request.org))
    scored = scoring.score(initiative, criteria)
    efforts = {e.team_id: e.months for e in initiative.efforts.all()}
    teams = list(Team.objects.filter(organization=request.org))
    for team in teams:
        team.effort = efforts.get(team.pk, "")
    going = None  # how it is going, once approved: the execution figures of this one
    if initiative.status in execution.EXECUTED:
        going = next(iter(execution.figures(request.org, pks=[initiative.pk])), None)
    return render(
        request,
        "portfolio/initiative_detail.html",
        {
            "initiative": initiative,
            "scored": scored,
            "teams": teams,
            "effort_split": sum(efforts.values(), Decimal(0)),
            "slot": item.slot() if item else None,
            "going": going,
            "next_move": ""
            if transition_problem(initiative.status, Status.APPROVED)
            or initiative.status == Status.APPROVED
            else "approve",
        },
    )


def _decimal_inputs(request, prefix: str, keys, maximum: Decimal) -> dict | None:
    """Numbers posted as ``<prefix><key>``; None (with a message) when one is not valid."""
    values = {}
    for key in keys:
        raw = request.POST.get(f"{prefix}{key}", "").strip()
        if not raw:
            values[key] = Decimal(0)
            continue
        value = parse_amount(raw, maximum)
        if value is None:
            messages.error(request, f"“{raw[:20]}” is not a number from 0 to {maximum:,}.")
            return None
        values[key] = value.quantize(Decimal("0.1"))
    return values


@org_view(Role.EDITOR)
@require_POST
def initiative_efforts(request, initiative_id: int):
    """Split an initiative's effort across teams."""
    initiative = get_object_for_member(request, Initiative, initiative_id)
    teams = {t.pk: t for t in Team.objects.filter(organization=request.org)}
    values = _decimal_inputs(request, "team-", teams, Decimal(100000))
    if values is not None:
        services.set_efforts(
            initiative, {teams[k]: v for k, v in values.items()}, actor=request.user
        )
        messages.success(request, "Effort by team saved.")
    return redirect(_url(request, "initiative_detail", initiative.pk) + "#effort")


initiative_create, initiative_edit, initiative_delete = model_views(
    Initiative,
    InitiativeForm,
    id_kwarg="initiative_id",
    list_url=lambda r: _url(r, "initiative_list"),
)


@org_view()
@require_GET
def balance(request):
    """Run versus change: shares of cost and effort against the organisation's target."""
    rows = []
    for label, statuses in [
        ("Approved and under way", [Status.APPROVED, Status.IN_PROGRESS]),
        (
            "Everything still open",
            [Status.IDEA, Status.PROPOSED, Status.APPROVED, Status.IN_PROGRESS, Status.DEFERRED],
        ),
    ]:
        sums = {
            kind: Initiative.objects.filter(
                organization=request.org, status__in=statuses, kind=kind
            ).aggregate(
                cost=Sum("one_off_cost"), running=Sum("running_cost"), effort=Sum("effort_months")
            )
            for kind in Kind
        }
        row = {"label": label}
        for measure in ("cost", "running", "effort"):
            run = sums[Kind.RUN][measure] or Decimal(0)
            change = sums[Kind.CHANGE][measure] or Decimal(0)
            total = run + change
            row[measure] = {
                "run": float(run),
                "change": float(change),
                "change_percent": round(float(change / total * 100), 1) if total else None,
            }
        rows.append(row)
    return render(
        request,
        "portfolio/balance.html",
        {"rows": rows, "target": request.org.change_target_percent},
    )


# --- Criteria


@org_view()
@require_GET
def criteria(request):
    """The scoring criteria and their weights; hand-scored criteria get a grid to fill in."""
    criteria = list(Criterion.objects.filter(organization=request.org))
    manual = [c for c in criteria if c.source == Source.MANUAL]
    initiatives = _scored(request, criteria=criteria)
    for i in initiatives:
        by_criterion = {s.criterion_id: s.value for s in i.scores.all()}
        i.manual = [(c, by_criterion.get(c.pk, "")) for c in manual]
    total = sum((c.weight for c in criteria), Decimal(0))
    for c in criteria:
        c.share = round(c.weight / total * 100) if total else 0
    return render(
        request,
        "portfolio/criteria.html",
        {
            "criteria": criteria,
            "manual": manual,
            "initiatives": initiatives,
            "rule": scoring.SCORING_RULE,
        },
    )


@org_view(Role.EDITOR)
@require_POST
def criteria_standard(request):
    added = services.add_standard_criteria(request.org, actor=request.user)
    messages.success(request, f"{added} standard criteria added." if added else "Nothing to add.")
    return redirect(_url(request, "criteria"))


@org_view(Role.EDITOR)
@require_POST
def criterion_scores(request, criterion_id: int):
    """Save the hand-given scores of one criterion (1–5, empty to clear)."""
    criterion = get_object_for_member(request, Criterion, criterion_id)
    ids = list(Initiative.objects.filter(organization=request.org).values_list("pk", flat=True))
    values: dict[int, int | None] = {}
    for pk in ids:
        raw = request.POST.get(f"score-{pk}", "").strip()
        if raw and raw not in ("1", "2", "3", "4", "5"):
            messages.error(request, f"Scores are whole numbers from 1 to 5, not “{raw[:10]}”.")
            return redirect(_url(request, "criteria"))
        values[pk] = int(raw) if raw else None
    services.set_scores(criterion, values, actor=request.user)
    messages.success(request, f"Scores on “{criterion}” saved.")
    return redirect(_url(request, "criteria"))


criterion_create, criterion_edit, criterion_delete = model_views(
    Criterion, CriterionForm, id_kwarg="criterion_id", list_url=lambda r: _url(r, "criteria")
)


# --- Scenarios


@org_view()
@require_GET
def scenario_list(request):
    """Scenarios side by side: value, cost, effort, mix and what each chose."""
    scenarios = list(Scenario.objects.filter(organization=request.org))
    titles = dict(Initiative.objects.filter(organization=request.org).values_list("pk", "title"))
    for s in scenarios:
        result = s.result or {}
        s.chosen = [titles.get(int(i), "?") for i in result.get("selected", [])]
    return render(request, "portfolio/scenario_list.html", {"scenarios": scenarios})


def _scenario_context(request, scenario: Scenario) -> dict:
    """What the scenario page and its live status show (a fixed number of queries)."""
    initiatives = {str(i.pk): i for i in _scored(request)}
    result = scenario.result or {}
    chosen = [initiatives[i] for i in result.get("selected", []) if i in initiatives]
    chosen.sort(key=lambda i: -i.score)
    ranked = set(result.get("ranking", {}).get("selected", []))
    left_out = []
    for item_id, why in (result.get("explanations") or {}).items():
        if item_id in initiatives:
            i = initiatives[item_id]
            i.why = why
            i.dropped_titles = [initiatives[d].title for d in why["dropped"] if d in initiatives]
            left_out.append(i)
    left_out.sort(key=lambda i: -i.score)
    stale = bool(result) and services.result_is_stale(scenario)
    totals, ranking = result.get("totals", {}), result.get("ranking", {}).get("totals", {})
    return {
        "scenario": scenario,
        "result": result,
        "chosen": chosen,
        "left_out": left_out,
        "only_optimiser": [i for i in chosen if str(i.pk) not in ranked],
        "only_ranking": [
            initiatives[i] for i in ranked - set(result.get("selected", [])) if i in initiatives
        ],
        "gain": round(totals.get("value", 0) - ranking.get("value", 0), 1) if result else 0,
        "stale": stale,
        "polling": scenario.state in (RunState.QUEUED, RunState.RUNNING),
    }


@org_view()
@require_GET
def scenario_detail(request, scenario_id: int):
    scenario = get_object_for_member(
        request,
        Scenario.objects.select_related("organization").prefetch_related("mandatory"),
        scenario_id,
    )
    teams = list(Team.objects.filter(organization=request.org))
    limits = {t.team_id: t.months for t in scenario.team_limits.all()}
    for team in teams:
        team.limit = limits.get(team.pk, "")
    context = _scenario_context(request, scenario)
    return render(request, "portfolio/scenario_detail.html", {**context, "teams": teams})


@org_view()
@require_GET
def scenario_status(request, scenario_id: int):
    """The result panel alone, polled while a run is in the background."""
    scenario = get_object_for_member(
        request, Scenario.objects.select_related("organization"), scenario_id
    )
    return render(
        request, "portfolio/partials/scenario_result.html", _scenario_context(request, scenario)
    )


@org_view(Role.EDITOR)
@require_POST
def scenario_run(request, scenario_id: int):
    scenario = get_object_for_member(request, Scenario, scenario_id)
    _run(request, scenario)
    return redirect(_url(request, "scenario_detail", scenario.pk))


def _run(request, scenario: Scenario) -> None:
    """Run the optimiser on a scenario and say how it went."""
    try:
        state = services.run_scenario(scenario, actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        if state == RunState.DONE:
            messages.success(request, "Scenario solved.")
        else:
            messages.info(request, "Still searching in the background; this page updates itself.")


@org_view(Role.EDITOR)
@require_POST
def scenario_apply(request, scenario_id: int):
    scenario = get_object_for_member(request, Scenario, scenario_id)
    try:
        changed = services.apply_scenario(scenario, actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
        return redirect(_url(request, "scenario_detail", scenario.pk))
    # The next step is the committee's decision: open its form, set to approve them.
    waiting = services.chosen_initiatives(scenario).filter(status=Status.PROPOSED)
    ids = list(waiting.values_list("pk", flat=True))
    messages.success(
        request,
        f"{changed} initiative{pluralize(changed)} marked proposed. Record the committee's "
        "decision below, or take it to a meeting's agenda.",
    )
    if not ids:
        return redirect(_url(request, "scenario_detail", scenario.pk))
    query = urlencode({"change": "approve", "initiative": ids}, doseq=True)
    return redirect(reverse("governance:decision_create", args=[request.org.slug]) + "?" + query)


@org_view(Role.EDITOR)
@require_POST
def scenario_limits(request, scenario_id: int):
    """Set how many FTE-months each team can give to this scenario (empty: no limit)."""
    scenario = get_object_for_member(request, Scenario, scenario_id)
    teams = {t.pk: t for t in Team.objects.filter(organization=request.org)}
    raw = {k: request.POST.get(f"team-{k}", "").strip() for k in teams}
    values = _decimal_inputs(request, "team-", teams, Decimal(100000))
    if values is not None:
        limits = {teams[k]: v for k, v in values.items() if raw[k] != ""}
        services.set_team_limits(scenario, limits, actor=request.user)
        messages.success(request, "Team limits saved.")
    return redirect(_url(request, "scenario_detail", scenario.pk))


_, _, scenario_delete = model_views(
    Scenario, ScenarioForm, id_kwarg="scenario_id", list_url=lambda r: _url(r, "scenario_list")
)


def _scenario_form(request, scenario: Scenario | None):
    """Add or change a scenario; "Save and run" runs the optimiser in the same click."""

    def after_save(saved: Scenario) -> str:
        if request.POST.get("run"):
            _run(request, saved)
        return _url(request, "scenario_detail", saved.pk)

    return form_page(
        request,
        ScenarioForm,
        instance=scenario,
        title=f"Change the scenario “{scenario}”" if scenario else "Add a scenario",
        cancel_url=_url(request, "scenario_detail", scenario.pk)
        if scenario
        else _url(request, "scenario_list"),
        success_url=after_save,
        context={"save_and": {"name": "run", "label": "Save and run"}},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def scenario_create(request):
    return _scenario_form(request, None)


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def scenario_edit(request, scenario_id: int):
    return _scenario_form(request, get_object_for_member(request, Scenario, scenario_id))
