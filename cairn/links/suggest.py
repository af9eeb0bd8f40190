"""Suggested links: which goals an initiative, KPI, pain point or AI use case serves (and for
an initiative the pain points and SWOT items it answers, for an application its capabilities),
ranked by how much of the organisation's own words they share.

The model is TF-IDF over the organisation's text, built afresh for each request from at most
``MAX_ROWS`` rows of each kind: a goal is its title and description, its IT missions, and the
titles of what is already linked to it (KPIs, pain points, SWOT items, initiatives, AI use
cases), so that the organisation's past choices teach the next ones. Glossary terms are
expanded (“CRM” also reads as its plain meaning) on both sides. Sentence embeddings are
blended in when the optional package is installed (``embeddings.py``), never otherwise.

Queries: a fixed number per call, whatever the size of the data (see ``suggest``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import models
from django.db.models import CharField, F, TextField, Value
from django.db.models.functions import Concat
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from cairn.aigov.models import AiUseCase
from cairn.assessment.models import Application, Capability, Process, SwotItem
from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal, ITMission, PainPoint
from cairn.kpis.models import Kpi
from cairn.language.models import GlossaryTerm
from cairn.links import embeddings  # optional: blends in only when its package is installed
from cairn.portfolio.models import Initiative

MAX_ROWS = 3000  # of each kind: the matrix stays small whatever the organisation's size
SHOWN = 3  # suggestions of each kind on a page
WORDS_SHOWN = 4  # matched words shown with each suggestion
STRONG, GOOD = 0.2, 0.1  # scores called a strong and a good match (see ``strength``)
MIN_SCORE = 0.04  # below it the shared words are too few and too common to mean anything
# Words common to every organisation's strategy that say nothing about which goal is meant.
DOMAIN_STOP = {"business", "new", "one", "every", "make", "use", "using", "get", "per", "via"}
STOP = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP
TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class TargetKind:
    """A kind of row that can be suggested, the field that links a source to it, and how it
    is named in the page and the API."""

    key: str
    model: type[models.Model]
    label: str
    plural: str


TARGETS = {
    "goal": TargetKind("goal", BusinessGoal, "goal", "goals"),
    "painpoint": TargetKind("painpoint", PainPoint, "pain point", "pain points"),
    "swot": TargetKind("swot", SwotItem, "SWOT item", "SWOT items"),
    "capability": TargetKind("capability", Capability, "capability", "capabilities"),
}


@dataclass(frozen=True)
class SourceKind:
    """A kind of row that gets suggestions: its model and, per target kind, its link field."""

    key: str
    model: type[models.Model]
    label: str
    links: dict[str, str]  # target kind -> many-to-many field on the source


SOURCES = {
    "initiative": SourceKind(
        "initiative",
        Initiative,
        "initiative",
        {"goal": "goals", "painpoint": "pain_points", "swot": "swot_items"},
    ),
    "kpi": SourceKind("kpi", Kpi, "KPI", {"goal": "goals"}),
    "painpoint": SourceKind("painpoint", PainPoint, "pain point", {"goal": "goals"}),
    "usecase": SourceKind("usecase", AiUseCase, "AI use case", {"goal": "goals"}),
    "application": SourceKind(
        "application", Application, "application", {"capability": "capabilities"}
    ),
}


@dataclass
class Suggestion:
    """One row worth linking: its kind, the row, the score (0–1) and the words both share."""

    kind: str
    target: models.Model
    score: float
    words: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """How a form or the API names the row: ``goal:12``."""
        return f"{self.kind}:{self.target.pk}"

    @property
    def kind_label(self) -> str:
        return TARGETS[self.kind].label

    @property
    def percent(self) -> int:
        return round(100 * self.score)

    @property
    def strength(self) -> str:
        """The score in words: TF-IDF scores of short texts are low even when right."""
        if self.score >= STRONG:
            return "strong match"
        return "good match" if self.score >= GOOD else "weak match"

    @property
    def strength_colour(self) -> str:
        return "green" if self.score >= STRONG else "blue" if self.score >= GOOD else "secondary"


@dataclass
class Docs:
    """The rows that can be suggested with their text, and the separate texts they were made
    of (each a document of its own for the inverse document frequency, so that a word used
    everywhere weighs little even when there are only four goals)."""

    rows: list[tuple[models.Model, str]]
    background: list[str] = field(default_factory=list)


# --- words


def stem(word: str) -> str:
    """A light English stem, enough to meet plurals: “invoices” and “invoice” are one word."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class Analyzer:
    """Turns text into stems (stop words and bare numbers left out), remembering the word
    each stem was first seen as, to show the person the words that matched."""

    def __init__(self) -> None:
        self.shown: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        stems = []
        for word in TOKEN.findall(text.lower()):
            if word in STOP or word.isdigit() or len(word) < 2:
                continue
            s = stem(word)
            self.shown.setdefault(s, word)
            stems.append(s)
        return stems


