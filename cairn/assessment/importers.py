"""Import and export of the inventory: teams, capabilities, processes, applications.

Each kind names its columns, turns parsed rows into model values (resolving
names of linked rows, reporting unknown ones) and lists its rows for export.
Rows are matched on ``name``: importing the same file twice updates, never
duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import Prefetch

from cairn.assessment.models import (
    MAX_DEPTH,
    Application,
    Automation,
    Capability,
    Disposition,
    Lifecycle,
    Process,
    Team,
)
from cairn.core import bulk
from cairn.core.models import AuditVia, Organization
from cairn.core.tabular import Column, ImportRefused, Report, clip, read_rows
from cairn.goals.models import BusinessGoal

NAME = Column("name", required=True, max_length=120, help="Unique within the organisation.")


@dataclass(frozen=True)
class Kind:
    """One importable kind of row."""

    slug: str
    label: str
    model: type
    columns: list[Column]
    resolve: Callable[[Organization, Report], list[list[dict[str, Any]]]]
    export: Callable[[Organization], list[list[Any]]]
    examples: list[list[Any]]

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    def headers_for(self, org: Organization) -> list[str]:
        """The headers an export writes: amounts say the organisation's currency."""
        return [c.heading(org.currency) for c in self.columns]


def names_of(model, org: Organization, field: str = "name") -> dict[str, int]:
    return dict(model.objects.filter(organization=org).values_list(field, "pk"))


def check_duplicates(report: Report) -> None:
    seen: dict[str, int] = {}
    for row in report.rows:
        name = row.get("name")
        if name in seen:
            report.add(row["_row"], "name", f"“{clip(name)}” already appears on row {seen[name]}")
        elif name:
            seen[name] = row["_row"]


def lookup(report: Report, row: dict, column: str, known: dict[str, int], noun: str) -> list[int]:
    """Ids for the names in a list cell; unknown names are reported."""
    ids = []
    for name in row.get(column) or []:
        if name in known:
            ids.append(known[name])
        else:
            report.add(row["_row"], column, f"unknown {noun} “{clip(name, 60)}”")
    return ids


def plain(row: dict, *names: str, defaults: dict | None = None) -> dict[str, Any]:
    """The row's values for ``names``, with defaults where a cell was empty."""
    defaults = defaults or {}
    return {n: (row[n] if row.get(n) is not None else defaults.get(n, "")) for n in names}


# --- Teams

TEAM_COLUMNS = [
    NAME,
    Column(
        "headcount",
        kind="decimal",
        minimum=0,
        maximum=100000,
        decimal_places=1,
        help="Full-time equivalents.",
    ),
    Column("lead", max_length=120),
    Column("skills", max_length=500, help="Comma-separated."),
]


def resolve_teams(org, report):
    return [
        [
            plain(r, "name", "headcount", "lead", "skills", defaults={"headcount": 1})
            for r in report.rows
        ]
    ]


def export_teams(org):
    return [[t.name, t.headcount, t.lead, t.skills] for t in Team.objects.filter(organization=org)]


# --- Capabilities

CAPABILITY_COLUMNS = [
    NAME,
    Column("parent", max_length=120, help="Name of the broader capability, if any."),
    Column("description", max_length=2000),
    Column("goals", kind="list", help="Titles of the goals it serves, separated by “;”."),
]


def resolve_capabilities(org, report):
    """Rows in batches by depth, so that each parent exists before its children."""
    existing = {
        c.name: c.parent.name if c.parent else None
        for c in Capability.objects.filter(organization=org).select_related("parent")
    }
    parents = {**existing, **{r["name"]: r.get("parent") for r in report.rows if r.get("name")}}
    goals = names_of(BusinessGoal, org, "title")
    depth_of: dict[str, int] = {}

    def depth(name: str, trail: tuple = ()) -> int:
        if name in trail:
            return MAX_DEPTH + 99  # a loop: reported as too deep
        if name not in depth_of:
            parent = parents.get(name)
            depth_of[name] = 1 if not parent else depth(parent, (*trail, name)) + 1
        return depth_of[name]

    batches: list[list[dict]] = [[] for _ in range(MAX_DEPTH)]
    for r in report.rows:
        parent = r.get("parent")
        if parent and parent not in parents:
            report.add(r["_row"], "parent", f"unknown capability “{clip(parent, 60)}”")
            continue
        if parent == r.get("name"):
            report.add(r["_row"], "parent", "a capability cannot be its own parent")
            continue
        level = depth(r["name"])
        if level > MAX_DEPTH:
            report.add(r["_row"], "parent", f"capabilities go at most {MAX_DEPTH} levels deep")
            continue
        values = plain(r, "name", "description")
        values["goals"] = lookup(report, r, "goals", goals, "goal")
        values["_parent"] = parent
        batches[level - 1].append(values)
    return batches


def export_capabilities(org):
    rows = (
        Capability.objects.filter(organization=org)
        .select_related("parent")
        .prefetch_related(Prefetch("goals", queryset=BusinessGoal.objects.only("id", "title")))
    )
    return [
        [
            c.name,
            c.parent.name if c.parent else "",
            c.description,
            "; ".join(g.title for g in c.goals.all()),
        ]
        for c in rows
    ]


# --- Processes

PROCESS_COLUMNS = [
    NAME,
    Column("team", max_length=120, help="Name of the owning team."),
    Column("automation", kind="choice", choices=tuple(Automation.values)),
    Column("pain", kind="int", minimum=1, maximum=5, help="1 barely hurts, 5 hurts a lot."),
    Column("capabilities", kind="list", help="Names separated by “;”."),
    Column("description", max_length=2000),
]


