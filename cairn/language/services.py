"""The checker with an organisation's glossary and rules, and the report of its hardest texts."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from cairn.core.models import Organization
from cairn.language import checker
from cairn.language.models import GlossaryTerm, JargonRule


@dataclass(frozen=True)
class Settings:
    glossary: frozenset[str]
    extra: dict[str, str]
    silenced: set[str]


def settings_for(org: Organization) -> Settings:
    """The organisation's glossary terms and jargon rules (two queries)."""
    rules = list(JargonRule.objects.filter(organization=org))
    return Settings(
        frozenset(GlossaryTerm.objects.filter(organization=org).values_list("term", flat=True)),
        {r.phrase: r.alternative for r in rules if not r.silenced},
        {r.phrase for r in rules if r.silenced},
    )


def check(org: Organization, text: str, settings: Settings | None = None) -> checker.Result:
    s = settings or settings_for(org)
    return checker.check(text, glossary=s.glossary, extra=s.extra, silenced=s.silenced)


@dataclass
class Text:
    kind: str
    title: str
    text: str
    url: str
    result: checker.Result | None = None


def texts(org: Organization) -> list[Text]:
    """Every text people write in Cairn, with where to change it (one query per kind)."""
    from cairn.assessment.models import SwotItem
    from cairn.goals.models import BusinessGoal, ITMission
    from cairn.governance.models import Decision, Meeting
    from cairn.kpis.models import Kpi
    from cairn.portfolio.models import Initiative

    slug = org.slug
    out: list[Text] = []
    for g in BusinessGoal.objects.filter(organization=org):
        out.append(
            Text(
                "Goal",
                g.title,
                f"{g.title}. {g.description}".strip(),
                reverse("goals:goal_edit", args=[slug, g.pk]),
            )
        )
    for m in ITMission.objects.filter(organization=org):
        out.append(
            Text(
                "IT mission",
                m.statement,
                m.statement,
                reverse("goals:mission_edit", args=[slug, m.pk]),
            )
        )
    for s in SwotItem.objects.filter(organization=org):
        out.append(
            Text(
                "SWOT item",
                s.statement,
                f"{s.statement} {s.it_question}".strip(),
                reverse("assessment:swot_edit", args=[slug, s.pk]),
            )
        )
    for i in Initiative.objects.filter(organization=org).exclude(description=""):
        out.append(
            Text(
                "Initiative",
                i.title,
                i.description,
                reverse("portfolio:initiative_edit", args=[slug, i.pk]),
            )
        )
    for k in Kpi.objects.filter(organization=org).exclude(description=""):
        out.append(Text("KPI", k.name, k.description, reverse("kpis:kpi_edit", args=[slug, k.pk])))
    for d in Decision.objects.filter(organization=org):
        body = " ".join(x for x in (d.context, d.options, d.outcome) if x)
        out.append(
            Text("Decision", d.title, body, reverse("governance:decision_edit", args=[slug, d.pk]))
        )
    for m in Meeting.objects.filter(organization=org).exclude(minutes=""):
        out.append(
            Text(
                "Minutes", m.title, m.minutes, reverse("governance:meeting_edit", args=[slug, m.pk])
            )
        )
    return out


def report(org: Organization) -> list[Text]:
    """The organisation's texts, hardest first, each with what to change."""
    settings = settings_for(org)
    found = texts(org)
    for t in found:
        t.result = check(org, t.text, settings)
    found.sort(key=lambda t: -t.result.difficulty)
    return found
