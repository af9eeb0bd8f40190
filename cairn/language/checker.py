"""The plain-language checker ("ban jargon"): buzzwords with a plain alternative, acronyms
nobody defined, and how hard a text is to read.

One pure module, no Django: ``check(text, ...)`` answers in well under a millisecond for a
paragraph, fast enough to run whenever someone pauses typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# Buzzwords and jargon, each with what to say instead.
JARGON: dict[str, str] = {
    "leverage": "use",
    "leveraging": "using",
    "synergy": "working together (say what it brings)",
    "synergies": "savings or gains from working together (say which)",
    "paradigm shift": "big change (say what changes)",
    "best-of-breed": "the best for the job",
    "best of breed": "the best for the job",
    "best-in-class": "among the best (say compared to what)",
    "world-class": "excellent (or leave it out)",
    "cutting-edge": "new",
    "state-of-the-art": "modern",
    "next-generation": "new",
    "digital transformation": "changing how we work with technology (say what changes)",
    "holistic": "complete",
    "robust": "reliable",
    "seamless": "smooth",
    "seamlessly": "smoothly",
    "scalable": "able to grow",
    "actionable": "useful",
    "actionable insights": "facts we can act on",
    "empower": "let",
    "enable": "let",
    "enabler": "what makes it possible",
    "utilize": "use",
    "utilise": "use",
    "utilization": "use",
    "facilitate": "help",
    "optimize": "improve",
    "optimise": "improve",
    "operationalize": "put into practice",
    "operationalise": "put into practice",
    "ideate": "think of ideas",
    "deep dive": "close look",
    "low-hanging fruit": "quick wins",
    "move the needle": "make a difference",
    "circle back": "come back to",
    "touch base": "talk",
    "bandwidth": "time (when you mean people)",
    "going forward": "from now on",
    "value-add": "benefit",
    "value proposition": "what we offer and why it matters",
    "mission-critical": "essential",
    "single pane of glass": "one screen",
    "end-to-end": "complete",
    "future-proof": "lasting",
    "game-changer": "big improvement",
    "disruptive": "new (say how)",
    "innovative": "new (say how)",
    "stakeholder alignment": "agreement",
    "thought leadership": "expertise",
    "core competency": "what we do best",
    "key learnings": "lessons",
    "learnings": "lessons",
    "north star": "main goal",
    "boil the ocean": "try to do everything",
    "drill down": "look closer",
    "ecosystem": "partners and tools (name them)",
    "frictionless": "easy",
    "omnichannel": "in every channel (shop, web, phone)",
    "cloud-native": "built for the cloud",
    "agile transformation": "new way of working (say what changes)",
    "in order to": "to",
    "at this point in time": "now",
    "due to the fact that": "because",
}

# Acronyms every reader knows: never asked to be defined.
KNOWN_ACRONYMS = {
    "IT", "CEO", "CFO", "COO", "CIO", "CMO", "CTO", "HR", "AI", "UK", "US", "USA", "EU",
    "PDF", "OK", "TV", "PC", "ID", "FAQ", "VAT", "GDP", "KPI", "KPIS", "FY", "Q1", "Q2", "Q3",
    "Q4", "AM", "PM", "NATO", "UN",
}  # fmt: skip

LONG_SENTENCE = 25  # words
TARGET_EASE = 50  # Flesch reading ease an executive audience reads without effort
ACRONYM = re.compile(r"\b([A-Z][A-Z0-9&]*[A-Z0-9](?:-[A-Z0-9]+)?)s?\b")
SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")

RULE = (
    f"Plain language: no buzzwords (each has a plain alternative), every acronym defined in "
    f"the glossary, sentences of {LONG_SENTENCE} words or fewer, and a reading ease of "
    f"{TARGET_EASE} or more (0 is very hard, 100 very easy)."
)


@dataclass(frozen=True)
class Finding:
    kind: str  # jargon | acronym | long_sentence | readability
    text: str
    start: int
    message: str
    suggestion: str = ""


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    words: int = 0
    sentences: int = 0
    reading_ease: float | None = None

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def difficulty(self) -> float:
        """For ranking texts hardest first: findings, then how hard it reads."""
        ease = self.reading_ease if self.reading_ease is not None else 100.0
        return len(self.findings) * 10 + max(0.0, TARGET_EASE - ease)

    @property
    def ok(self) -> bool:
        return not self.findings


@lru_cache(maxsize=64)
def _jargon_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)  # "actionable insights" before "actionable"
    body = "|".join(re.escape(p).replace(r"\ ", r"[\s-]+") for p in ordered)
    return re.compile(rf"(?<![\w-])({body})(?![\w-])", re.IGNORECASE)


def jargon_list(extra: dict[str, str] | None = None, silenced: set[str] | None = None):
    """The built-in list, extended with the organisation's phrases, minus those it silenced."""
    words = {**JARGON, **{k.lower(): v for k, v in (extra or {}).items()}}
    for phrase in silenced or ():
        words.pop(phrase.lower(), None)
    return words


