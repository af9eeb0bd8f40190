"""REST endpoints of the roadmap: the schedule and running it, items, resources, milestones,
budget lines."""

from datetime import date, timedelta
from decimal import Decimal

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status

from cairn.api.common import MAX_ID, ErrorOut, In, RowOut, Version, crud, membership_for
from cairn.core import throttle
from cairn.core.models import AuditVia, Role
from cairn.core.services import ConflictError, ServiceError
from cairn.roadmap import risk, services
from cairn.roadmap.forms import BudgetLineForm, MilestoneForm
from cairn.roadmap.models import BudgetLine, Milestone, Plan, RoadmapItem
from cairn.solver.schedule import load

router = Router(tags=["Roadmap"])


class ItemOut(Schema):
    id: int
    initiative_id: int
    title: str
    start: int | None
    duration: int
    duration_best: int | None = Field(description="Periods if all goes well; null: firm.")
    duration_worst: int | None = Field(description="Periods if it goes badly; null: firm.")
    earliest: int
    deadline: int | None
    pinned: bool
    start_date: date | None
    end_date: date | None
    version: int


class RoadmapOut(Schema):
    periods: int
    granularity: str
    starts_on: date
    objective: str
    state: str
    last_result: dict | None
    items: list[ItemOut]
    problems: list[str]


class ItemIn(In):
    version: int | None = Version
    start: int | None = Field(None, ge=0, le=239)
    pinned: bool | None = None
    earliest: int | None = Field(None, ge=0, le=239)
    deadline: int | None = Field(None, ge=1, le=240)
    duration: int | None = Field(None, ge=0, le=240)
    duration_best: int | None = Field(None, ge=0, le=240)
    duration_worst: int | None = Field(None, ge=0, le=240)


class ItemChangedOut(ItemOut):
    problems: list[str] = Field(..., description="What the roadmap now breaks, in words.")


class ResourceOut(Schema):
    name: str
    capacity: list[Decimal]
    demand: list[Decimal]
    over_in_periods: list[int]


def _item_out(plan: Plan, item: RoadmapItem) -> dict:
    placed = item.start is not None
    return {
        "id": item.pk,
        "initiative_id": item.initiative_id,
        "title": item.initiative.title,
        "start": item.start,
        "duration": item.duration,
        "duration_best": item.duration_best,
        "duration_worst": item.duration_worst,
        "earliest": item.earliest,
        "deadline": item.deadline,
        "pinned": item.pinned,
        "version": item.version,
        "start_date": plan.period_start(item.start) if placed else None,
        "end_date": _end_date(plan, item) if placed else None,
    }


def _end_date(plan: Plan, item: RoadmapItem) -> date:
    """The last day an item runs; a zero-length item is a point in time, ending where it starts."""
    if not item.duration:
        return plan.period_start(item.start)
    return plan.period_start(item.start + item.duration) - timedelta(days=1)


def _roadmap(org) -> dict:
    plan = Plan.for_org(org)
    _, items, _ = services.build(org, plan)
    return {
        "periods": plan.periods,
        "granularity": plan.granularity,
        "starts_on": plan.starts_on,
        "objective": plan.objective,
        "state": plan.state,
        "last_result": plan.result,
        "items": [_item_out(plan, i) for i in items.values()],
        "problems": services.problems_now(org, plan),
    }


@router.get(
    "/orgs/{org}/roadmap",
    response=RoadmapOut,
    operation_id="get_roadmap",
    summary="The roadmap: every item's period, and what the plan now breaks",
)
def get_roadmap(request, org: str):
    return _roadmap(membership_for(request, org).organization)


@router.post(
    "/orgs/{org}/roadmap/run",
    response={200: RoadmapOut, 202: RoadmapOut, 400: ErrorOut, 429: ErrorOut},
    operation_id="run_roadmap",
    summary="Schedule every item not kept in place (nothing changes if no plan fits)",
    description="One scheduling run at a time per organisation: while one runs, 429 with "
    "`Retry-After` (seconds); while one waits for the worker, 202 (this request joins it).",
    openapi_extra=throttle.OPENAPI_429,
)
def run_roadmap(request, org: str):
    membership = membership_for(request, org, Role.EDITOR)
    try:
        plan = services.run_schedule(membership.organization, actor=request.auth, via=AuditVia.API)
    except throttle.Throttled as e:
        return e.response()
    return Status(202 if plan.state == "running" else 200, _roadmap(membership.organization))


