"""People: what someone is accountable for, and buy-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.core.models import Organization
from cairn.portfolio.models import Initiative, Status

# --- People: accountability and buy-in


@dataclass
class Accountability:
    person: str
    raci_rows: list[tuple[Any, str, str]] = field(default_factory=list)  # (raci, activity, letter)
    initiatives: list[Initiative] = field(default_factory=list)


def accountable_for(org: Organization, person: str) -> Accountability:
    """What a person answers for: activities where a RACI names them Accountable (and where
    they are Responsible), and initiatives they own."""
    from cairn.governance.models import Raci

    person = person.strip()
    found = Accountability(person)
    if not person:
        return found
    wanted = person.casefold()
    for raci in Raci.objects.filter(organization=org).select_related("decision", "initiative"):
        names = {p.casefold(): p for p in raci.people}
        if wanted not in names:
            continue
        exact = names[wanted]
        for row in raci.rows:
            letter = row.get("cells", {}).get(exact, "")
            if letter in ("A", "R"):
                found.raci_rows.append((raci, row.get("activity", ""), letter))
    found.initiatives = list(
        Initiative.objects.filter(organization=org, owner__iexact=person).exclude(
            status__in=[Status.DONE, Status.REJECTED]
        )
    )
    found.raci_rows.sort(key=lambda r: (r[2] != "A", str(r[0])))
    return found


def people(org: Organization) -> list[str]:
    """Names that appear in the organisation's RACI matrices and as initiative owners."""
    from cairn.governance.models import Raci

    names = {p for raci in Raci.objects.filter(organization=org) for p in raci.people}
    names |= set(
        Initiative.objects.filter(organization=org)
        .exclude(owner="")
        .values_list("owner", flat=True)
    )
    return sorted(names, key=str.casefold)
