"""Bulk writes of imported rows: created or updated in batches, with their links, audited.

An import of thousands of rows costs a number of queries that grows with the batches of 500,
never with the rows (``cairn.assessment.importers`` calls it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from cairn.core.models import AuditAction, AuditEvent, AuditVia, Organization
from cairn.core.services import audit_event, snapshot


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def bulk_upsert(
    org: Organization,
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    actor: AbstractBaseUser | None,
    via: AuditVia = AuditVia.WEB,
) -> tuple[int, int]:
    """Create or update rows matched on ``name`` in bulk, with their links, audited.

    Each row maps field names to values; a many-to-many field maps to a list of
    ids. Returns (created, updated). The query count depends on the number of
    rows only through batches of 500, never per row. Rows whose values are already stored
    are left alone (not counted, not audited).
    """
    m2m_fields = list(model._meta.many_to_many)
    m2m_names = {f.name for f in m2m_fields}
    existing = {o.name: o for o in model.objects.filter(organization=org)}
    links: dict[str, dict[int, list[int]]] = {}
    for f in m2m_fields:
        through = f.remote_field.through
        source, target = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
        current: dict[int, list[int]] = {}
        pairs = through.objects.filter(**{f"{f.m2m_field_name()}__organization": org})
        for a, b in pairs.values_list(source, target):
            current.setdefault(a, []).append(b)
        links[f.name] = current

    now = timezone.now()
    creates, updates, events, row_links = [], [], [], []
    plain_fields: set[str] = set()
    for row in rows:
        values = {k: v for k, v in row.items() if k not in m2m_names}
        plain_fields.update(values)
        obj = existing.get(row["name"])
        given = {n: sorted(row[n]) for n in m2m_names if n in row}
        if obj is None:
            obj = model(
                organization=org, created_by=actor if actor and actor.pk else None, **values
            )
            creates.append(obj)
            row_links.append((obj, given, None))
            continue
        current_links = {n: sorted(links[n].get(obj.pk, [])) for n in m2m_names}
        before = snapshot(obj, current_links)
        for k, v in values.items():
            setattr(obj, k, v)
        if snapshot(obj, {**current_links, **given}) == before:
            continue  # the same values as stored: no write, no audit noise
        obj.version += 1
        obj.updated = now
        updates.append(obj)
        row_links.append((obj, given, before))
    model.objects.bulk_create(creates, batch_size=500)
    if updates:
        model.objects.bulk_update(
            updates, sorted(plain_fields | {"version", "updated"}), batch_size=500
        )
    for f in m2m_fields:
        through = f.remote_field.through
        source, target = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
        touched = [obj.pk for obj, given, before in row_links if f.name in given and before]
        for chunk in _chunks(touched):
            through.objects.filter(**{f"{source}__in": chunk}).delete()
        through.objects.bulk_create(
            [
                through(**{source: obj.pk, target: target_id})
                for obj, given, _ in row_links
                for target_id in given.get(f.name, [])
            ],
            batch_size=1000,
        )
    for obj, given, before in row_links:
        after_links = {n: given.get(n, links[n].get(obj.pk, [])) for n in m2m_names}
        events.append(
            audit_event(
                org,
                actor=actor,
                via=via,
                obj=obj,
                before=before,
                action=AuditAction.UPDATE if before is not None else AuditAction.CREATE,
                after=snapshot(obj, after_links),
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=500)
    return len(creates), len(updates)
