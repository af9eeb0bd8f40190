"""Accepting a suggested link: the one state change of suggested links, audited as any other
link change (the row's snapshot before and after, its version one on)."""

from __future__ import annotations

from django.db import models, transaction

from cairn.core.models import AuditVia, Organization
from cairn.core.services import ServiceError, record_change, snapshot
from cairn.links.suggest import SOURCES, TARGETS


class BadTarget(ServiceError):
    """The row to link is not named as ``<kind>:<id>`` of a kind this row links to."""


class UnknownTarget(ServiceError):
    """The row to link is not of this organisation (or does not exist)."""


def parse_target(kind: str, value: str) -> tuple[str, int]:
    """``"goal:12"`` as ``("goal", 12)``, for a kind of row that links to goals; else
    BadTarget saying what is expected."""
    allowed = SOURCES[kind].links
    expected = " or ".join(f"“{k}:<id>”" for k in allowed)
    target, _, raw = (value or "").partition(":")
    if target not in allowed or not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise BadTarget(f"Say which row to link as {expected}.")
    return target, int(raw)


def target_row(org: Organization, target: str, pk: int) -> models.Model:
    """The organisation's row of that kind, or UnknownTarget (another organisation's id too)."""
    row = TARGETS[target].model.objects.filter(organization=org, pk=pk).first()
    if row is None:
        raise UnknownTarget(f"This organisation has no {TARGETS[target].label} with id {pk}.")
    return row


@transaction.atomic
def accept(
    org: Organization, kind: str, item: models.Model, value: str, *, actor, via=AuditVia.WEB
) -> models.Model:
    """Link ``item`` (a row of kind ``kind``) to the row ``value`` names (``"goal:12"``), as
    suggested; returns the row linked. Refused: a row of another kind or organisation, or one
    already linked."""
    target, pk = parse_target(kind, value)
    row = target_row(org, target, pk)
    model = SOURCES[kind].model
    item = model.objects.select_for_update().get(pk=item.pk, organization=org)
    field_name = SOURCES[kind].links[target]
    links = getattr(item, field_name)
    if links.filter(pk=row.pk).exists():
        raise ServiceError(f"“{item}” is already linked to “{row}”.")
    before = snapshot(item)
    links.add(row)
    item.version += 1
    item.save(update_fields=["version", "updated"])
    record_change(item, before, actor=actor, via=via)
    return row
