"""REST endpoints of the strategy document: make one (its PDF is made in the background,
with progress) and read where it stands."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from cairn.api.common import ErrorOut, Pagination, membership_for, org_row
from cairn.core import throttle
from cairn.core.models import AuditVia, Role
from cairn.documents import services
from cairn.documents.models import StrategyDocument

router = Router(tags=["Strategy document"])


class DocumentOut(Schema):
    id: int
    title: str
    created: datetime
    state: str
    progress: int
    urls: dict[str, str]

    @staticmethod
    def resolve_urls(obj):
        from django.urls import reverse

        slug = obj.organization.slug
        return {
            "html": reverse("documents:document_view", args=[slug, obj.pk]),
            **{
                fmt: reverse("documents:document_file", args=[slug, obj.pk, fmt])
                for fmt in ("pdf", "md", "pptx")
            },
        }


def _docs(membership):
    return (
        StrategyDocument.objects.filter(organization=membership.organization)
        .select_related("organization")
        .defer("data", "pdf")
    )


@router.get(
    "/orgs/{org}/documents",
    response=list[DocumentOut],
    operation_id="list_documents",
    summary="Strategy documents made, newest first",
)
@paginate(Pagination)
def list_documents(request, org: str):
    return _docs(membership_for(request, org))


@router.post(
    "/orgs/{org}/documents",
    response={201: DocumentOut, 429: ErrorOut},
    operation_id="make_document",
    summary="Make today's strategy document; its PDF is made in the background",
    description="Answers at once; read the document again until `state` is `ready` and "
    "`progress` 100, then fetch the PDF from `urls.pdf` (HTML, Markdown and .pptx are ready "
    "at once). One document at a time per organisation: while another PDF waits or is "
    "made, 429 with `Retry-After`.",
    openapi_extra=throttle.OPENAPI_429,
)
def make_document(request, org: str):
    membership = membership_for(request, org, Role.EDITOR)
    try:
        doc = services.make(
            membership.organization, actor=request.auth, via=AuditVia.API, with_pdf=True
        )
    except throttle.Throttled as e:
        return e.response()
    return HttpStatus(201, _docs(membership).get(pk=doc.pk))


@router.get(
    "/orgs/{org}/documents/{item_id}",
    response={200: DocumentOut, 404: ErrorOut},
    operation_id="get_document",
    summary="A strategy document and how far its PDF is",
)
def get_document(request, org: str, item_id: int):
    return org_row(_docs(membership := membership_for(request, org)), membership, item_id)
