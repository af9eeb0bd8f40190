"""Reading and checking a sheet, nothing written: every row parsed and held to the model's
rules, references to rows of the database or of the same file resolved by name, a row named
twice and circles of dependencies refused (``cairn.exchange.engine``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from cairn.core.models import Organization
from cairn.core.money import CURRENCIES
from cairn.core.tabular import Report, clip, header_name, read_rows
from cairn.exchange.columns import Choices, Field, Kind, Links, Pairs, Ref, Target
from cairn.solver.graph import back_edges

BATCH = 500
SAMPLES = 5  # rows of each outcome a preview shows

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
        for c in kind.fields_of(Choices):
            if c.name in present:
                values[c.field] = read_choices(checked, number, c, raw.get(c.name) or [])
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
            obj.clean()  # the rules between fields (a best case above the estimate)
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
    # The sheet's problems in the order of its rows (circles and formulas are found last).
    report.errors[before:] = sorted(report.errors[before:], key=lambda e: e.row)
    return checked


def default_of(model: type[models.Model], name: str) -> Any:
    """What an empty cell stores: the field's default, nothing, or an empty text."""
    f = model._meta.get_field(name)
    if f.has_default():
        return f.get_default()
    if f.null:
        return None
    return ""


def read_choices(checked: Checked, number: int, column: Choices, parts: list[str]) -> list:
    """The values of a cell of several choices, each one of them, each once, in the list's
    order."""
    given = {p.strip().lower().replace(" ", "_") for p in parts}
    for value in sorted(given - set(column.choices)):
        checked.add(
            number,
            column.name,
            f"“{clip(value, 40)}” is not one of: {', '.join(column.choices)}",
        )
    return [c for c in column.choices if c in given]


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
