"""Writing a checked sheet: rows matched on their reference are updated, the others added,
rows whose values are already stored left alone; links and pairs rewritten only where they
changed; one audit event per row added or changed. Queries grow with batches of 500 rows,
never with the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from cairn.core.models import AuditAction, AuditEvent, AuditVia, Organization
from cairn.core.services import audit_event, snapshot
from cairn.exchange.checking import BATCH, SAMPLES, Checked, Names, Row, default_of
from cairn.exchange.columns import Choices, Field, Kind, Links, Pairs, Ref

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


def stored_links(model, fields: list[models.ManyToManyField], org) -> dict[str, dict[int, list]]:
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


def stored_pairs(column: Pairs, org) -> dict[int, dict[int, Any]]:
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
    links_now = stored_links(model, link_fields, org)
    pairs_cols = [c for c in kind.fields_of(Pairs) if c.name in checked.present]
    pairs_now = {c.name: stored_pairs(c, org) for c in pairs_cols}
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
    if kind.prepare:
        kind.prepare(creates)
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
        _write_links(f, link_writes.get(f.name, {}), new_pks)
    for c in pairs_cols:
        _write_pairs(c, pair_writes[c.name], new_pks)
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
        if c.name == header and isinstance(c, Field | Choices):
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


def _write_links(f: models.ManyToManyField, writes: dict[int, list[int]], new: set[int]) -> None:
    """Replace the links of these rows (rows just added have none to delete)."""
    if not writes:
        return
    through = f.remote_field.through
    source, target = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
    pks = [pk for pk in writes if pk not in new]
    for start in range(0, len(pks), BATCH):
        through.objects.filter(**{f"{source}__in": pks[start : start + BATCH]}).delete()
    through.objects.bulk_create(
        [through(**{source: pk, target: t}) for pk, ids in writes.items() for t in ids],
        batch_size=1000,
    )


def _write_pairs(column: Pairs, writes: dict[int, dict[int, Any]], new: set[int]) -> None:
    if not writes:
        return
    model = apps.get_model(column.model)
    pks = [pk for pk in writes if pk not in new]
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
