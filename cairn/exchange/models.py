"""What data in and out keeps: how an organisation maps another tool's export to Cairn's
initiatives, and a foreign file between its upload and that mapping."""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from cairn.core.models import OrgModel

FOREIGN_MAX_BYTES = 20 * 2**20  # read inside one request, twice: the survey, the conversion
FOREIGN_KEEP = timedelta(hours=24)  # an upload not mapped within a day is deleted


class Source(models.TextChoices):
    JIRA = "jira", "Jira"
    AZURE_DEVOPS = "azure_devops", "Azure DevOps"
    PLANNING = "planning", "Microsoft Project or another planning tool"


class SourceMapping(OrgModel):
    """The mapping an organisation last used for one tool's exports: which column fills
    each initiative column, what each of the tool's statuses means (``mapping.Mapping``)."""

    source = models.CharField(max_length=20, choices=Source.choices)
    mapping = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source"], name="source_mapping_unique_source"
            )
        ]

    def __str__(self) -> str:
        return f"Mapping of {self.get_source_display()} exports"


class ForeignFileQuerySet(models.QuerySet):
    def stale(self):
        """Uploads older than ``FOREIGN_KEEP``, to delete."""
        return self.filter(created__lt=timezone.now() - FOREIGN_KEEP)


class ForeignFile(OrgModel):
    """A file exported from another tool, kept from its upload until it is mapped and
    handed to the import (then deleted), discarded, or a day old. ``survey`` holds its
    columns and a few values of each, so that the mapping page does not read it again."""

    source = models.CharField(max_length=20, choices=Source.choices)
    filename = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    survey = models.JSONField(default=dict)
    data = models.BinaryField()

    objects = ForeignFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} from {self.get_source_display()}"
