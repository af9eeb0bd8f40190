"""Starting a new organisation from a template: the structure of another organisation
(capabilities, KPIs chosen from the library, scoring criteria, the committee's rhythm, AI
policies, the glossary) without its private data, or a built-in template for a common kind
of business. Both are files in the export format (``orgfile.orgfile``), so one importer
serves all."""

from __future__ import annotations

from typing import Any

from cairn.core import money
from cairn.transfer import orgfile

# Tables a template carries, and the fields each keeps (links among them are kept).
STRUCTURE: dict[str, tuple[str, ...]] = {
    "assessment.Capability": ("name", "description", "parent"),
    "portfolio.Criterion": ("name", "source", "weight", "description"),
    "kpis.Kpi": (
        "name",
        "description",
        "unit",
        "min_value",
        "max_value",
        "direction",
        "rhythm",
        "replaces",
        "tolerance_percent",
        "formula",
    ),
    "governance.Committee": ("name", "purpose", "rhythm"),
    "aigov.AiPolicy": ("area", "title", "text"),
    "language.GlossaryTerm": ("term", "meaning"),
    "language.JargonRule": ("phrase", "alternative", "silenced"),
}
M2M_KEPT = {"kpis.Kpi": ("inputs",)}


def structure_of(org) -> dict[str, Any]:
    """The organisation's structure as a template file: no goals, initiatives, figures,
    people, meetings or decisions."""
    data = orgfile.export(org)
    tables = {}
    for label, keep in STRUCTURE.items():
        tables[label] = [
            {
                "id": row["id"],
                "fields": {k: v for k, v in row["fields"].items() if k in keep},
                "m2m": {k: v for k, v in row["m2m"].items() if k in M2M_KEPT.get(label, ())},
            }
            for row in data["tables"].get(label, [])
        ]
    return {**data, "tables": tables}


def _rows(items: list[dict]) -> list[dict]:
    return [{"id": n, "fields": fields, "m2m": {}} for n, fields in enumerate(items, start=1)]


def _capabilities(tree: dict[str, list[str]]) -> list[dict]:
    rows, n = [], 0
    for parent, children in tree.items():
        n += 1
        parent_id = n
        rows.append(
            {
                "id": parent_id,
                "fields": {"name": parent, "description": "", "parent": None},
                "m2m": {},
            }
        )
        for child in children:
            n += 1
            rows.append(
                {
                    "id": n,
                    "fields": {"name": child, "description": "", "parent": parent_id},
                    "m2m": {},
                }
            )
    return rows


def _kpis(keys: list[str], currency: str) -> list[dict]:
    from cairn.kpis.library import BY_KEY

    def unit(k: str) -> str:
        return money.money_unit(BY_KEY[k].unit, currency)

    return _rows(
        [
            {
                "name": BY_KEY[k].kpi,
                "description": BY_KEY[k].why,
                "unit": unit(k),
                "direction": "up" if BY_KEY[k].higher_is_better else "down",
                "rhythm": BY_KEY[k].rhythm,
                "replaces": BY_KEY[k].it_metric,
            }
            for k in keys
        ]
    )


def _criteria() -> list[dict]:
    from cairn.portfolio.scoring import STANDARD

    return _rows(
        [
            {"name": name, "source": source, "weight": str(weight), "description": description}
            for name, source, weight, description in STANDARD
        ]
    )


POLICIES = [
    {
        "area": "data",
        "title": "What data AI may use",
        "owner": "",
        "text": "AI tools may use the data we hold only for the purpose it was collected. "
        "Health and children's data are never used.",
    },
    {
        "area": "ethics",
        "title": "People decide about people",
        "owner": "",
        "text": "No AI decides alone about a person's job, pay or credit; a named person reviews "
        "every such recommendation.",
    },
    {
        "area": "vendors",
        "title": "What AI suppliers must promise",
        "owner": "",
        "text": "Suppliers say where our data is stored, do not train on it, and report "
        "incidents within 72 hours.",
    },
]

BUILT_IN: dict[str, dict[str, Any]] = {
    "retail": {
        "label": "Retail (stores and web shop)",
        "capabilities": {
            "Sell to customers": ["Web shop", "Store sales", "Promotions and loyalty"],
            "Serve customers": ["Answer questions", "Returns and repairs"],
            "Run the supply chain": ["Buy from suppliers", "Keep stock right", "Deliver orders"],
            "Run the business": ["Finance and close", "People and pay"],
        },
        "kpis": [
            "checkout-success",
            "conversion",
            "first-contact",
            "stock-accuracy",
            "digital-share",
            "retention",
        ],
    },
    "services": {
        "label": "Professional services (consulting, agencies, firms)",
        "capabilities": {
            "Win work": ["Find and qualify leads", "Write proposals"],
            "Deliver work": [
                "Plan and staff projects",
                "Track time and progress",
                "Share knowledge",
            ],
            "Get paid": ["Invoice clients", "Collect payment"],
            "Run the firm": ["Recruit and onboard", "Finance and close"],
        },
        "kpis": [
            "order-to-cash",
            "onboarding-days",
            "tool-satisfaction",
            "close-days",
            "data-decisions",
        ],
    },
    "manufacturing": {
        "label": "Manufacturing",
        "capabilities": {
            "Plan production": ["Forecast demand", "Schedule the plant"],
            "Make products": ["Run the lines", "Check quality", "Maintain equipment"],
            "Source and deliver": ["Buy materials", "Ship to customers"],
            "Run the business": ["Finance and close", "Health and safety"],
        },
        "kpis": [
            "supplier-cycle",
            "recovery-minutes",
            "manual-hours",
            "cost-per-order",
            "time-to-market",
        ],
    },
}


def built_in(key: str, currency: str = money.DEFAULT_CURRENCY) -> dict[str, Any]:
    """A built-in template as an export file, its amounts in ``currency``."""
    spec = BUILT_IN[key]
    return {
        "format": orgfile.FORMAT,
        "version": orgfile.VERSION,
        "organization": {"change_target_percent": 30, "currency": currency},
        "slug": "",
        "tables": {
            "assessment.Capability": _capabilities(spec["capabilities"]),
            "portfolio.Criterion": _criteria(),
            "kpis.Kpi": _kpis(spec["kpis"], currency),
            "governance.Committee": _rows(
                [
                    {
                        "name": "Steering committee",
                        "rhythm": "quarterly",
                        "purpose": "Review the roadmap, approve new initiatives and remove "
                        "roadblocks.",
                    }
                ]
            ),
            "aigov.AiPolicy": _rows(POLICIES),
        },
    }