@router.patch(
    "/orgs/{org}/roadmap/items/{item_id}",
    response={200: ItemChangedOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="update_roadmap_item",
    summary="Move an item (it is then kept there) or change its limits",
)
def update_item(request, org: str, item_id: int, payload: ItemIn):
    membership = membership_for(request, org, Role.EDITOR)
    if not 0 < item_id <= MAX_ID:
        raise Http404
    item = (
        RoadmapItem.objects.select_related("initiative")
        .filter(organization=membership.organization, pk=item_id)
        .first()
    )
    if item is None:
        raise Http404
    changes = payload.dict(exclude_unset=True)
    seen = changes.pop("version", None)
    if seen is not None and seen != item.version:
        raise ConflictError("Someone else changed this roadmap item: read it again first.")
    plan = Plan.for_org(membership.organization)
    try:
        problems = services.update_item(item, changes, plan, actor=request.auth, via=AuditVia.API)
    except ServiceError as e:
        return Status(422, {"detail": str(e)})
    return {**_item_out(plan, item), "problems": problems}


@router.get(
    "/orgs/{org}/roadmap/resources",
    response=list[ResourceOut],
    operation_id="list_roadmap_resources",
    summary="Capacity and demand of every team and budget line, per period",
)
def list_resources(request, org: str):
    organization = membership_for(request, org).organization
    plan = Plan.for_org(organization)
    problem, items, _ = services.build(organization, plan)
    use = load(problem, services.current_starts(items))
    return [
        {
            "name": r,
            "capacity": list(caps),
            "demand": use[r],
            "over_in_periods": [
                t for t, (d, c) in enumerate(zip(use[r], caps, strict=True)) if d > c
            ],
        }
        for r, caps in problem.capacity.items()
    ]


class MilestoneIn(In):
    initiative_id: int
    title: str = Field(..., min_length=1, max_length=200)
    due: date
    done: bool = False
    version: int | None = Version


class MilestoneOut(RowOut):
    initiative_id: int
    title: str
    due: date
    done: bool
    slipped: bool


class BudgetLineIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    per_period: Decimal = Field(..., ge=0, le=10**11, decimal_places=2)
    version: int | None = Version


class BudgetLineOut(RowOut):
    name: str
    per_period: Decimal


crud(
    router,
    path="/orgs/{org}/milestones",
    model=Milestone,
    form_class=MilestoneForm,
    schema_in=MilestoneIn,
    schema_out=MilestoneOut,
    field_map={"initiative_id": "initiative"},
    queryset=lambda: Milestone.objects.all(),
)
crud(
    router,
    path="/orgs/{org}/budget-lines",
    model=BudgetLine,
    form_class=BudgetLineForm,
    schema_in=BudgetLineIn,
    schema_out=BudgetLineOut,
    queryset=lambda: BudgetLine.objects.all(),
)


class SimulationOut(Schema):
    state: str = Field(description="never, running, done or failed.")
    error: str
    figures: dict | None = Field(
        description="Per item (by roadmap item id): P50/P80/P95 start and finish (positions "
        "on the plan's periods: 4 is the start of the fifth period), the chance of meeting its "
        "deadline and how often it is critical; per milestone the same; the whole roadmap's "
        "finish, the cost percentiles against the budget lines, and the tornado."
    )


def _simulation_out(row) -> dict:
    return {"state": row.state, "error": row.error, "figures": row.result}


@router.get(
    "/orgs/{org}/roadmap/simulation",
    response={200: SimulationOut},
    operation_id="get_roadmap_simulation",
    summary="How likely the dates are: the roadmap's last Monte-Carlo simulation",
)
def get_simulation(request, org: str):
    membership = membership_for(request, org)
    return _simulation_out(risk.of(membership.organization))


@router.post(
    "/orgs/{org}/roadmap/simulation/run",
    response={200: SimulationOut, 202: SimulationOut},
    operation_id="simulate_roadmap",
    summary="Simulate the roadmap 10,000 times in the background: 202 while it runs (read "
    "it again), 200 when done",
)
def simulate_roadmap(request, org: str):
    membership = membership_for(request, org, Role.EDITOR)
    row = risk.start(membership.organization, actor=request.auth, via=AuditVia.API)
    return Status(200 if row.state == "done" else 202, _simulation_out(row))
