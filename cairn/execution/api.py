"""REST endpoints of execution: status reports, actual spend (in bulk), benefits with what
has been realised of them, and the portfolio's execution figures."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from cairn.api.common import (
    ErrorOut,
    FieldError,
    In,
    Pagination,
    RowId,
    RowOut,
    Version,
    crud,
    item_problems,
    membership_for,
    org_row,
)
from cairn.core import services as core
from cairn.core.models import AuditVia, Role
from cairn.execution import bulk, rules, services
from cairn.execution.forms import BenefitForm, StatusReportForm
from cairn.execution.models import Actual, Benefit, Confidence, SpendKind, StatusReport
from cairn.portfolio.models import Initiative

router = Router(tags=["Execution"])
MAX_BULK = 10_000
Amount = Field(..., ge=-(10**11), le=10**11, decimal_places=2, max_digits=14)
Text = Field("", max_length=2000)


# --- Status reports ------------------------------------------------------------------------


class StatusReportIn(In):
    reported_on: date | None = Field(None, description="Today when left out.")
    health: rules.Health = Field(..., description="Overall: green, amber or red.")
    scope_health: rules.Health
    schedule_health: rules.Health
    cost_health: rules.Health
    percent_complete: int = Field(..., ge=0, le=100, description="Of the whole initiative.")
    progress: str = Field(..., min_length=1, max_length=2000, description="What happened.")
    next_steps: str = Text
    needs: str = Field("", max_length=2000, description="What the committee should do.")


class StatusReportOut(RowOut):
    initiative_id: int
    reported_on: date
    period: date = Field(..., description="The first day of the reporting period it covers.")
    health: str
    scope_health: str
    schedule_health: str
    cost_health: str
    percent_complete: int
    progress: str
    next_steps: str
    needs: str
    reported_by: str | None

    @staticmethod
    def resolve_reported_by(obj):
        return obj.created_by.get_username() if obj.created_by else None


REPORTS = "/orgs/{org}/initiatives/{item_id}/status-reports"


@router.get(
    REPORTS,
    response=list[StatusReportOut],
    operation_id="list_status_reports",
    summary="An initiative's status reports, newest first",
)
@paginate(Pagination)
def list_status_reports(request, org: str, item_id: int):
    initiative = org_row(Initiative.objects.all(), membership_for(request, org), item_id)
    return StatusReport.objects.filter(initiative=initiative).select_related("created_by")


@router.post(
    REPORTS,
    response={201: StatusReportOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="create_status_report",
    summary="Report on an initiative under way (one report a period)",
    description="Only approved initiatives and those in progress report; a second report in "
    "the same period is refused (change that one on its page instead).",
)
def create_status_report(request, org: str, item_id: int, payload: StatusReportIn):
    membership = membership_for(request, org, Role.EDITOR)
    initiative = org_row(Initiative.objects.all(), membership, item_id)
    data = payload.dict()
    data["reported_on"] = data["reported_on"] or timezone.localdate()
    form = StatusReportForm(data, organization=membership.organization, initiative=initiative)
    if not form.is_valid():
        raise FieldError(form.errors, {})
    report = core.save_form(form, actor=request.auth, via=AuditVia.API)
    return HttpStatus(201, StatusReport.objects.select_related("created_by").get(pk=report.pk))


# --- Actual spend --------------------------------------------------------------------------


class ActualOut(RowOut):
    initiative_id: int
    budget_line_id: int | None
    month: date = Field(..., description="The first day of the month it was booked in.")
    amount: Decimal = Field(..., description="A credit is negative.")
    kind: str
    source: str


@router.get(
    "/orgs/{org}/actuals",
    response=list[ActualOut],
    operation_id="list_actuals",
    summary="Actual spend, newest month first",
)
@paginate(Pagination)
def list_actuals(request, org: str, initiative_id: RowId | None = None):
    found = Actual.objects.filter(organization=membership_for(request, org).organization)
    if initiative_id is not None:
        found = found.filter(initiative_id=initiative_id)
    return found.order_by("-month", "initiative__title", "pk")


class ActualIn(In):
    initiative_id: RowId = Field(..., description="Approved, in progress or done.")
    month: date = Field(..., description="Any day of the month it was booked in.")
    amount: Decimal = Amount
    kind: SpendKind = SpendKind.ONE_OFF
    budget_line_id: RowId | None = None
    source: str = Field("", max_length=200, description="Invoice, purchase order or ledger line.")


class ActualsIn(In):
    items: list[ActualIn] = Field(..., min_length=1, max_length=MAX_BULK)


class ActualsOut(Schema):
    added: int


@router.post(
    "/orgs/{org}/actuals",
    response={201: ActualsOut, 400: ErrorOut, 422: ErrorOut},
    operation_id="record_actuals",
    summary=f"Record up to {MAX_BULK:,} actuals at once (all or none)",
    description="Each item is added (nothing is replaced: an import of the finance system's "
    "export replaces, see the spend page). If any item is refused, nothing is saved and the "
    "answer lists every problem by its index in `items`.",
)
def record_actuals(request, org: str, payload: ActualsIn):
    membership = membership_for(request, org, Role.EDITOR)
    try:
        added = bulk.record_actuals(
            membership.organization,
            [item.dict() for item in payload.items],
            actor=request.auth,
            via=AuditVia.API,
        )
    except bulk.ActualsRefused as e:
        return item_problems(e.problems)
    return HttpStatus(201, {"added": added})


# --- Benefits ------------------------------------------------------------------------------


class BenefitIn(In):
    initiative_id: RowId
    kpi_id: RowId = Field(..., description="The KPI it should move.")
    change: float = Field(
        ...,
        ge=0.000001,
        le=10**12,
        allow_inf_nan=False,
        description="How far the KPI should move, in its unit, in its good direction.",
    )
    due: date
    confidence: Confidence = Confidence.MEDIUM
    note: str = Field("", max_length=1000)
    version: int | None = Version


class RealisedOut(Schema):
    state: str = Field(..., description="not_started, on_the_way, realised, behind or missed.")
    label: str
    movement: float | None = Field(..., description="The KPI's change since the start.")
    share: float | None = Field(..., description="Of the promise: 1 is all of it.")
    baseline: float | None = Field(..., description="The KPI when the initiative started.")
    latest: float | None


class BenefitOut(RowOut):
    initiative_id: int
    kpi_id: int
    change: float
    due: date
    confidence: str
    note: str
    realised: RealisedOut

    @staticmethod
    def resolve_realised(obj, context):
        row = _benefit_rows(context["request"], obj.organization).get(obj.pk)
        if row is None:  # not in the organisation's figures: nothing realised yet
            state = rules.BenefitState.NOT_STARTED
            return {"state": state.value, "label": state.label, **dict.fromkeys(FIGURES)}
        return {
            "state": row.realised.state.value,
            "label": row.realised.state.label,
            "movement": row.realised.movement,
            "share": row.realised.share,
            "baseline": row.baseline,
            "latest": row.latest,
        }


FIGURES = ("movement", "share", "baseline", "latest")


def _benefit_rows(request, org) -> dict:
    """Every benefit's realised figures, worked out once a request (a fixed number of
    queries, whatever the number of benefits on the page)."""
    found = getattr(request, "_cairn_benefits", None)
    if found is None:
        found = {row.benefit_id: row for row in services.benefits(org, attach=False)}
        request._cairn_benefits = found
    return found


crud(
    router,
    path="/orgs/{org}/benefits",
    model=Benefit,
    form_class=BenefitForm,
    schema_in=BenefitIn,
    schema_out=BenefitOut,
    field_map={"initiative_id": "initiative", "kpi_id": "kpi"},
    queryset=lambda: Benefit.objects.select_related("organization").order_by("due", "pk"),
)


# --- The portfolio's execution -------------------------------------------------------------


class SpendOut(Schema):
    planned_to_date: Decimal = Field(..., description="To the end of last month.")
    actual_to_date: Decimal
    variance: Decimal = Field(..., description="Actual less planned: above 0 is an overspend.")
    variance_share: float | None = Field(..., description="Of the plan to date.")
    planned_total: Decimal
    forecast: Decimal = Field(..., description="At completion.")


class ExecutionRowOut(Schema):
    initiative_id: int
    title: str
    status: str
    health: str | None = Field(..., description="Of the latest report; null without one.")
    report_state: str = Field(..., description="reported, missing or not_due.")
    reported_on: date | None
    percent_complete: int | None
    started: date | None
    planned_finish: date | None
    forecast_finish: date | None
    late_by_days: int
    not_started: bool
    overspent: bool = Field(..., description="Beyond the organisation's tolerance.")
    spend: SpendOut


class ExecutionOut(Schema):
    by_health: dict[str, int] = Field(..., description="Initiatives under way by health.")
    missing_reports: int
    spend: SpendOut
    overspent_ids: list[int]
    overspend_tolerance_percent: int
    benefits_promised: int
    benefits_realised: int
    rows: list[ExecutionRowOut] = Field(..., description="Those needing the committee first.")


def _spend(spend: rules.Spend) -> dict:
    return {
        "planned_to_date": spend.planned_to_date,
        "actual_to_date": spend.actual_to_date,
        "variance": spend.variance,
        "variance_share": spend.variance_share,
        "planned_total": spend.planned_total,
        "forecast": spend.forecast,
    }


@router.get(
    "/orgs/{org}/execution",
    response=ExecutionOut,
    operation_id="execution",
    summary="How the approved, in-progress and done initiatives are going",
)
def execution(request, org: str):
    organization = membership_for(request, org).organization
    today = timezone.localdate()
    found = services.figures(organization, today=today)
    totals = services.portfolio(organization, found, today=today)
    limit = services.tolerance(organization)
    return {
        "by_health": totals.by_health,
        "missing_reports": totals.missing_reports,
        "spend": _spend(totals.spend),
        "overspent_ids": [f.pk for f in totals.overspent],
        "overspend_tolerance_percent": organization.overspend_tolerance_percent,
        "benefits_promised": totals.benefits_promised,
        "benefits_realised": totals.benefits_realised,
        "rows": [
            {
                "initiative_id": f.pk,
                "title": f.title,
                "status": f.status,
                "health": f.health,
                "report_state": f.report_state.value,
                "reported_on": f.reported_on,
                "percent_complete": f.percent_complete,
                "started": f.started,
                "planned_finish": f.planned_finish,
                "forecast_finish": f.forecast_finish,
                "late_by_days": f.late_by_days,
                "not_started": f.not_started,
                "overspent": f.spend.overspent(limit),
                "spend": _spend(f.spend),
            }
            for f in found
        ],
    }
