"""State changes of the path: efforts, scores, running and applying scenarios."""

from __future__ import annotations

import hashlib
import json
import time
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from cairn.assessment.models import Team
from cairn.core import throttle
from cairn.core.failed_jobs import reason
from cairn.core.models import AuditAction, AuditVia, Organization
from cairn.core.services import ServiceError, record, record_change, snapshot
from cairn.portfolio.models import (
    CANDIDATE_STATUSES,
    Criterion,
    CriterionScore,
    Initiative,
    Kind,
    RunState,
    Scenario,
    Status,
    TeamEffort,
)
from cairn.portfolio.scoring import STANDARD, scores, with_scoring_data
from cairn.solver.portfolio import Item, Problem, by_value, explain, rank_and_fund, solve

INLINE_SECONDS = 1.0  # solves not proven optimal within this go to the background worker
MAX_EXPLAINED = 60  # the price of "not now" is worked out for at most this many initiatives,
EXPLAIN_SECONDS = 5.0  # and for at most this long; the rest get their reasons only
SAVE_SECONDS = 2.0  # building the problem and storing the result, on top of the time limit
ONE_OFF, RUNNING, STAFF = "one-off budget", "running budget", "staff effort"


def _efforts_snapshot(initiative: Initiative) -> dict[str, str]:
    return {e.team.name: str(e.months) for e in initiative.efforts.select_related("team")}


@transaction.atomic
def set_efforts(
    initiative: Initiative,
    months_by_team: dict[Team, Decimal],
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
) -> None:
    """Replace how an initiative's effort splits across teams (zero removes a team)."""
    before = {**snapshot(initiative), "efforts": _efforts_snapshot(initiative)}
    initiative.efforts.all().delete()
    TeamEffort.objects.bulk_create(
        [
            TeamEffort(initiative=initiative, team=t, months=m)
            for t, m in months_by_team.items()
            if m
        ]
    )
    after = {**snapshot(initiative), "efforts": _efforts_snapshot(initiative)}
    record(
        initiative.organization,
        actor=actor,
        action=AuditAction.UPDATE,
        obj=initiative,
        before=before,
        after=after,
        via=via,
    )


@transaction.atomic
def set_scores(
    criterion: Criterion, values: dict[int, int | None], *, actor, via: AuditVia = AuditVia.WEB
) -> None:
    """Record hand-given scores (initiative id → 1–5, or None to clear) on one criterion."""
    before = dict(criterion.scores.values_list("initiative_id", "value"))
    criterion.scores.filter(initiative_id__in=list(values)).delete()
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(criterion=criterion, initiative_id=i, value=v)
            for i, v in values.items()
            if v
        ]
    )
    after = dict(criterion.scores.values_list("initiative_id", "value"))
    if after != before:
        record(
            criterion.organization,
            actor=actor,
            action=AuditAction.UPDATE,
            obj=criterion,
            before={"scores": before},
            after={"scores": after},
            via=via,
        )


@transaction.atomic
def add_standard_criteria(org: Organization, *, actor, via: AuditVia = AuditVia.WEB) -> int:
    """Add the four usual criteria (impact, alignment, urgency, risk) that are missing."""
    existing = set(Criterion.objects.filter(organization=org).values_list("name", flat=True))
    added = 0
    for name, source, weight, description in STANDARD:
        if name not in existing:
            c = Criterion.objects.create(
                organization=org,
                name=name,
                source=source,
                weight=weight,
                description=description,
                created_by=actor,
            )
            record_change(c, None, actor=actor, via=via)
            added += 1
    return added


# --- Scenarios


def candidates(org: Organization):
    """Initiatives a scenario chooses from, with what building the problem reads."""
    return with_scoring_data(
        Initiative.objects.filter(organization=org, status__in=CANDIDATE_STATUSES)
    ).prefetch_related(
        Prefetch("efforts", queryset=TeamEffort.objects.select_related("team")),
        Prefetch("depends_on", queryset=Initiative.objects.only("id", "status", "title")),
        Prefetch("excludes", queryset=Initiative.objects.only("id", "status")),
    )


