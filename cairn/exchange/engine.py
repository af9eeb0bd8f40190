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

from collections.abc import Callable
from typing import IO

from django.db import transaction

from cairn.core.models import AuditVia, Organization
from cairn.core.tabular import ImportRefused, Report
from cairn.exchange.checking import Names, check
from cairn.exchange.columns import Kind, Target
from cairn.exchange.writing import Outcome, write

__all__ = ["Outcome", "run"]


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
    extra: list[Callable] = (),
) -> list[Outcome]:
    """Import the sheets (kind, sheet name or None for a CSV or a one-sheet file), in their
    order, all of them or none: raises ImportRefused with every problem found.

    ``extra`` checks sheets of another shape (a RACI matrix each): each is called with the
    names and the report once the kinds are checked, and answers what writes it, or None
    after reporting its problems."""
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
            writers = [check_extra(names, report) for check_extra in extra]
            if not report.ok:
                raise ImportRefused(report)
            outcomes = [write(c, org, names, actor=actor, via=via) for c in checked]
            outcomes += [w(names, actor=actor, via=via) for w in writers]
            if dry_run:
                raise _DryRun(outcomes)
    except _DryRun as done:
        return done.outcomes
    return outcomes
