"""State changes of the roadmap: items kept in step with approvals, scheduling, moving."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from cairn.assessment.models import Team
from cairn.core import throttle
from cairn.core.failed_jobs import reason
from cairn.core.models import AuditAction, AuditEvent, AuditVia, Organization
from cairn.core.services import ServiceError, audit_event, record, record_change, snapshot
from cairn.goals.models import BusinessGoal
from cairn.portfolio.models import Initiative, TeamEffort
from cairn.portfolio.scoring import scores, with_scoring_data
from cairn.roadmap.models import (
    ON_ROADMAP,
    BudgetCapacity,
    BudgetLine,
    Plan,
    RoadmapItem,
    RunState,
    TeamCapacity,
    per_period_fte,
)
from cairn.solver.schedule import (
    Project,
    Reason,
    Schedule,
    check_reasons,
    load,
    solve_schedule,
)


@transaction.atomic
def sync_items(org: Organization, plan: Plan, *, actor=None, via: AuditVia = AuditVia.WEB) -> int:
    """Give every approved or under-way initiative a roadmap item (returns how many were made).

    New items start at the earliest period; their duration comes from the initiative's months.
    """
    have = set(RoadmapItem.objects.filter(organization=org).values_list("initiative_id", flat=True))
    missing = Initiative.objects.filter(organization=org, status__in=ON_ROADMAP).exclude(
        pk__in=have
    )
    items = [
        RoadmapItem(
            organization=org,
            initiative=i,
            created_by=actor,
            duration=max(1, math.ceil(i.duration_months / plan.months_per_period)),
        )
        for i in missing
    ]
    RoadmapItem.objects.bulk_create(items)
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                org,
                actor=actor,
                action=AuditAction.CREATE,
                obj=item,
                before=None,
                after=snapshot(item),
                via=via,
            )
            for item in items
        ]
    )
    return len(items)


def place_approved(initiative: Initiative, *, actor=None, via: AuditVia = AuditVia.WEB) -> None:
    """An initiative just approved (or under way) goes on the roadmap at once, unscheduled
    until the scheduler or a person places it; whichever way its status changed."""
    if initiative.status not in ON_ROADMAP:
        return
    if RoadmapItem.objects.filter(initiative=initiative).exists():
        return
    sync_items(initiative.organization, Plan.for_org(initiative.organization), actor=actor, via=via)


def items_for(org: Organization):
    """Roadmap items of initiatives still on the roadmap, with what scheduling reads."""
    return (
        RoadmapItem.objects.filter(organization=org, initiative__status__in=ON_ROADMAP)
        .select_related("initiative", "budget_line")
        .prefetch_related(
            Prefetch("initiative__efforts", queryset=TeamEffort.objects.select_related("team")),
            Prefetch(
                "initiative__depends_on",
                queryset=Initiative.objects.select_related("roadmap_item").only(
                    "id", "title", "roadmap_item__id"
                ),
            ),
            Prefetch("initiative__goals", queryset=BusinessGoal.objects.only("id", "title")),
        )
    )


@dataclass
class Resources:
    """Capacity of every resource in every period, and who needs what."""

    capacity: dict[str, list[Decimal]]
    teams: list[Team]
    lines: list[BudgetLine]


def resources(org: Organization, plan: Plan) -> Resources:
    """Teams (headcount, or the period's own figure) and budget lines, per period."""
    n = plan.periods
    teams = list(Team.objects.filter(organization=org))
    capacity: dict[str, list[Decimal]] = {t.name: [t.headcount] * n for t in teams}
    by_id = {t.pk: t for t in teams}
    for c in TeamCapacity.objects.filter(team__organization=org, period__lt=n):
        capacity[by_id[c.team_id].name][c.period] = c.fte
    lines = list(BudgetLine.objects.filter(organization=org))
    for line in lines:
        capacity[f"budget: {line.name}"] = [line.per_period] * n
    names = {line.pk: f"budget: {line.name}" for line in lines}
    for c in BudgetCapacity.objects.filter(line__organization=org, period__lt=n):
        capacity[names[c.line_id]][c.period] = c.amount
    return Resources(capacity, teams, lines)


def demand(item: RoadmapItem, plan: Plan) -> dict[str, Decimal]:
    """What an item needs in each period it runs: FTE per team, money per budget line."""
    need = {
        e.team.name: per_period_fte(e.months, plan.months_per_period, item.duration)
        for e in item.initiative.efforts.all()
        if e.months
    }
    if item.budget_line and item.duration:
        need[f"budget: {item.budget_line.name}"] = (
            item.initiative.one_off_cost / item.duration
        ).quantize(Decimal("0.01"))
    return need


def build(org: Organization, plan: Plan):
    """The scheduling problem of the roadmap, its items by id, and the resources."""
    items = list(items_for(org))
    res = resources(org, plan)
    initiatives = [i.initiative for i in items]
    values = scores(
        org, list(with_scoring_data(Initiative.objects.filter(pk__in=[i.pk for i in initiatives])))
    )
    on_map = {i.initiative_id for i in items}
    floor = first_open(plan)
    projects = []
    for item in items:
        projects.append(
            Project(
                id=str(item.pk),
                duration=item.duration,
                demand=demand(item, plan),
                after=tuple(
                    str(d.roadmap_item.pk)
                    for d in item.initiative.depends_on.all()
                    if d.pk in on_map and hasattr(d, "roadmap_item")
                ),
                # never in the past; a start kept by hand (work under way) stays where it is
                earliest=min(
                    max(item.earliest, floor)
                    if not item.pinned or item.start is None
                    else min(max(item.earliest, floor), item.start),
                    plan.periods - 1,
                ),
                deadline=item.deadline,
                weight=max(values[item.initiative_id].score, Decimal(1)),
                start=item.start if item.pinned else None,
            )
        )
    schedule = Schedule(
        tuple(projects),
        {k: tuple(v) for k, v in res.capacity.items()},
        plan.periods,
        plan.objective,
        float(plan.time_limit_s),
    )
    return schedule, {str(i.pk): i for i in items}, res


def first_open(plan: Plan) -> int:
    """The first period work may still be placed in: the current one (a period under way
    counts from today), or the plan's first when it starts in the future."""
    return min(max(plan.today, 0), plan.periods - 1)


def describe(reasons: list[Reason], items: dict[str, RoadmapItem], plan: Plan) -> list[str]:
    """The reasons in words, with initiative titles and period names, never ids or indexes."""

    def name(key: str) -> str:
        item = items.get(key)
        return f"“{item.initiative.title}”" if item else "an initiative no longer on the roadmap"

    return [r.text(name, plan.period_label) for r in reasons]


INLINE_SECONDS = 1.0  # schedules not proven within this go on in the background worker


def saved_plan(org: Organization, *, actor, via: AuditVia = AuditVia.WEB) -> Plan:
    """The organisation's plan, saved (and audited) the first time something changes it."""
    plan = Plan.for_org(org)
    if plan.pk is None:
        plan.created_by = actor if actor and actor.pk else None
        plan.save()
        record_change(plan, None, actor=actor, via=via)
    return plan


SAVE_SECONDS = 2.0  # building the problem and storing the plan, on top of the time limit


SCHEDULER = throttle.Kind(
    "scheduling run", "The roadmap is waiting to be scheduled.", "The roadmap is being scheduled."
)


def scheduler_jobs(org: Organization) -> list[throttle.Job]:
    """The organisation's scheduling run, if one waits for the worker or runs."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from cairn.roadmap.tasks import schedule_roadmap

    plan = (
        Plan.objects.filter(organization=org, state=RunState.RUNNING)
        .only("pk", "updated", "time_limit_s")
        .first()
    )
    if plan is None:
        return []
    # The plan says "running" from the request on; the worker's row tells waiting from running.
    task = (
        DBTaskResult.objects.filter(
            task_path=schedule_roadmap.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
            args_kwargs__args__0=org.pk,
        )
        .only("status", "enqueued_at", "started_at")
        .order_by("-enqueued_at")
        .first()
    )
    waiting = task is not None and task.status == TaskResultStatus.READY
    return [
        SCHEDULER.job(
            f"plan {plan.pk}",
            "",
            waiting=waiting,
            since=(task.started_at or task.enqueued_at) if task else plan.updated,
            takes_s=plan.time_limit_s + SAVE_SECONDS,
        )
    ]


def check_schedule(org: Organization) -> None:
    """Refuse (``throttle.Throttled``) when scheduling now would be refused, before doing
    what should come with it; a run waiting to start is fine (it will be joined)."""
    throttle.check(scheduler_jobs(org), SCHEDULER, key=_plan_key(org))


def _plan_key(org: Organization) -> str | None:
    pk = Plan.objects.filter(organization=org).values_list("pk", flat=True).first()
    return f"plan {pk}" if pk else None


def run_schedule(org: Organization, *, actor, via: AuditVia = AuditVia.WEB) -> Plan:
    """Schedule every item not kept in place: at once when it is proven within a second,
    else in the background (the plan's state says "running" meanwhile).

    One run at a time per organisation: while one runs, refused with ``throttle.Throttled``
    (nothing is written); while one waits for the worker, this request joins it.
    """
    from cairn.roadmap.tasks import schedule_roadmap

    with transaction.atomic():
        waiting = throttle.admit(org, lambda: scheduler_jobs(org), SCHEDULER, key=_plan_key(org))
        plan = saved_plan(org, actor=actor, via=via)
        if waiting is not None:
            return plan
        before = plan.state
        Plan.objects.filter(pk=plan.pk).update(state=RunState.RUNNING, updated=timezone.now())
    try:
        sync_items(org, plan, actor=actor, via=via)
        if plan.time_limit_s > INLINE_SECONDS:
            quick = apply_schedule(
                org, plan, actor=actor, via=via, time_limit_s=INLINE_SECONDS, only_if_proven=True
            )
            if quick is not None:
                return quick
            schedule_roadmap.enqueue(org.pk, actor.pk if actor else None, via)
            plan.refresh_from_db()
            return plan
        return apply_schedule(org, plan, actor=actor, via=via)
    except Exception:  # the run is over: free the organisation's turn, then fail
        Plan.objects.filter(pk=plan.pk, state=RunState.RUNNING).update(state=before)
        raise


@transaction.atomic
def apply_schedule(
    org: Organization,
    plan: Plan,
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    time_limit_s: float | None = None,
    only_if_proven: bool = False,
) -> Plan | None:
    """Solve and store the schedule (or the reasons none fits). With ``only_if_proven``, an
    answer not proven optimal (or infeasible) is dropped and None returned."""
    problem, items, _ = build(org, plan)
    if time_limit_s is not None:
        problem = Schedule(
            problem.projects,
            problem.capacity,
            problem.horizon,
            problem.objective,
            time_limit_s,
            problem.workers,
        )
    answer = solve_schedule(problem)
    if only_if_proven and answer.status not in ("optimal", "infeasible"):
        return None
    # Reasons stay structured (ids, 0-based periods) with a readable text for the API.
    result = answer.as_dict()
    if answer.why:
        result["why"] = [r.as_dict() for r in answer.why]
        result["reasons"] = describe(answer.why, items, plan)
    if answer.status in ("optimal", "feasible"):
        changed, events = [], []
        for key, item in items.items():
            new = answer.start[key]
            if item.start != new:
                before = snapshot(item)
                item.start = new
                item.version += 1
                changed.append(item)
                events.append(
                    audit_event(
                        org,
                        actor=actor,
                        action=AuditAction.UPDATE,
                        obj=item,
                        before=before,
                        after=snapshot(item),
                        via=via,
                    )
                )
        RoadmapItem.objects.bulk_update(changed, ["start", "version"])
        AuditEvent.objects.bulk_create(events)
        plan.state, result["moved"] = RunState.DONE, len(changed)
    else:
        plan.state = RunState.INFEASIBLE
    plan.result, plan.last_run = result, timezone.now()
    plan.save(update_fields=["state", "result", "last_run"])
    record(
        org,
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        before=None,
        after={"status": result["status"], "makespan": result.get("makespan")},
        via=via,
    )
    return plan


@dataclass
class Overload:
    resource: str
    period: int
    demand: Decimal
    capacity: Decimal


def _overloads(problem: Schedule, starts) -> list[Overload]:
    use = load(problem, starts)
    return [
        Overload(r, t, v, problem.cap(r, t))
        for r, values in use.items()
        for t, v in enumerate(values)
        if v > problem.cap(r, t)
    ]


def current_starts(items: dict[str, RoadmapItem]) -> dict[str, int]:
    """Starts of the items placed so far, by item id."""
    return {k: i.start for k, i in items.items() if i.start is not None}


def move_item(item: RoadmapItem, start: int, *, actor, via: AuditVia = AuditVia.WEB) -> list[str]:
    """Move one item by hand and keep it there; nothing else moves. Returns every rule the
    roadmap now breaks (overloads, order, deadlines), in words, for the person to see."""
    plan = Plan.for_org(item.organization)
    first, last = first_open(plan), plan.periods - item.duration
    if not first <= start <= last:
        if last < first:
            raise ServiceError("It no longer fits between now and the end of the roadmap.")
        raise ServiceError(
            f"Choose a start between {plan.period_label(first)} and {plan.period_label(last)}."
        )
    return update_item(item, {"start": start, "pinned": True}, plan, actor=actor, via=via)


def problems_now(org: Organization, plan: Plan, built=None) -> list[str]:
    """What the roadmap as it stands breaks, in words with titles and period names.

    ``built`` is what ``build`` returned, when the caller has it already.
    """
    built = built or build(org, plan)
    return describe(problems_found(plan, built), built[1], plan)


def problems_found(plan: Plan, built) -> list[Reason]:
    """What the roadmap as it stands breaks, structured: overloads, then order and deadlines."""
    problem, items, _ = built
    starts = current_starts(items)
    if len(starts) < len(items):
        return []  # not every item placed yet: scheduling will place them
    found = [
        Reason("over", resource=o.resource, periods=(o.period,), numbers=(o.demand, o.capacity))
        for o in _overloads(problem, starts)
    ]
    relaxed = Schedule(
        tuple(
            Project(p.id, p.duration, {}, p.after, items[p.id].earliest, p.deadline, p.weight, None)
            for p in problem.projects
        ),
        {},
        problem.horizon,
    )
    found += check_reasons(relaxed, starts)
    return found


@transaction.atomic
def set_capacities(
    org: Organization,
    teams: dict[int, Team],
    values: dict[tuple[int, int], Decimal],
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    lines: dict[int, BudgetLine] | None = None,
    amounts: dict[tuple[int, int], Decimal] | None = None,
) -> None:
    """Replace the per-period figures of the teams (FTE) and budget lines (money); periods
    left out use the team's headcount or the line's usual amount."""
    lines, amounts = lines or {}, amounts or {}
    current = TeamCapacity.objects.filter(team__organization=org)
    money = BudgetCapacity.objects.filter(line__organization=org)
    before = {
        f"{teams[c.team_id].name} period {c.period}": str(c.fte)
        for c in current
        if c.team_id in teams
    }
    before |= {
        f"{lines[c.line_id].name} period {c.period}": str(c.amount)
        for c in money
        if c.line_id in lines
    }
    current.delete()
    money.delete()
    TeamCapacity.objects.bulk_create(
        [TeamCapacity(team=teams[t], period=n, fte=v) for (t, n), v in values.items()]
    )
    BudgetCapacity.objects.bulk_create(
        [BudgetCapacity(line=lines[k], period=n, amount=v) for (k, n), v in amounts.items()]
    )
    after = {f"{teams[t].name} period {n}": str(v) for (t, n), v in values.items()}
    after |= {f"{lines[k].name} period {n}": str(v) for (k, n), v in amounts.items()}
    if before != after:
        plan = saved_plan(org, actor=actor, via=via)
        record(
            org,
            actor=actor,
            action=AuditAction.UPDATE,
            obj=plan,
            before={"capacity": before},
            after={"capacity": after},
            via=via,
        )


@transaction.atomic
def update_item(
    item: RoadmapItem, changes: dict, plan: Plan, *, actor, via: AuditVia = AuditVia.WEB
) -> list[str]:
    """Change an item's start, pin, earliest start, deadline or duration, checking they fit the
    roadmap. A new start keeps the item there. Returns what the roadmap now breaks."""
    for key in ("pinned", "earliest", "duration"):
        if key in changes and changes[key] is None:
            raise ServiceError(f"“{key}” cannot be empty.")
    new = {
        "start": item.start,
        "pinned": item.pinned,
        "earliest": item.earliest,
        "deadline": item.deadline,
        "duration": item.duration,
        "duration_best": item.duration_best,
        "duration_worst": item.duration_worst,
        **changes,
    }
    if new["duration_best"] is not None and new["duration_best"] > new["duration"]:
        raise ServiceError("If all goes well it cannot take longer than expected.")
    if new["duration_worst"] is not None and new["duration_worst"] < new["duration"]:
        raise ServiceError("If it goes badly it cannot take less time than expected.")
    if "start" in changes and changes["start"] is not None and "pinned" not in changes:
        new["pinned"] = True
    if new["duration"] > plan.periods:
        raise ServiceError(f"The roadmap holds {plan.periods} periods.")
    if new["start"] is not None and new["start"] + new["duration"] > plan.periods:
        raise ServiceError("It would run past the end of the roadmap.")
    if new["deadline"] is not None and new["earliest"] + new["duration"] > new["deadline"]:
        raise ServiceError("It cannot end by its deadline if it starts no earlier.")
    if new["pinned"] and new["start"] is None:
        raise ServiceError("Give the start to keep.")
    first = first_open(plan)
    if new["start"] is not None and new["start"] != item.start and new["start"] < first:
        raise ServiceError(
            f"{plan.period_label(new['start'])} is past; choose {plan.period_label(first)} "
            "or later."
        )
    before = snapshot(item)
    for key, value in new.items():
        setattr(item, key, value)
    item.version += 1
    item.save()
    record_change(item, before, actor=actor, via=via)
    return problems_now(item.organization, plan)


@transaction.atomic
def update_plan(plan: Plan, changes: dict, *, actor, via: AuditVia = AuditVia.WEB) -> Plan:
    """Change the roadmap's periods, start, objective or time limit (audited)."""
    if plan.pk is None:  # the defaults were only shown so far: store them, then change them
        plan = saved_plan(plan.organization, actor=actor, via=via)
    before = snapshot(plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    plan.version += 1
    plan.save()
    record_change(plan, before, actor=actor, via=via)
    return plan


def run_in_background(org_id: int, actor_id: int | None, via: str) -> None:
    """The worker's part: schedule with the plan's full time limit."""
    from django.contrib.auth import get_user_model

    org = Organization.objects.get(pk=org_id)
    actor = get_user_model().objects.filter(pk=actor_id).first()
    plan = Plan.for_org(org)
    try:
        apply_schedule(org, plan, actor=actor, via=via)
    except Exception as e:  # recorded for the person, then re-raised for the worker's log
        _failed(Plan.objects.filter(pk=plan.pk), reason(e))
        raise


def _failed(plans, why: str) -> None:
    """The run is over without a schedule, nothing moved; ``why`` ends "The scheduler
    stopped before it finished (…)" on the roadmap."""
    plans.update(state=RunState.FAILED, result={"status": "failed", "error": why[:500]})


def background_run_failed(task_result, why: str) -> None:
    """A background run that ended failed (it raised, or its worker was lost for good): the
    plan, if still running, is failed, free to be scheduled again."""
    _failed(Plan.objects.filter(organization_id=task_result.args[0], state=RunState.RUNNING), why)
