"""What every app's API shares: the organisation lookup, pagination, errors, CRUD wiring."""

import math
import re
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Union

from django.db import models
from django.forms import ModelForm
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.patch_dict import ModelToDict
from ninja.responses import Status
from pydantic import BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from cairn.core import services
from cairn.core.access import get_membership
from cairn.core.dates import RANGE_MESSAGE, in_range
from cairn.core.models import AuditVia, Membership, Role
from cairn.core.money import places_message, too_large_message, too_small_message

MAX_ID = 2**63 - 1  # the largest id any supported database stores

# An id in a body or query, bounded to what the databases store (a larger one is a 422, not
# an OverflowError deep in the driver).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Ids = Field(default_factory=list, max_length=1000)  # links to other rows, by id: list[RowId]
Version = Field(None, ge=1, le=2**31, description="Send back to refuse a stale change.")

# Who may call an operation, when it is not the usual "members read, editors write": said in
# the schema (``x-cairn-access``), where the isolation matrix reads it. OWNERS: the
# organisation's owners only, reads included. PERSONAL: any signed-in person, on their own
# rows only (their notifications, their choices), whatever their role.
OWNERS = {"x-cairn-access": "owner"}
PERSONAL = {"x-cairn-access": "person"}


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
WORDS = {
    bool: "true or false",
    date: "a date as YYYY-MM-DD",
    datetime: "a date and time (ISO 8601)",
    int: "a whole number",
    float: "a finite number",
    Decimal: "a finite number",
    str: "text",
    list: "a list",
    dict: "an object",
}


def _options(annotation) -> list[Any]:
    """The annotations a value may match: ``Annotated[int, …] | None`` is ``[int]``."""
    if typing.get_origin(annotation) is Annotated:
        return _options(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [option for arg in typing.get_args(annotation) for option in _options(arg)]
    return [] if annotation is type(None) else [annotation]


def _finite(value) -> bool:
    try:
        return math.isfinite(Decimal(value) if isinstance(value, str) else value)
    except (InvalidOperation, ValueError, OverflowError):
        return False


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)


def _matches(annotation, value) -> bool:
    """Whether a JSON value is of the kind an annotation asks for, without any conversion:
    0 is not a date nor a boolean, "3" is not a number, false is not a list, NaN is no number.
    The items of a list are checked too."""
    options = _options(annotation)
    return not options or any(_matches_one(option, value) for option in options)


def _matches_one(annotation, value) -> bool:
    kind = typing.get_origin(annotation) or annotation
    if kind is bool:
        return isinstance(value, bool)
    if kind in (date, datetime):
        return isinstance(value, str)
    if kind is int:  # 3.0 is a whole number in JSON (and in JSON Schema); 3.5 is not
        return _number(value) and float(value).is_integer()
    if kind is float:
        return _number(value)
    if kind is Decimal:
        return _number(value) or (isinstance(value, str) and _finite(value))
    if kind is str:
        return isinstance(value, str)
    if kind in (list, set, tuple, frozenset):
        item = (typing.get_args(annotation) or (Any,))[0]
        return isinstance(value, list) and all(_matches(item, v) for v in value)
    if kind is dict or (isinstance(kind, type) and issubclass(kind, BaseModel)):
        return isinstance(value, dict)
    return True  # Any, literals, enums: their own validation is strict already


def _expected(annotation) -> str:
    words = []
    for option in _options(annotation):
        kind = typing.get_origin(option) or option
        if kind in (list, set, tuple, frozenset):
            item = (typing.get_args(option) or (Any,))[0]
            inner = _expected(item)
            words.append(f"a list of {inner.removeprefix('a ')}s" if inner else "a list")
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            words.append("an object")
        elif kind in WORDS:
            words.append(WORDS[kind])
    return " or ".join(dict.fromkeys(words))


def _check_day(value: str) -> None:
    if not ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "Expected a date as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_format", "There is no such date.") from None
    if not in_range(day):
        raise PydanticCustomError("date_range", f"The date {RANGE_MESSAGE}.")


