"""REST endpoints of the guideposts: committee, meetings, agendas, actions, roadblocks,
decisions (which change initiatives as in the UI), RACI, reviews and snapshots."""

from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from cairn.api.common import (
    MAX_ID,
    ErrorOut,
    FieldError,
    Ids,
    In,
    Pagination,
    RowId,
    RowOut,
    Version,
    crud,
    ids,
    membership_for,
    org_row,
)
from cairn.core.models import AuditVia, Role
from cairn.governance import rules, services
from cairn.governance.forms import (
    ActionForm,
    CommitteeMemberForm,
    MeetingForm,
    RaciForm,
    ReviewForm,
    RoadblockForm,
)
from cairn.governance.models import (
    Action,
    Change,
    CommitteeMember,
    Decision,
    Meeting,
    Raci,
    Review,
    ReviewKind,
    Roadblock,
    Side,
)
from cairn.portfolio.models import Initiative

router = Router(tags=["Guideposts"])
OptionalId = Field(None, ge=1, le=MAX_ID)


def _get(model, membership, pk: int, queryset=None):
    return org_row(queryset if queryset is not None else model.objects.all(), membership, pk)


class MemberIn(In):
    membership_id: int | None = OptionalId
    name: str = Field("", max_length=120)
    role: str = Field("", max_length=120)
    side: Side = Side.BUSINESS
    is_chair: bool = False
    version: int | None = Version


class MemberOut(RowOut):
    name: str
    role: str
    side: str
    is_chair: bool
    membership_id: int | None


crud(
    router,
    path="/orgs/{org}/committee-members",
    model=CommitteeMember,
    form_class=CommitteeMemberForm,
    schema_in=MemberIn,
    schema_out=MemberOut,
    field_map={"membership_id": "membership"},
    queryset=lambda: CommitteeMember.objects.all(),
)


class MeetingIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    held_on: date
    attendee_ids: list[RowId] = Ids
    minutes: str = Field("", max_length=20000)
    version: int | None = Version


class AgendaOut(Schema):
    id: int
    kind: str
    title: str
    detail: str
    url: str


class MeetingOut(RowOut):
    title: str
    held_on: date
    attendee_ids: list[int]
    minutes: str
    agenda: list[AgendaOut]

    @staticmethod
    def resolve_attendee_ids(obj):
        return ids(obj.attendees)

    @staticmethod
    def resolve_agenda(obj):
        return list(obj.agenda.all())


MEETINGS = lambda: Meeting.objects.prefetch_related(  # noqa: E731
    Prefetch("attendees", queryset=CommitteeMember.objects.only("id")), "agenda"
)
crud(
    router,
    path="/orgs/{org}/meetings",
    model=Meeting,
    form_class=MeetingForm,
    schema_in=MeetingIn,
    schema_out=MeetingOut,
    field_map={"attendee_ids": "attendees"},
    queryset=MEETINGS,
)


@router.post(
    "/orgs/{org}/meetings/{item_id}/draft-agenda",
    response={201: MeetingOut, 404: ErrorOut},
    operation_id="draft_agenda",
    summary="Add to a meeting's agenda what needs the committee now (from live data)",
)
def draft_agenda(request, org: str, item_id: int):
    membership = membership_for(request, org, Role.EDITOR)
    meeting = _get(Meeting, membership, item_id)
    services.add_drafted_agenda(meeting, actor=request.auth, via=AuditVia.API)
    return HttpStatus(201, MEETINGS().get(pk=meeting.pk))


class CreatedOut(Schema):
    created: int


@router.post(
    "/orgs/{org}/plan-year",
    response={201: CreatedOut},
    operation_id="plan_year",
    summary="Plan the committee's next four meetings at its rhythm",
)
def plan_year(request, org: str):
    membership = membership_for(request, org, Role.EDITOR)
    created = services.plan_year(membership.organization, actor=request.auth, via=AuditVia.API)
    return HttpStatus(201, {"created": len(created)})


class ActionIn(In):
    meeting_id: int = Field(..., ge=1, le=MAX_ID)
    description: str = Field(..., min_length=1, max_length=300)
    owner: str = Field(..., min_length=1, max_length=120)
    due: date
    done: bool = False
    version: int | None = Version


