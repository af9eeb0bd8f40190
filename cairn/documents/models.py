"""A strategy document: the strategy's content as it stood on a day, kept unchanged, so the
same document can be produced again at any time."""

from __future__ import annotations

from django.db import models

from cairn.core.models import OrgModel


class DocState(models.TextChoices):
    READY = "ready", "Ready"
    QUEUED = "queued", "Waiting to make the PDF"
    RUNNING = "running", "Making the PDF"
    FAILED = "failed", "The PDF failed"


class StrategyDocument(OrgModel):
    title = models.CharField(max_length=200)
    data = models.JSONField(editable=False)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    state = models.CharField(max_length=8, choices=DocState.choices, default=DocState.READY)
    progress = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = "strategy document"

    def __str__(self) -> str:
        return self.title
