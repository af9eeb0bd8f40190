"""The organisation's glossary and its own list of words to avoid (or to allow)."""

from __future__ import annotations

from django.db import models

from cairn.core.models import OrgModel, unique_name


class GlossaryTerm(OrgModel):
    """An acronym or term the organisation uses, with its plain meaning; the checker no
    longer flags it."""

    term = models.CharField(max_length=60)
    meaning = models.CharField("plain meaning", max_length=300)

    class Meta:
        ordering = ["term"]
        verbose_name = "glossary term"
        constraints = [unique_name("glossary term", "term")]

    def __str__(self) -> str:
        return self.term


class JargonRule(OrgModel):
    """A phrase the organisation adds to the built-in jargon list (with what to say instead),
    or a built-in one it allows (silenced)."""

    phrase = models.CharField(max_length=80)
    alternative = models.CharField("say instead", max_length=200, blank=True)
    silenced = models.BooleanField(
        "allow it", default=False, help_text="Stop flagging this phrase in this organisation."
    )

    class Meta:
        ordering = ["phrase"]
        verbose_name = "jargon rule"
        constraints = [unique_name("jargon rule", "phrase")]

    def __str__(self) -> str:
        return self.phrase
