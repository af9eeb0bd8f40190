"""One import and export machine for every kind of row a spreadsheet can hold.

A kind (``cairn.exchange.kinds``) says which model it fills, which fields name a row (its
*reference*: a goal by its title, an interview by "person, date") and its columns. A column
is a model field (``Field``: read, checked and written as the model's own rules say), a link
to one row of another kind by its reference (``Ref``), links to several (``Links``,
"A; B; C"), or rows of a child table written as pairs (``Pairs``, "Sales team: 3; Data: 1.5").

An import reads a whole file or workbook, then writes all of it or none of it:

1. ``check``: every row is parsed and checked (the model's rules, references to rows in the
   database *or* in the same file, a row named twice, circles of dependencies); the
   references a sheet makes known are registered, so that a later sheet may use them.
2. ``write``, only when nothing was wrong anywhere: rows matched on their reference are
   updated, the others added, rows whose values are already stored are left alone (no
   write, no audit event), each change audited as the forms audit theirs.

A dry run does both inside a transaction that is then undone, so its counts are exactly
those a real import would give. Queries grow with the number of kinds and batches of 500
rows, never with the rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from cairn.core.models import AuditAction, AuditEvent, AuditVia, Organization
from cairn.core.money import CURRENCIES
from cairn.core.services import audit_event, snapshot
from cairn.core.tabular import Column, ImportRefused, Report, clip, header_name, read_rows
from cairn.solver.graph import back_edges

BATCH = 500
SAMPLES = 5  # rows of each outcome a preview shows


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
    columns: tuple[Field | Ref | Links | Pairs, ...]
    examples: tuple[dict[str, Any], ...] = ()
    read_only: bool = False  # exported, never imported (decisions are taken in a meeting)
    defaults: Callable[..., dict[str, Any]] | None = None  # (org, actor, via): new rows' values
    check: Callable[[Checked, Names], None] | None = None  # rules beyond the model's
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


def parser(kind: Kind, column: Field | Ref | Links | Pairs) -> Column:
    """The reader's Column for one column of a kind: a model field's type, length, choices
    and limits; a reference as text; links and pairs as lists."""
    if isinstance(column, Links | Pairs):
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


# --- References


def ref_text(values: Iterable[Any]) -> str:
    """How a row is named in a cell: its reference fields joined by “, ”."""
    return ", ".join(v.isoformat() if isinstance(v, date) else str(v) for v in values)


class Names:
    """The references of every kind's rows: those in the database (loaded once each) and
    those a file being imported adds (known before they are written)."""

    def __init__(self, org: Organization, targets: dict[str, Kind | Target]):
        self.org, self.targets = org, targets
        self.ids: dict[str, dict[str, int | None]] = {}
        self.names: dict[str, dict[int, str]] = {}
        self.twice: dict[str, set[str]] = {}

    def of(self, slug: str) -> dict[str, int | None]:
        """Reference → id (None for a row of the file not written yet)."""
        if slug not in self.ids:
            self.load(slug)
        return self.ids[slug]

    def name_of(self, slug: str, pk: int | None) -> str:
        if pk is None:
            return ""
        if slug not in self.names:
            self.load(slug)
        return self.names[slug].get(pk, "")

    def load(self, slug: str) -> None:
        target = self.targets[slug]
        model = apps.get_model(target.model)
        ids: dict[str, int | None] = {}
        names: dict[int, str] = {}
        twice: set[str] = set()
        rows = model.objects.filter(organization=self.org).values_list("pk", *target.ref)
        for pk, *values in rows.order_by("pk"):
            text = ref_text(values)
            names[pk] = text
            if text in ids:
                twice.add(text)
            else:
                ids[text] = pk
        pending = {k: v for k, v in self.ids.get(slug, {}).items() if v is None}
        self.ids[slug] = {**pending, **ids}
        self.names[slug], self.twice[slug] = names, twice

    def add(self, slug: str, refs: Iterable[str]) -> None:
        known = self.of(slug)
        for ref in refs:
            known.setdefault(ref, None)

    def set(self, slug: str, ref: str, pk: int) -> None:
        self.of(slug)[ref] = pk
        self.names[slug][pk] = ref

    def problem(self, slug: str, ref: str) -> str:
        """What is wrong with naming ``ref``, or "" when it names exactly one row."""
        if ref not in self.of(slug):
            return f"there is no {self.targets[slug].noun} “{clip(ref, 60)}”"
        if ref in self.twice.get(slug, ()):
            return (
                f"two rows of {self.targets[slug].label.lower()} are called “{clip(ref, 60)}”; "
                "rename one in Cairn first"
            )
        return ""


# --- Checking a sheet


@dataclass
class Row:
    number: int  # the row in the file, as a spreadsheet numbers it
    ref: str
    values: dict[str, Any]  # plain field → value
    refs: dict[str, str | None]  # Ref field → reference
    links: dict[str, list[str]]  # Links field → references
    pairs: dict[str, list[tuple[str, Any]]]  # Pairs header → (reference, number)
    existing: models.Model | None = None


@dataclass
class Checked:
    """A sheet read and checked: its rows, and the report of what was wrong."""

    kind: Kind
    org: Organization
    report: Report
    rows: list[Row] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # headers of the columns in the file
    table: str = ""  # the sheet's name in a workbook, for the report

    def add(self, row: int, column: str, problem: str) -> None:
        self.report.add(row, column, problem, self.table)


def existing_rows(kind: Kind, org: Organization, names: Names) -> dict[str, list[models.Model]]:
    """The kind's rows in the database by reference."""
    by_ref: dict[str, list[models.Model]] = {}
    fks = {r.field: r.to for r in kind.fields_of(Ref)}
    for obj in kind.model_class.objects.filter(organization=org).order_by("pk"):
        parts = []
        for name in kind.ref:
            if name in fks:
                parts.append(names.name_of(fks[name], getattr(obj, f"{name}_id")))
            else:
                parts.append(getattr(obj, name))
        by_ref.setdefault(ref_text(parts), []).append(obj)
    return by_ref