class ActionOut(RowOut):
    meeting_id: int
    description: str
    owner: str
    due: date
    done: bool


crud(
    router,
    path="/orgs/{org}/actions",
    model=Action,
    form_class=ActionForm,
    schema_in=ActionIn,
    schema_out=ActionOut,
    field_map={"meeting_id": "meeting"},
    queryset=lambda: Action.objects.all(),
)


class RoadblockIn(In):
    initiative_id: int = Field(..., ge=1, le=MAX_ID)
    description: str = Field(..., min_length=1, max_length=300)
    since: date
    who_can_remove: str = Field("", max_length=120)
    version: int | None = Version


class RoadblockOut(RowOut):
    initiative_id: int
    description: str
    since: date
    who_can_remove: str
    removed_on: date | None
    how_removed: str


crud(
    router,
    path="/orgs/{org}/roadblocks",
    model=Roadblock,
    form_class=RoadblockForm,
    schema_in=RoadblockIn,
    schema_out=RoadblockOut,
    field_map={"initiative_id": "initiative"},
    queryset=lambda: Roadblock.objects.all(),
)


class RemoveIn(In):
    how: str = Field(..., min_length=1, max_length=300)


@router.post(
    "/orgs/{org}/roadblocks/{item_id}/remove",
    response={200: RoadblockOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="remove_roadblock",
    summary="Record how a roadblock was removed",
)
def remove_roadblock(request, org: str, item_id: int, payload: RemoveIn):
    membership = membership_for(request, org, Role.EDITOR)
    roadblock = _get(Roadblock, membership, item_id)
    return services.remove_roadblock(roadblock, payload.how, actor=request.auth, via=AuditVia.API)


class DecisionIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    outcome: str = Field(..., min_length=1, max_length=5000)
    change: Change = Change.NONE
    initiative_ids: list[RowId] = Ids
    meeting_id: int | None = OptionalId
    context: str = Field("", max_length=5000)
    options: str = Field("", max_length=5000)
    decided_on: date | None = None


class DecisionOut(RowOut):
    title: str
    outcome: str
    change: str
    initiative_ids: list[int]
    meeting_id: int | None
    context: str
    options: str
    decided_on: date

    @staticmethod
    def resolve_initiative_ids(obj):
        return ids(obj.initiatives)


DECISIONS = lambda: Decision.objects.prefetch_related(  # noqa: E731
    Prefetch("initiatives", queryset=Initiative.objects.only("id"))
)


@router.get(
    "/orgs/{org}/decisions",
    response=list[DecisionOut],
    operation_id="list_decisions",
    summary="List decisions, newest first",
)
@paginate(Pagination)
def list_decisions(request, org: str):
    return DECISIONS().filter(organization=membership_for(request, org).organization)


@router.post(
    "/orgs/{org}/decisions",
    response={201: DecisionOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="record_decision",
    summary="Record a decision; approve, reject or defer changes its initiatives' status",
    description="A status change that the initiative cannot make (an idea cannot jump to done) "
    "is refused with 400 and nothing is recorded.",
)
def record_decision(request, org: str, payload: DecisionIn):
    membership = membership_for(request, org, Role.EDITOR)
    organization = membership.organization
    wanted = set(payload.initiative_ids)
    initiatives = list(Initiative.objects.filter(organization=organization, pk__in=wanted))
    if len(initiatives) != len(wanted):
        raise FieldError({"initiative_ids": ["Unknown initiative."]}, {})
    meeting = _get(Meeting, membership, payload.meeting_id) if payload.meeting_id else None
    decision = services.decide(
        organization,
        title=payload.title,
        outcome=payload.outcome,
        change=payload.change,
        initiatives=initiatives,
        meeting=meeting,
        context=payload.context,
        options=payload.options,
        decided_on=payload.decided_on,
        actor=request.auth,
        via=AuditVia.API,
    )
    return HttpStatus(201, DECISIONS().get(pk=decision.pk))


@router.get(
    "/orgs/{org}/decisions/{item_id}",
    response={200: DecisionOut, 404: ErrorOut},
    operation_id="get_decision",
    summary="Read a decision",
)
def get_decision(request, org: str, item_id: int):
    return _get(Decision, membership_for(request, org), item_id, DECISIONS())


@router.delete(
    "/orgs/{org}/decisions/{item_id}",
    response={204: None, 404: ErrorOut},
    operation_id="delete_decision",
    summary="Delete a decision (the initiatives keep their status)",
)
def delete_decision(request, org: str, item_id: int):
    from cairn.core.services import delete_object

    membership = membership_for(request, org, Role.EDITOR)
    delete_object(_get(Decision, membership, item_id), actor=request.auth, via=AuditVia.API)
    return HttpStatus(204, None)


class RaciIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    decision_id: int | None = OptionalId
    initiative_id: int | None = OptionalId
    version: int | None = Version


class RaciRow(In):
    activity: str = Field(..., min_length=1, max_length=200)
    cells: dict[str, str] = Field(default_factory=dict, max_length=30)


class RaciOut(RowOut):
    title: str
    decision_id: int | None
    initiative_id: int | None
    people: list[str]
    rows: list[dict[str, Any]]


crud(
    router,
    path="/orgs/{org}/racis",
    model=Raci,
    form_class=RaciForm,
    schema_in=RaciIn,
    schema_out=RaciOut,
    field_map={"decision_id": "decision", "initiative_id": "initiative"},
    queryset=lambda: Raci.objects.all(),
)


class MatrixIn(In):
    people: list[str] = Field(..., max_length=30)
    rows: list[RaciRow] = Field(..., max_length=60)


@router.put(
    "/orgs/{org}/racis/{item_id}/matrix",
    response={200: RaciOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="set_raci_matrix",
    summary="Set a RACI's people and activities; refused if an activity breaks the rule",
    description=rules.RACI_RULE,
)
def set_matrix(request, org: str, item_id: int, payload: MatrixIn):
    membership = membership_for(request, org, Role.EDITOR)
    raci = _get(Raci, membership, item_id)
    people = [p.strip()[:120] for p in payload.people]
    rows = [{"activity": r.activity.strip(), "cells": dict(r.cells)} for r in payload.rows]
    problems = services.set_matrix(raci, people, rows, actor=request.auth, via=AuditVia.API)
    if problems:
        raise FieldError({"rows": problems}, {})
    return raci


class ReviewIn(In):
    kind: ReviewKind
    title: str = Field(..., min_length=1, max_length=200)
    due: date
    version: int | None = Version


class ReviewOut(RowOut):
    kind: str
    title: str
    due: date
    completed_on: date | None
    summary: str
    has_snapshot: bool

    @staticmethod
    def resolve_has_snapshot(obj):
        return obj.snapshot is not None


crud(
    router,
    path="/orgs/{org}/reviews",
    model=Review,
    form_class=ReviewForm,
    schema_in=ReviewIn,
    schema_out=ReviewOut,
    queryset=lambda: Review.objects.all(),
)


class CompleteIn(In):
    summary: str = Field(..., min_length=1, max_length=5000)


@router.post(
    "/orgs/{org}/reviews/{item_id}/complete",
    response={200: ReviewOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="complete_review",
    summary="Complete a review: keeps a snapshot of the whole strategy",
)
def complete_review(request, org: str, item_id: int, payload: CompleteIn):
    membership = membership_for(request, org, Role.EDITOR)
    review = _get(Review, membership, item_id)
    return services.complete_review(review, payload.summary, actor=request.auth, via=AuditVia.API)


class ChangeOut(Schema):
    area: str
    change: str


@router.get(
    "/orgs/{org}/reviews/{item_id}/changes",
    response={200: list[ChangeOut], 404: ErrorOut},
    operation_id="review_changes",
    summary="What changed since a review's snapshot: `against` another review's id, or today",
)
def review_changes(request, org: str, item_id: int, against: str = "today"):
    membership = membership_for(request, org)
    review = _get(Review, membership, item_id)
    if review.snapshot is None:
        raise Http404
    if against == "today":
        then, now = review.snapshot, services.snapshot(membership.organization)
    else:
        if not against.isdigit() or len(against) > 18:
            raise Http404
        other = _get(Review, membership, int(against))
        if other.snapshot is None:
            raise Http404
        then, now = sorted([review.snapshot, other.snapshot], key=lambda s: s["taken_at"])
    return [{"area": a, "change": c} for a, c in rules.compare(then, now)]
