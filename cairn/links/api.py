"""REST endpoints of suggested links: read the suggestions of a row, accept one."""

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cairn.api.common import ErrorOut, FieldError, In, membership_for, org_row
from cairn.core.models import AuditVia, Role
from cairn.links import services, suggest

router = Router(tags=["Suggested links"])

# The collection of each kind of row in the API, as the rows' own endpoints name it.
COLLECTIONS = {
    "initiative": "initiatives",
    "kpi": "kpis",
    "painpoint": "pain-points",
    "usecase": "ai-use-cases",
    "application": "applications",
}


class SuggestionOut(Schema):
    target: str = Field(..., description="What to send to accept it, e.g. `goal:12`.")
    kind: str = Field(..., description="goal, painpoint, swot or capability")
    id: int
    title: str
    score: float = Field(..., description="0 to 1: how much of the telling words both share.")
    strength: str = Field(..., description="The score in words: strong, good or weak match.")
    words: list[str] = Field(..., description="The words both share that weigh most.")


class SuggestionsOut(Schema):
    id: int
    title: str
    suggestions: list[SuggestionOut] = Field(..., description="Best first within each kind.")


class LinksQuery(Schema):
    limit: int = Field(suggest.SHOWN, ge=1, le=20, description="Suggestions of each kind.")


class LinkIn(In):
    target: str = Field(
        ..., min_length=3, max_length=40, description="The row to link, e.g. `goal:12`."
    )


class LinkOut(Schema):
    target: str
    title: str
    version: int = Field(..., description="The row's version after the link was added.")


def _out(s: suggest.Suggestion) -> dict:
    return {
        "target": s.key,
        "kind": s.kind,
        "id": s.target.pk,
        "title": str(s.target),
        "score": round(s.score, 4),
        "strength": s.strength,
        "words": s.words,
    }


def _endpoints(kind: str, collection: str) -> None:
    source = suggest.SOURCES[kind]
    label = source.label
    targets = " and ".join(suggest.TARGETS[t].plural for t in source.links)

    @router.get(
        f"/orgs/{{org}}/{collection}/{{item_id}}/suggestions",
        response={200: SuggestionsOut, 404: ErrorOut, 422: ErrorOut},
        operation_id=f"suggest_{kind}_links",
        summary=f"Suggested {targets} of a {label}",
        description="Ranked by the words they share (TF-IDF over the organisation's own text "
        "and glossary); rows already linked are left out.",
    )
    def read(request, org: str, item_id: int, query: Query[LinksQuery]):
        membership = membership_for(request, org)
        item = org_row(suggest.queryset(kind), membership, item_id)
        found = suggest.suggest(membership.organization, item, kind, limit=query.limit)
        return {
            "id": item.pk,
            "title": str(item),
            "suggestions": [_out(s) for ranked in found.values() for s in ranked],
        }

    @router.post(
        f"/orgs/{{org}}/{collection}/{{item_id}}/links",
        response={201: LinkOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
        operation_id=f"accept_{kind}_link",
        summary=f"Link a {label} to one of its suggested {targets}",
        description="Send the `target` of a suggestion. 422 when it names no row of this "
        "organisation that this kind of row links to; 400 when it is linked already.",
    )
    def accept(request, org: str, item_id: int, payload: LinkIn):
        membership = membership_for(request, org, Role.EDITOR)
        item = org_row(source.model.objects.all(), membership, item_id)
        try:
            row = services.accept(
                membership.organization,
                kind,
                item,
                payload.target,
                actor=request.auth,
                via=AuditVia.API,
            )
        except (services.BadTarget, services.UnknownTarget) as e:
            raise FieldError({"target": [str(e)]}, {}) from None
        item.refresh_from_db(fields=["version"])
        return Status(201, {"target": payload.target, "title": str(row), "version": item.version})


for _kind, _collection in COLLECTIONS.items():
    _endpoints(_kind, _collection)