def check(
    kind: Kind,
    org: Organization,
    file: IO[bytes],
    filename: str,
    names: Names,
    *,
    report: Report,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Read a sheet and check every row; nothing is written."""
    checked = Checked(kind, org, report, table=sheet or "")
    before = len(report.errors) + report.more
    parsers = kind.parsers()
    read_rows(
        file, filename, parsers, progress, sheet=sheet, report=report, empty_ok=sheet is not None
    )
    rows, report.rows = report.rows, []
    if sheet is not None:
        for e in report.errors[before:]:
            e.table = sheet
    present = set(report.columns)
    checked.present = present
    money = {c.name for c in parsers if c.money}
    for raw in report.headers:  # "annual_cost (EUR)" in a file for an organisation in USD
        written = re.search(r"\(([^)]*)\)\s*$", raw)
        code = written[1].strip().upper() if written else ""
        if header_name(raw) in money and code in CURRENCIES and code != org.currency:
            checked.add(
                0,
                header_name(raw),
                f"The amounts in “{clip(raw, 40)}” are in {code}; {org} counts in "
                f"{org.currency}. Convert them first, or write the header "
                f"“{header_name(raw)} ({org.currency})”.",
            )
    missing_ref = [
        c.name
        for c in kind.columns
        if getattr(c, "field", None) in kind.ref and c.name not in present
    ]
    if missing_ref and rows:
        checked.add(0, "", f"The file needs the column(s) {', '.join(missing_ref)}.")
        return checked
    model = kind.model_class
    plain = kind.fields_of(Field)
    fk = kind.fields_of(Ref)
    existing = existing_rows(kind, org, names)
    headers = {c.field: c.name for c in kind.columns if not isinstance(c, Pairs)}

    def ref_of(raw: dict) -> str:
        parts = [raw.get(headers[name]) for name in kind.ref]
        if any(p is None or p == "" for p in parts):
            return ""  # a cell of the reference is empty: already reported as required
        return ref_text(parts)

    # The file's own rows may be named by its other rows (a dependency further down).
    names.add(kind.slug, [ref for raw in rows if (ref := ref_of(raw))])
    seen: dict[str, int] = {}
    for raw in rows:
        number = raw["_row"]
        refs = {r.field: raw.get(r.name) for r in fk}
        ref = ref_of(raw)
        if not ref:
            continue
        if ref in seen:
            checked.add(
                number, kind.columns[0].name, f"“{clip(ref)}” is already on row {seen[ref]}"
            )
            continue
        seen[ref] = number
        matches = existing.get(ref, [])
        if len(matches) > 1:
            checked.add(
                number,
                kind.columns[0].name,
                f"{len(matches)} {kind.label.lower()} in Cairn are called “{clip(ref)}”; "
                "rename them there first",
            )
            continue
        values = {c.field: raw.get(c.name) for c in plain if c.name in present}
        row = Row(
            number,
            ref,
            values,
            {k: v for k, v in refs.items() if next(r for r in fk if r.field == k).name in present},
            {c.field: raw.get(c.name) or [] for c in kind.fields_of(Links) if c.name in present},
            {},
            matches[0] if matches else None,
        )
        for c in fk:
            target = row.refs.get(c.field)
            if target and (problem := names.problem(c.to, target)):
                checked.add(number, c.name, problem)
        for c in kind.fields_of(Links):
            for target in row.links.get(c.field, []):
                if problem := names.problem(c.to, target):
                    checked.add(number, c.name, problem)
            if row.links.get(c.field) and c.to == kind.slug and ref in row.links[c.field]:
                checked.add(number, c.name, f"“{clip(ref, 60)}” cannot be linked to itself")
        for c in kind.fields_of(Pairs):
            if c.name in present:
                row.pairs[c.name] = read_pairs(checked, number, c, raw.get(c.name) or [], names)
        # The model's own rules on the values, as the forms apply them.
        obj = row.existing or model(organization=org)
        original = {f: getattr(obj, f) for f in values}
        for name, value in values.items():
            setattr(obj, name, default_of(model, name) if value is None else value)
        exclude = [f.name for f in model._meta.fields if f.name not in values]
        try:
            obj.clean_fields(exclude=exclude)
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                header = next((c.name for c in plain if c.field == name), name)
                for message in messages:
                    checked.add(number, header, f"{header}: {message}")
        finally:
            for name, value in original.items():  # the row in memory is not changed yet
                setattr(obj, name, value)
        checked.rows.append(row)
    for c in kind.fields_of(Links):
        if c.acyclic and c.name in present:
            find_circles(checked, c, names)
    if kind.check:
        kind.check(checked, names)
    return checked


def default_of(model: type[models.Model], name: str) -> Any:
    """What an empty cell stores: the field's default, nothing, or an empty text."""
    f = model._meta.get_field(name)
    if f.has_default():
        return f.get_default()
    if f.null:
        return None
    return ""


def read_pairs(
    checked: Checked, number: int, column: Pairs, parts: list[str], names: Names
) -> list[tuple[str, Any]]:
    """ "Team: 3" pairs of a cell, each name known and each number within the child's rules."""
    child = apps.get_model(column.model)._meta.get_field(column.value)
    out: list[tuple[str, Any]] = []
    seen = set()
    for part in parts:
        name, _, number_text = part.rpartition(":")
        name = name.strip()
        if not name:
            checked.add(number, column.name, f"“{clip(part, 60)}” is not written as “name: number”")
            continue
        if name in seen:
            checked.add(number, column.name, f"“{clip(name, 60)}” is listed twice")
            continue
        seen.add(name)
        if problem := names.problem(column.to, name):
            checked.add(number, column.name, problem)
            continue
        try:
            value = child.clean(child.to_python(number_text.strip()), None)
        except ValidationError as e:
            checked.add(number, column.name, f"{clip(name, 60)}: {' '.join(e.messages)}")
            continue
        out.append((name, value))
    return out


def find_circles(checked: Checked, column: Links, names: Names) -> None:
    """Refuse links that go round in a circle, naming it: the file's rows with the links it
    gives them, the others with the links they have."""
    kind = checked.kind
    model = kind.model_class
    f = model._meta.get_field(column.field)
    source, target = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
    through = f.remote_field.through
    graph: dict[str, list[str]] = {}
    stored = through.objects.filter(**{f"{f.m2m_field_name()}__organization": checked.org})
    for a, b in stored.values_list(source, target):
        graph.setdefault(names.name_of(kind.slug, a), []).append(names.name_of(kind.slug, b))
    for row in checked.rows:
        graph[row.ref] = list(row.links.get(column.field, []))
    rows_by_ref = {r.ref: r.number for r in checked.rows}
    reported: set[frozenset] = set()
    for node, child in back_edges(graph):
        path = circle(graph, child, node)
        key = frozenset(path)
        if len(path) == 1 or key in reported:  # a row linked to itself is told as such
            continue
        reported.add(key)
        first = next((i for i, p in enumerate(path) if p in rows_by_ref), 0)
        path = path[first:] + path[:first]  # told from the file's first row in the circle
        number = rows_by_ref.get(path[0], 0)
        words = " → ".join(clip(p, 40) for p in [*path, path[0]])
        checked.add(number, column.name, f"these depend on each other in a circle: {words}")


def circle(graph: dict[str, list[str]], start: str, end: str) -> list[str]:
    """A path start → … → end in the graph (end links back to start), found breadth-first."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    for node in queue:
        if node == end:
            break
        for child in graph.get(node, ()):
            if child not in previous:
                previous[child] = node
                queue.append(child)
    path, node = [], end
    while node is not None:
        path.append(node)
        node = previous.get(node)
    return list(reversed(path))


# --- Writing a checked sheet


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do) to one kind."""

    slug: str
    label: str
    added: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # (ref, columns)
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "label": self.label,
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "added_rows": self.added[:SAMPLES],
            "changed_rows": [[ref, cols] for ref, cols in self.changed[:SAMPLES]],
        }


