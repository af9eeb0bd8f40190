"""REST endpoints of the ascent: KPIs, measurements in bulk, formulas, wins, the dashboard."""

from datetime import date

from django.db.models import Prefetch
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from cairn.api.common import (
    MAX_ID,
    ErrorOut,
    Ids,
    In,
    Pagination,
    RowId,
    RowOut,
    Version,
    crud,
    ids,
    item_problems,
    membership_for,
    org_row,
)
from cairn.core.models import AuditVia, Role
from cairn.goals.models import BusinessGoal
from cairn.kpis import dashboard as board
from cairn.kpis import formula as formulas
from cairn.kpis import services
from cairn.kpis.forms import KpiForm, WinForm
from cairn.kpis.library import LIBRARY
from cairn.kpis.models import LIMIT, Direction, Kpi, Measurement, Rhythm, Win
from cairn.portfolio.models import Initiative

router = Router(tags=["Ascent"])
Value = Field(..., ge=-LIMIT, le=LIMIT, allow_inf_nan=False)
OptionalValue = Field(None, ge=-LIMIT, le=LIMIT, allow_inf_nan=False)
MAX_BULK = 50_000


class KpiIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    unit: str = Field("", max_length=30)
    min_value: float | None = Field(
        None, ge=-LIMIT, le=LIMIT, allow_inf_nan=False, description="Lowest possible value."
    )
    max_value: float | None = Field(
        None, ge=-LIMIT, le=LIMIT, allow_inf_nan=False, description="Highest possible value."
    )
    direction: Direction = Direction.UP
    rhythm: Rhythm = Rhythm.MONTHLY
    owner: str = Field("", max_length=120)
    baseline_value: float | None = OptionalValue
    baseline_date: date | None = None
    target_value: float | None = OptionalValue
    target_date: date | None = None
    tolerance_percent: int = Field(10, ge=1, le=50)
    replaces: str = Field("", max_length=200, description="The IT metric it replaces.")
    formula: str = Field("", max_length=500, description=formulas.HELP)
    goal_ids: list[RowId] = Ids
    initiative_ids: list[RowId] = Ids
    version: int | None = Version


class ForecastOut(Schema):
    value: float
    low: float
    high: float
    meets_target: bool


class KpiOut(RowOut):
    name: str
    description: str
    unit: str
    min_value: float | None
    max_value: float | None
    direction: str
    rhythm: str
    owner: str
    baseline_value: float | None
    baseline_date: date | None
    target_value: float | None
    target_date: date | None
    tolerance_percent: int
    replaces: str
    formula: str
    goal_ids: list[int]
    initiative_ids: list[int]
    input_ids: list[int]
    latest_value: float | None
    latest_date: date | None
    measurement_count: int
    status: str = Field(
        ...,
        description="achieved, on_track, at_risk, off_track, no_data, "
        "or not_set (no baseline or target); the one headline status, from the straight path "
        "and the forecast (see the KPI page for the rule)",
    )
    progress: float | None = Field(..., description="0 at the baseline, 1 at the target.")
    stale: bool
    forecast: ForecastOut | None

    @staticmethod
    def resolve_goal_ids(obj):
        return ids(obj.goals)

    @staticmethod
    def resolve_initiative_ids(obj):
        return ids(obj.initiatives)

    @staticmethod
    def resolve_input_ids(obj):
        return ids(obj.inputs)

    @staticmethod
    def resolve_status(obj):
        return obj.status.value

    @staticmethod
    def resolve_stale(obj):
        return obj.is_stale(timezone.localdate())

    @staticmethod
    def resolve_forecast(obj):
        return _forecast(obj.forecast(timezone.localdate()))


def _forecast(outlook) -> dict | None:
    if outlook is None:
        return None
    return {
        "value": outlook.value,
        "low": outlook.low,
        "high": outlook.high,
        "meets_target": outlook.meets_target,
    }


ONLY_ID = Kpi.objects.only("id")
crud(
    router,
    path="/orgs/{org}/kpis",
    model=Kpi,
    form_class=KpiForm,
    schema_in=KpiIn,
    schema_out=KpiOut,
    field_map={"goal_ids": "goals", "initiative_ids": "initiatives"},
    queryset=lambda: Kpi.objects.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id")),
        Prefetch("initiatives", queryset=Initiative.objects.only("id")),
        Prefetch("inputs", queryset=ONLY_ID),
    ),
)