def glossary(org: Organization) -> list[tuple[re.Pattern, str]]:
    """The organisation's glossary as (pattern of the term, plain meaning) (one query)."""
    terms = GlossaryTerm.objects.filter(organization=org).values_list("term", "meaning")
    return [
        (re.compile(rf"(?<![\w]){re.escape(term)}(?![\w])", re.IGNORECASE), meaning)
        for term, meaning in terms[:MAX_ROWS]
        if term.strip()
    ]


def expand(text: str, terms: Sequence[tuple[re.Pattern, str]]) -> str:
    """The text with each glossary term it uses followed by its meaning."""
    extra = [meaning for pattern, meaning in terms if pattern.search(text)]
    return " ".join([text, *extra]) if extra else text


# --- the organisation's text


def _join(*parts: object) -> str:
    return " ".join(str(p) for p in parts if p)


def _union(querysets: list[models.QuerySet]) -> list[tuple]:
    """Rows ``(target id, text, source kind, source id)`` of several link tables, in one query."""
    first, *rest = querysets
    # SQLite takes no LIMIT inside a compound statement: the bound is on the whole.
    rows = first.union(*rest, all=True) if rest else first
    return list(rows[: MAX_ROWS * len(querysets)])


def _linked(through, target_field: str, source_kind: str, source_field: str, text, org_filter):
    return (
        through.objects.filter(**org_filter)
        .annotate(
            t=F(f"{target_field}_id"),
            x=text,
            k=Value(source_kind, output_field=CharField()),
            s=F(f"{source_field}_id"),
        )
        .values_list("t", "x", "k", "s")
        .order_by()
    )


def goal_texts(org: Organization, goals: Iterable[BusinessGoal], skip: tuple[str, int] | None):
    """Each goal's text: its title (twice: it says most), description, IT missions and the
    titles of what already links to it, leaving out ``skip`` (the row being suggested for,
    whose own links must not vote for themselves). One query besides the goals."""
    of_org = {"businessgoal__organization": org}
    rows = _union(
        [
            _linked(
                ITMission.goals.through,
                "businessgoal",
                "mission",
                "itmission",
                F("itmission__statement"),
                of_org,
            ),
            _linked(
                Kpi.goals.through,
                "businessgoal",
                "kpi",
                "kpi",
                Concat("kpi__name", Value(" "), "kpi__description", output_field=TextField()),
                of_org,
            ),
            _linked(
                PainPoint.goals.through,
                "businessgoal",
                "painpoint",
                "painpoint",
                F("painpoint__title"),
                of_org,
            ),
            _linked(
                SwotItem.goals.through,
                "businessgoal",
                "swot",
                "swotitem",
                F("swotitem__statement"),
                of_org,
            ),
            _linked(
                Initiative.goals.through,
                "businessgoal",
                "initiative",
                "initiative",
                F("initiative__title"),
                of_org,
            ),
            _linked(
                Capability.goals.through,
                "businessgoal",
                "capability",
                "capability",
                Concat(
                    "capability__name",
                    Value(" "),
                    "capability__description",
                    output_field=TextField(),
                ),
                of_org,
            ),
            _linked(
                AiUseCase.goals.through,
                "businessgoal",
                "usecase",
                "aiusecase",
                F("aiusecase__title"),
                of_org,
            ),
        ]
    )
    extra: dict[int, list[str]] = {}
    for goal_id, text, kind, source_id in rows:
        if skip is not None and (kind, source_id) == skip:
            continue
        extra.setdefault(goal_id, []).append(text or "")
    docs = [(g, _join(g.title, g.title, g.description, *extra.get(g.pk, []))) for g in goals]
    return Docs(docs, [t for texts in extra.values() for t in texts])


