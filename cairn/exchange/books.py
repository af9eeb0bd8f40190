"""Files out and in: a kind as a CSV or .xlsx table, its template, and the whole workbook
(every kind, one sheet each, in the order of ``KINDS``) that imports back as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.apps import apps

from cairn.core.models import AuditVia, Organization
from cairn.core.tabular import (
    FileProblem,
    ImportRefused,
    Report,
    one_workbook,
    sheet_names,
    write_book,
    write_table,
)
from cairn.exchange import engine, raci, writing
from cairn.exchange.checking import Names
from cairn.exchange.columns import Choices, Field, Kind, Links, Pairs, Ref
from cairn.exchange.kinds import BY_SLUG, KINDS, TARGETS

HELP_SHEET = "Columns"


def rows_of(kind: Kind, org: Organization, names: Names | None = None) -> list[list[Any]]:
    """The kind's rows as an export writes them (a fixed number of queries per kind)."""
    names = names or Names(org, TARGETS)
    model = kind.model_class
    objs = list(model.objects.filter(organization=org).order_by("pk"))
    links = writing.stored_links(
        model, [model._meta.get_field(c.field) for c in kind.fields_of(Links)], org
    )
    pairs = {c.name: writing.stored_pairs(c, org) for c in kind.fields_of(Pairs)}
    out = []
    for obj in objs:
        row = []
        for c in kind.columns:
            if isinstance(c, Field):
                row.append(cell(getattr(obj, c.field)))
            elif isinstance(c, Ref):
                row.append(names.name_of(c.to, getattr(obj, f"{c.field}_id")))
            elif isinstance(c, Choices):
                stored = set(getattr(obj, c.field) or [])  # in the list's order, as imported
                row.append("; ".join(v for v in c.choices if v in stored))
            elif isinstance(c, Links):
                refs = sorted(names.name_of(c.to, pk) for pk in links[c.field].get(obj.pk, []))
                row.append("; ".join(refs))
            else:
                by_target = pairs[c.name].get(obj.pk, {})
                parts = sorted(f"{names.name_of(c.to, t)}: {cell(v)}" for t, v in by_target.items())
                row.append("; ".join(parts))
        out.append(row)
    keys = [i for i, c in enumerate(kind.columns) if getattr(c, "field", None) in kind.ref]
    out.sort(key=lambda row: tuple(str(row[i]) for i in keys))  # the same in every install
    return out