class MeasurementOut(Schema):
    id: int
    date: date
    value: float
    source: str
    note: str


@router.get(
    "/orgs/{org}/kpis/{item_id}/measurements",
    response=list[MeasurementOut],
    operation_id="list_measurements",
    summary="A KPI's measurements, oldest first",
)
@paginate(Pagination)
def list_measurements(request, org: str, item_id: int):
    kpi = org_row(Kpi.objects.all(), membership_for(request, org), item_id)
    return Measurement.objects.filter(kpi=kpi).order_by("date")


class MeasurementIn(In):
    kpi: int | str = Field(..., description="The KPI's id, or its name.")
    date: date
    value: float = Value
    source: str = Field("", max_length=120)
    note: str = Field("", max_length=500)
    confirmed: bool = Field(
        False,
        description="True keeps a value Cairn would question: outside 0–100 for a KPI in %, "
        "outside the KPI's bounds, before its baseline, or a sudden jump.",
    )


class BulkIn(In):
    items: list[MeasurementIn] = Field(..., min_length=1, max_length=MAX_BULK)


class BulkOut(Schema):
    added: int
    updated: int


@router.post(
    "/orgs/{org}/measurements",
    response={201: BulkOut, 400: ErrorOut, 422: ErrorOut},
    operation_id="record_measurements",
    summary=f"Record up to {MAX_BULK:,} measurements at once (all or none)",
    description="Each item names a KPI by id or name. A KPI and date already recorded is "
    "updated rather than duplicated. If any item is refused, nothing is saved and the answer "
    "lists every problem by its index in `items`.",
)
def record_measurements(request, org: str, payload: BulkIn):
    membership = membership_for(request, org, Role.EDITOR)
    items = [
        {**item.dict(), "kpi": item.kpi if isinstance(item.kpi, int) else item.kpi[:200]}
        for item in payload.items
    ]
    try:
        added, updated = services.record_bulk(
            membership.organization, items, actor=request.auth, via=AuditVia.API
        )
    except services.MeasurementError as e:
        return item_problems(e.problems)
    return HttpStatus(201, {"added": added, "updated": updated})


class FormulaIn(In):
    formula: str = Field(..., max_length=2000)


class FormulaOut(Schema):
    valid: bool
    error: str
    kpi_ids: list[int]
    value: float | None = Field(None, description="With the inputs' latest values.")


@router.post(
    "/orgs/{org}/formulas/check",
    response={200: FormulaOut, 400: ErrorOut},
    operation_id="check_formula",
    summary="Check a formula for a calculated KPI before saving it",
)
def check_formula(request, org: str, payload: FormulaIn):
    membership = membership_for(request, org, Role.EDITOR)
    check = services.check_formula(membership.organization, payload.formula)
    return {
        "valid": not check.error,
        "error": check.error,
        "kpi_ids": [k.pk for k in check.inputs or []],
        "value": check.value,
    }


class TranslationOut(Schema):
    key: str
    it_metric: str
    kpi: str
    unit: str
    higher_is_better: bool
    rhythm: str
    why: str


@router.get(
    "/orgs/{org}/kpi-library",
    response=list[TranslationOut],
    operation_id="kpi_library",
    summary="IT metrics and the business KPI to report instead",
)
def library(request, org: str):
    membership_for(request, org)
    return LIBRARY


class LibraryIn(In):
    key: str = Field(..., max_length=60)


@router.post(
    "/orgs/{org}/kpi-library",
    response={201: KpiOut, 400: ErrorOut},
    operation_id="add_kpi_from_library",
    summary="Add the KPI of one library entry, to finish with a baseline and target",
)
def add_from_library(request, org: str, payload: LibraryIn):
    membership = membership_for(request, org, Role.EDITOR)
    kpi = services.add_from_library(
        membership.organization, payload.key, actor=request.auth, via=AuditVia.API
    )
    return HttpStatus(
        201, Kpi.objects.prefetch_related("goals", "initiatives", "inputs").get(pk=kpi.pk)
    )


class WinIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    achieved_on: date
    story: str = Field("", max_length=3000)
    goal_id: int | None = Field(None, ge=1, le=MAX_ID)
    kpi_id: int | None = Field(None, ge=1, le=MAX_ID)
    initiative_ids: list[RowId] = Ids
    version: int | None = Version


