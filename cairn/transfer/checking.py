"""Checking an organisation file (``transfer.orgfile``) before anything of it is written.

The file is a stranger's input, like a form or an API call, and gets the same rules: each
value through the form field of its column (``core.forms.bounded_formfield``: types, choices,
lengths, plain limits of numbers, finite numbers only) and the model field's own
validators, dates within ``YEARS``, every link to a row the file holds, the uniqueness the
database would enforce, and the domain rules the forms enforce (no capability under itself
or deeper than three levels, no initiative depending on itself or in a circle, a KPI's
formula that parses and uses measured KPIs of the file, …), and stored results in the
shapes the pages read (``transfer.shapes``). Every problem goes to one
report (table, row id, field, problem), bounded like the other imports' reports; the
caller writes nothing unless it is empty.

Before parsing, the file's size is checked (``MAX_BYTES``); after, how deep it nests
(``MAX_DEPTH``): a file exported by Cairn nests about ten levels.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from cairn.core.forms import MAX_ID, bounded_formfield
from cairn.core.tabular import Report, clip
from cairn.solver.graph import back_edges
from cairn.transfer.shapes import shape_problem

MAX_MB = 20  # the largest file the web page and `cairn import-org` read (--max-mb raises it)
MAX_DEPTH = 32  # levels of nesting; Cairn's own files have about ten
YEARS = (1900, 2199)  # every date of the file falls within these years


class TransferError(Exception):
    """The file cannot be imported; the message says why. Nothing was written."""


class TransferRefused(TransferError):
    """The file's rows had problems; ``report`` lists them. Nothing was written."""

    def __init__(self, report: Report):
        first = report.errors[0]
        where = " ".join(str(p) for p in (first.table, f"row {first.row}", first.column) if p)
        super().__init__(f"{report.summary()}; the first: {where}: {first.problem}")
        self.report = report