def target_docs(org: Organization, kind: str, skip: tuple[str, int] | None):
    """The rows of one target kind with their text (two queries for goals and capabilities,
    one otherwise)."""
    if kind == "goal":
        goals = list(
            BusinessGoal.objects.filter(organization=org).only("id", "title", "description")[
                :MAX_ROWS
            ]
        )
        return goal_texts(org, goals, skip)
    if kind == "painpoint":
        rows = PainPoint.objects.filter(organization=org).only("id", "title", "description")
        return Docs([(p, _join(p.title, p.title, p.description)) for p in rows[:MAX_ROWS]])
    if kind == "swot":
        rows = SwotItem.objects.filter(organization=org).only(
            "id", "kind", "statement", "it_question", "it_answer"
        )
        return Docs([(s, _join(s.statement, s.it_question, s.it_answer)) for s in rows[:MAX_ROWS]])
    # capabilities: name, description, their parent's name, the processes and other
    # applications that use them
    caps = list(
        Capability.objects.filter(organization=org)
        .select_related("parent")
        .only("id", "name", "description", "parent__name")[:MAX_ROWS]
    )
    of_org = {"capability__organization": org}
    rows = _union(
        [
            _linked(
                Process.capabilities.through,
                "capability",
                "process",
                "process",
                F("process__name"),
                of_org,
            ),
            _linked(
                Application.capabilities.through,
                "capability",
                "application",
                "application",
                F("application__name"),
                of_org,
            ),
        ]
    )
    extra: dict[int, list[str]] = {}
    for cap_id, text, source_kind, source_id in rows:
        if skip is None or (source_kind, source_id) != skip:
            extra.setdefault(cap_id, []).append(text or "")
    rows = [
        (
            c,
            _join(
                c.name,
                c.name,
                c.description,
                c.parent.name if c.parent_id else "",
                *extra.get(c.pk, []),
            ),
        )
        for c in caps
    ]
    return Docs(rows, [t for texts in extra.values() for t in texts])


def source_text(kind: str, item: models.Model, hide: tuple[str, int] | None = None) -> str:
    """The text of the row being suggested for (what it reads is prefetched by ``queryset``),
    leaving out the linked row ``hide`` (the measurement hides one link at a time)."""
    if kind == "initiative":
        return _join(
            item.title,
            item.title,
            item.description,
            *(p.title for p in item.pain_points.all() if ("painpoint", p.pk) != hide),
            *(s.statement for s in item.swot_items.all() if ("swot", s.pk) != hide),
            *(a.name for a in item.applications.all()),
        )
    if kind == "kpi":
        return _join(item.name, item.name, item.description, item.replaces)
    if kind == "painpoint":
        return _join(item.title, item.title, item.description)
    if kind == "usecase":
        return _join(
            item.title,
            item.title,
            item.description,
            item.initiative.title if item.initiative_id else "",
        )
    return _join(item.name, item.name, item.vendor, *(p.name for p in item.processes.all()))


def queryset(kind: str) -> models.QuerySet:
    """The source rows with what ``source_text`` and the exclusion of linked rows read."""
    source = SOURCES[kind]
    qs = source.model.objects.all()
    prefetch = list(source.links.values())
    if kind == "initiative":
        prefetch.append("applications")
    elif kind == "usecase":
        qs = qs.select_related("initiative")
    elif kind == "application":
        prefetch.append("processes")
    return qs.prefetch_related(*prefetch)


# --- ranking