class WinOut(RowOut):
    title: str
    achieved_on: date
    story: str
    goal_id: int | None
    kpi_id: int | None
    initiative_ids: list[int]

    @staticmethod
    def resolve_initiative_ids(obj):
        return ids(obj.initiatives)


crud(
    router,
    path="/orgs/{org}/wins",
    model=Win,
    form_class=WinForm,
    schema_in=WinIn,
    schema_out=WinOut,
    field_map={"goal_id": "goal", "kpi_id": "kpi", "initiative_ids": "initiatives"},
    queryset=lambda: Win.objects.prefetch_related(
        Prefetch("initiatives", queryset=Initiative.objects.only("id"))
    ),
)


class DashboardKpiOut(Schema):
    id: int
    name: str
    unit: str
    latest_value: float | None
    latest_date: date | None
    target_value: float | None
    target_date: date | None
    status: str
    progress: float | None
    stale: bool
    forecast: ForecastOut | None


class DashboardGoalOut(Schema):
    id: int
    title: str
    status: str
    progress: float | None
    open_initiatives: int
    kpis: list[DashboardKpiOut] = Field(..., description="The KPIs needing attention first.")
    more_kpis: int


class DashboardOut(Schema):
    goals: list[DashboardGoalOut]
    kpis_by_status: dict[str, int]
    stale_kpi_ids: list[int]
    spend_total: float
    spend_serving_a_goal: float
    spend_serving_a_goal_percent: int | None
    initiatives_serving_no_goal: int
    initiatives_serving_no_goal_ids: list[int] = Field(..., description="The costliest first.")
    goals_without_kpi_ids: list[int]
    goals_without_initiative_ids: list[int]
    run_one_off: float
    change_one_off: float
    change_percent: int | None
    change_target_percent: int
    recent_win_ids: list[int]
    decisions_waiting: int = Field(..., description="Initiatives proposed, awaiting approval.")
    review_due_ids: list[int] = Field(..., description="Reviews due within a month or overdue.")
    overdue_ai_policy_ids: list[int] = Field(..., description="AI policies past their review.")
    proposed_win_kpi_ids: list[int] = Field(..., description="KPIs at target with no win yet.")


def _kpi(k: Kpi) -> dict:
    return {
        "id": k.pk,
        "name": k.name,
        "unit": k.unit,
        "latest_value": k.latest_value,
        "latest_date": k.latest_date,
        "target_value": k.target_value,
        "target_date": k.target_date,
        "status": k.status.value,
        "progress": k.progress,
        "stale": k.stale,
        "forecast": _forecast(getattr(k, "outlook", None)),
    }


@router.get(
    "/orgs/{org}/dashboard",
    response=DashboardOut,
    operation_id="dashboard",
    summary="The figures of the organisation's dashboard",
)
def dashboard(request, org: str):
    membership = membership_for(request, org)
    d = board.figures(membership.organization, timezone.localdate())
    return {
        "goals": [
            {
                "id": row.goal.pk,
                "title": row.goal.title,
                "status": row.status.value,
                "progress": row.progress,
                "open_initiatives": row.initiatives,
                "kpis": [_kpi(k) for k in row.kpis],
                "more_kpis": row.more,
            }
            for row in d.goals
        ],
        "kpis_by_status": d.by_status,
        "stale_kpi_ids": [k["id"] for k in d.stale],
        "spend_total": float(d.spend_total),
        "spend_serving_a_goal": float(d.spend_aligned),
        "spend_serving_a_goal_percent": d.aligned_percent,
        "initiatives_serving_no_goal": d.shiny_count,
        "initiatives_serving_no_goal_ids": [i.pk for i in d.shiny],
        "goals_without_kpi_ids": [g.pk for g in d.goals_without_kpi],
        "goals_without_initiative_ids": [g.pk for g in d.goals_without_initiative],
        "run_one_off": float(d.mix["run"]),
        "change_one_off": float(d.mix["change"]),
        "change_percent": d.change_percent,
        "change_target_percent": d.change_target,
        "recent_win_ids": [w.pk for w in d.wins],
        "decisions_waiting": d.waiting,
        "review_due_ids": [r.pk for r in d.reviews_due],
        "overdue_ai_policy_ids": [p.pk for p in d.policies_overdue],
        "proposed_win_kpi_ids": [k.pk for k in d.proposals],
    }


# The connectors' endpoints join this router (a module of their own, for its size).
from cairn.kpis import connector_api  # noqa: E402, F401
