"""Pages of the roadmap: the Gantt, capacity, the board view, settings, milestones, exports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.assessment.models import Team
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import form_page, model_views
from cairn.core.forms import parse_amount
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.core.tabular import FORMATS, write_table
from cairn.execution import services as execution
from cairn.execution.rules import Health, ReportState
from cairn.portfolio.models import QUADRANT_COLOURS, Initiative, Status
from cairn.roadmap import services
from cairn.roadmap.forms import BudgetLineForm, MilestoneForm, PlanForm, RoadmapItemForm
from cairn.roadmap.models import (
    BudgetCapacity,
    BudgetLine,
    Milestone,
    Plan,
    RoadmapItem,
    TeamCapacity,
)
from cairn.solver.schedule import Reason, load


def _url(request, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[request.org.slug, *args])


# Tabler's colours for a health dot; a missing report is orange, as on the execution pages.
DOT_COLOURS = {"green": "green", "amber": "yellow", "red": "red", "missing": "orange", "none": ""}


def _day(day) -> str:
    return f"{day.day} {day:%b %Y}"


def _how_it_goes(row: execution.Figures | None) -> dict:
    """What the roadmap shows of an initiative's execution: its health (or that its report is
    missing), percent complete, and the forecast finish where it is later than planned."""
    if row is None:
        return {"health": "", "colour": "", "label": "", "progress": 0, "late": None, "text": ""}
    if row.report_state == ReportState.MISSING:
        health, label = "missing", "No report"
    elif row.health:
        health, label = row.health, Health(row.health).label
    else:
        health, label = "none", "Not reported yet"
    late = row.forecast_finish if row.late_by_days else None
    text = f"{label} · {row.percent_complete or 0}% complete"
    if row.planned_finish:
        text += f" · planned finish {_day(row.planned_finish)}"
        if late:
            text += f", forecast {_day(late)} ({row.late_by_days} days late)"
    return {
        "health": health,
        "colour": DOT_COLOURS[health],
        "label": label,
        "progress": row.percent_complete or 0,
        "planned": row.planned_finish,
        "late": late,
        "text": text,
    }


def _roadmap(request):
    """The plan, its items, the problem and the current load: what every roadmap page reads."""
    plan = Plan.for_org(request.org)
    problem, items, res = services.build(request.org, plan)
    return plan, problem, items, res


@org_view()
@require_GET
def gantt(request):
    """The roadmap as a Gantt chart, grouped by goal or by team, with the problems it has."""
    plan, problem, items, res = _roadmap(request)
    group = request.GET.get("group", "goal")
    milestones = list(
        Milestone.objects.filter(
            organization=request.org, initiative__roadmap_item__isnull=False
        ).select_related("initiative")
    )
    tasks, groups = [], {}
    going = {f.pk: f for f in execution.figures(request.org)}
    goal_of = {
        i.initiative_id: ([g.title for g in i.initiative.goals.all()] or ["No goal"])[0]
        for i in items.values()
    }
    for key, item in items.items():
        efforts = sorted(item.initiative.efforts.all(), key=lambda e: -e.months)
        label = (
            goal_of[item.initiative_id]
            if group == "goal"
            else (efforts[0].team.name if efforts else "No team")
        )
        groups.setdefault(label, []).append((key, item))
    for n, label in enumerate(sorted(groups)):
        placed = [(k, i) for k, i in groups[label] if i.start is not None]
        if not placed:
            continue
        first = min(i.start for _, i in placed)
        last = max(i.start + max(i.duration, 1) for _, i in placed)
        tasks.append(
            {
                "id": f"g{n}",
                "name": label,
                "progress": 0,
                "custom_class": "bar-group",
                "start": plan.period_start(first).isoformat(),
                "end": (plan.period_start(last) - timedelta(days=1)).isoformat(),
            }
        )
        for key, item in sorted(placed, key=lambda p: p[1].start):
            how = _how_it_goes(going.get(item.initiative_id))
            begin = plan.period_start(item.start)
            end = plan.period_start(item.start + max(item.duration, 1)) - timedelta(days=1)
            tasks.append(
                {
                    "id": key,
                    "name": f"{item.initiative.title}",
                    "group": label,
                    "start": begin.isoformat(),
                    "end": end.isoformat(),
                    "progress": how["progress"],  # the latest status report's percent complete
                    "health": how["health"],
                    "health_colour": how["colour"],
                    "health_label": how["label"],
                    "description": how["text"],  # the bar's popup says it
                    "dependencies": ", ".join(
                        str(d.roadmap_item.pk)
                        for d in item.initiative.depends_on.all()
                        if hasattr(d, "roadmap_item") and str(d.roadmap_item.pk) in items
                    ),
                    "custom_class": f"bar-{QUADRANT_COLOURS[item.initiative.quadrant]}"
                    + ("-pinned" if item.pinned else ""),  # frappe-gantt takes one class name
                    "url": _url(request, "item_edit", item.pk),
                    "move_url": _url(request, "item_move", item.pk),
                }
            )
    for m in milestones:
        tasks.append(
            {
                "id": f"m{m.pk}",
                "name": f"◆ {m.title}",
                "start": m.due.isoformat(),
                "end": m.due.isoformat(),
                "progress": 100 if m.done else 0,
                "custom_class": "bar-slipped" if m.slipped else "bar-milestone",
                "url": _url(request, "milestone_edit", m.pk),
                "milestone": True,
            }
        )
    unplaced = [i for i in items.values() if i.start is None]
    waiting = []  # an empty roadmap says what waits for a decision
    if not items:
        waiting = list(
            Initiative.objects.filter(organization=request.org, status=Status.PROPOSED).values_list(
                "pk", flat=True
            )[:100]
        )
    reasons = services.describe(
        [Reason.from_dict(r) for r in (plan.result or {}).get("why", [])], items, plan
    )
    return render(
        request,
        "roadmap/gantt.html",
        {
            "plan": plan,
            "reasons": reasons or (plan.result or {}).get("reasons", []),
            "waiting": waiting,
            # open at the current period (the plan's first, when it starts later)
            "scroll_to": plan.period_start(services.first_open(plan)).isoformat(),
            "decide_url": reverse("governance:decision_create", args=[request.org.slug])
            + "?change=approve&"
            + "&".join(f"initiative={pk}" for pk in waiting),
            "tasks": tasks,
            "group": group,
            "unplaced": unplaced,
            "problems": services.problems_now(request.org, plan, (problem, items, res))
            if not unplaced
            else [],
            "count": len(items),
            "slipped": [m for m in milestones if m.slipped],
            "late": [(r, _how_it_goes(r)) for r in going.values() if r.late_by_days],
            "periods": [
                (n, plan.period_label(n), plan.period_start(n).isoformat())
                for n in range(plan.periods)
            ],
        },
    )


@org_view(Role.EDITOR)
@require_POST
def schedule(request):
    """Place every initiative that is not kept in place."""
    try:
        plan = services.run_schedule(request.org, actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
        return redirect(_url(request, "gantt"))
    if plan.state == "running":
        messages.info(request, "Still searching in the background; this page updates itself.")
    elif plan.state == "done" and not plan.result.get("start"):
        messages.info(
            request,
            "Nothing to schedule: no approved initiative is on the roadmap yet. "
            "Approve some through a decision first.",
        )
    elif plan.state == "done":
        moved = plan.result.get("moved", 0)
        proof = "the best possible" if plan.result["status"] == "optimal" else "the best found"
        messages.success(request, f"Scheduled: {moved} initiative(s) moved; this plan is {proof}.")
    elif plan.state == "failed":  # a quick worker was done already
        messages.error(request, "The scheduler stopped before it finished: see below.")
    else:
        messages.error(
            request,
            "No plan fits the capacity, order and deadlines. Nothing was "
            "changed; the reasons are listed below.",
        )
    return redirect(_url(request, "gantt"))


@org_view()
@require_GET
def status(request):
    """Polled while the roadmap is scheduled in the background: reload when it is done."""
    plan = Plan.for_org(request.org)
    response = render(request, "roadmap/partials/running.html", {"plan": plan})
    if plan.state != "running":
        response["HX-Refresh"] = "true"
    return response


@org_view(Role.EDITOR)
@require_POST
def item_move(request, item_id: int):
    """Move one initiative to another period (from the Gantt or a form) and report problems."""
    item = get_object_for_member(request, RoadmapItem.objects.select_related("initiative"), item_id)
    plan = Plan.for_org(request.org)
    raw = request.POST.get("start", "")
    if raw[:10].count("-") == 2:  # a date from the Gantt: the period it falls in
        from datetime import date

        try:
            start = plan.period_of(date.fromisoformat(raw[:10]))
        except ValueError:
            start = -1
    else:
        start = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 5 else -1
    try:
        problems = services.move_item(item, start, actor=request.user)
    except ServiceError as e:
        return JsonResponse({"error": str(e)}, status=422)
    return JsonResponse(
        {"start": item.start, "label": plan.period_label(item.start), "problems": problems}
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def item_edit(request, item_id: int):
    item = get_object_for_member(request, RoadmapItem.objects.select_related("initiative"), item_id)
    plan = Plan.for_org(request.org)
    return form_page(
        request,
        RoadmapItemForm,
        instance=item,
        title=f"When “{item.initiative}” runs",
        cancel_url=_url(request, "gantt"),
        success_url=lambda i: _url(request, "gantt"),
        form_kwargs={"periods": plan.periods, "labels": plan.period_label},
    )


@org_view()
@require_GET
def capacity(request):
    """Demand against capacity for every team and budget line, period by period."""
    plan, problem, items, res = _roadmap(request)
    use = load(problem, services.current_starts(items))
    charts = []
    for resource, caps in problem.capacity.items():
        demand = use[resource]
        charts.append(
            {
                "name": resource,
                "capacity": [float(c) for c in caps],
                "demand": [float(d) for d in demand],
                "over": [n for n, (d, c) in enumerate(zip(demand, caps, strict=True)) if d > c],
            }
        )
    labels = [plan.period_label(n) for n in range(plan.periods)]
    return render(
        request, "roadmap/capacity.html", {"plan": plan, "charts": charts, "labels": labels}
    )


@org_view()
@require_GET
def board(request):
    """One page for a board pack: what runs when, by goal, with milestones."""
    plan, problem, items, res = _roadmap(request)
    going = {f.pk: f for f in execution.figures(request.org)}
    rows = []
    for item in sorted(items.values(), key=lambda i: (i.start is None, i.start or 0)):
        cells = [
            item.start is not None and item.start <= n < item.start + max(item.duration, 1)
            for n in range(plan.periods)
        ]
        rows.append((item, cells, _how_it_goes(going.get(item.initiative_id))))
    milestones = Milestone.objects.filter(organization=request.org).select_related("initiative")
    return render(
        request,
        "roadmap/board.html",
        {
            "plan": plan,
            "rows": rows,
            "labels": [plan.period_label(n) for n in range(plan.periods)],
            "milestones": milestones,
        },
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    plan = Plan.for_org(request.org)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        services.update_plan(plan, form.cleaned_data, actor=request.user)
        messages.success(request, "Roadmap settings saved. Schedule again to use them.")
        return redirect(_url(request, "gantt"))
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": "Roadmap settings", "cancel_url": _url(request, "gantt")},
    )


@org_view()
@require_GET
def resources_page(request):
    """Each team's capacity by period (headcount unless changed) and the budget lines."""
    plan = Plan.for_org(request.org)
    teams = list(Team.objects.filter(organization=request.org))
    changed = {
        (c.team_id, c.period): c.fte
        for c in TeamCapacity.objects.filter(team__organization=request.org)
    }
    grid = [
        (t, [(n, changed.get((t.pk, n), ""), t.headcount) for n in range(plan.periods)])
        for t in teams
    ]
    lines = list(BudgetLine.objects.filter(organization=request.org))
    amounts = {
        (c.line_id, c.period): c.amount
        for c in BudgetCapacity.objects.filter(line__organization=request.org)
    }
    money = [
        (line, [(n, amounts.get((line.pk, n), ""), line.per_period) for n in range(plan.periods)])
        for line in lines
    ]
    return render(
        request,
        "roadmap/resources.html",
        {
            "plan": plan,
            "grid": grid,
            "money": money,
            "lines": lines,
            "labels": [plan.period_label(n) for n in range(plan.periods)],
        },
    )