def rank(
    query: str,
    docs: Docs,
    kind: str,
    *,
    terms: Sequence[tuple[re.Pattern, str]] = (),
    exclude: set[int] = frozenset(),
    limit: int = SHOWN,
) -> list[Suggestion]:
    """The ``limit`` rows of ``docs`` nearest to ``query``, best first, each with the words
    that weigh most in both; rows in ``exclude`` (ids already linked) left out."""
    candidates = [(obj, text) for obj, text in docs.rows if obj.pk not in exclude]
    if not candidates or not query.strip():
        return []
    analyzer = Analyzer()
    texts = [expand(query, terms)] + [expand(text, terms) for _, text in candidates]
    vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)
    try:
        vectorizer.fit(texts + [expand(t, terms) for t in docs.background])
    except ValueError:  # no word left at all (only stop words and numbers)
        return []
    matrix = vectorizer.transform(texts)
    q = matrix[0]
    rows = matrix[1:]
    scores = np.asarray((rows @ q.T).todense()).ravel()
    semantic = embeddings.similarities(texts[0], texts[1:])
    if semantic is not None:
        scores = 0.5 * scores + 0.5 * np.clip(semantic, 0, 1)
    names = vectorizer.get_feature_names_out()
    order = np.argsort(-scores, kind="stable")
    found = []
    for i in order[:limit]:
        if scores[i] < MIN_SCORE:
            break
        shared = q.multiply(rows[i]).tocoo()
        best = sorted(zip(shared.data, shared.col, strict=True), key=lambda p: -p[0])
        words = [analyzer.shown.get(names[c], names[c]) for _, c in best[:WORDS_SHOWN]]
        found.append(Suggestion(kind, candidates[i][0], float(scores[i]), words))
    return found


def suggest(
    org: Organization, item: models.Model, kind: str, *, limit: int = SHOWN
) -> dict[str, list[Suggestion]]:
    """Suggestions for one row (loaded with ``queryset(kind)``), by target kind.

    Queries: the glossary; per target kind its rows (goals: two, capabilities: two, pain
    points and SWOT items: one). An initiative: 1 + 2 + 1 + 1 = 5; a KPI, pain point or AI
    use case: 3; an application: 3.
    """
    source = SOURCES[kind]
    terms = glossary(org)
    query = source_text(kind, item)
    found = {}
    for target, field_name in source.links.items():
        linked = {o.pk for o in getattr(item, field_name).all()}
        docs = target_docs(org, target, skip=(kind, item.pk))
        found[target] = rank(query, docs, target, terms=terms, exclude=linked, limit=limit)
    return found


def top_goals(org: Organization, initiatives: Sequence[Initiative], goals: Sequence[BusinessGoal]):
    """The best goal for each of some initiatives that serve none (the dashboard's list), in
    three queries: the glossary, what links to the goals, the initiatives' own links."""
    if not initiatives:
        return {}
    terms = glossary(org)
    docs = goal_texts(org, goals, skip=None)
    ids = [i.pk for i in initiatives]
    links = _union(
        [
            _linked(
                Initiative.pain_points.through,
                "initiative",
                "painpoint",
                "painpoint",
                F("painpoint__title"),
                {"initiative_id__in": ids},
            ),
            _linked(
                Initiative.swot_items.through,
                "initiative",
                "swot",
                "swotitem",
                F("swotitem__statement"),
                {"initiative_id__in": ids},
            ),
            _linked(
                Initiative.applications.through,
                "initiative",
                "application",
                "application",
                F("application__name"),
                {"initiative_id__in": ids},
            ),
        ]
    )
    extra: dict[int, list[str]] = {}
    for initiative_id, text, _kind, _source in links:
        extra.setdefault(initiative_id, []).append(text or "")
    found = {}
    for i in initiatives:
        query = _join(i.title, i.title, i.description, *extra.get(i.pk, []))
        # An initiative that serves no goal has no link to skip: none vote for themselves.
        best = rank(query, docs, "goal", terms=terms, limit=1)
        if best:
            found[i.pk] = best[0]
    return found


def unlinked(
    org: Organization, kind: str, *, limit: int
) -> list[tuple[models.Model, Suggestion | None]]:
    """The ``limit`` rows of a kind most recently written that link to nothing of their first
    target kind (a pain point to no goal, an application to no capability), each with its
    best suggestion. Queries: the rows and their prefetches, the glossary, the targets."""
    source = SOURCES[kind]
    target, field_name = next(iter(source.links.items()))
    rows = list(
        queryset(kind)
        .filter(organization=org, **{f"{field_name}__isnull": True})
        .order_by("-updated", "-id")[:limit]
    )
    if not rows:
        return []
    terms = glossary(org)
    docs = target_docs(org, target, skip=None)  # rows linked to nothing cast no vote
    found = []
    for item in rows:
        best = rank(source_text(kind, item), docs, target, terms=terms, limit=1)
        found.append((item, best[0] if best else None))
    return found
