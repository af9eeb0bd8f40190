"""The trash: what a delete removed, kept TRASH_DAYS so that it can be put back, audited."""

from __future__ import annotations

import json

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from cairn.core.models import TRASH_DAYS, AuditAction, AuditVia, Organization, TrashEntry
from cairn.core.services import ServiceError, record, snapshot


def trash_payload(obj: models.Model, collector) -> dict:
    """Every row the delete removes (link rows too, ids kept) and every link it clears."""
    from django.core import serializers

    rows = [i for instances in collector.data.values() for i in instances]
    rows += [i for qs in collector.fast_deletes for i in qs]
    set_null = []
    for (field, value), targets in collector.field_updates.items():
        if value is not None:
            continue
        for target in targets:
            for o in target:
                set_null.append([o._meta.label_lower, field.name, o.pk, getattr(o, field.attname)])
    return {"rows": json.loads(serializers.serialize("json", rows)), "set_null": set_null}


def purge_trash(organization: Organization | None = None) -> int:
    """Drop trash entries older than TRASH_DAYS (all organisations' when none is given)."""
    entries = TrashEntry.objects.filter(
        deleted_at__lt=timezone.now() - timezone.timedelta(days=TRASH_DAYS)
    )
    if organization is not None:
        entries = entries.filter(organization=organization)
    return entries.delete()[0]


def restore_entry(entry: TrashEntry, *, actor: AbstractBaseUser, via: AuditVia = AuditVia.WEB):
    """Put back the rows of a trash entry, and the links the delete cleared; audited.

    Refused with ServiceError (nothing written) when the entry is too old or a row it needs
    has gone meanwhile (a parent deleted, say)."""
    from django.apps import apps
    from django.core import serializers
    from django.db import DatabaseError, connection

    if entry.expires <= timezone.now():
        entry.delete()
        raise ServiceError(
            f"This was deleted more than {TRASH_DAYS} days ago and can no longer be restored."
        )
    org = entry.organization
    restored = []
    try:
        with transaction.atomic():
            with connection.constraint_checks_disabled():
                for d in serializers.deserialize("json", json.dumps(entry.payload["rows"])):
                    o = d.object
                    if getattr(o, "organization_id", org.pk) != org.pk:
                        raise ServiceError("This entry holds rows of another organisation.")
                    if type(o)._default_manager.filter(pk=o.pk).exists():
                        raise IntegrityError("already there")
                    d.save(save_m2m=False)
                    if not type(o)._meta.auto_created:
                        restored.append(o)
            tables = {type(o)._meta.db_table for o in restored}
            tables |= {apps.get_model(r["model"])._meta.db_table for r in entry.payload["rows"]}
            connection.check_constraints(table_names=sorted(tables))
            for label, field_name, pk, value in entry.payload["set_null"]:
                model = apps.get_model(label)
                field = model._meta.get_field(field_name)
                rows = model._default_manager.filter(pk=pk)
                if any(f.name == "organization" for f in model._meta.fields):
                    rows = rows.filter(organization=org)
                rows.update(**{field.attname: value})
            for o in restored:
                record(
                    org,
                    actor=actor,
                    action=AuditAction.RESTORE,
                    obj=o,
                    before=None,
                    after=snapshot(o),
                    via=via,
                )
            entry.delete()
    except (IntegrityError, DatabaseError) as e:
        raise ServiceError(
            f"“{entry.label}” cannot be restored: something it belongs to or links to "
            "has been deleted since, or it is back already."
        ) from e
    return restored
