"""The helper every app's ``demo.py`` uses to add its rows to the demo organisation.

The demo itself is put together in the project package (``cairn/demo.py``),
because core imports no domain app.
"""

from __future__ import annotations

from django.db import models

from cairn.core import services
from cairn.core.models import AuditAction, AuditVia, Organization


def ensure(
    model: type[models.Model],
    org: Organization,
    actor,
    *,
    lookup: dict,
    defaults: dict | None = None,
    m2m: dict | None = None,
):
    """Create a row unless one with ``lookup`` exists; audited as a command-line change."""
    obj = model.objects.filter(organization=org, **lookup).first()
    if obj is not None:
        return obj
    obj = model.objects.create(organization=org, created_by=actor, **lookup, **(defaults or {}))
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    services.record(
        org,
        actor=actor,
        action=AuditAction.CREATE,
        obj=obj,
        before=None,
        after=services.snapshot(obj),
        via=AuditVia.CLI,
    )
    return obj