def build_problem(scenario: Scenario, time_limit_s: float | None = None):
    """The solver's problem for a scenario, and the candidates by id (a fixed number of queries).

    An initiative that depends on one that is rejected (or otherwise not a candidate and not
    done or under way) cannot be chosen, and is left out with that reason.
    """
    org = scenario.organization
    pool = list(candidates(org))
    by_id = {str(i.pk): i for i in pool}
    values = scores(org, pool)
    mandatory = {str(pk) for pk in scenario.mandatory.values_list("pk", flat=True)}
    limits = {t.team_id: t for t in scenario.team_limits.select_related("team")}
    capacity: dict[str, Decimal] = {}
    if scenario.one_off_budget is not None:
        capacity[ONE_OFF] = scenario.one_off_budget
    if scenario.running_budget is not None:
        capacity[RUNNING] = scenario.running_budget
    if scenario.staff_months is not None:
        capacity[STAFF] = scenario.staff_months
    for limit in limits.values():
        capacity[f"team {limit.team.name}"] = limit.months
    share = None
    if scenario.min_change_percent:
        share = Decimal(scenario.min_change_percent) / 100
        # The change share is measured on one-off cost, limited or not.
        capacity.setdefault(ONE_OFF, sum((i.one_off_cost for i in pool), Decimal(0)))
    if not capacity:
        capacity[ONE_OFF] = sum((i.one_off_cost for i in pool), Decimal(0))
    blocked: dict[str, str] = {}
    items = []
    for i in pool:
        key = str(i.pk)
        missing = [
            d
            for d in i.depends_on.all()
            if str(d.pk) not in by_id and d.status not in (Status.DONE, Status.IN_PROGRESS)
        ]
        if missing:
            status = missing[0].get_status_display().lower()
            blocked[key] = f"depends on “{missing[0].title}”, which is {status}"
            continue
        cost = {ONE_OFF: i.one_off_cost, RUNNING: i.running_cost, STAFF: i.effort_months}
        for effort in i.efforts.all():
            cost[f"team {effort.team.name}"] = effort.months
        items.append(
            Item(
                id=key,
                value=values[i.pk].score,
                cost={k: v for k, v in cost.items() if k in capacity},
                kind=i.kind,
                mandatory=key in mandatory or i.status == Status.APPROVED,
                requires=tuple(str(d.pk) for d in i.depends_on.all() if str(d.pk) in by_id),
                excludes=tuple(str(x.pk) for x in i.excludes.all() if str(x.pk) in by_id),
            )
        )
    # Anything requiring a blocked initiative is blocked too (repeat until stable).
    changed = True
    while changed:
        changed = False
        for item in list(items):
            stuck = [r for r in item.requires if r in blocked]
            if stuck:
                blocked[item.id] = f"depends on “{by_id[stuck[0]].title}”, which cannot be chosen"
                items.remove(item)
                changed = True
    kept = {i.id for i in items}
    items = [
        Item(
            i.id,
            i.value,
            i.cost,
            i.kind,
            i.mandatory,
            i.requires,
            tuple(x for x in i.excludes if x in kept),
        )
        for i in items
    ]
    problem = Problem(
        items=tuple(items),
        capacity=capacity,
        min_change_share=share,
        share_of=ONE_OFF if share is not None else None,
        time_limit_s=time_limit_s or scenario.time_limit_s,
    )
    return problem, by_id, blocked


def _number(value) -> str:
    """A number as the same text whatever its type or trailing zeros (120, 120.0, 120.00)."""
    return format(Decimal(str(value)).normalize(), "f")