@org_view(Role.EDITOR)
@require_POST
def capacity_save(request):
    """Save the per-period capacities (an empty cell means the team's headcount)."""
    plan = Plan.for_org(request.org)
    teams = {t.pk: t for t in Team.objects.filter(organization=request.org)}
    lines = {line.pk: line for line in BudgetLine.objects.filter(organization=request.org)}
    found: dict[str, dict[tuple[int, int], Decimal]] = {}
    for prefix, rows, top, unit, step in [
        ("cap", teams, 100000, "FTE", "0.1"),
        ("money", lines, 10**11, "money", "0.01"),
    ]:
        found[prefix] = {}
        for row_id, row in rows.items():
            for n in range(plan.periods):
                raw = request.POST.get(f"{prefix}-{row_id}-{n}", "").strip()
                if not raw:
                    continue
                value = parse_amount(raw, top)
                if value is None:
                    messages.error(
                        request,
                        f"“{raw[:12]}” is not an amount of {unit} between 0 and {top:,} "
                        f"({row.name}, {plan.period_label(n)}).",
                    )
                    return redirect(_url(request, "resources"))
                found[prefix][(row_id, n)] = value.quantize(Decimal(step))
    services.set_capacities(
        request.org, teams, found["cap"], actor=request.user, lines=lines, amounts=found["money"]
    )
    messages.success(request, "Capacity saved.")
    return redirect(_url(request, "resources"))


