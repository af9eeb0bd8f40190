"""REST endpoints of the path: initiatives, criteria, scenarios, and running a scenario."""

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from cairn.api.common import (
    ErrorOut,
    Ids,
    In,
    RowId,
    RowOut,
    Version,
    crud,
    ids,
    membership_for,
    org_row,
)
from cairn.assessment.models import Application, SwotItem
from cairn.core import throttle
from cairn.core.models import AuditVia, Role
from cairn.goals.models import BusinessGoal, PainPoint
from cairn.portfolio import frontier, services
from cairn.portfolio.forms import CriterionForm, InitiativeForm, ScenarioForm
from cairn.portfolio.models import (
    Criterion,
    Feasibility,
    Impact,
    Initiative,
    Kind,
    Scenario,
    Source,
    Status,
)

router = Router(tags=["Path"])
Money = Field(Decimal(0), ge=0, le=10**11, decimal_places=2)
OptionalMoney = Field(None, ge=0, le=10**11, decimal_places=2)


class InitiativeIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    owner: str = Field("", max_length=120)
    impact: Impact = Impact.MEDIUM
    feasibility: Feasibility = Feasibility.MEDIUM
    kind: Kind = Kind.CHANGE
    status: Status = Status.IDEA
    one_off_cost: Decimal = Money
    running_cost: Decimal = Money
    effort_months: Decimal = Field(Decimal(0), ge=0, le=100000, decimal_places=1)
    duration_months: int = Field(3, ge=1, le=120)
    urgency: int = Field(3, ge=1, le=5)
    risk: int = Field(3, ge=1, le=5)
    goal_ids: list[RowId] = Ids
    pain_point_ids: list[RowId] = Ids
    swot_item_ids: list[RowId] = Ids
    application_ids: list[RowId] = Ids
    depends_on_ids: list[RowId] = Ids
    excludes_ids: list[RowId] = Ids
    version: int | None = Version


class InitiativeOut(RowOut):
    title: str
    description: str
    owner: str
    impact: str
    feasibility: str
    kind: str
    status: str
    quadrant: str
    one_off_cost: Decimal
    running_cost: Decimal
    effort_months: Decimal
    duration_months: int
    urgency: int
    risk: int
    goal_ids: list[int]
    pain_point_ids: list[int]
    swot_item_ids: list[int]
    application_ids: list[int]
    depends_on_ids: list[int]
    excludes_ids: list[int]

    @staticmethod
    def resolve_goal_ids(obj):
        return ids(obj.goals)

    @staticmethod
    def resolve_pain_point_ids(obj):
        return ids(obj.pain_points)

    @staticmethod
    def resolve_swot_item_ids(obj):
        return ids(obj.swot_items)

    @staticmethod
    def resolve_application_ids(obj):
        return ids(obj.applications)

    @staticmethod
    def resolve_depends_on_ids(obj):
        return ids(obj.depends_on)

    @staticmethod
    def resolve_excludes_ids(obj):
        return ids(obj.excludes)


class CriterionIn(In):
    name: str = Field(..., min_length=1, max_length=80)
    source: Source = Source.MANUAL
    weight: Decimal = Field(Decimal(1), ge=Decimal("0.1"), le=100, decimal_places=1)
    description: str = Field("", max_length=300)
    version: int | None = Version


class CriterionOut(RowOut):
    name: str
    source: str
    weight: Decimal
    description: str


class ScenarioIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    one_off_budget: Decimal | None = OptionalMoney
    running_budget: Decimal | None = OptionalMoney
    staff_months: Decimal | None = Field(None, ge=0, le=100000, decimal_places=1)
    min_change_percent: int | None = Field(None, ge=0, le=100)
    mandatory_ids: list[RowId] = Ids
    time_limit_s: int = Field(10, ge=1, le=120)
    version: int | None = Version


class ScenarioOut(RowOut):
    name: str
    description: str
    one_off_budget: Decimal | None
    running_budget: Decimal | None
    staff_months: Decimal | None
    min_change_percent: int | None
    mandatory_ids: list[int]
    time_limit_s: int
    state: str
    result: dict[str, Any] | None

    @staticmethod
    def resolve_mandatory_ids(obj):
        return ids(obj.mandatory)


ONLY_ID = Initiative.objects.only("id")
crud(
    router,
    path="/orgs/{org}/initiatives",
    model=Initiative,
    form_class=InitiativeForm,
    schema_in=InitiativeIn,
    schema_out=InitiativeOut,
    field_map={
        "goal_ids": "goals",
        "pain_point_ids": "pain_points",
        "swot_item_ids": "swot_items",
        "application_ids": "applications",
        "depends_on_ids": "depends_on",
        "excludes_ids": "excludes",
    },
    queryset=lambda: Initiative.objects.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id")),
        Prefetch("pain_points", queryset=PainPoint.objects.only("id")),
        Prefetch("swot_items", queryset=SwotItem.objects.only("id")),
        Prefetch("applications", queryset=Application.objects.only("id")),
        Prefetch("depends_on", queryset=ONLY_ID),
        Prefetch("excludes", queryset=ONLY_ID),
    ),
)
crud(
    router,
    path="/orgs/{org}/criteria",
    model=Criterion,
    form_class=CriterionForm,
    schema_in=CriterionIn,
    schema_out=CriterionOut,
    queryset=lambda: Criterion.objects.all(),
)
crud(
    router,
    path="/orgs/{org}/scenarios",
    model=Scenario,
    form_class=ScenarioForm,
    schema_in=ScenarioIn,
    schema_out=ScenarioOut,
    field_map={"mandatory_ids": "mandatory"},
    queryset=lambda: Scenario.objects.prefetch_related(Prefetch("mandatory", queryset=ONLY_ID)),
)


