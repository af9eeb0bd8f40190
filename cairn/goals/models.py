"""Phase 1, the destination: where the business is going and what its leaders said."""

from __future__ import annotations

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from cairn.core.dates import DateField
from cairn.core.models import OrgModel


class Priority(models.IntegerChoices):
    HIGH = 1, "High"
    MEDIUM = 2, "Medium"
    LOW = 3, "Low"


PRIORITY_COLOURS = {Priority.HIGH: "red", Priority.MEDIUM: "orange", Priority.LOW: "secondary"}


class BusinessGoal(OrgModel):
    """A 3–5 year goal of the business, e.g. "Cut operating costs by 20%"; IT serves these."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    target_date = DateField(help_text="When the goal should be reached; 3–5 years is typical.")
    owner_name = models.CharField(
        "owner", max_length=120, blank=True, help_text="The executive who owns it."
    )
    owner_role = models.CharField("owner's role", max_length=120, blank=True, help_text="e.g. COO")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)

    class Meta:
        ordering = ["priority", "target_date", "title"]
        verbose_name = "business goal"

    def __str__(self) -> str:
        return self.title

    @property
    def priority_colour(self) -> str:
        return PRIORITY_COLOURS[Priority(self.priority)]

    def target_date_warning(self, today: date | None = None) -> str | None:
        """A gentle warning when the target date is not 1 to 10 years away (never a refusal)."""
        if self.target_date is None:
            return None
        today = today or timezone.localdate()
        years = (self.target_date - today).days / 365.25
        if years < 0:
            return "The target date has passed: set a new one or mark the goal as reached."
        if years < 1:
            return "Less than a year away: this reads like a project deadline, not a 3–5 year goal."
        if years > 10:
            return "More than 10 years away: few plans hold that long; 3–5 years is typical."
        return None


class ITMission(OrgModel):
    """How IT serves one or more goals, in one statement the business recognises."""

    statement = models.TextField(max_length=1000)
    goals = models.ManyToManyField(BusinessGoal, related_name="missions")

    class Meta:
        ordering = ["created", "id"]
        verbose_name = "IT mission"

    def __str__(self) -> str:
        return self.statement if len(self.statement) <= 80 else self.statement[:79] + "…"


class Interview(OrgModel):
    """A conversation with an executive, with their answers to the method's three questions."""

    stakeholder_name = models.CharField("name", max_length=120)
    stakeholder_role = models.CharField(
        "role", max_length=120, help_text="e.g. CFO, CMO, COO, Head of Sales"
    )
    held_on = DateField("date")
    keeps_up_at_night = models.TextField("What keeps you up at night?", blank=True, max_length=5000)
    biggest_obstacle = models.TextField(
        "What is the biggest obstacle to hitting your number?", blank=True, max_length=5000
    )
    magic_wand = models.TextField(
        "With a magic wand, which process would you fix tomorrow?", blank=True, max_length=5000
    )
    notes = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["-held_on", "stakeholder_name"]

    def __str__(self) -> str:
        return f"{self.stakeholder_name} ({self.stakeholder_role}), {self.held_on:%d %b %Y}"

    QUESTIONS = ("keeps_up_at_night", "biggest_obstacle", "magic_wand")

    @property
    def answers(self) -> list[tuple[str, str]]:
        """The three questions with this interview's answers, in the method's order."""
        return [
            (str(self._meta.get_field(name).verbose_name), getattr(self, name))
            for name in self.QUESTIONS
        ]


class PainPoint(OrgModel):
    """A problem an executive named, linked to the goals it puts at risk."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    severity = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="How much it hurts: 1 is a nuisance, 5 costs us customers or money every day.",
    )
    interview = models.ForeignKey(
        Interview,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pain_points",
        help_text="The interview it came from, if any.",
    )
    goals = models.ManyToManyField(
        BusinessGoal, related_name="pain_points", blank=True, help_text="The goals it threatens."
    )

    class Meta:
        ordering = ["-severity", "title"]
        verbose_name = "pain point"

    def __str__(self) -> str:
        return self.title