class In(Schema):
    """The base of every request body: JSON values are taken as they are written, never
    converted (``"target_date": 0`` is not 1 January 1970, ``"done": 0`` is not false,
    ``"goals": false`` is not an empty list, ``NaN`` is not a number), and a date is within
    the range every model stores (``cairn.core.dates``)."""

    @field_validator("*", mode="before")
    @classmethod
    def _strict(cls, value, info: ValidationInfo):
        if value is None:
            return value  # optional or required: the field's own validation says
        annotation = cls.model_fields[info.field_name].annotation
        if not _matches(annotation, value):
            expected = _expected(annotation) or "another kind of value"
            raise PydanticCustomError("strict_type", "Expected {expected}.", {"expected": expected})
        options = _options(annotation)
        if isinstance(value, str) and date in options and datetime not in options:
            _check_day(value)
        return value


class _Patch:
    """``Patch[SomeIn]``: the body of a PATCH, a dict of only the fields sent. Every field may be
    left out, but one that is sent is checked as in ``SomeIn`` (null is no title: unlike
    ninja's PatchDict, which makes every field nullable and drops its limits)."""

    def __getitem__(self, schema: type[Schema]):
        from copy import copy

        from ninja import Body
        from pydantic import create_model

        fields = {}
        for name, info in schema.model_fields.items():
            optional = copy(info)
            if optional.is_required():
                optional.default = None
                optional.default_factory = None
            fields[name] = (info.annotation, optional)
        partial = create_model(f"{schema.__name__}Patch", __base__=schema, **fields)

        class PatchBody(ModelToDict):
            _wrapped_model = partial
            _wrapped_model_dump_params = {"exclude_unset": True}

        return Body[PatchBody]


Patch = _Patch()


class RowOut(Schema):
    """What every row answers besides its own fields."""

    id: int
    version: int = Field(
        ..., description="Send it back with PUT or PATCH to refuse a stale change."
    )
    created: datetime
    updated: datetime


def ids(relation) -> list[int]:
    """Ids of a (prefetched) many-to-many relation."""
    return [o.pk for o in relation.all()]


