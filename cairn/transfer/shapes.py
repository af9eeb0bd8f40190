"""The shapes of the JSON an organisation file keeps in stored results and lists
(``transfer.checking``): what Cairn's own pages read from them, as pydantic schemas, so
that a file cannot store a result that a page then fails to read.

Extra keys are allowed (a newer Cairn may add some); the keys the pages read must have
the type they expect. Ids inside results are written as digits, as Cairn writes them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
)
from pydantic import ValidationError as ShapeError

Text = Annotated[StrictStr, Field(max_length=5000)]
Name = Annotated[StrictStr, Field(max_length=200)]
Key = Annotated[StrictStr, Field(pattern=r"^\d{1,19}$")]  # an id, as results write it
Id = Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]
Number = StrictInt | StrictFloat
Scalar = StrictStr | StrictInt | StrictFloat | StrictBool | None


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class Ranking(_Shape):
    selected: list[Key] = []
    feasible: StrictBool | None = None
    totals: dict[str, Number | None] = {}


class Explanation(_Shape):
    reasons: list[Text] = []
    dropped: list[Key] = []
    value_lost: Number | None = None
    priced: StrictBool | None = None


class ScenarioResult(_Shape):
    status: Name = ""
    selected: list[Key] = []
    value: Number | None = None
    bound: Number | None = None
    solve_time_s: Number | None = None
    source: Name | None = None
    totals: dict[str, Number | None] = {}
    ranking: Ranking | None = None
    values: dict[Key, Number | None] = {}
    explanations: dict[Key, Explanation] = {}
    digest: Name | None = None
    limits: dict[str, Number | None] = {}
    errors: list[Text] | None = None


class Reason(_Shape):
    kind: Name
    items: list[Id] = []
    resource: Name = ""
    periods: list[Id] = []
    numbers: list[Annotated[StrictStr, Field(pattern=r"^-?\d{1,30}(\.\d{1,30})?$")]] = []


class PlanResult(_Shape):
    status: Name = ""
    start: dict[Key, Id | None] = {}
    makespan: Number | None = None
    lower_bound: Number | None = None
    solve_time_s: Number | None = None
    why: list[Reason] = []
    reasons: list[Text] = []
    moved: Id = 0


class SnapshotRow(_Shape):
    id: Id


class Snapshot(_Shape):
    taken_at: Name = ""
    organization: Name = ""
    goals: list[SnapshotRow] = []
    missions: list[SnapshotRow] = []
    swot: list[SnapshotRow] = []
    initiatives: list[SnapshotRow] = []
    roadmap: list[SnapshotRow] = []
    kpis: list[SnapshotRow] = []


class RaciRow(_Shape):  # as the API's matrix takes it (governance.api.RaciRow)
    activity: Name
    cells: dict[Name, Annotated[StrictStr, Field(max_length=2)]] = Field({}, max_length=30)


SHAPES: dict[tuple[str, str], TypeAdapter] = {
    ("portfolio.Scenario", "result"): TypeAdapter(ScenarioResult | None),
    ("roadmap.Plan", "result"): TypeAdapter(PlanResult | None),
    ("governance.Review", "snapshot"): TypeAdapter(Snapshot | None),
    ("governance.Raci", "people"): TypeAdapter(Annotated[list[Name], Field(max_length=30)]),
    ("governance.Raci", "rows"): TypeAdapter(Annotated[list[RaciRow], Field(max_length=60)]),
    ("aigov.AiUseCase", "data"): TypeAdapter(Annotated[list[Name], Field(max_length=10)]),
    ("aigov.AiUseCase", "nist"): TypeAdapter(dict[Name, StrictBool]),
    ("kpis.Kpi", "recent"): TypeAdapter(list[tuple[Name, Number]]),
}


def shape_problem(label: str, field: str, value: Any) -> str:
    """What is wrong with a stored result or list of the file, or ""."""
    if (label, field) == ("documents.StrategyDocument", "data"):
        return _document_problem(value)
    adapter = SHAPES.get((label, field))
    if adapter is None:
        return ""
    try:
        adapter.validate_python(value)
    except ShapeError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"][:6]) or "the value"
        return f"is not what Cairn stores here ({where}: {first['msg']})"
    return ""


def _document_problem(data: Any) -> str:
    """A strategy document's content is checked by its own reader: it must render."""
    from cairn.documents import render

    if not isinstance(data, dict) or not isinstance(data.get("made_on"), str):
        return "is not the content of a strategy document Cairn made"
    try:
        render.markdown(data)
    except Exception:  # whatever the renderer trips on, the file is what is wrong
        return "is not the content of a strategy document Cairn made"
    return ""
