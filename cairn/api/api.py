"""The REST API, version 1: assembled from each app's ``api.py``."""

from django.http import Http404
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import ValidationError
from ninja.parser import Parser

from cairn.aigov.api import router as aigov_router
from cairn.api.auth import AUTH
from cairn.api.common import FieldError, plain_error
from cairn.assessment.api import router as terrain_router
from cairn.core import throttle
from cairn.core.models import Membership
from cairn.core.services import ConflictError, ServiceError
from cairn.documents.api import router as documents_router
from cairn.execution.api import router as execution_router
from cairn.goals.api import router as goals_router
from cairn.governance.api import router as guideposts_router
from cairn.kpis.api import router as ascent_router
from cairn.language.api import router as language_router
from cairn.links.api import router as links_router
from cairn.notifications.api import router as notifications_router
from cairn.portfolio.api import router as path_router
from cairn.roadmap.api import router as roadmap_router
from cairn.webhooks.api import router as webhooks_router


class ObjectParser(Parser):
    """Request bodies must be JSON objects: a bare string or list is refused like malformed
    JSON, with 400 (left to the default parser, a string body would be read as if it were a
    title)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


# What each error means, for the schema: every operation lists the ones it can answer.
ERRORS = {
    400: "The body could not be read (not a JSON object), or the change was refused.",
    401: "No valid token or session.",
    403: "Your role in this organisation cannot do this.",
    404: "No such organisation (or you are not a member of it), or no such row in it.",
    409: "The row changed since you read it: read it again, then send its new `version`.",
    413: "The body is larger than the server accepts.",
    414: "The address is longer than the server reads (its query string is too long).",
    422: "Bad input: one entry per field, with its path in `loc`.",
    429: "Too many requests: this token's limit a minute, or too many wrong tokens from this "
    "address, or a job of this kind already waiting. Try again after `Retry-After` seconds.",
    503: "The database is busy with another change: try again after `Retry-After` seconds.",
}
WRITES = {"post", "put", "patch", "delete"}


def possible_errors(path: str, method: str, operation: dict) -> set[int]:
    """The error statuses an operation can answer, from its shape: authentication, the
    organisation and row in its path, its parameters and body, and whether it writes."""
    found = set()
    if operation.get("security"):
        found |= {401, 429}  # no token or session; a token's rate
        if method in WRITES:
            found.add(403)  # a token that only reads
    if "{org}" in path:
        found |= {403, 404}
    if path.count("{") > path.count("{org}"):
        found.add(404)
    if operation.get("parameters") or operation.get("requestBody"):
        found.add(422)
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        found.add(414)
    if operation.get("requestBody"):
        found |= {400, 413}
    if method in WRITES:
        found |= {400, 503}
    if method in {"put", "patch"}:
        found.add(409)
    return found


# The years every date in Cairn is kept in (cairn.core.dates), said in the schema too.
DATE_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$"


def bound_dates(node) -> None:
    """Every ``format: date`` of the schema gets the pattern of the years Cairn keeps."""
    if isinstance(node, dict):
        if node.get("format") == "date" and node.get("type") == "string":
            node.setdefault("pattern", DATE_PATTERN)
        for value in node.values():
            bound_dates(value)
    elif isinstance(node, list):
        for value in node:
            bound_dates(value)


class CairnAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        bound_dates(schema.get("components", {}))
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                declared = {int(code) for code in responses}
                for code in sorted(possible_errors(path, method, operation) - declared):
                    responses[code] = {"description": ERRORS[code]}
                    if code != 414:  # the HTTP server answers it, before Cairn: no JSON
                        responses[code]["content"] = error
                    if code == 429:
                        responses[code]["headers"] = throttle.RETRY_AFTER_HEADER
        return schema


api = CairnAPI(
    title="Cairn API",
    version="1",
    description=(
        "Read and change an organisation's IT strategy. Authenticate with a personal token "
        "from your profile page: `Authorization: Bearer <token>`. Lists take `limit` and "
        "`offset` and answer `{items, count}`. Bad input answers 422 with one entry per "
        "field; a change based on an old `version` answers 409."
    ),
    auth=AUTH,
    urls_namespace="api",
    parser=ObjectParser(),
)


@api.exception_handler(FieldError)
def field_error(request, exc: FieldError):
    return api.create_response(request, {"detail": exc.detail}, status=422)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return api.create_response(
        request, {"detail": [plain_error(e) for e in exc.errors]}, status=422
    )


@api.exception_handler(ConflictError)
def conflict(request, exc: ConflictError):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(throttle.Throttled)
def throttled(request, exc: throttle.Throttled):
    """One job of a kind per organisation: 429 with Retry-After, wherever it was refused."""
    return exc.response()


@api.exception_handler(ServiceError)
def refused(request, exc: ServiceError):
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


class OrgOut(Schema):
    slug: str
    name: str
    role: str
    currency: str = Field(..., description="ISO 4217 code of every amount in this organisation.")


orgs = Router(tags=["Organisations"])


@orgs.get("/orgs", response=list[OrgOut], operation_id="list_orgs", summary="My organisations")
def list_orgs(request):
    return [
        {
            "slug": m.organization.slug,
            "name": m.organization.name,
            "role": m.role,
            "currency": m.organization.currency,
        }
        for m in Membership.objects.filter(user=request.auth).select_related("organization")
        if getattr(request, "api_token", None) is None
        or request.api_token.organization_id in (None, m.organization_id)
    ]


api.add_router("", orgs)
api.add_router("", goals_router)
api.add_router("", terrain_router)
api.add_router("", path_router)
api.add_router("", roadmap_router)
api.add_router("", ascent_router)
api.add_router("", guideposts_router)
api.add_router("", language_router)
api.add_router("", aigov_router)
api.add_router("", documents_router)
api.add_router("", execution_router)
api.add_router("", notifications_router)
api.add_router("", webhooks_router)
api.add_router("", links_router)
