"""REST endpoints of the destination: goals, IT missions, interviews, pain points."""

from datetime import date

from django.db.models import Prefetch
from ninja import Field, Router

from cairn.api.common import Ids, In, RowId, RowOut, Version, crud
from cairn.goals.forms import BusinessGoalForm, InterviewForm, ITMissionForm, PainPointForm
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint

router = Router(tags=["Destination"])

Title = Field(..., min_length=1, max_length=200)
LongText = Field("", max_length=5000)
Name = Field("", max_length=120)


class GoalIn(In):
    title: str = Title
    description: str = LongText
    target_date: date
    priority: int = Field(2, ge=1, le=3, description="1 high, 2 medium, 3 low")
    owner_name: str = Name
    owner_role: str = Name
    version: int | None = Version


class GoalOut(RowOut):
    title: str
    description: str
    target_date: date
    priority: int
    priority_label: str = Field(..., alias="get_priority_display")
    owner_name: str
    owner_role: str
    mission_ids: list[int]
    pain_point_ids: list[int]
    warnings: list[str]

    @staticmethod
    def resolve_mission_ids(obj):
        return [m.pk for m in obj.missions.all()]

    @staticmethod
    def resolve_pain_point_ids(obj):
        return [p.pk for p in obj.pain_points.all()]

    @staticmethod
    def resolve_warnings(obj):
        warning = obj.target_date_warning()
        return [warning] if warning else []


class MissionIn(In):
    statement: str = Field(..., min_length=1, max_length=1000)
    goal_ids: list[RowId] = Ids
    version: int | None = Version


class MissionOut(RowOut):
    statement: str
    goal_ids: list[int]

    @staticmethod
    def resolve_goal_ids(obj):
        return [g.pk for g in obj.goals.all()]


class InterviewIn(In):
    stakeholder_name: str = Field(..., min_length=1, max_length=120)
    stakeholder_role: str = Field(..., min_length=1, max_length=120)
    held_on: date
    keeps_up_at_night: str = LongText
    biggest_obstacle: str = LongText
    magic_wand: str = LongText
    notes: str = LongText
    version: int | None = Version


class InterviewOut(RowOut):
    stakeholder_name: str
    stakeholder_role: str
    held_on: date
    keeps_up_at_night: str
    biggest_obstacle: str
    magic_wand: str
    notes: str
    pain_point_ids: list[int]

    @staticmethod
    def resolve_pain_point_ids(obj):
        return [p.pk for p in obj.pain_points.all()]


class PainPointIn(In):
    title: str = Title
    description: str = LongText
    severity: int = Field(3, ge=1, le=5)
    interview_id: int | None = None
    goal_ids: list[RowId] = Ids
    version: int | None = Version


class PainPointOut(RowOut):
    title: str
    description: str
    severity: int
    interview_id: int | None
    goal_ids: list[int]

    @staticmethod
    def resolve_goal_ids(obj):
        return [g.pk for g in obj.goals.all()]


crud(
    router,
    path="/orgs/{org}/goals",
    model=BusinessGoal,
    form_class=BusinessGoalForm,
    schema_in=GoalIn,
    schema_out=GoalOut,
    queryset=lambda: BusinessGoal.objects.prefetch_related(
        Prefetch("missions", queryset=ITMission.objects.only("id")),
        Prefetch("pain_points", queryset=PainPoint.objects.only("id")),
    ),
)
crud(
    router,
    path="/orgs/{org}/missions",
    model=ITMission,
    form_class=ITMissionForm,
    schema_in=MissionIn,
    schema_out=MissionOut,
    field_map={"goal_ids": "goals"},
    queryset=lambda: ITMission.objects.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id"))
    ),
)
crud(
    router,
    path="/orgs/{org}/interviews",
    model=Interview,
    form_class=InterviewForm,
    schema_in=InterviewIn,
    schema_out=InterviewOut,
    queryset=lambda: Interview.objects.prefetch_related(
        Prefetch("pain_points", queryset=PainPoint.objects.only("id", "interview_id"))
    ),
)
crud(
    router,
    path="/orgs/{org}/pain-points",
    model=PainPoint,
    form_class=PainPointForm,
    schema_in=PainPointIn,
    schema_out=PainPointOut,
    field_map={"goal_ids": "goals", "interview_id": "interview"},
    queryset=lambda: PainPoint.objects.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id"))
    ),
)
