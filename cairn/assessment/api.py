"""REST endpoints of the terrain: SWOT, capabilities, teams, processes, applications, gaps."""

from decimal import Decimal

from django.db.models import Prefetch
from ninja import Field, Router, Schema

from cairn.api.common import Ids, In, RowId, RowOut, Version, crud, ids, membership_for
from cairn.assessment import gaps
from cairn.assessment.forms import (
    ApplicationForm,
    CapabilityForm,
    ProcessForm,
    SwotItemForm,
    TeamForm,
)
from cairn.assessment.models import (
    Application,
    Automation,
    Capability,
    Disposition,
    Lifecycle,
    Process,
    SwotItem,
    SwotKind,
    Team,
)
from cairn.goals.models import BusinessGoal

router = Router(tags=["Terrain"])

Name = Field(..., min_length=1, max_length=120)
Score = Field(3, ge=1, le=5)


class SwotIn(In):
    kind: SwotKind
    statement: str = Field(..., min_length=1, max_length=1000)
    it_question: str = Field("", max_length=1000)
    it_answer: str = Field("", max_length=2000)
    goal_ids: list[RowId] = Ids
    version: int | None = Version


class SwotOut(RowOut):
    kind: str
    statement: str
    it_question: str
    it_answer: str
    rank: int
    needs_answer: bool
    goal_ids: list[int]

    @staticmethod
    def resolve_goal_ids(obj):
        return ids(obj.goals)


class CapabilityIn(In):
    name: str = Name
    description: str = Field("", max_length=2000)
    parent_id: int | None = None
    goal_ids: list[RowId] = Ids
    version: int | None = Version


class CapabilityOut(RowOut):
    name: str
    description: str
    parent_id: int | None
    goal_ids: list[int]

    @staticmethod
    def resolve_goal_ids(obj):
        return ids(obj.goals)


class TeamIn(In):
    name: str = Name
    headcount: Decimal = Field(Decimal(1), ge=0, le=100000, decimal_places=1)
    lead: str = Field("", max_length=120)
    skills: str = Field("", max_length=500)
    version: int | None = Version


class TeamOut(RowOut):
    name: str
    headcount: Decimal
    lead: str
    skills: str


class ProcessIn(In):
    name: str = Name
    description: str = Field("", max_length=2000)
    team_id: int | None = None
    automation: Automation = Automation.MANUAL
    pain: int = Score
    capability_ids: list[RowId] = Ids
    version: int | None = Version


class ProcessOut(RowOut):
    name: str
    description: str
    team_id: int | None
    automation: str
    pain: int
    capability_ids: list[int]

    @staticmethod
    def resolve_capability_ids(obj):
        return ids(obj.capabilities)


class ApplicationIn(In):
    name: str = Name
    vendor: str = Field("", max_length=120)
    owner: str = Field("", max_length=120)
    annual_cost: Decimal = Field(Decimal(0), ge=0, le=10**11, decimal_places=2)
    users: int = Field(0, ge=0, le=10**8)
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    health: int = Score
    fit: int = Score
    capability_ids: list[RowId] = Ids
    process_ids: list[RowId] = Ids
    disposition: Disposition | None = Field(None, description="Empty to follow the suggestion.")
    disposition_reason: str = Field("", max_length=500)
    version: int | None = Version


class ApplicationOut(RowOut):
    name: str
    vendor: str
    owner: str
    annual_cost: Decimal
    users: int
    lifecycle: str
    health: int
    fit: int
    capability_ids: list[int]
    process_ids: list[int]
    disposition: str
    suggested_disposition: str
    effective_disposition: str = Field(..., alias="effective")
    disposition_reason: str

    @staticmethod
    def resolve_capability_ids(obj):
        return ids(obj.capabilities)

    @staticmethod
    def resolve_process_ids(obj):
        return ids(obj.processes)


ONLY_ID = {
    "goals": BusinessGoal.objects.only("id"),
    "capabilities": Capability.objects.only("id"),
    "processes": Process.objects.only("id"),
}


def with_ids(model, *names):
    return lambda: model.objects.prefetch_related(
        *(Prefetch(n, queryset=ONLY_ID[n]) for n in names)
    )


crud(
    router,
    path="/orgs/{org}/swot",
    model=SwotItem,
    form_class=SwotItemForm,
    schema_in=SwotIn,
    schema_out=SwotOut,
    field_map={"goal_ids": "goals"},
    queryset=with_ids(SwotItem, "goals"),
)
crud(
    router,
    path="/orgs/{org}/capabilities",
    model=Capability,
    form_class=CapabilityForm,
    schema_in=CapabilityIn,
    schema_out=CapabilityOut,
    field_map={"goal_ids": "goals", "parent_id": "parent"},
    queryset=with_ids(Capability, "goals"),
)
crud(
    router,
    path="/orgs/{org}/teams",
    model=Team,
    form_class=TeamForm,
    schema_in=TeamIn,
    schema_out=TeamOut,
    queryset=lambda: Team.objects.all(),
)
crud(
    router,
    path="/orgs/{org}/processes",
    model=Process,
    form_class=ProcessForm,
    schema_in=ProcessIn,
    schema_out=ProcessOut,
    field_map={"capability_ids": "capabilities", "team_id": "team"},
    queryset=with_ids(Process, "capabilities"),
)
crud(
    router,
    path="/orgs/{org}/applications",
    model=Application,
    form_class=ApplicationForm,
    schema_in=ApplicationIn,
    schema_out=ApplicationOut,
    field_map={"capability_ids": "capabilities", "process_ids": "processes"},
    queryset=with_ids(Application, "capabilities", "processes"),
)


class GapItem(Schema):
    id: int
    name: str


class GapListOut(Schema):
    key: str
    title: str
    rule: str
    count: int
    total_cost: Decimal | None
    items: list[GapItem]


@router.get(
    "/orgs/{org}/gaps",
    response=list[GapListOut],
    operation_id="list_gaps",
    summary="The gap analysis: each rule, how many it finds, the first ten",
)
def list_gaps(request, org: str):
    membership = membership_for(request, org)
    return [
        {
            "key": g.key,
            "title": g.title,
            "rule": g.rule,
            "count": g.count,
            "total_cost": g.total_cost,
            "items": [{"id": i.pk, "name": getattr(i, "name", None) or str(i)} for i in g.items],
        }
        for g in gaps.gap_lists(membership.organization)
    ]
