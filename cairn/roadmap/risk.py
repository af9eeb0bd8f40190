"""How likely the dates are: the roadmap's Monte-Carlo simulation, run by the worker."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from cairn.core.failed_jobs import reason
from cairn.core.models import AuditAction, AuditVia, Organization
from cairn.core.services import ServiceError, record
from cairn.roadmap.models import Milestone, Plan, RunState, Simulation
from cairn.roadmap.services import build, resources
from cairn.solver.risk import RUNS, Estimate, Risk, simulate

SEED = 2027  # one seed: the same roadmap gives the same figures, run after run
FORGOTTEN = timedelta(minutes=30)  # a run not heard of for this long may be started again


def of(org: Organization) -> Simulation:
    """The organisation's simulation, or an empty one not yet saved (reading writes nothing)."""
    return Simulation.objects.filter(organization=org).first() or Simulation(organization=org)


def saved(org: Organization) -> Simulation:
    """The organisation's simulation row, made when missing."""
    row, _ = Simulation.objects.get_or_create(organization=org)
    return row


def start(org: Organization, *, actor, via: AuditVia = AuditVia.WEB) -> Simulation:
    """Queue the simulation for the worker; one already running is joined."""
    from cairn.roadmap.tasks import simulate_roadmap

    with transaction.atomic():
        row = Simulation.objects.select_for_update().get(pk=saved(org).pk)
        if (
            row.state == RunState.RUNNING
            and row.started_at
            and timezone.now() - row.started_at < FORGOTTEN
        ):
            return row
        row.state, row.error, row.started_at, row.finished_at = (
            RunState.RUNNING,
            "",
            timezone.now(),
            None,
        )
        row.save()
        record(
            org,
            actor=actor,
            action=AuditAction.UPDATE,
            obj=Plan.for_org(org) if Plan.objects.filter(organization=org).exists() else None,
            before={},
            after={"simulation": "requested"},
            via=via,
        )
    simulate_roadmap.enqueue(row.pk)
    row.refresh_from_db()
    return row


def _due_at(plan: Plan, day: date) -> float:
    """A date as a position on the plan's periods: 2.5 is half-way through the third."""
    index = plan.period_of(day)
    first, following = plan.period_start(index), plan.period_start(index + 1)
    return index + (day - first).days / max(1, (following - first).days)


def problem(org: Organization, plan: Plan, runs: int = RUNS) -> tuple[Risk, dict]:
    """The simulation of the roadmap as scheduled, and the names to read its answer by."""
    schedule, items, _ = build(org, plan)
    if not items:
        raise ServiceError("There is nothing on the roadmap to simulate yet.")
    planned = (plan.result or {}).get("start") or {}
    starts = {
        pid: item.start if item.start is not None else planned.get(pid, item.earliest)
        for pid, item in items.items()
    }
    order = sorted(items, key=lambda pid: (starts[pid], pid))
    by_id = {p.id: p for p in schedule.projects}
    position = {}
    done: set[str] = set()
    waiting = list(order)
    while waiting:  # the schedule's order, an item never before one it follows
        pid = next(p for p in waiting if all(a in done for a in by_id[p].after))
        waiting.remove(pid)
        done.add(pid)
        position[pid] = len(position)
    durations = {pid: Estimate(*map(float, item.estimate)) for pid, item in items.items()}
    costs = {
        pid: Estimate(*map(float, item.initiative.cost_estimate)) for pid, item in items.items()
    }
    item_of = {item.initiative_id: pid for pid, item in items.items()}
    due, at, milestones = {}, {}, {}
    for m in Milestone.objects.filter(
        organization=org, done=False, initiative_id__in=list(item_of)
    ).order_by("due", "title"):
        pid = item_of[m.initiative_id]
        when = _due_at(plan, m.due)
        length = max(1, items[pid].duration)
        share = min(1.0, max(0.0, (when - starts[pid]) / length))
        key = str(m.pk)
        due[key], at[key] = when, (pid, share)
        milestones[key] = {"title": m.title, "due": m.due.isoformat(), "item": pid}
    res = resources(org, plan)
    lines = [
        sum((Decimal(v) for v in caps), Decimal(0))
        for name, caps in res.capacity.items()
        if name.startswith("budget: ")
    ]
    risk = Risk(
        schedule,
        tuple(sorted(order, key=position.__getitem__)),
        durations,
        costs,
        due=due,
        at=at,
        budget=float(sum(lines)) if lines else None,
        runs=runs,
        seed=SEED,
    )
    names = {
        "titles": {pid: item.initiative.title for pid, item in items.items()},
        "initiatives": {pid: item.initiative_id for pid, item in items.items()},
        "milestone_names": milestones,
        "estimated": sum(
            1
            for pid in items
            if durations[pid].low != durations[pid].high or costs[pid].low != costs[pid].high
        ),
    }
    return risk, names