@router.post(
    "/orgs/{org}/scenarios/{item_id}/run",
    response={200: ScenarioOut, 202: ScenarioOut, 400: ErrorOut, 429: ErrorOut},
    operation_id="run_scenario",
    summary="Run the optimiser: 200 with the result, or 202 while it runs in the "
    "background (read the scenario again for the result)",
    description="One optimiser run at a time per organisation: while another scenario "
    "waits or runs, 429 with `Retry-After` (seconds); asking again for a scenario that is "
    "waiting answers 202 with it, queueing nothing more.",
    openapi_extra=throttle.OPENAPI_429,
)
def run(request, org: str, item_id: int):
    membership = membership_for(request, org, Role.EDITOR)
    scenario = org_row(Scenario.objects.all(), membership, item_id)
    try:
        state = services.run_scenario(scenario, actor=request.auth, via=AuditVia.API)
    except throttle.Throttled as e:
        return e.response()
    scenario = Scenario.objects.prefetch_related(Prefetch("mandatory", queryset=ONLY_ID)).get(
        pk=scenario.pk
    )
    return HttpStatus(200 if state == "done" else 202, scenario)


class FrontierPointOut(Schema):
    amount: float = Field(description="The amount of the limit at this point.")
    value: float = Field(description="The best value found within it.")
    bound: float = Field(description="No choice within it can be worth more than this.")
    status: str = Field(description="optimal (proven), feasible (best found), or infeasible.")
    gap: float | None = Field(description="How far the value may be from the best, 0–1.")
    selected: list[str] = Field(description="The initiatives chosen (ids).")


class FrontierStepOut(Schema):
    amount: float
    value: float = Field(description="The value gained (or, negative, lost) at that amount.")
    added: list[str]
    dropped: list[str]
    status: str


class StaffCurveOut(Schema):
    limit: str
    current: float
    points: list[FrontierPointOut]
    per_month: float | None = Field(description="Value added per extra FTE-month, a step up.")


class ShadowPriceOut(Schema):
    limit: str
    current: float
    unit: float = Field(description="The step the limit was raised by.")
    value: float | None = Field(description="The value that step adds, found by re-solving.")
    proven: bool


class FrontierCurveOut(Schema):
    limit: str
    current: float
    step: float
    points: list[FrontierPointOut]
    knee: int | None = Field(description="Index into points where the curve bends most.")
    at_current: FrontierPointOut
    more: FrontierStepOut
    less: FrontierStepOut | None
    staff: list[StaffCurveOut]
    shadow: list[ShadowPriceOut]
    proven: int
    solve_time_s: float
    digest: str


class FrontierOut(Schema):
    state: str = Field(description="never, queued, running, done or failed.")
    done: int = Field(description="Points solved so far.")
    total: int
    error: str
    stale: bool = Field(description="True when the initiatives or limits changed since.")
    curve: FrontierCurveOut | None


def _frontier_out(scenario: Scenario) -> dict:
    row = frontier.of(scenario)
    return {
        "state": row.state,
        "done": row.done,
        "total": row.total,
        "error": row.error,
        "stale": row.state == "done" and frontier.is_stale(scenario, row),
        "curve": row.result,
    }


@router.get(
    "/orgs/{org}/scenarios/{item_id}/frontier",
    response={200: FrontierOut},
    operation_id="get_frontier",
    summary="What more budget buys: the best value for each one-off budget from zero to "
    "twice the scenario's, the staff curves and a shadow price per limit",
)
def get_frontier(request, org: str, item_id: int):
    membership = membership_for(request, org)
    return _frontier_out(org_row(Scenario.objects.all(), membership, item_id))


@router.post(
    "/orgs/{org}/scenarios/{item_id}/frontier/run",
    response={200: FrontierOut, 202: FrontierOut},
    operation_id="work_out_frontier",
    summary="Work the frontier out in the background: 202 while it runs (read it again), "
    "200 when it is already done",
    description="A run already waiting or running is joined; nothing more is queued.",
)
def work_out_frontier(request, org: str, item_id: int):
    membership = membership_for(request, org, Role.EDITOR)
    scenario = org_row(Scenario.objects.all(), membership, item_id)
    row = frontier.start(scenario, actor=request.auth, via=AuditVia.API)
    return HttpStatus(200 if row.state == "done" else 202, _frontier_out(scenario))