def digest(problem: Problem) -> str:
    """A fingerprint of a problem's inputs, to tell when a result is out of date."""
    data = {
        "items": [
            [
                i.id,
                _number(i.value),
                sorted((k, _number(v)) for k, v in i.cost.items()),
                i.kind,
                i.mandatory,
                sorted(i.requires),
                sorted(i.excludes),
            ]
            for i in problem.items
        ],
        "capacity": sorted((k, _number(v)) for k, v in problem.capacity.items()),
        "share": None if problem.min_change_share is None else _number(problem.min_change_share),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def result_is_stale(scenario: Scenario) -> bool:
    """True when the initiatives or limits changed since the scenario's last result."""
    problem, _, _ = build_problem(scenario)
    return digest(problem) != (scenario.result or {}).get("digest")


def _totals(problem: Problem, selected: list[str], by_id) -> dict:
    chosen = [by_id[s] for s in selected]
    one_off = sum((i.one_off_cost for i in chosen), Decimal(0))
    change = sum((i.one_off_cost for i in chosen if i.kind == Kind.CHANGE), Decimal(0))
    return {
        "value": float(sum((i.value for i in problem.items if i.id in set(selected)), Decimal(0))),
        "one_off": float(one_off),
        "running": float(sum((i.running_cost for i in chosen), Decimal(0))),
        "effort": float(sum((i.effort_months for i in chosen), Decimal(0))),
        "change_percent": round(float(change / one_off * 100), 1) if one_off else None,
        "count": len(chosen),
    }


def compute(scenario: Scenario, time_limit_s: float | None = None) -> dict:
    """Solve a scenario, compare with ranking, explain each "no"; returns the result record."""
    problem, by_id, blocked = build_problem(scenario, time_limit_s)
    answer = solve(problem)
    ranked = rank_and_fund(problem, by_value(problem))
    labels = {k: v.title for k, v in by_id.items()}
    explanations = {
        k: {"reasons": [reason], "dropped": [], "value_lost": None} for k, reason in blocked.items()
    }
    if answer.status in ("optimal", "feasible"):
        left_out = [i.id for i in problem.items if i.id not in set(answer.selected)]
        left_out.sort(key=lambda k: -next(i.value for i in problem.items if i.id == k))
        deadline = time.monotonic() + EXPLAIN_SECONDS
        for n, item_id in enumerate(left_out):
            price = n < MAX_EXPLAINED and time.monotonic() < deadline
            why = explain(problem, answer, item_id, time_limit_s=0.5, labels=labels, price=price)
            explanations[item_id] = {
                "reasons": why.reasons,
                "dropped": why.dropped,
                "value_lost": why.value_lost,
                "priced": why.priced,
            }
    return {
        **answer.as_dict(),
        "source": answer.source,
        "totals": _totals(problem, answer.selected, by_id),
        "ranking": {
            "selected": ranked or [],
            "feasible": ranked is not None,
            "totals": _totals(problem, ranked or [], by_id),
        },
        "values": {i.id: float(i.value) for i in problem.items},
        "explanations": explanations,
        "digest": digest(problem),
        "limits": {k: float(v) for k, v in problem.capacity.items()},
    }


def _save(scenario: Scenario, **fields) -> None:
    Scenario.objects.filter(pk=scenario.pk).update(**fields)
    for k, v in fields.items():
        setattr(scenario, k, v)


OPTIMISER = throttle.Kind(
    "optimiser run", "“{}” is waiting for the optimiser.", "The optimiser is running on “{}”."
)


def optimiser_jobs(org: Organization) -> list[throttle.Job]:
    """The organisation's optimiser runs waiting for the worker or running."""
    runs = Scenario.objects.filter(
        organization=org, state__in=[RunState.QUEUED, RunState.RUNNING]
    ).only("pk", "name", "state", "started_at", "updated", "time_limit_s")
    return [
        OPTIMISER.job(
            f"scenario {s.pk}",
            s.name,
            waiting=s.state == RunState.QUEUED,
            since=s.started_at or s.updated,
            takes_s=s.time_limit_s + EXPLAIN_SECONDS + SAVE_SECONDS,
        )
        for s in runs
    ]


def run_scenario(scenario: Scenario, *, actor, via: AuditVia = AuditVia.WEB) -> str:
    """Run a scenario: at once when it solves within a second, else in the background.

    Returns the new state (done or queued). One run at a time per organisation: while
    another waits or runs, refused with ``throttle.Throttled`` (nothing is written); a
    second request for a scenario already waiting joins that run.
    """
    from cairn.portfolio.tasks import solve_scenario

    org = scenario.organization
    with transaction.atomic():
        waiting = throttle.admit(
            org, lambda: optimiser_jobs(org), OPTIMISER, key=f"scenario {scenario.pk}"
        )
        if waiting is not None:
            return RunState.QUEUED
        _save(scenario, state=RunState.RUNNING, started_at=timezone.now(), error="")
    try:
        quick = compute(scenario, min(INLINE_SECONDS, scenario.time_limit_s))
    except Exception as e:  # the run is over: free the organisation's turn, then fail
        _failed(scenario, reason(e))
        raise
    if quick["status"] in ("optimal", "infeasible") or scenario.time_limit_s <= INLINE_SECONDS:
        _finish(scenario, quick, actor, via)
        return RunState.DONE
    _save(scenario, state=RunState.QUEUED, result=quick)  # the 1-second answer, shown meanwhile
    solve_scenario.enqueue(scenario.pk, actor.pk if actor else None, via)
    scenario.refresh_from_db(
        fields=["state", "result", "finished_at"]
    )  # a quick worker may be done
    return scenario.state


def _finish(scenario: Scenario, result: dict, actor, via) -> None:
    before = {"state": scenario.state, "status": (scenario.result or {}).get("status")}
    _save(scenario, state=RunState.DONE, finished_at=timezone.now(), result=result)
    record(
        scenario.organization,
        actor=actor,
        action=AuditAction.UPDATE,
        obj=scenario,
        before=before,
        after={
            "state": "done",
            "status": result["status"],
            "value": result["value"],
            "selected": sorted(int(s) for s in result["selected"]),
        },
        via=via,
    )


def run_in_background(scenario_id: int, actor_id: int | None, via: str) -> None:
    """The worker's part: solve with the scenario's full time limit."""
    from django.contrib.auth import get_user_model

    scenario = Scenario.objects.select_related("organization").get(pk=scenario_id)
    actor = get_user_model().objects.filter(pk=actor_id).first()
    _save(scenario, state=RunState.RUNNING, started_at=timezone.now())
    try:
        result = compute(scenario)
    except Exception as e:  # recorded for the person, then re-raised for the worker's log
        _failed(scenario, reason(e))
        raise
    _finish(scenario, result, actor, via)


def _failed(scenario: Scenario, why: str) -> None:
    """The run is over without a result; ``why`` ends "The optimiser stopped before it
    finished (…)" on the scenario's page."""
    _save(scenario, state=RunState.FAILED, finished_at=timezone.now(), error=why[:500])


def background_run_failed(task_result, why: str) -> None:
    """A background run that ended failed (it raised, or its worker was lost for good): its
    scenario, if still waiting or running, is failed, free to run again."""
    Scenario.objects.filter(
        pk=task_result.args[0], state__in=[RunState.QUEUED, RunState.RUNNING]
    ).update(state=RunState.FAILED, finished_at=timezone.now(), error=why[:500])


def chosen_initiatives(scenario: Scenario):
    """The initiatives a scenario's last run chose; refused when it has not run or its result
    no longer matches the initiatives and limits."""
    if scenario.state != RunState.DONE or not scenario.result:
        raise ServiceError("Run the scenario before applying it.")
    if result_is_stale(scenario):
        raise ServiceError("The initiatives or limits changed since this run: run it again first.")
    ids = [int(s) for s in scenario.result["selected"]]
    return Initiative.objects.filter(organization=scenario.organization, pk__in=ids)


@transaction.atomic
def apply_scenario(scenario: Scenario, *, actor, via: AuditVia = AuditVia.WEB) -> int:
    """Mark the chosen initiatives "proposed" for the steering committee (ideas and deferred
    ones only; approved and later ones keep their status). Returns how many changed."""
    changed = 0
    for initiative in (
        chosen_initiatives(scenario)
        .filter(status__in=[Status.IDEA, Status.DEFERRED])
        .select_for_update()
    ):
        before = snapshot(initiative)
        initiative.status = Status.PROPOSED
        initiative.version += 1
        initiative.save(update_fields=["status", "version", "updated"])
        record_change(initiative, before, actor=actor, via=via)
        changed += 1
    return changed


@transaction.atomic
def set_team_limits(
    scenario: Scenario, months_by_team: dict[Team, Decimal], *, actor, via: AuditVia = AuditVia.WEB
) -> None:
    """Replace a scenario's limits per team (a team left out has no limit)."""
    from cairn.portfolio.models import TeamLimit

    before = {t.team.name: str(t.months) for t in scenario.team_limits.select_related("team")}
    scenario.team_limits.all().delete()
    TeamLimit.objects.bulk_create(
        [TeamLimit(scenario=scenario, team=t, months=m) for t, m in months_by_team.items()]
    )
    after = {t.name: str(m) for t, m in months_by_team.items()}
    record(
        scenario.organization,
        actor=actor,
        action=AuditAction.UPDATE,
        obj=scenario,
        before={"team_limits": before},
        after={"team_limits": after},
        via=via,
    )