def work_out(simulation_id: int) -> None:
    """The worker's part: simulate and store the figures with their names."""
    row = Simulation.objects.select_related("organization").get(pk=simulation_id)
    org = row.organization
    try:
        plan = Plan.for_org(org)
        risk, names = problem(org, plan)
        figures = simulate(risk)
    except Exception as e:  # recorded for the person, then re-raised for the worker's log
        failed(row.pk, str(e) if isinstance(e, ServiceError) else reason(e))
        raise
    Simulation.objects.filter(pk=row.pk).update(
        state=RunState.DONE, finished_at=timezone.now(), result={**figures, **names}
    )


def failed(simulation_id: int, why: str) -> None:
    Simulation.objects.filter(pk=simulation_id).update(
        state=RunState.FAILED, finished_at=timezone.now(), error=why[:500]
    )


def background_run_failed(task_result, why: str) -> None:
    """A simulation that ended failed (it raised, or its worker was lost for good)."""
    Simulation.objects.filter(pk=task_result.args[0], state=RunState.RUNNING).update(
        state=RunState.FAILED, finished_at=timezone.now(), error=why[:500]
    )


def by_date(plan: Plan, period: float) -> date:
    """The day by which something ending at this position on the periods is done."""
    index = int(period)
    first = plan.period_start(index)
    if period == index:
        return first - timedelta(days=1) if index else first
    following = plan.period_start(index + 1)
    return first + timedelta(days=int((following - first).days * (period - index)))


def words(plan: Plan, chance: float, period: float) -> str:
    """ "80% likely by 14 March 2027"."""
    return f"{round(chance * 100)}% likely by {date_format(by_date(plan, period), 'j F Y')}"


def summary(org: Organization, row: Simulation) -> dict | None:
    """What the page, the briefing and the strategy document say, in dates and words."""
    result = row.result
    if not result:
        return None
    plan = Plan.for_org(org)
    titles = result["titles"]

    def dates(p: dict) -> dict:
        return {k: by_date(plan, v) for k, v in p.items() if k.startswith("p")}

    out_milestones: list[dict] = []
    for key, figures in result["milestones"].items():
        m = result["milestone_names"][key]
        out_milestones.append(
            {
                "id": int(key),
                "title": m["title"],
                "due": date.fromisoformat(m["due"]),
                "initiative": titles[m["item"]],
                "chance": figures["chance"],
                "p80": by_date(plan, figures["finish"]["p80"]),
                "sentence": f"{words(plan, 0.8, figures['finish']['p80'])}; "
                f"{round(figures['chance'] * 100)}% likely on time",
                "chart_id": f"milestone-data-{len(out_milestones) + 1}",
                "chart": _chart(plan, figures["curve"], figures["due"]),
            }
        )
    items = sorted(
        (
            {
                "id": pid,
                "title": titles[pid],
                "initiative": result["initiatives"][pid],
                **{f"finish_{k}": by_date(plan, v) for k, v in f["finish"].items()},
                "critical": f["critical"],
                "chance": f.get("chance"),
                "deadline": None
                if f.get("deadline") is None
                else by_date(plan, float(f["deadline"])),
            }
            for pid, f in result["items"].items()
        ),
        key=lambda i: (-i["critical"], i["finish_p80"]),
    )
    finish = result["finish"]
    return {
        "runs": result["runs"],
        "estimated": result.get("estimated", 0),
        "finish": dates(finish),
        "sentence": words(plan, 0.8, finish["p80"]),
        "milestones": out_milestones,
        "charted": sorted(out_milestones, key=lambda m: (m["chance"] in (0, 1), m["due"]))[:4],
        "deadlines": [i for i in items if i["deadline"] is not None],
        "items": items,
        "cost": result.get("cost"),
        "tornado": [
            {"title": titles[t["item"]], "low": t["low"], "high": t["high"]}
            for t in result["tornado"]
        ],
        "beyond": result.get("beyond", 0),
        "unit": "months" if plan.months_per_period == 1 else "quarters",
    }


def _chart(plan: Plan, curve: list, due: float) -> dict:
    """The chance of being done by the end of each period, from a little before the first
    run is done (and the due date) to a little after the last: a curve that rises."""
    chance = dict(curve)
    first, last = curve[0][0], curve[-1][0]
    low = max(1, min(first - 2, math.floor(due) - 1))
    high = max(last + 1, math.ceil(due) + 1)
    positions = range(low, high + 1)
    return {
        # done by position t: by the end of period t - 1
        "labels": [plan.period_label(t - 1, short=True) for t in positions],
        "chance": [chance.get(t, 0.0 if t < first else 1.0) for t in positions],
        "due_index": due - low,
        "due_label": "Due",
    }