def _links_now(model, fields: list[models.ManyToManyField], org) -> dict[str, dict[int, list]]:
    out = {}
    for f in fields:
        through = f.remote_field.through
        source, target = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
        current: dict[int, list[int]] = {}
        pairs = through.objects.filter(**{f"{f.m2m_field_name()}__organization": org})
        for a, b in pairs.values_list(source, target):
            current.setdefault(a, []).append(b)
        out[f.name] = current
    return out


def _pairs_now(column: Pairs, org) -> dict[int, dict[int, Any]]:
    model = apps.get_model(column.model)
    current: dict[int, dict[int, Any]] = {}
    rows = model.objects.filter(**{f"{column.parent}__organization": org})
    for parent, target, value in rows.values_list(
        f"{column.parent}_id", f"{column.target}_id", column.value
    ):
        current.setdefault(parent, {})[target] = value
    return current


def write(checked: Checked, org: Organization, names: Names, *, actor, via: AuditVia) -> Outcome:
    """Write a checked sheet (only ever called when nothing anywhere was wrong)."""
    kind = checked.kind
    model = kind.model_class
    outcome = Outcome(kind.slug, kind.label)
    headers = {c.field: c.name for c in kind.columns if hasattr(c, "field")}
    link_fields = [model._meta.get_field(c.field) for c in kind.fields_of(Links)]
    links_now = _links_now(model, link_fields, org)
    pairs_cols = [c for c in kind.fields_of(Pairs) if c.name in checked.present]
    pairs_now = {c.name: _pairs_now(c, org) for c in pairs_cols}
    adding = any(not r.existing for r in checked.rows)
    defaults = kind.defaults(org, actor, via) if kind.defaults and adding else {}
    now = timezone.now()
    creates, plain_changes = [], {}
    befores: dict[int, dict] = {}
    objs: list[tuple[Row, models.Model]] = []
    deferred: list[tuple[models.Model, str, str, str]] = []  # a link to a row of this sheet
    for row in checked.rows:
        obj = row.existing
        if obj is None:
            obj = model(organization=org, created_by=actor if actor and actor.pk else None)
            for k, v in defaults.items():
                setattr(obj, k, v)
        else:
            befores[obj.pk] = _snapshot(obj, links_now, pairs_now, row)
        changed = []
        for name, value in row.values.items():
            value = default_of(model, name) if value is None else value
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed.append(headers[name])
        for c in kind.fields_of(Ref):
            if c.field not in row.refs:
                continue
            target = row.refs[c.field]
            if target and c.to == kind.slug and names.of(kind.slug).get(target) is None:
                deferred.append((obj, c.field, c.to, target))  # a row this sheet adds
                if obj.pk is not None:
                    changed.append(c.name)
                continue
            pk = names.of(c.to).get(target) if target else None
            if getattr(obj, f"{c.field}_id") != pk:
                setattr(obj, f"{c.field}_id", pk)
                changed.append(c.name)
        if obj.pk is None:
            creates.append(obj)
        elif changed:
            plain_changes[obj.pk] = changed
        objs.append((row, obj))
    model.objects.bulk_create(creates, batch_size=BATCH)
    for row, obj in objs:
        if row.existing is None:
            names.set(kind.slug, row.ref, obj.pk)
    late = []
    for obj, name, to, target in deferred:  # a parent added by the same sheet
        setattr(obj, f"{name}_id", names.of(to)[target])
        late.append(obj)
    # Links and pairs, now that every row of the sheet has an id.
    changes: dict[int, list[str]] = {pk: list(cols) for pk, cols in plain_changes.items()}
    link_writes: dict[str, dict[int, list[int]]] = {}
    for c, f in zip(kind.fields_of(Links), link_fields, strict=True):
        if c.name not in checked.present:
            continue
        wanted: dict[int, list[int]] = {}
        for row, obj in objs:
            wanted[obj.pk] = sorted({names.of(c.to)[t] for t in row.links.get(c.field, [])})
        if f.remote_field.symmetrical and f.remote_field.model == model:
            wanted = _symmetric(wanted, links_now[f.name])
        current = links_now[f.name]
        writes = {}
        for pk, ids in wanted.items():
            if sorted(current.get(pk, [])) != ids:
                writes[pk] = ids
                changes.setdefault(pk, []).append(c.name)
        link_writes[f.name] = writes
    pair_writes: dict[str, dict[int, dict[int, Any]]] = {}
    for c in pairs_cols:
        writes = {}
        for row, obj in objs:
            wanted = {names.of(c.to)[n]: v for n, v in row.pairs.get(c.name, [])}
            if pairs_now[c.name].get(obj.pk, {}) != wanted:
                writes[obj.pk] = wanted
                changes.setdefault(obj.pk, []).append(c.name)
        pair_writes[c.name] = writes
    new_pks = {obj.pk for obj in creates}
    updates = [obj for _row, obj in objs if obj.pk in changes and obj.pk not in new_pks]
    for obj in updates:
        obj.version += 1
        obj.updated = now
    fields = sorted(
        {headers_to_field(kind, h) for pk in changes for h in changes[pk]} - {None}
        | {"version", "updated"}
    )
    if updates:
        model.objects.bulk_update(updates, fields, batch_size=BATCH)
    if late:
        model.objects.bulk_update(late, sorted({n for _o, n, _t, _r in deferred}), batch_size=BATCH)
    for f in link_fields:
        _write_links(f, link_writes.get(f.name, {}), model)
    for c in pairs_cols:
        _write_pairs(c, pair_writes[c.name])
    # Audit: one event per row added or changed, with the values before and after.
    after_links = {
        f.name: {**links_now[f.name], **link_writes.get(f.name, {})} for f in link_fields
    }
    after_pairs = {c.name: {**pairs_now[c.name], **pair_writes[c.name]} for c in pairs_cols}
    events = []
    touched = []
    for row, obj in objs:
        if obj.pk in new_pks:
            outcome.added.append(row.ref)
        elif obj.pk in changes:
            outcome.changed.append((row.ref, sorted(set(changes[obj.pk]))))
        else:
            outcome.unchanged += 1
            continue
        touched.append(obj)
        events.append(
            audit_event(
                org,
                actor=actor,
                via=via,
                obj=obj,
                action=AuditAction.CREATE if obj.pk in new_pks else AuditAction.UPDATE,
                before=befores.get(obj.pk) if obj.pk not in new_pks else None,
                after=_snapshot(obj, after_links, after_pairs, row),
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=BATCH)
    if kind.after and touched:
        kind.after(org, touched, {obj.pk: row.values for row, obj in objs})
    return outcome


def headers_to_field(kind: Kind, header: str) -> str | None:
    """The model field a changed column writes on the row itself (None: links, pairs)."""
    for c in kind.columns:
        if c.name == header and isinstance(c, Field):
            return c.field
        if c.name == header and isinstance(c, Ref):
            return c.field
    return None


def _snapshot(obj, links, pairs, row: Row) -> dict[str, Any]:
    data = snapshot(obj, {name: by_pk.get(obj.pk, []) for name, by_pk in links.items()})
    for name, by_pk in pairs.items():
        data[name] = {str(k): _plain(v) for k, v in sorted(by_pk.get(obj.pk, {}).items())}
    return data


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _symmetric(wanted: dict[int, list[int]], current: dict[int, list[int]]) -> dict[int, list]:
    """A link between two rows of the file is kept when either lists it; a link to a row not
    in the file, when the file's row lists it."""
    out = {pk: set(ids) for pk, ids in wanted.items()}
    for pk, ids in wanted.items():
        for other in ids:
            if other in out:
                out[other].add(pk)
    for pk, ids in current.items():  # rows outside the file keep their links to each other
        if pk in out:
            continue
        kept = {o for o in ids if o not in wanted}
        kept |= {o for o in wanted if pk in out[o]}
        if sorted(kept) != sorted(ids):
            out[pk] = kept
    return {pk: sorted(ids) for pk, ids in out.items()}


def _write_links(f: models.ManyToManyField, writes: dict[int, list[int]], model) -> None:
    if not writes:
        return
    through = f.remote_field.through
    source, target = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
    pks = list(writes)
    for start in range(0, len(pks), BATCH):
        through.objects.filter(**{f"{source}__in": pks[start : start + BATCH]}).delete()
    through.objects.bulk_create(
        [through(**{source: pk, target: t}) for pk, ids in writes.items() for t in ids],
        batch_size=1000,
    )


def _write_pairs(column: Pairs, writes: dict[int, dict[int, Any]]) -> None:
    if not writes:
        return
    model = apps.get_model(column.model)
    pks = list(writes)
    for start in range(0, len(pks), BATCH):
        model.objects.filter(**{f"{column.parent}_id__in": pks[start : start + BATCH]}).delete()
    model.objects.bulk_create(
        [
            model(**{f"{column.parent}_id": pk, f"{column.target}_id": t, column.value: v})
            for pk, by_target in writes.items()
            for t, v in by_target.items()
        ],
        batch_size=1000,
    )


# --- Imports as a whole


class _DryRun(Exception):
    def __init__(self, outcomes):
        self.outcomes = outcomes


def run(
    org: Organization,
    sheets: list[tuple[Kind, str | None]],
    file: IO[bytes],
    filename: str,
    targets: dict[str, Kind | Target],
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Import the sheets (kind, sheet name or None for a CSV or a one-sheet file), in their
    order, all of them or none: raises ImportRefused with every problem found."""
    report = Report()
    names = Names(org, targets)
    try:
        with transaction.atomic():
            checked = []
            for kind, sheet in sheets:
                file.seek(0)
                checked.append(
                    check(
                        kind,
                        org,
                        file,
                        filename,
                        names,
                        report=report,
                        sheet=sheet,
                        progress=progress,
                    )
                )
            if not report.ok:
                raise ImportRefused(report)
            outcomes = [write(c, org, names, actor=actor, via=via) for c in checked]
            if dry_run:
                raise _DryRun(outcomes)
    except _DryRun as done:
        return done.outcomes
    return outcomes