class Pagination(LimitOffsetPagination):
    """``limit`` (1–500, default 50) and ``offset``; answers ``{"items": [...], "count": n}``."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10_000_000)


class ErrorOut(Schema):
    detail: Any


class FieldError(Exception):
    """Bad input found by a form: answered as 422 with one entry per field."""

    def __init__(self, errors: dict[str, list[str]], field_map: dict[str, str]):
        reverse_map = {form: api for api, form in field_map.items()}
        self.detail = [
            {
                "loc": ["body", reverse_map.get(field, field)] if field != "__all__" else ["body"],
                "msg": message,
                "type": "invalid",
            }
            for field, messages in errors.items()
            for message in messages
        ]


def item_problems(problems) -> Status:
    """The 422 of a bulk call refused whole: each problem ``(index, field, message)`` at
    ``["body", "items", index, field]``, as a field error of the body would be."""
    detail = [
        {"loc": ["body", "items", index, field], "msg": message, "type": "invalid"}
        for index, field, message in problems
    ]
    return Status(422, {"detail": detail})


# Pydantic's words for a number out of bounds, and the plain ones forms and imports use.
_PLAIN = {
    "less_than_equal": ("le", too_large_message),
    "greater_than_equal": ("ge", too_small_message),
    "decimal_max_places": ("decimal_places", places_message),
}


def plain_error(error: dict) -> dict:
    """One entry of a 422 answer, with a number's limits in the words the form uses."""
    kind = _PLAIN.get(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind is None or kind[0] not in ctx:
        return error
    return {**error, "msg": kind[1](ctx[kind[0]])}


def membership_for(
    request: HttpRequest, org: str, role: Role = Role.VIEWER, refused: str = ""
) -> Membership:
    """The caller's membership of organisation ``org`` (404 if none, 403 if the role is too low,
    saying ``refused`` when given)."""
    membership = get_membership(request.auth, org)
    token = getattr(request, "api_token", None)
    if token is not None and token.organization_id not in (None, membership.organization_id):
        raise Http404("No such organisation")  # the token is kept to another one
    if not membership.has_role(role):
        raise HttpError(403, refused or "Your role in this organisation cannot change data.")
    return membership


def org_row(queryset: models.QuerySet, membership: Membership, pk: int):
    """A row of the caller's organisation by id, or 404 (also for ids out of range or of
    another organisation)."""
    if not 0 < pk <= MAX_ID:
        raise Http404
    found = queryset.filter(organization=membership.organization, pk=pk).first()
    if found is None:
        raise Http404
    return found


def form_data(instance: models.Model, form_class: type[ModelForm]) -> dict[str, Any]:
    """The current values of a row as form data, to merge a partial update into."""
    data: dict[str, Any] = {}
    for name in form_class._meta.fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            data[name] = [o.pk for o in getattr(instance, name).all()]
        else:
            data[name] = field.value_from_object(instance)
    return data


def crud(
    router: Router,
    *,
    path: str,
    model: type[models.Model],
    form_class: type[ModelForm],
    schema_in: type[Schema],
    schema_out: type[Schema],
    queryset: Callable[[], models.QuerySet],
    field_map: dict[str, str] | None = None,
) -> None:
    """Add list, create, read, replace, update and delete endpoints for one model.

    Every write goes through ``form_class`` (the same validation as the web
    forms: organisation-scoped links, blank checks) and ``core.services``
    (audit, conflict check on ``version``).
    """
    field_map = field_map or {}
    name = model._meta.model_name
    label = str(model._meta.verbose_name)
    plural = str(model._meta.verbose_name_plural)
    item = f"{path}/{{item_id}}"

    def scoped(membership: Membership) -> models.QuerySet:
        return queryset().filter(organization=membership.organization)

    def get(membership: Membership, pk: int):
        return org_row(queryset(), membership, pk)

    def save(request, membership, payload: dict, instance=None):
        data = {field_map.get(k, k): v for k, v in payload.items() if k != "version"}
        if instance is not None:
            data = {**form_data(instance, form_class), **data}
            data["seen_version"] = payload.get("version")
        form = form_class(data, instance=instance, organization=membership.organization)
        if not form.is_valid():
            raise FieldError(form.errors, field_map)
        obj = services.save_form(form, actor=request.auth, via=AuditVia.API)
        return get(membership, obj.pk)  # re-read with the same prefetches as the list

    @router.get(
        path, response=list[schema_out], operation_id=f"list_{name}s", summary=f"List {plural}"
    )
    @paginate(Pagination)
    def list_(request, org: str):
        return scoped(membership_for(request, org))

    @router.post(
        path,
        response={201: schema_out, 400: ErrorOut, 422: ErrorOut},
        operation_id=f"create_{name}",
        summary=f"Add a {label}",
    )
    def create(request, org: str, payload: schema_in):
        membership = membership_for(request, org, Role.EDITOR)
        return Status(201, save(request, membership, payload.dict()))

    @router.get(
        item,
        response={200: schema_out, 404: ErrorOut},
        operation_id=f"get_{name}",
        summary=f"Read a {label}",
    )
    def read(request, org: str, item_id: int):
        return get(membership_for(request, org), item_id)

    @router.put(
        item,
        response={200: schema_out, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
        operation_id=f"replace_{name}",
        summary=f"Replace a {label}",
    )
    def replace(request, org: str, payload: schema_in, item_id: int):
        membership = membership_for(request, org, Role.EDITOR)
        instance = get(membership, item_id)
        return save(request, membership, payload.dict(), instance)

    @router.patch(
        item,
        response={200: schema_out, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
        operation_id=f"update_{name}",
        summary=f"Change some fields of a {label}",
    )
    def update(request, org: str, payload: Patch[schema_in], item_id: int):
        membership = membership_for(request, org, Role.EDITOR)
        instance = get(membership, item_id)
        return save(request, membership, payload, instance)

    @router.delete(
        item,
        response={204: None, 400: ErrorOut, 404: ErrorOut},
        operation_id=f"delete_{name}",
        summary=f"Delete a {label}",
    )
    def delete(request, org: str, item_id: int):
        membership = membership_for(request, org, Role.EDITOR)
        services.delete_object(get(membership, item_id), actor=request.auth, via=AuditVia.API)
        return Status(204, None)