def cell(value: Any) -> Any:
    """A value as a cell holds it: whole numbers without ".0", yes/no, dates as dates."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None:
        return ""
    return value


def export_kind(kind: Kind, org: Organization, fmt: str) -> bytes:
    return write_table(kind.headers_for(org), rows_of(kind, org), fmt)


def export_workbook(org: Organization) -> bytes:
    """Every kind on a sheet of its own, in dependency order."""
    names = Names(org, TARGETS)
    sheets = [(k.label, k.headers_for(org), rows_of(k, org, names)) for k in KINDS]
    return write_book(sheets + raci.sheets(org, names))


def help_rows(kind: Kind, org: Organization) -> list[list[Any]]:
    """One line per column: its header, whether it must be filled, what it holds, what it
    accepts."""
    out = []
    for column, parsed in zip(kind.columns, kind.parsers(), strict=True):
        accepts = {
            "text": f"text, at most {parsed.max_length:,} characters"
            if parsed.max_length
            else "text",
            "int": "a whole number",
            "decimal": "a number",
            "float": "a number",
            "date": "a date like 2026-01-31",
            "bool": "yes or no",
            "list": "names separated by “;”",
            "choice": "one of: " + ", ".join(parsed.choices),
        }[parsed.kind]
        if parsed.kind in ("int", "decimal", "float") and parsed.minimum is not None:
            top = f"{parsed.maximum:,}" if parsed.maximum is not None else "any"
            accepts += f", from {parsed.minimum:,} to {top}"
        if isinstance(column, Ref):
            accepts = f"the reference of a {TARGETS[column.to].label}"
        if isinstance(column, Pairs):
            accepts = "“name: number” pairs separated by “;”"
        if isinstance(column, Choices):
            accepts = "any of: " + ", ".join(column.choices) + " (separated by “;”)"
        key = getattr(column, "field", None) in kind.ref
        required = "yes (names the row)" if key else ("yes" if parsed.required else "no")
        out.append([parsed.heading(org.currency), required, parsed.help, accepts])
    return out


def template(kind: Kind, org: Organization, fmt: str) -> bytes:
    """The columns with an example row; an .xlsx also explains each column on a second sheet."""
    example = [engine_example(c) for c in kind.columns]
    if fmt == "csv":
        return write_table(kind.headers_for(org), [example], "csv")
    return write_book(
        [
            (kind.label, kind.headers_for(org), [example]),
            (HELP_SHEET, ["column", "required", "what it holds", "accepts"], help_rows(kind, org)),
        ]
    )


def engine_example(column) -> Any:
    value = column.example
    return value.isoformat() if isinstance(value, date) else value


# --- Imports


def import_kind(
    org: Organization,
    kind: Kind,
    file: IO[bytes],
    filename: str,
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[engine.Outcome]:
    """Import one kind's file (its first sheet), all rows or none."""
    if kind.read_only:
        report = Report()
        report.add(0, "", f"{kind.label} cannot be imported. {kind.help}")
        raise ImportRefused(report)
    return engine.run(
        org,
        [(kind, None)],
        file,
        filename,
        TARGETS,
        actor=actor,
        via=via,
        dry_run=dry_run,
        progress=progress,
    )


def import_workbook(
    org: Organization,
    file: IO[bytes],
    filename: str,
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[engine.Outcome]:
    """Import every sheet named after a kind, in the order of ``KINDS``, all or nothing.
    Read-only kinds' sheets and the explanation sheet are passed over; a sheet of another
    name is refused, so that a typing mistake is not silently ignored."""
    report = Report()
    if not filename.lower().endswith(".xlsx"):
        report.add(0, "", "A whole workbook is an .xlsx file; export one to start from.")
        raise ImportRefused(report)
    with one_workbook(file):  # opened once for all its sheets
        return _import_sheets(org, file, filename, report, actor, via, dry_run, progress)


def _import_sheets(org, file, filename, report, actor, via, dry_run, progress):
    try:
        present = sheet_names(file)
    except FileProblem as e:
        report.add(0, "", str(e))
        raise ImportRefused(report) from None
    by_label = {k.label.lower()[:31]: k for k in KINDS}
    unknown = [
        s
        for s in present
        if s.lower() not in by_label and s != HELP_SHEET and not raci.is_matrix(s)
    ]
    if unknown:
        known = ", ".join(k.label for k in KINDS)
        report.add(
            0, "", f"Sheets Cairn does not know: {', '.join(unknown[:10])}. Sheets: {known}."
        )
        raise ImportRefused(report)
    chosen = {s.lower(): s for s in present}
    sheets = [
        (k, chosen[k.label.lower()[:31]])
        for k in KINDS
        if k.label.lower()[:31] in chosen and not k.read_only
    ]
    matrices = [s for s in present if raci.is_matrix(s)]
    if not sheets and not matrices:
        report.add(0, "", "The workbook has no sheet to import.")
        raise ImportRefused(report)
    extra = [
        (lambda names, report, s=s: raci.check(org, file, filename, s, names, report))
        for s in matrices
    ]
    return engine.run(
        org,
        sheets,
        file,
        filename,
        TARGETS,
        actor=actor,
        via=via,
        dry_run=dry_run,
        progress=progress,
        extra=extra,
    )


def kind_for(slug: str) -> Kind | None:
    return BY_SLUG.get(slug)


def model_of(label: str):
    return apps.get_model(label)