budget_create, budget_edit, budget_delete = model_views(
    BudgetLine, BudgetLineForm, id_kwarg="budget_id", list_url=lambda r: _url(r, "resources")
)


@org_view()
@require_GET
def milestone_list(request):
    milestones = Milestone.objects.filter(organization=request.org).select_related("initiative")
    return render(request, "roadmap/milestones.html", {"milestones": milestones})


milestone_create, milestone_edit, milestone_delete = model_views(
    Milestone, MilestoneForm, id_kwarg="milestone_id", list_url=lambda r: _url(r, "milestones")
)


@org_view()
@require_GET
def export(request, fmt: str):
    """The schedule as a spreadsheet: one row per initiative."""
    if fmt not in FORMATS:
        from django.http import Http404

        raise Http404
    plan, problem, items, res = _roadmap(request)
    rows = []
    for item in sorted(items.values(), key=lambda i: (i.start is None, i.start or 0)):
        i = item.initiative
        placed = item.start is not None
        rows.append(
            [
                i.title,
                i.get_status_display(),
                i.quadrant.label,
                plan.period_label(item.start) if placed else "",
                plan.period_start(item.start).isoformat() if placed else "",
                (plan.period_start(item.start + item.duration) - timedelta(days=1)).isoformat()
                if placed
                else "",
                item.duration,
                "yes" if item.pinned else "",
                plan.period_label(item.deadline - 1) if item.deadline else "",
            ]
        )
    columns = [
        "initiative",
        "status",
        "quadrant",
        "starts",
        "start_date",
        "end_date",
        "periods",
        "kept_in_place",
        "must_end_in",
    ]
    response = HttpResponse(write_table(columns, rows, fmt), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{request.org.slug}-roadmap.{fmt}"'
    return response


@org_view()
@require_GET
def milestones_ics(request):
    """Every milestone as an iCalendar file, for Outlook or Google Calendar."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Cairn//Roadmap//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{request.org.name} milestones")
    for m in Milestone.objects.filter(organization=request.org).select_related("initiative"):
        event = Event()
        event.add("uid", f"milestone-{m.pk}@{request.org.slug}.cairn")
        event.add("summary", f"{m.title} ({m.initiative.title})")
        event.add("dtstart", m.due)
        event.add("dtend", m.due + timedelta(days=1))
        event.add("dtstamp", m.updated)
        event.add("status", "CONFIRMED")
        if m.done:
            event.add("description", "Done.")
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.org.slug}-milestones.ics"'
    return response
