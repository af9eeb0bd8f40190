"""The columns of an importable kind: a model field, a link to one row or to several, or
rows of a child table written as pairs; and how the file reader parses each
(``cairn.exchange.engine`` reads, checks and writes with them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models

from cairn.core.models import Organization
from cairn.core.tabular import Column

if TYPE_CHECKING:
    from cairn.exchange.checking import Checked, Names

# --- Columns


@dataclass(frozen=True)
class Field:
    """A column holding one of the model's own fields, read and checked by its rules."""

    field: str
    header: str = ""
    money: bool = False  # an amount: the header names the organisation's currency
    help: str = ""
    example: Any = ""

    @property
    def name(self) -> str:
        return self.header or self.field


@dataclass(frozen=True)
class Ref:
    """A link to one row of another kind (or of ``Target``), written as its reference."""

    field: str
    to: str
    header: str = ""
    required: bool = False
    help: str = ""
    example: Any = ""

    @property
    def name(self) -> str:
        return self.header or self.field


@dataclass(frozen=True)
class Links:
    """Links to several rows of a kind, their references separated by “;”. ``acyclic``
    refuses circles (A depends on B, which depends on A)."""

    field: str
    to: str
    header: str = ""
    acyclic: bool = False
    help: str = ""
    example: Any = ""

    @property
    def name(self) -> str:
        return self.header or self.field


@dataclass(frozen=True)
class Pairs:
    """Rows of a child table, one per named row of another kind with a number:
    "Customer support: 3; IT operations: 1.5"."""

    header: str
    model: str  # the child table, "portfolio.TeamEffort"
    parent: str  # its link to the row being imported
    target: str  # its link to the named row
    to: str  # the kind (or target) the names are of
    value: str  # its number
    help: str = ""
    example: Any = ""

    @property
    def name(self) -> str:
        return self.header


@dataclass(frozen=True)
class Choices:
    """Several of a fixed list of values, kept in a JSON list: "customer; financial"."""

    field: str
    choices: tuple[str, ...]
    header: str = ""
    help: str = ""
    example: Any = ""

    @property
    def name(self) -> str:
        return self.header or self.field


@dataclass(frozen=True)
class Target:
    """Rows that columns may name but that no sheet imports by itself (a team's name is
    known from the terrain import)."""

    slug: str
    model: str
    ref: tuple[str, ...]
    label: str
    noun: str


@dataclass(frozen=True)
class Kind:
    """One importable kind of row."""

    slug: str
    label: str
    noun: str  # one row in words: "initiative"
    model: str
    ref: tuple[str, ...]  # the fields that name a row; rows are matched on them
    columns: tuple[Field | Ref | Links | Pairs | Choices, ...]
    examples: tuple[dict[str, Any], ...] = ()
    read_only: bool = False  # exported, never imported (decisions are taken in a meeting)
    defaults: Callable[..., dict[str, Any]] | None = None  # (org, actor, via): new rows' values
    check: Callable[[Checked, Names], None] | None = None  # rules beyond the model's
    prepare: Callable[[list[models.Model]], None] | None = None  # new rows, before they are saved
    after: Callable[[Organization, list[models.Model], dict[int, dict]], None] | None = None
    help: str = ""

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def headers_for(self, org: Organization) -> list[str]:
        return [c.heading(org.currency) for c in self.parsers()]

    def parsers(self) -> list[Column]:
        """The columns as the file reader parses them."""
        return [parser(self, c) for c in self.columns]

    def fields_of(self, cls: type) -> list:
        return [c for c in self.columns if isinstance(c, cls)]


def parser(kind: Kind, column: Field | Ref | Links | Pairs | Choices) -> Column:
    """The reader's Column for one column of a kind: a model field's type, length, choices
    and limits; a reference as text; links and pairs as lists."""
    if isinstance(column, Links | Pairs | Choices):
        return Column(column.name, kind="list", help=column.help, example=column.example)
    model = kind.model_class
    if isinstance(column, Ref):
        f = model._meta.get_field(column.field)
        return Column(
            column.name,
            required=column.required or column.field in kind.ref,
            max_length=400,
            help=column.help or str(f.help_text or ""),
            example=column.example,
        )
    f = model._meta.get_field(column.field)
    required = (not f.blank and not f.has_default()) or column.field in kind.ref
    common = {
        "required": required,
        "help": column.help or str(f.help_text or ""),
        "example": column.example,
    }
    low, high = limits(f)
    internal = f.get_internal_type()
    if f.choices and internal in ("CharField", "TextField"):
        choices = tuple(str(value) for value, _label in f.flatchoices if value != "")
        return Column(column.name, kind="choice", choices=choices, **common)
    if internal == "BooleanField":
        return Column(column.name, kind="bool", **common)
    if internal in ("CharField", "TextField"):
        return Column(column.name, max_length=f.max_length or 0, **common)
    if internal == "DateField":
        return Column(column.name, kind="date", **common)
    if internal == "FloatField":
        return Column(column.name, kind="float", minimum=low, maximum=high, **common)
    if internal == "DecimalField":
        return Column(
            column.name,
            kind="decimal",
            minimum=low,
            maximum=high,
            decimal_places=f.decimal_places,
            money=column.money,
            **common,
        )
    if "Integer" in internal:
        if f.choices:
            values = [v for v, _ in f.flatchoices]
            low, high = min(values), max(values)
        if low is None and "Positive" in internal:
            low = 0
        return Column(column.name, kind="int", minimum=low, maximum=high, **common)
    raise TypeError(f"{kind.slug}.{column.field}: no column for a {internal}")


def limits(f: models.Field) -> tuple[Any, Any]:
    """The field's lowest and highest allowed values, from its validators."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    low = high = None
    for v in f.validators:
        if isinstance(v, MinValueValidator):
            low = v.limit_value
        elif isinstance(v, MaxValueValidator):
            high = v.limit_value
    return low, high