def load(raw: bytes | str | IO[bytes], *, max_mb: int = MAX_MB) -> Any:
    """The parsed file (text, or an open file whose size is checked before it is read),
    refused when larger than ``max_mb``, not JSON, or nested deeper than ``MAX_DEPTH``."""
    limit = max_mb * 2**20
    too_large = TransferError(f"The file is larger than the limit of {max_mb} MB.")
    if not isinstance(raw, bytes | str):
        size = getattr(raw, "size", None)
        if size is None:
            size = raw.seek(0, 2)
            raw.seek(0)
        if size > limit:
            raise too_large
        raw = raw.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    try:
        # UTF-8 as JSON must be (json.loads would also guess UTF-16 and UTF-32 from bytes).
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise TransferError("The file is not UTF-8 text: choose a file Cairn exported.") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise TransferError(f"The file nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        raise TransferError("The file is not JSON: choose a file Cairn exported.") from None
    if _depth(data) > MAX_DEPTH:
        raise TransferError(f"The file nests deeper than {MAX_DEPTH} levels.")
    return data


def _depth(value: Any) -> int:
    """How deep lists and objects nest in ``value``, level by level (no recursion)."""
    depth, level = 0, [value] if isinstance(value, dict | list) else []
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
    return depth


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere inside a JSON value (they are not JSON, and the API would
    write invalid JSON)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _quick(f: models.Field, raw: Any) -> Any:
    """The checks of the form field, done directly for the common kinds of value (a file of
    400,000 measurements is checked in seconds, not minutes); None for the others."""
    if f.choices:
        return None
    if isinstance(f, models.CharField | models.TextField):
        if "\x00" in raw:
            raise ValidationError("Null characters are not allowed.")
        if not f.blank and not raw.strip():
            raise ValidationError("This field is required.")
        if f.max_length and len(raw) > f.max_length:  # a TextField's too: forms check it
            raise ValidationError(
                f"Ensure this value has at most {f.max_length:,} characters (it has {len(raw):,})."
            )
        value = raw
    elif isinstance(f, models.FloatField) and isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(f, models.IntegerField) and isinstance(raw, int):
        value = raw
    elif isinstance(f, models.DateField):
        if isinstance(f, models.DateTimeField) or not (isinstance(raw, str) and len(raw) == 10):
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            raise ValidationError("Enter a valid date.") from None
    else:
        return None
    f.run_validators(value)  # lengths, limits and the range of dates, as the model has them
    if isinstance(value, date) and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValidationError(f"must be between the years {YEARS[0]} and {YEARS[1]}")
    return value


@dataclass
class Row:
    """One row of the file, checked: its id, its values by attribute name, its links."""

    id: int
    values: dict[str, Any]
    m2m: dict[str, list[int]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the file's fields, as they were


@dataclass
class Checked:
    settings: dict[str, Any]
    tables: dict[str, list[Row]]


class _Checker:
    def __init__(self, transfer) -> None:
        self.t = transfer
        self.report = Report()
        self.ids: dict[str, set[int]] = {}
        self.formfields: dict[tuple[str, str], forms.Field | None] = {}

    def problem(self, table: str, row: int, column: str, text: str) -> None:
        self.report.add(row, column, text, table=table)

    # --- one value

    def value(self, label: str, f: models.Field, raw: Any) -> tuple[Any, str]:
        """The value to write for ``raw`` in field ``f``, or the problem with it."""
        if isinstance(f, models.JSONField):
            if raw is None:
                return (None, "") if f.null else (None, "is required")
            wanted = type(f.get_default())
            if wanted in (dict, list) and not isinstance(raw, wanted):
                return None, f"must be a JSON {'object' if wanted is dict else 'list'}"
            if not _finite(raw):
                return None, "holds a number that is not finite (NaN or infinity)"
            return raw, shape_problem(label, f.name, raw)
        if isinstance(f, models.BooleanField):
            return (raw, "") if isinstance(raw, bool) else (None, "must be true or false")
        if isinstance(raw, bool | dict | list):
            return None, "must be a single value"
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, "is not a finite number"
        if isinstance(f, models.CharField | models.TextField) and not isinstance(raw, str | None):
            return None, "must be text"
        if raw is None:
            return (None, "") if f.null else (None, "is required")
        try:
            quick = _quick(f, raw)
        except ValidationError as e:
            return None, " ".join(e.messages)
        if quick is not None:
            return quick, ""
        key = (label, f.name)
        if key not in self.formfields:
            self.formfields[key] = bounded_formfield(f)
        formfield = self.formfields[key]
        try:
            if formfield is not None:
                formfield.clean(raw)  # the form's rules: required, choices, lengths, limits
            value = f.to_python(raw)
            f.run_validators(value)  # and the model's, as a model form runs them too
        except ValidationError as e:
            return None, " ".join(e.messages)
        except (TypeError, ValueError, ArithmeticError):
            return None, f"“{clip(raw, 40)}” is not a valid value"
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not YEARS[0] <= day.year <= YEARS[1]:
            return None, f"must be between the years {YEARS[0]} and {YEARS[1]}"
        return value, ""

    # --- one table

    def collect_ids(self, label: str, rows: Any) -> None:
        ids: set[int] = set()
        if not isinstance(rows, list):
            self.problem(label, 0, "", "must be a list of rows")
            rows = []
        for place, row in enumerate(rows, start=1):
            pk = row.get("id") if isinstance(row, dict) else None
            if not _is_id(pk):
                self.problem(label, place, "id", "each row needs an id, a whole number from 1")
            elif pk in ids:
                self.problem(label, pk, "id", "another row of this table has the same id")
            else:
                ids.add(pk)
        self.ids[label] = ids

    def table(self, label: str, rows: list) -> list[Row]:
        model = self.t._model(label)
        links = self.t._links(model)
        plain = {f.name: f for f in self.t._plain_fields(model)}
        m2m = {
            f.name: f.related_model._meta.label
            for f in model._meta.many_to_many
            if f.related_model._meta.label in self.t.ORDER
        }
        out = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or not _is_id(row.get("id")):
                continue  # reported with the ids
            pk = row["id"]
            fields, links_in = row.get("fields", {}), row.get("m2m", {})
            if not isinstance(fields, dict) or not isinstance(links_in, dict):
                self.problem(label, pk, "", "“fields” and “m2m” must be JSON objects")
                continue
            for name in set(row) - {"id", "fields", "m2m"}:
                self.problem(label, pk, clip(name, 40), "is not part of a row")
            for name in fields.keys() - plain.keys():
                self.problem(label, pk, clip(name, 40), "is not a field of this table")
            for name in links_in.keys() - m2m.keys():
                self.problem(label, pk, clip(name, 40), "is not a list of links of this table")
            values: dict[str, Any] = {}
            for name, f in plain.items():
                given = name in fields
                raw = fields.get(name)
                if name in links:
                    if raw is None:
                        if not f.null:
                            self.problem(label, pk, name, "is required")
                        values[f.attname] = None
                    elif not _is_id(raw) or raw not in self.ids.get(links[name], ()):
                        self.problem(label, pk, name, "points to a missing row")
                    else:
                        values[f.attname] = raw  # an id of the file, mapped when written
                    continue
                if not given:
                    if isinstance(f, models.JSONField) or f.has_default() or f.null:
                        continue  # the model's default, as for a field a form leaves out
                    raw = ""
                value, problem = self.value(label, f, raw)
                if problem:
                    self.problem(label, pk, name, problem)
                elif given:
                    values[f.name] = value
            linked: dict[str, list[int]] = {}
            for name, table in m2m.items():
                targets = links_in.get(name, [])
                if not isinstance(targets, list):
                    self.problem(label, pk, name, "must be a list of ids")
                    continue
                known = self.ids.get(table, set())
                if any(not _is_id(i) or i not in known for i in targets):
                    self.problem(label, pk, name, "links to a row the file does not hold")
                    continue
                if table == label and pk in targets:
                    self.problem(label, pk, name, "a row cannot link to itself")
                    continue
                linked[name] = list(dict.fromkeys(targets))
            out.append(Row(pk, values, linked, fields))
        self.unique(label, model, out)
        rule = RULES.get(label)
        if rule:
            for pk, column, text in rule(out):
                self.problem(label, pk, column, text)
        return out

    def unique(self, label: str, model, rows: list[Row]) -> None:
        """What the database would refuse as a duplicate, found in the file instead."""
        sets = [tuple(c.fields) for c in model._meta.total_unique_constraints]
        sets += [tuple(u) for u in model._meta.unique_together]
        sets += [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
        for names in dict.fromkeys(sets):
            fields = [model._meta.get_field(n) for n in names if n != "organization"]
            seen: dict[tuple, int] = {}
            for row in rows:
                key = tuple(row.values.get(f.attname, row.values.get(f.name)) for f in fields)
                if None in key and fields:
                    continue
                if key in seen:
                    what = ", ".join(f.name for f in fields) or "one per organisation"
                    self.problem(
                        label,
                        row.id,
                        fields[0].name if fields else "",
                        (
                            f"the same {what} as row {seen[key]}"
                            if fields
                            else f"only one row is allowed ({what})"
                        ),
                    )
                else:
                    seen[key] = row.id


def check(data: Any) -> Checked:
    """The file's settings and rows, checked; raises TransferError for a file that is not an
    organisation file and TransferRefused with the report of every problem."""
    from cairn.transfer import orgfile as transfer  # which imports this module

    if not isinstance(data, dict) or data.get("format") != transfer.FORMAT:
        raise TransferError("This is not a Cairn organisation file.")
    if data.get("version") != transfer.VERSION:
        raise TransferError(
            f"This file is version {clip(data.get('version'), 20)}; Cairn reads {transfer.VERSION}."
        )
    tables = data.get("tables")
    if not isinstance(tables, dict) or set(tables) - set(transfer.ORDER):
        unknown = sorted(set(tables) - set(transfer.ORDER)) if isinstance(tables, dict) else []
        names = ", ".join(clip(n, 40) for n in unknown[:5])
        raise TransferError(
            f"The file lists tables Cairn does not know{': ' if names else ''}{names}."
        )
    checker = _Checker(transfer)
    settings = _settings(checker, transfer, data.get("organization"))
    for label in transfer.ORDER:
        checker.collect_ids(label, tables.get(label, []))
    checked = {label: checker.table(label, tables.get(label, [])) for label in transfer.ORDER}
    if not checker.report.ok:
        raise TransferRefused(checker.report)
    return Checked(settings, checked)


def _settings(checker: _Checker, transfer, given: Any) -> dict[str, Any]:
    from cairn.core.models import Organization

    if given is None:
        return {}
    if not isinstance(given, dict):
        checker.problem("organization", 0, "", "must be a JSON object")
        return {}
    out = {}
    for name in transfer.SETTINGS[1:]:
        if name in given:
            value, problem = checker.value(
                "core.Organization", Organization._meta.get_field(name), given[name]
            )
            if problem:
                checker.problem("organization", 0, name, problem)
            else:
                out[name] = value
    return out


# --- The domain rules of the forms, on the rows of one table


def _capabilities(rows: list[Row]) -> list[tuple[int, str, str]]:
    from cairn.assessment.models import MAX_DEPTH as LEVELS

    parent = {r.id: r.values.get("parent_id") for r in rows}
    found = []
    for row in rows:
        level, node, trail = 1, parent[row.id], {row.id}
        while node is not None and level <= LEVELS:
            if node in trail:
                level = LEVELS + 1  # a loop
                break
            trail.add(node)
            level, node = level + 1, parent.get(node)
        if parent[row.id] == row.id:
            found.append((row.id, "parent", "a capability cannot be its own parent"))
        elif level > LEVELS:
            found.append((row.id, "parent", f"capabilities go at most {LEVELS} levels deep"))
    return found


def _initiatives(rows: list[Row]) -> list[tuple[int, str, str]]:
    found = []
    needs = {r.id: r.m2m.get("depends_on", []) for r in rows}
    for row in rows:
        if set(needs[row.id]) & set(row.m2m.get("excludes", [])):
            found.append(
                (row.id, "excludes", "an initiative cannot both depend on and exclude another")
            )
    found += [
        (node, "depends_on", "initiatives would depend on each other in a circle")
        for node, _child in back_edges(needs)
    ]
    return found


def _kpis(rows: list[Row]) -> list[tuple[int, str, str]]:
    from cairn.kpis import formula as formulas

    found = []
    names = {r.values.get("name", r.raw.get("name")): r for r in rows}
    for row in rows:
        v = row.values
        low, high = v.get("min_value"), v.get("max_value")
        if low is not None and high is not None and low >= high:
            found.append((row.id, "max_value", "must be above the lowest possible value"))
        start, end = v.get("baseline_date"), v.get("target_date")
        if start and end and end <= start:
            found.append((row.id, "target_date", "must come after the baseline date"))
        for value, day in (("baseline_value", "baseline_date"), ("target_value", "target_date")):
            if (v.get(value) is None) != (v.get(day) is None):
                found.append((row.id, value, f"{value} and {day} are given together or not at all"))
        baseline, target = v.get("baseline_value"), v.get("target_value")
        if baseline is not None and target is not None:
            up = v.get("direction", "up") == "up"
            if (up and target < baseline) or (not up and target > baseline):
                side = "below" if up else "above"
                found.append(
                    (
                        row.id,
                        "target_value",
                        f"is {side} the baseline, but "
                        f"{'higher' if up else 'lower'} is better for this KPI",
                    )
                )
        text = v.get("formula") or ""
        if not text.strip():
            continue
        try:
            references = formulas.parse(text).references
        except formulas.FormulaError as e:
            found.append((row.id, "formula", str(e)))
            continue
        for name in references:
            other = names.get(name)
            if other is None or other is row:
                found.append(
                    (row.id, "formula", f"uses “{clip(name, 40)}”, not another KPI of the file")
                )
            elif (other.values.get("formula") or "").strip():
                found.append(
                    (row.id, "formula", f"uses “{clip(name, 40)}”, which is itself calculated")
                )
    return found


def _either(first: str, second: str, message: str) -> Callable:
    def rule(rows: list[Row]) -> list[tuple[int, str, str]]:
        return [
            (r.id, second, message)
            for r in rows
            if r.values.get(f"{first}_id") is not None and r.values.get(f"{second}_id") is not None
        ]

    return rule


def _use_cases(rows: list[Row]) -> list[tuple[int, str, str]]:
    return [
        (r.id, "override_reason", "say why the tier is set by hand")
        for r in rows
        if r.values.get("tier_override") and not (r.values.get("override_reason") or "").strip()
    ]


def _roadmap_items(rows: list[Row]) -> list[tuple[int, str, str]]:
    found = []
    for r in rows:
        earliest, duration = r.values.get("earliest") or 0, r.values.get("duration") or 0
        deadline = r.values.get("deadline")
        if deadline is not None and earliest + duration > deadline:
            found.append((r.id, "deadline", "it cannot end by then if it starts no earlier"))
    return found


RULES: dict[str, Callable[[list[Row]], list[tuple[int, str, str]]]] = {
    "assessment.Capability": _capabilities,
    "portfolio.Initiative": _initiatives,
    "kpis.Kpi": _kpis,
    "governance.Raci": _either(
        "decision", "initiative", "a matrix is for a decision or an initiative, not both"
    ),
    "aigov.AiUseCase": _use_cases,
    "roadmap.RoadmapItem": _roadmap_items,
}