def reading_ease(text: str) -> float | None:
    """Flesch reading ease (textstat), or None for a text too short to judge."""
    import textstat

    if len(WORD.findall(text)) < 12:
        return None
    return round(float(textstat.flesch_reading_ease(text)), 1)


def check(
    text: str,
    *,
    glossary: set[str] | frozenset[str] = frozenset(),
    extra: dict[str, str] | None = None,
    silenced: set[str] | None = None,
) -> Result:
    """Every finding in ``text``: buzzwords, undefined acronyms, long sentences, and a
    reading ease below the target."""
    text = text or ""
    result = Result()
    words = jargon_list(extra, silenced)
    pattern = _jargon_pattern(tuple(sorted(words)))
    if pattern:
        for match in pattern.finditer(text):
            key = re.sub(r"[\s-]+", " ", match.group(1).lower())
            key = next((k for k in words if re.sub(r"[\s-]+", " ", k) == key), key)
            result.findings.append(
                Finding(
                    "jargon",
                    match.group(1),
                    match.start(1),
                    f"“{match.group(1)}” is jargon",
                    words.get(key, ""),
                )
            )
    defined = {g.upper() for g in glossary} | KNOWN_ACRONYMS
    seen: set[str] = set()
    for match in ACRONYM.finditer(text):
        term = match.group(1)
        if len(term) < 2 or term.upper() in defined or term in seen:
            continue
        if not any(c.isalpha() for c in term) or term.isdigit():
            continue
        seen.add(term)
        result.findings.append(
            Finding(
                "acronym",
                term,
                match.start(1),
                f"{term} is not in the glossary",
                "Define it in the glossary, or write it out.",
            )
        )
    sentences = [s.strip() for s in SENTENCE.findall(text) if WORD.search(s)]
    result.sentences = len(sentences)
    result.words = len(WORD.findall(text))
    position = 0
    for sentence in sentences:
        count = len(WORD.findall(sentence))
        start = text.find(sentence, position)
        position = max(position, start)
        if count > LONG_SENTENCE:
            first = " ".join(sentence.split()[:6])
            result.findings.append(
                Finding(
                    "long_sentence",
                    first + "…",
                    max(start, 0),
                    f"A sentence of {count} words",
                    f"Split it: aim for under {LONG_SENTENCE} words.",
                )
            )
    result.reading_ease = reading_ease(text)
    if result.reading_ease is not None and result.reading_ease < TARGET_EASE:
        result.findings.append(
            Finding(
                "readability",
                "",
                0,
                f"Hard to read (reading ease {result.reading_ease:.0f}, aim for {TARGET_EASE}+)",
                "Shorter sentences and shorter words.",
            )
        )
    result.findings.sort(key=lambda f: (f.kind == "readability", f.start, f.kind))
    return result