def resolve_processes(org, report):
    teams, capabilities = names_of(Team, org), names_of(Capability, org)
    out = []
    for r in report.rows:
        values = plain(
            r,
            "name",
            "automation",
            "pain",
            "description",
            defaults={"automation": Automation.MANUAL, "pain": 3},
        )
        team = r.get("team")
        if team and team not in teams:
            report.add(r["_row"], "team", f"unknown team “{clip(team, 60)}”")
        values["team_id"] = teams.get(team) if team else None
        values["capabilities"] = lookup(report, r, "capabilities", capabilities, "capability")
        out.append(values)
    return [out]


def export_processes(org):
    rows = (
        Process.objects.filter(organization=org)
        .select_related("team")
        .prefetch_related(Prefetch("capabilities", queryset=Capability.objects.only("id", "name")))
    )
    return [
        [
            p.name,
            p.team.name if p.team else "",
            p.automation,
            p.pain,
            "; ".join(c.name for c in p.capabilities.all()),
            p.description,
        ]
        for p in rows
    ]


# --- Applications

APPLICATION_COLUMNS = [
    NAME,
    Column("vendor", max_length=120),
    Column("owner", max_length=120),
    Column(
        "annual_cost",
        kind="decimal",
        minimum=0,
        maximum=10**11,
        decimal_places=2,
        money=True,
        help="Per year, in the organisation's currency, without its sign.",
    ),
    Column("users", kind="int", minimum=0, maximum=10**8),
    Column("lifecycle", kind="choice", choices=tuple(Lifecycle.values)),
    Column("health", kind="int", minimum=1, maximum=5, help="Technical health, 1 to 5."),
    Column("fit", kind="int", minimum=1, maximum=5, help="Business fit, 1 to 5."),
    Column("capabilities", kind="list", help="Names separated by “;”."),
    Column("processes", kind="list", help="Names separated by “;”."),
    Column(
        "disposition",
        kind="choice",
        choices=tuple(Disposition.values),
        help="Leave empty to follow Cairn's suggestion.",
    ),
    Column("disposition_reason", max_length=500),
]


def resolve_applications(org, report):
    capabilities, processes = names_of(Capability, org), names_of(Process, org)
    out = []
    for r in report.rows:
        values = plain(
            r,
            "name",
            "vendor",
            "owner",
            "annual_cost",
            "users",
            "lifecycle",
            "health",
            "fit",
            "disposition",
            "disposition_reason",
            defaults={
                "annual_cost": 0,
                "users": 0,
                "lifecycle": Lifecycle.ACTIVE,
                "health": 3,
                "fit": 3,
            },
        )
        values["capabilities"] = lookup(report, r, "capabilities", capabilities, "capability")
        values["processes"] = lookup(report, r, "processes", processes, "process")
        out.append(values)
    return [out]


def export_applications(org):
    rows = Application.objects.filter(organization=org).prefetch_related(
        Prefetch("capabilities", queryset=Capability.objects.only("id", "name")),
        Prefetch("processes", queryset=Process.objects.only("id", "name")),
    )
    return [
        [
            a.name,
            a.vendor,
            a.owner,
            a.annual_cost,
            a.users,
            a.lifecycle,
            a.health,
            a.fit,
            "; ".join(c.name for c in a.capabilities.all()),
            "; ".join(p.name for p in a.processes.all()),
            a.disposition,
            a.disposition_reason,
        ]
        for a in rows
    ]


KINDS = {
    k.slug: k
    for k in [
        Kind(
            "teams",
            "Teams",
            Team,
            TEAM_COLUMNS,
            resolve_teams,
            export_teams,
            [
                ["Customer support", 14, "Ana Silva", "Phone support, returns"],
                ["IT operations", 6.5, "Raj Patel", "Networks, laptops, cloud"],
            ],
        ),
        Kind(
            "capabilities",
            "Capabilities",
            Capability,
            CAPABILITY_COLUMNS,
            resolve_capabilities,
            export_capabilities,
            [
                ["Sell to customers", "", "Everything from first contact to signed order", ""],
                ["Quoting", "Sell to customers", "Prepare and send price quotes", ""],
            ],
        ),
        Kind(
            "processes",
            "Processes",
            Process,
            PROCESS_COLUMNS,
            resolve_processes,
            export_processes,
            [["Month-end close", "", "partly", 4, "", "Close the books each month"]],
        ),
        Kind(
            "applications",
            "Applications",
            Application,
            APPLICATION_COLUMNS,
            resolve_applications,
            export_applications,
            [
                [
                    "Legacy fax server",
                    "Acme Telecom",
                    "IT operations",
                    12000,
                    15,
                    "active",
                    1,
                    1,
                    "",
                    "",
                    "",
                    "",
                ],
                [
                    "Shared drive",
                    "Microsoft",
                    "IT operations",
                    4800,
                    220,
                    "active",
                    4,
                    2,
                    "",
                    "",
                    "",
                    "",
                ],
            ],
        ),
    ]
}


def import_file(
    org: Organization,
    kind: Kind,
    file: IO[bytes],
    filename: str,
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int, int]:
    """Import a whole file or nothing; returns (added, updated, unchanged) or raises
    ImportRefused."""
    report = read_rows(file, filename, kind.columns, progress)
    check_duplicates(report)
    if report.ok:
        batches = kind.resolve(org, report)
    if not report.ok:
        raise ImportRefused(report)
    created = updated = 0
    with transaction.atomic():
        for batch in batches:
            if kind.model is Capability:
                known = names_of(Capability, org)
                for row in batch:
                    parent = row.pop("_parent")
                    row["parent_id"] = known.get(parent) if parent else None
            c, u = bulk.bulk_upsert(org, kind.model, batch, actor=actor, via=via)
            created, updated = created + c, updated + u
    return created, updated, len(report.rows) - created - updated
