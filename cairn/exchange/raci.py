"""RACI matrices in a workbook: one sheet per matrix, its people across and its activities
down, exported and imported with the rest of the workbook (``books.import_workbook``).

A sheet reads::

    RACI matrix | ERP selection
    initiative  | New ERP            (the initiative's title, or empty)
    activity    | IT director | COO | …
    Shortlist   | A           | C   | …

Matrices are matched on their title. A matrix's link to a decision is not in the sheet
(decisions are not imported): an import keeps the one a matrix has. Each matrix is held to
the rule its page applies (one A and at least one R per activity, letters R, A, C, I only,
each person once).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Any

from cairn.core.models import AuditVia, Organization
from cairn.core.tabular import FileProblem, Report, clip, iter_cells
from cairn.exchange.checking import Names
from cairn.exchange.writing import Outcome

PREFIX = "RACI"  # a sheet whose name starts so holds one matrix
LABEL = "RACI matrices"
TITLE, INITIATIVE, ACTIVITY = "RACI matrix", "initiative", "activity"
MAX_PEOPLE, MAX_ACTIVITIES = 40, 200


def is_matrix(sheet: str) -> bool:
    return sheet.startswith(PREFIX)


def sheets(org: Organization, names: Names) -> list[tuple[str, list[str], list[list[Any]]]]:
    """One sheet per matrix of the organisation, by title."""
    from cairn.governance.models import Raci

    out, used = [], set()
    for raci in Raci.objects.filter(organization=org).order_by("title", "pk"):
        base = re.sub(r"[:\\/?*\[\]]", "-", f"{PREFIX} · {raci.title}")[:31]
        name, n = base, 2
        while name.lower() in used:
            name = f"{base[:26]} ({n})"
            n += 1
        used.add(name.lower())
        people = list(raci.people)
        rows = [
            [INITIATIVE, names.name_of("initiatives", raci.initiative_id)],
            [ACTIVITY, *people],
        ]
        for row in raci.rows:
            cells = row.get("cells", {})
            rows.append([row.get("activity", ""), *(cells.get(p, "") for p in people)])
        out.append((name, [TITLE, raci.title], rows))
    return out


def check(
    org: Organization, file: IO[bytes], filename: str, sheet: str, names: Names, report: Report
) -> Callable[..., Outcome] | None:
    """Read and check one matrix's sheet; returns what writes it, or None after reporting
    what is wrong."""
    from cairn.governance import rules

    problems = len(report.errors) + report.more

    def add(row: int, column: str, problem: str) -> None:
        report.add(row, column, problem, sheet)

    file.seek(0)
    try:
        lines = [
            ["" if v is None else str(v).strip() for v in cells]
            for cells in iter_cells(file, filename, sheet)
        ]
    except FileProblem as e:
        add(0, "", str(e))
        return None
    while lines and not any(lines[-1]):
        lines.pop()
    first = (lines[0] + ["", ""])[:2] if lines else ["", ""]
    if first[0] != TITLE or not first[1]:
        add(1, TITLE, f"The sheet starts with “{TITLE}” and the matrix's title beside it.")
        return None
    title = first[1]
    if len(title) > 200:
        add(1, TITLE, "the title is longer than 200 characters")
    initiative = None
    cells = (lines[1] if len(lines) >= 2 else []) + ["", ""]
    if cells[0] != INITIATIVE:
        add(2, INITIATIVE, f"row 2 starts with “{INITIATIVE}”, then its title or nothing")
    elif cells[1]:
        if problem := names.problem("initiatives", cells[1]):
            add(2, INITIATIVE, problem)
        else:
            initiative = cells[1]
    header = lines[2] if len(lines) >= 3 else []
    if not header or header[0] != ACTIVITY:
        add(3, ACTIVITY, f"row 3 starts with “{ACTIVITY}”, then the people across")
        return None
    while header and not header[-1]:
        header.pop()
    people = header[1:]
    if not people or len(people) > MAX_PEOPLE or any(not p for p in people):
        add(3, ACTIVITY, f"name between 1 and {MAX_PEOPLE} people across row 3, none empty")
        return None
    activities = []
    for cells in lines[3:]:
        if not any(cells):
            continue
        cells = (cells + [""] * len(people))[: len(people) + 1]
        letters = {p: v.upper() for p, v in zip(people, cells[1:], strict=True) if v}
        activities.append({"activity": cells[0], "cells": letters})
    if len(activities) > MAX_ACTIVITIES:
        add(0, ACTIVITY, f"a matrix has at most {MAX_ACTIVITIES} activities")
    for problem in rules.raci_problems(people, activities):
        add(0, "", clip(problem, 300))
    if len(report.errors) + report.more > problems:
        return None

    def write(names: Names, *, actor, via: AuditVia) -> Outcome:
        return _write(org, title, people, activities, initiative, names, actor=actor, via=via)

    return write


def _write(org, title, people, activities, initiative, names, *, actor, via) -> Outcome:
    from cairn.core import services
    from cairn.governance.models import Raci

    outcome = Outcome("raci", LABEL)
    values = {
        "people": people,
        "rows": activities,
        "initiative_id": names.of("initiatives")[initiative] if initiative else None,
    }
    raci = Raci.objects.filter(organization=org, title=title).order_by("pk").first()
    if raci is None:
        raci = Raci.objects.create(
            organization=org,
            title=title,
            created_by=actor if actor and actor.pk else None,
            **values,
        )
        services.record_change(raci, None, actor=actor, via=via)
        outcome.added.append(title)
        return outcome
    changed = [k.removesuffix("_id") for k, v in values.items() if getattr(raci, k) != v]
    if changed:
        services.change_row(raci, values, actor=actor, via=via)
        outcome.changed.append((title, changed))
    else:
        outcome.unchanged = 1
    return outcome
