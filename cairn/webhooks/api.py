"""REST endpoints of webhooks, for owners: add, read, change and delete them, read their
deliveries, send a test. The secret is answered once, by the POST that made the webhook."""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from cairn.api.common import (
    OWNERS,
    ErrorOut,
    FieldError,
    In,
    Pagination,
    Patch,
    membership_for,
    org_row,
)
from cairn.core.models import AuditVia, Membership, Role
from cairn.webhooks import services
from cairn.webhooks.forms import WebhookForm
from cairn.webhooks.models import Event, Format, Webhook, WebhookDelivery

router = Router(tags=["Webhooks"])

HOOKS = "/orgs/{org}/webhooks"
HOOK = HOOKS + "/{item_id}"


class WebhookIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    url: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="http(s) only, on a public address (see the installation's "
        "CAIRN_WEBHOOKS_ALLOW_PRIVATE).",
    )
    events: list[Event] = Field(..., min_length=1, max_length=len(Event.values))
    format: Format = Format.JSON
    active: bool = True
    secret: str = Field(
        "",
        max_length=128,
        description="Left out or empty: Cairn makes one (on a change: the current one stays).",
    )


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    format: str
    active: bool
    secret_hint: str = Field(..., description="The secret's last four characters.")
    created: datetime
    updated: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(..., description="Answered only now: keep it.")


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    event: str
    state: str = Field(..., description="queued, sent or failed.")
    attempts: int
    response_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    duration_ms: int | None
    created: datetime
    delivered_at: datetime | None
    payload: dict


def _owner(request, org: str) -> Membership:
    refused = "Only an owner of this organisation can manage its webhooks."
    return membership_for(request, org, Role.OWNER, refused)


def _get(membership: Membership, pk: int) -> Webhook:
    return org_row(Webhook.objects.all(), membership, pk)


def _form(membership: Membership, data: dict, instance: Webhook | None = None) -> WebhookForm:
    form = WebhookForm(data, instance=instance, organization=membership.organization)
    if not form.is_valid():
        raise FieldError(form.errors, {})
    return form


def _current(webhook: Webhook) -> dict:
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "format": webhook.format,
        "active": webhook.active,
    }


@router.get(
    HOOKS,
    response=list[WebhookOut],
    operation_id="list_webhooks",
    openapi_extra=OWNERS,
    summary="List webhooks",
)
@paginate(Pagination)
def list_webhooks(request, org: str):
    return Webhook.objects.filter(organization=_owner(request, org).organization)


@router.post(
    HOOKS,
    response={201: WebhookCreatedOut, 400: ErrorOut, 422: ErrorOut},
    operation_id="create_webhook",
    openapi_extra=OWNERS,
    summary="Add a webhook (the answer holds its secret, this once)",
)
def create_webhook(request, org: str, payload: WebhookIn):
    membership = _owner(request, org)
    form = _form(membership, payload.dict())
    webhook, secret = services.create_webhook(
        membership.organization, form.values(), actor=request.auth, via=AuditVia.API
    )
    return Status(201, {**WebhookOut.from_orm(webhook).dict(), "secret": secret})


@router.get(
    HOOK,
    response={200: WebhookOut, 404: ErrorOut},
    operation_id="get_webhook",
    openapi_extra=OWNERS,
    summary="Read a webhook",
)
def get_webhook(request, org: str, item_id: int):
    return _get(_owner(request, org), item_id)


def _change(request, org: str, item_id: int, data: dict) -> Webhook:
    membership = _owner(request, org)
    webhook = _get(membership, item_id)
    form = _form(membership, {**_current(webhook), **data}, webhook)
    return services.update_webhook(webhook, form.values(), actor=request.auth, via=AuditVia.API)


@router.put(
    HOOK,
    response={200: WebhookOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="replace_webhook",
    openapi_extra=OWNERS,
    summary="Replace a webhook",
)
def replace_webhook(request, org: str, item_id: int, payload: WebhookIn):
    return _change(request, org, item_id, payload.dict())


@router.patch(
    HOOK,
    response={200: WebhookOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="update_webhook",
    openapi_extra=OWNERS,
    summary="Change some fields of a webhook",
)
def update_webhook(request, org: str, item_id: int, payload: Patch[WebhookIn]):
    return _change(request, org, item_id, payload)


@router.delete(
    HOOK,
    response={204: None, 404: ErrorOut},
    operation_id="delete_webhook",
    openapi_extra=OWNERS,
    summary="Delete a webhook and its deliveries",
)
def delete_webhook(request, org: str, item_id: int):
    membership = _owner(request, org)
    services.delete_webhook(_get(membership, item_id), actor=request.auth, via=AuditVia.API)
    return Status(204, None)


@router.get(
    HOOK + "/deliveries",
    response=list[DeliveryOut],
    operation_id="list_webhook_deliveries",
    openapi_extra=OWNERS,
    summary="A webhook's deliveries, newest first",
)
@paginate(Pagination)
def list_deliveries(request, org: str, item_id: int):
    webhook = _get(_owner(request, org), item_id)
    return WebhookDelivery.objects.filter(webhook=webhook)


@router.post(
    HOOK + "/test",
    response={201: DeliveryOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="test_webhook",
    openapi_extra=OWNERS,
    summary="Send a test message (also to a webhook switched off)",
)
def test_webhook(request, org: str, item_id: int):
    webhook = _get(_owner(request, org), item_id)
    delivery = services.send_test(webhook, actor=request.auth)
    return Status(201, WebhookDelivery.objects.get(pk=delivery.pk))
