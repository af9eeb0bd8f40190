"""State changes of the terrain that are more than a form save."""

from __future__ import annotations

from django.db import transaction

from cairn.assessment.models import SwotItem
from cairn.core.models import AuditAction, AuditVia
from cairn.core.services import record, snapshot


@transaction.atomic
def move_swot_item(item: SwotItem, *, up: bool, actor, via: AuditVia = AuditVia.WEB) -> None:
    """Swap an item with its neighbour above (or below) in its quadrant, renumbering 1..n; every
    item whose rank changes is audited."""
    siblings = list(
        SwotItem.objects.select_for_update()
        .filter(organization=item.organization, kind=item.kind)
        .order_by("rank", "id")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return  # already first (or last)
    old_ranks = {s.pk: s.rank for s in siblings}
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for rank, sibling in enumerate(siblings, start=1):
        sibling.rank = rank
    changed = [s for s in siblings if s.rank != old_ranks[s.pk]]
    SwotItem.objects.bulk_update(changed, ["rank"])
    for sibling in changed:  # the item, its neighbour, and any renumbered on the way
        after = snapshot(sibling)
        record(
            item.organization,
            actor=actor,
            action=AuditAction.UPDATE,
            obj=sibling,
            before={**after, "rank": old_ranks[sibling.pk]},
            after=after,
            via=via,
        )
