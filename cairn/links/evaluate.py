"""How good the suggestions are: hide each existing link of an organisation in turn, ask for
suggestions as if it had never been made, and count how often the hidden row comes first and
how often it is among the first three (with what choosing at random would score)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.core.models import Organization
from cairn.links import suggest

TOP = 3


@dataclass
class Tally:
    """Hidden links of one kind (e.g. initiative → goal) and how many were found again."""

    links: int = 0
    first: int = 0
    top3: int = 0
    chance_first: float = 0.0  # what picking at random among the candidates would score
    chance_top3: float = 0.0

    def add(self, rank: int | None, candidates: int) -> None:
        self.links += 1
        self.first += rank == 1
        self.top3 += rank is not None and rank <= TOP
        self.chance_first += 1 / candidates
        self.chance_top3 += min(TOP, candidates) / candidates

    def row(self, name: str) -> dict:
        n = self.links or 1
        return {
            "links": name,
            "n": self.links,
            "first": round(self.first / n, 3),
            "top3": round(self.top3 / n, 3),
            "chance_first": round(self.chance_first / n, 3),
            "chance_top3": round(self.chance_top3 / n, 3),
        }


@dataclass
class Report:
    by_link: dict[str, Tally] = field(default_factory=dict)

    def rows(self) -> list[dict]:
        goals, everything = Tally(), Tally()
        rows = []
        for name, t in sorted(self.by_link.items()):
            rows.append(t.row(name))
            for total in (everything, goals) if name.endswith("→ goal") else (everything,):
                total.links += t.links
                total.first += t.first
                total.top3 += t.top3
                total.chance_first += t.chance_first
                total.chance_top3 += t.chance_top3
        return [*rows, goals.row("all → goal"), everything.row("all links")]


def hidden_links(org: Organization) -> Report:
    """Hide each link of the organisation's rows in turn and look for it in the suggestions
    (nothing is written: the link is left out of the texts and the exclusions instead)."""
    report = Report()
    terms = suggest.glossary(org)
    for kind, source in suggest.SOURCES.items():
        for item in suggest.queryset(kind).filter(organization=org):
            for target, field_name in source.links.items():
                linked = {o.pk for o in getattr(item, field_name).all()}
                if not linked:
                    continue
                # The row's own links cast no vote in the targets' texts (skip)
                docs = suggest.target_docs(org, target, skip=(kind, item.pk))
                for hidden in sorted(linked):
                    query = suggest.source_text(kind, item, hide=(target, hidden))
                    exclude = linked - {hidden}
                    found = suggest.rank(
                        query, docs, target, terms=terms, exclude=exclude, limit=len(docs.rows)
                    )
                    place = next((n for n, s in enumerate(found, 1) if s.target.pk == hidden), None)
                    candidates = len([r for r, _ in docs.rows if r.pk not in exclude])
                    name = f"{source.label} → {suggest.TARGETS[target].label}"
                    report.by_link.setdefault(name, Tally()).add(place, candidates)
    return report


def table(rows: list[dict]) -> str:
    """The report as a plain table."""
    lines = [f"{'hidden link':<30} {'n':>4} {'first':>6} {'top 3':>6} {'by chance':>13}"]
    for r in rows:
        lines.append(
            f"{r['links']:<30} {r['n']:>4} {r['first']:>6.0%} {r['top3']:>6.0%}"
            f"   {r['chance_first']:>4.0%} / {r['chance_top3']:>4.0%}"
        )
    return "\n".join(lines)
