"""Phase 5, the guideposts: a steering committee that meets, decides and removes roadblocks,
RACI for major decisions, and the strategy reviewed on a steady rhythm."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cairn.core.dates import DateField
from cairn.core.models import Membership, OrgModel
from cairn.portfolio.models import Initiative


class Side(models.TextChoices):
    BUSINESS = "business", "Business"
    IT = "it", "IT"


class Rhythm(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    HALF_YEARLY = "half_yearly", "Twice a year"


RHYTHM_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6}


class Committee(OrgModel):
    """The steering committee of IT and business leaders (one per organisation)."""

    name = models.CharField(max_length=120, default="Steering committee")
    purpose = models.TextField(
        blank=True,
        max_length=2000,
        default="Review the roadmap, approve new initiatives and remove roadblocks.",
    )
    rhythm = models.CharField(
        "meets", max_length=12, choices=Rhythm.choices, default=Rhythm.QUARTERLY
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="one_committee_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class CommitteeMember(OrgModel):
    """A member of the committee: a person with access to Cairn, or someone named."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="person with access to Cairn",
        help_text="Or leave empty and give the name of someone outside Cairn.",
    )
    name = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=120, blank=True, help_text="e.g. COO, Head of Sales")
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.BUSINESS)
    is_chair = models.BooleanField("chairs the committee", default=False)

    class Meta:
        ordering = ["-is_chair", "side", "name"]
        verbose_name = "committee member"

    def __str__(self) -> str:
        return f"{self.name}, {self.role}" if self.role else self.name


class Meeting(OrgModel):
    """One meeting of the committee: its agenda, who came, the minutes and the actions."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(max_length=200)
    held_on = DateField("date")
    attendees = models.ManyToManyField(CommitteeMember, related_name="meetings", blank=True)
    minutes = models.TextField(blank=True, max_length=20000)

    class Meta:
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_past(self) -> bool:
        return self.held_on < timezone.localdate()

    @property
    def is_planned(self) -> bool:
        """Not held yet: a date after today (nothing of it is recorded as held)."""
        return self.held_on > timezone.localdate()


class AgendaKind(models.TextChoices):
    APPROVAL = "approval", "Initiative awaiting approval"
    ROADBLOCK = "roadblock", "Roadblock"
    ROADMAP = "roadmap", "Roadmap late or at risk"
    MILESTONE = "milestone", "Milestone slipped"
    KPI = "kpi", "KPI off track or stale"
    ACTION = "action", "Action past due"
    REVIEW = "review", "Review due"
    POLICY = "policy", "Policy review due"
    EXECUTION = "execution", "Initiative in trouble, unreported or over plan"
    OTHER = "other", "Other"


class AgendaItem(models.Model):
    """A point on a meeting's agenda; drafted ones link to where the facts are."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=AgendaKind.choices, default=AgendaKind.OTHER)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True, max_length=2000)
    source = models.CharField(max_length=60, blank=True)  # e.g. "initiative:12", for the facts
    url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Action(OrgModel):
    """Something the committee asked someone to do, by a date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField("what", max_length=300)
    owner = models.CharField("who", max_length=120)
    due = DateField("by")
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["done", "due", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_late(self) -> bool:
        return not self.done and self.due < timezone.localdate()


class Roadblock(OrgModel):
    """What blocks an initiative, open until someone records how it was removed."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="roadblocks")
    description = models.CharField("what blocks it", max_length=300)
    since = DateField(default=timezone.localdate)
    who_can_remove = models.CharField("who can remove it", max_length=120, blank=True)
    removed_on = DateField(null=True, blank=True)
    how_removed = models.CharField("how it was removed", max_length=300, blank=True)

    class Meta:
        ordering = ["removed_on", "since", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_open(self) -> bool:
        return self.removed_on is None


class Change(models.TextChoices):
    NONE = "", "No change to an initiative"
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    DEFER = "defer", "Defer"


class Decision(OrgModel):
    """A decision of the committee (or of someone with the right to take it), with why."""

    title = models.CharField(max_length=200)
    context = models.TextField(blank=True, max_length=5000)
    options = models.TextField("options considered", blank=True, max_length=5000)
    outcome = models.TextField(max_length=5000)
    decided_on = DateField("date", default=timezone.localdate)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    change = models.CharField(
        "what it does to the initiatives", max_length=8, choices=Change.choices, blank=True
    )
    initiatives = models.ManyToManyField(
        Initiative, related_name="decisions", blank=True, verbose_name="initiatives it affects"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class Raci(OrgModel):
    """Who is Responsible, Accountable, Consulted and Informed, activity by activity, for a
    decision or an initiative. ``people`` are the columns; each row of ``rows`` is
    ``{"activity": str, "cells": {person: letter}}``."""

    title = models.CharField(max_length=200)
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.CASCADE, related_name="racis"
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.CASCADE, related_name="racis"
    )
    people = models.JSONField(default=list)
    rows = models.JSONField(default=list)

    class Meta:
        ordering = ["title"]
        verbose_name = "RACI matrix"
        verbose_name_plural = "RACI matrices"

    def __str__(self) -> str:
        return self.title


class ReviewKind(models.TextChoices):
    ANNUAL = "annual", "Annual review"
    QUARTERLY = "quarterly", "Quarterly check-in"


class Review(OrgModel):
    """The strategy reviewed: once a year in full, every quarter a check-in. Completing one
    keeps a snapshot of the whole strategy at that moment, never changed afterwards."""

    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    title = models.CharField(max_length=200)
    due = DateField("due by")
    completed_on = DateField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    summary = models.TextField(blank=True, max_length=5000)
    snapshot = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None

    def deletion_refused(self) -> str:
        """A completed review is the record of the strategy at that time: it is kept."""
        if self.is_done:
            return "A completed review keeps the strategy as it stood then; it cannot be deleted."
        return ""

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.due < timezone.localdate()


class Direction(models.TextChoices):
    IT_TO_BUSINESS = "it_to_business", "IT sits in on a business meeting"
    BUSINESS_TO_IT = "business_to_it", "Business attends an IT demo or meeting"


class Visit(OrgModel):
    """Embedding the teams: someone joins a recurring meeting of the other side, and notes
    what they learned; a note can become a pain point or an initiative idea in one step."""

    person = models.CharField("who", max_length=120)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    meeting = models.CharField(
        "which meeting", max_length=200, help_text="e.g. the weekly sales pipeline review"
    )
    on = DateField("when")
    learned = models.TextField("what they learned", blank=True, max_length=5000)
    pain_point = models.ForeignKey(
        "goals.PainPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-on", "-pk"]
        verbose_name = "visit to the other side"

    def __str__(self) -> str:
        return f"{self.person} at {self.meeting}"

    @property
    def headline(self) -> str:
        """The note's first sentence, as a title for what it becomes."""
        first = self.learned.strip().split(". ")[0].split("\n")[0].rstrip(".")
        return (first or self.meeting)[:200]


class CalendarFeed(models.Model):
    """The private address of an organisation's calendar (meetings and reviews). Only its
    hash is kept; making a new one revokes the old."""

    organization = models.OneToOneField(
        "core.Organization", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar of {self.organization}"
