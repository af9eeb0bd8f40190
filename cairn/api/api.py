"""The REST API, version 1: assembled from each app's ``api.py``."""

from django.http import Http404
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import ValidationError
from ninja.parser import Parser

from cairn.aigov.api import router as aigov_router
from cairn.api.auth import AUTH
from cairn.api.common import FieldError, plain_error
from cairn.assessment.api import router as terrain_router
from cairn.core.models import Membership
from cairn.core.services import ConflictError, ServiceError
from cairn.documents.api import router as documents_router
from cairn.goals.api import router as goals_router
from cairn.governance.api import router as guideposts_router
from cairn.kpis.api import router as ascent_router
from cairn.language.api import router as language_router
from cairn.portfolio.api import router as path_router
from cairn.roadmap.api import router as roadmap_router


class ObjectParser(Parser):
    """Request bodies must be JSON objects: a bare string or list is refused like malformed
    JSON, with 400 (left to the default parser, a string body would be read as if it were a
    title)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


api = NinjaAPI(
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
