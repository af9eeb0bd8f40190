"""REST endpoints of AI governance: use cases (with their tier) and policies."""

from datetime import date

from django.db.models import Prefetch
from ninja import Field, Router

from cairn.aigov.forms import AiPolicyForm, AiUseCaseForm
from cairn.aigov.models import AiPolicy, AiUseCase, Area, Automation, UseCaseStatus
from cairn.aigov.rules import PURPOSES, TIERS
from cairn.api.common import MAX_ID, Ids, In, RowId, RowOut, Version, crud, ids
from cairn.goals.models import BusinessGoal

router = Router(tags=["AI governance"])
OptionalId = Field(None, ge=1, le=MAX_ID)


class UseCaseIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=5000)
    goal_ids: list[RowId] = Ids
    initiative_id: int | None = OptionalId
    purpose: str = Field("internal", description=", ".join(PURPOSES))
    automation: Automation = Automation.ASSISTS
    data: list[str] = Field(default_factory=list, max_length=10)
    model_or_vendor: str = Field("", max_length=200)
    owner: str = Field("", max_length=120)
    status: UseCaseStatus = UseCaseStatus.IDEA
    next_review: date | None = None
    policy_ids: list[RowId] = Ids
    tier_override: str = Field("", description="Empty, or one of: " + ", ".join(TIERS))
    override_reason: str = Field("", max_length=500)
    version: int | None = Version


class UseCaseOut(RowOut):
    title: str
    description: str
    goal_ids: list[int]
    initiative_id: int | None
    purpose: str
    automation: str
    data: list[str]
    model_or_vendor: str
    owner: str
    status: str
    next_review: date | None
    policy_ids: list[int]
    tier: str
    tier_reason: str
    tier_override: str
    nist: dict[str, bool]

    @staticmethod
    def resolve_goal_ids(obj):
        return ids(obj.goals)

    @staticmethod
    def resolve_policy_ids(obj):
        return ids(obj.policies)

    @staticmethod
    def resolve_tier(obj):
        return obj.tier.key

    @staticmethod
    def resolve_tier_reason(obj):
        return obj.tier.reason


crud(
    router,
    path="/orgs/{org}/ai-use-cases",
    model=AiUseCase,
    form_class=AiUseCaseForm,
    schema_in=UseCaseIn,
    schema_out=UseCaseOut,
    field_map={"goal_ids": "goals", "initiative_id": "initiative", "policy_ids": "policies"},
    queryset=lambda: AiUseCase.objects.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id")),
        Prefetch("policies", queryset=AiPolicy.objects.only("id")),
    ),
)


class PolicyIn(In):
    area: Area
    title: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1, max_length=10000)
    owner: str = Field("", max_length=120)
    approved_by_id: int | None = OptionalId
    review_by: date | None = None
    version: int | None = Version


class PolicyOut(RowOut):
    area: str
    title: str
    text: str
    owner: str
    approved_by_id: int | None
    review_by: date | None


crud(
    router,
    path="/orgs/{org}/ai-policies",
    model=AiPolicy,
    form_class=AiPolicyForm,
    schema_in=PolicyIn,
    schema_out=PolicyOut,
    field_map={"approved_by_id": "approved_by"},
    queryset=lambda: AiPolicy.objects.all(),
)
