"""REST endpoints of KPI connectors: members read them and their runs; owners add, change,
delete and run them. The token and the database address are write-only: answers say only
whether one is saved."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from cairn.api.common import (
    OWNERS,
    ErrorOut,
    FieldError,
    In,
    Pagination,
    RowId,
    membership_for,
    org_row,
)
from cairn.core.models import AuditVia, Membership, Role
from cairn.core.services import ServiceError
from cairn.kpis import connector_services as runs
from cairn.kpis.api import router
from cairn.kpis.connector_forms import ConnectorForm
from cairn.kpis.connector_models import ConnectorKind, ConnectorSchedule, KpiConnector
from cairn.kpis.models import Kpi

CONNECTORS = "/orgs/{org}/kpi-connectors"
CONNECTOR = CONNECTORS + "/{item_id}"


class ConnectorIn(In):
    kpi_id: RowId
    kind: ConnectorKind
    url: str = Field("", max_length=500, description="For csv_url and json_url: https only.")
    auth_header: str = Field("", max_length=100, description="The header the token is sent in.")
    token: str = Field("", max_length=2000, description="Write-only; empty keeps the saved one.")
    database_url: str = Field(
        "",
        max_length=1000,
        description="For sql: postgresql://, mysql:// (needs PyMySQL) or sqlite:///. "
        "Write-only; empty keeps the saved one.",
    )
    query: str = Field("", max_length=4000)
    items_path: str = Field("", max_length=200, description="JSON: dotted path to the list.")
    date_field: str = Field("date", min_length=1, max_length=100)
    value_field: str = Field("value", min_length=1, max_length=100)
    confirm_questioned: bool = False
    schedule: ConnectorSchedule = ConnectorSchedule.DAILY
    enabled: bool = True


class ConnectorOut(Schema):
    id: int
    kpi_id: int
    kind: str
    url: str
    auth_header: str
    has_token: bool
    has_database: bool
    database: str = Field(..., description="What may be shown of the database address.")
    query: str
    items_path: str
    date_field: str
    value_field: str
    confirm_questioned: bool
    schedule: str
    enabled: bool
    next_run: datetime | None
    last_run: datetime | None
    consecutive_failures: int

    @staticmethod
    def resolve_database(obj) -> str:
        return obj.database_hint


class RunOut(Schema):
    id: int
    trigger: str
    started: datetime
    finished: datetime | None
    ok: bool
    rows_read: int
    rows_added: int
    rows_changed: int
    rows_unchanged: int
    error: str
    problems: list[list] = Field(..., description="[row, what is wrong], at most 20.")


class QueuedOut(Schema):
    queued: bool


def _owner(request, org: str) -> Membership:
    refused = "Only an owner of this organisation can manage KPI connectors."
    return membership_for(request, org, Role.OWNER, refused)


def _get(membership: Membership, pk: int) -> KpiConnector:
    return org_row(KpiConnector.objects.select_related("kpi"), membership, pk)


def _save(request, membership: Membership, data: dict, connector: KpiConnector | None):
    kpi = org_row(Kpi.objects.all(), membership, data["kpi_id"])
    if connector is not None and kpi.pk != connector.kpi_id:
        raise HttpError(400, "A connector stays with its KPI; delete it and add another.")
    form = ConnectorForm(
        {k: v for k, v in data.items() if v is not False},
        instance=connector or KpiConnector(kpi=kpi, organization=membership.organization),
        organization=membership.organization,
    )
    if not form.is_valid():
        raise FieldError(form.errors, {})
    try:
        return runs.save_connector(
            kpi, form.values(), actor=request.auth, via=AuditVia.API, connector=connector
        )
    except ServiceError as e:
        raise HttpError(400, str(e)) from None


@router.get(
    CONNECTORS,
    response=list[ConnectorOut],
    operation_id="list_kpi_connectors",
    summary="List KPI connectors",
)
@paginate(Pagination)
def list_connectors(request, org: str):
    membership = membership_for(request, org)
    return KpiConnector.objects.filter(organization=membership.organization).order_by("id")


@router.post(
    CONNECTORS,
    response={201: ConnectorOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="create_kpi_connector",
    openapi_extra=OWNERS,
    summary="Add a connector to a KPI (one per KPI)",
)
def create_connector(request, org: str, payload: ConnectorIn):
    membership = _owner(request, org)
    return Status(201, _save(request, membership, payload.dict(), None))


@router.get(
    CONNECTOR,
    response={200: ConnectorOut, 404: ErrorOut},
    operation_id="get_kpi_connector",
    summary="Read a KPI connector",
)
def get_connector(request, org: str, item_id: int):
    return _get(membership_for(request, org), item_id)


@router.put(
    CONNECTOR,
    response={200: ConnectorOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="replace_kpi_connector",
    openapi_extra=OWNERS,
    summary="Replace a KPI connector (empty secrets keep the saved ones)",
)
def replace_connector(request, org: str, item_id: int, payload: ConnectorIn):
    membership = _owner(request, org)
    return _save(request, membership, payload.dict(), _get(membership, item_id))


@router.delete(
    CONNECTOR,
    response={204: None, 404: ErrorOut},
    operation_id="delete_kpi_connector",
    openapi_extra=OWNERS,
    summary="Delete a KPI connector and its runs (recorded values stay)",
)
def delete_connector(request, org: str, item_id: int):
    membership = _owner(request, org)
    runs.delete_connector(_get(membership, item_id), actor=request.auth, via=AuditVia.API)
    return Status(204, None)


@router.get(
    CONNECTOR + "/runs",
    response=list[RunOut],
    operation_id="list_kpi_connector_runs",
    summary="A connector's runs, newest first",
)
@paginate(Pagination)
def list_runs(request, org: str, item_id: int):
    return _get(membership_for(request, org), item_id).runs.all()


@router.post(
    CONNECTOR + "/run",
    response={200: QueuedOut, 404: ErrorOut},
    operation_id="run_kpi_connector",
    openapi_extra=OWNERS,
    summary="Queue a run now (the worker runs it; see its runs for the result)",
)
def run_connector(request, org: str, item_id: int):
    runs.run_now(_get(_owner(request, org), item_id))
    return {"queued": True}
