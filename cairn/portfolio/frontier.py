"""What more budget buys: a scenario's efficient frontier, worked out by the worker."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cairn.core.failed_jobs import reason
from cairn.core.models import AuditAction, AuditVia
from cairn.core.services import ServiceError, record
from cairn.portfolio.models import Frontier, RunState, Scenario
from cairn.portfolio.services import ONE_OFF, RUNNING, build_problem, digest
from cairn.solver.frontier import frontier

POINT_SECONDS = 1.0  # each point of the curve is searched for at most this long
FORGOTTEN = timedelta(minutes=30)  # a run not heard of for this long may be started again


def of(scenario: Scenario) -> Frontier:
    """The scenario's curve, or an empty one not yet saved (reading writes nothing)."""
    return Frontier.objects.filter(scenario=scenario).first() or Frontier(scenario=scenario)


def saved(scenario: Scenario) -> Frontier:
    """The scenario's curve row, made when missing."""
    frontier_row, _ = Frontier.objects.get_or_create(scenario=scenario)
    return frontier_row


def is_stale(scenario: Scenario, row: Frontier) -> bool:
    """True when the initiatives or limits changed since the curve was worked out."""
    if not row.result:
        return False
    problem, _, _ = build_problem(scenario)
    return digest(problem) != row.result.get("digest")


def start(scenario: Scenario, *, actor, via: AuditVia = AuditVia.WEB) -> Frontier:
    """Queue the curve for the worker; a run already waiting or running is joined."""
    from cairn.portfolio.tasks import work_out_frontier

    with transaction.atomic():
        row = Frontier.objects.select_for_update().get(pk=saved(scenario).pk)
        busy = row.state in (RunState.QUEUED, RunState.RUNNING)
        if busy and row.started_at and timezone.now() - row.started_at < FORGOTTEN:
            return row
        row.state, row.done, row.total, row.error = RunState.QUEUED, 0, 0, ""
        row.started_at, row.finished_at = timezone.now(), None
        row.save()
        record(
            scenario.organization,
            actor=actor,
            action=AuditAction.UPDATE,
            obj=scenario,
            before={},
            after={"frontier": "requested"},
            via=via,
        )
    work_out_frontier.enqueue(row.pk)
    row.refresh_from_db()
    return row


def work_out(frontier_id: int) -> None:
    """The worker's part: solve point by point, saving the progress as it goes."""
    row = Frontier.objects.select_related("scenario__organization").get(pk=frontier_id)
    scenario = row.scenario
    Frontier.objects.filter(pk=row.pk).update(state=RunState.RUNNING, started_at=timezone.now())

    def progress(done: int, total: int) -> None:
        Frontier.objects.filter(pk=row.pk).update(done=done, total=total)

    try:
        problem, by_id, _ = build_problem(scenario)
        if not problem.items:
            raise ServiceError("There are no initiatives to choose from yet.")
        limit = ONE_OFF if ONE_OFF in problem.capacity else next(iter(problem.capacity))
        curve = frontier(problem, limit, time_limit_s=POINT_SECONDS, progress=progress)
    except Exception as e:  # recorded for the person, then re-raised for the worker's log
        failed(row.pk, reason(e) if not isinstance(e, ServiceError) else str(e))
        raise
    curve["digest"] = digest(problem)
    curve["titles"] = {k: v.title for k, v in by_id.items()}
    Frontier.objects.filter(pk=row.pk).update(
        state=RunState.DONE, finished_at=timezone.now(), result=curve
    )


def failed(frontier_id: int, why: str) -> None:
    Frontier.objects.filter(pk=frontier_id).update(
        state=RunState.FAILED, finished_at=timezone.now(), error=why[:500]
    )


def background_run_failed(task_result, why: str) -> None:
    """A frontier run that ended failed (it raised, or its worker was lost for good)."""
    Frontier.objects.filter(
        pk=task_result.args[0], state__in=[RunState.QUEUED, RunState.RUNNING]
    ).update(state=RunState.FAILED, finished_at=timezone.now(), error=why[:500])


def is_money(limit: str) -> bool:
    return limit in (ONE_OFF, RUNNING)


def label(limit: str) -> str:
    """A limit's name as the scenario page writes it."""
    if limit.startswith("team "):
        return f"{limit[5:]} team"
    return {ONE_OFF: "One-off budget", RUNNING: "Running costs a year"}.get(
        limit, "Staff effort, all teams"
    )


def _steps(points: list[dict], titles: dict) -> list[dict]:
    """Each budget at which the choice changes: what it adds and drops there."""
    out, before = [], None
    for p in points:
        if p["status"] not in ("optimal", "feasible"):
            continue
        chosen = set(p["selected"])
        if before is None or chosen != before["chosen"]:
            out.append(
                {
                    "amount": p["amount"],
                    "value": p["value"],
                    "added": _titles(sorted(chosen - before["chosen"]), titles)
                    if before
                    else _titles(sorted(chosen), titles),
                    "dropped": _titles(sorted(before["chosen"] - chosen), titles) if before else [],
                    "first": before is None,
                }
            )
        before = {"chosen": chosen}
    return out


def _titles(ids, titles) -> list[str]:
    return [titles.get(i, "an initiative no longer there") for i in ids]


def summary(row: Frontier) -> dict | None:
    """What the page and the API say about a finished curve, in plain figures."""
    curve = row.result
    if not curve:
        return None
    titles = curve.get("titles", {})
    points = curve["points"]
    knee = curve.get("knee")
    more, less = curve["more"], curve.get("less")
    infeasible = [p for p in points if p["status"] == "infeasible"]
    return {
        "limit": curve["limit"],
        "current": Decimal(str(curve["current"])),
        "step": Decimal(str(curve["step"])),
        "at_current": curve["at_current"],
        "more": {
            **more,
            "added_titles": _titles(more["added"], titles),
            "dropped_titles": _titles(more["dropped"], titles),
        },
        "less": None
        if less is None
        else {
            **less,
            "lost": -less["value"],
            "dropped_titles": _titles(less["dropped"], titles),
            "added_titles": _titles(less["added"], titles),
        },
        "knee": None if knee is None else points[knee],
        "proven": curve["proven"],
        "count": len(points),
        "unproven": [p for p in points if p["status"] == "feasible"],
        "below": max(infeasible, key=lambda p: p["amount"]) if infeasible else None,
        "staff": sorted(
            ({**s, "label": label(s["limit"])} for s in curve.get("staff", [])),
            key=lambda s: -(s["per_month"] or 0),
        ),
        "shadow": [
            {**s, "label": label(s["limit"]), "money": is_money(s["limit"])}
            for s in curve.get("shadow", [])
        ],
        "steps": _steps(points, titles),
        "chart": {
            "points": [[p["amount"], p["value"], p["status"]] for p in points],
            "current": curve["current"],
            "knee": None if knee is None else [points[knee]["amount"], points[knee]["value"]],
        },
    }
