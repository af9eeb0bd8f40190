"""Phase 2, the terrain: the SWOT through a business lens, and the people, processes and
technology mapped against the goals."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, NullIf

from cairn.core.models import OrgModel, OrgQuerySet, unique_name
from cairn.goals.models import BusinessGoal

SCORE = [MinValueValidator(1), MaxValueValidator(5)]
MAX_DEPTH = 3  # capability trees are two or three levels deep


class SwotKind(models.TextChoices):
    STRENGTH = "strength", "Strength"
    WEAKNESS = "weakness", "Weakness"
    OPPORTUNITY = "opportunity", "Opportunity"
    THREAT = "threat", "Threat"


SWOT_COLOURS = {"strength": "green", "weakness": "orange", "opportunity": "blue", "threat": "red"}


class SwotItem(OrgModel):
    """A strength, weakness, opportunity or threat, and the question it raises for IT."""

    kind = models.CharField(max_length=12, choices=SwotKind.choices)
    statement = models.TextField(
        max_length=1000,
        help_text="In business terms, e.g. “Our sales cycle is long because quoting is manual.”",
    )
    it_question = models.TextField(
        "IT question",
        max_length=1000,
        blank=True,
        help_text="The question it raises for IT, e.g. “How can we automate quoting?”",
    )
    it_answer = models.TextField(
        "IT answer",
        max_length=2000,
        blank=True,
        help_text="How IT will answer the question. Leave empty until someone has answered it.",
    )
    goals = models.ManyToManyField(BusinessGoal, related_name="swot_items", blank=True)
    rank = models.PositiveIntegerField(default=0, help_text="Order of importance; 1 first.")

    class Meta:
        ordering = ["kind", "rank", "id"]
        verbose_name = "SWOT item"

    def __str__(self) -> str:
        return self.statement if len(self.statement) <= 80 else self.statement[:79] + "…"

    def save(self, *args, **kwargs):
        if not self.rank:  # a new item goes to the bottom of its quadrant
            last = SwotItem.objects.filter(
                organization_id=self.organization_id, kind=self.kind
            ).aggregate(models.Max("rank"))["rank__max"]
            self.rank = (last or 0) + 1
        super().save(*args, **kwargs)

    @property
    def colour(self) -> str:
        return SWOT_COLOURS[self.kind]

    @property
    def needs_answer(self) -> bool:
        """A weakness or threat whose IT question nobody has answered yet."""
        return (
            self.kind in (SwotKind.WEAKNESS, SwotKind.THREAT)
            and bool(self.it_question)
            and not self.it_answer
        )


class Capability(OrgModel):
    """Something the business does, such as “Quote to cash”, in a tree up to three levels deep."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        # RESTRICT, not PROTECT: a parent with children cannot be deleted alone, but an
        # organisation being deleted takes its whole tree with it.
        on_delete=models.RESTRICT,
        related_name="children",
        help_text="The broader capability this one is part of, if any.",
    )
    goals = models.ManyToManyField(
        BusinessGoal, related_name="capabilities", blank=True, verbose_name="goals it serves"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "capabilities"
        constraints = [unique_name("capability")]

    def __str__(self) -> str:
        return self.name

    def depth(self) -> int:
        """1 for a top-level capability, 2 for its child, and so on (walks up the parents)."""
        depth, node, seen = 1, self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            depth, node = depth + 1, node.parent
        return depth


class Team(OrgModel):
    """A group of people; its headcount is what later issues plan the roadmap against."""

    name = models.CharField(max_length=120)
    headcount = models.DecimalField(
        "headcount (FTE)",
        max_digits=7,
        decimal_places=1,
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
        help_text="Full-time equivalents: two half-time people count as 1.0.",
    )
    skills = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    lead = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [unique_name("team")]

    def __str__(self) -> str:
        return self.name

    @property
    def skill_list(self) -> list[str]:
        return [s.strip() for s in self.skills.split(",") if s.strip()]


class Automation(models.TextChoices):
    MANUAL = "manual", "Manual"
    PARTLY = "partly", "Partly automated"
    AUTOMATED = "automated", "Automated"


class Process(OrgModel):
    """A way work gets done, how automated it is, and how much it hurts."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="processes",
        verbose_name="owning team",
    )
    capabilities = models.ManyToManyField(Capability, related_name="processes", blank=True)
    automation = models.CharField(
        max_length=10, choices=Automation.choices, default=Automation.MANUAL
    )
    pain = models.PositiveSmallIntegerField(
        default=3, validators=SCORE, help_text="How much it hurts: 1 barely, 5 a lot."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "processes"
        constraints = [unique_name("process")]

    def __str__(self) -> str:
        return self.name


class Lifecycle(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    PHASING_OUT = "phasing_out", "Phasing out"
    RETIRED = "retired", "Retired"


class Disposition(models.TextChoices):
    """Gartner's TIME model: what to do with an application."""

    TOLERATE = "tolerate", "Tolerate"
    INVEST = "invest", "Invest"
    MIGRATE = "migrate", "Migrate"
    ELIMINATE = "eliminate", "Eliminate"


DISPOSITION_COLOURS = {
    "tolerate": "yellow",
    "invest": "green",
    "migrate": "orange",
    "eliminate": "red",
}
DISPOSITION_MEANING = {
    "tolerate": "works well enough technically but adds little: keep it, spend nothing more",
    "invest": "healthy and valuable: keep improving it",
    "migrate": "valuable but technically weak: move what it does to a sound platform",
    "eliminate": "weak and of little value: plan to switch it off",
}
GOOD = 3  # a health or fit score of 3 or more counts as good

DISPOSITION_RULE = (
    "Cairn suggests Invest when business fit and technical health are both 3 or more, Migrate "
    "when fit is good but health is below 3, Tolerate when health is good but fit is below 3, "
    "and Eliminate when both are below 3."
)


def suggest_disposition(health: int, fit: int) -> Disposition:
    """The TIME quadrant for a technical health and a business fit (each 1–5)."""
    if fit >= GOOD:
        return Disposition.INVEST if health >= GOOD else Disposition.MIGRATE
    return Disposition.TOLERATE if health >= GOOD else Disposition.ELIMINATE


class ApplicationQuerySet(OrgQuerySet):
    def with_disposition(self) -> ApplicationQuerySet:
        """Annotate ``effective_disposition``: the override, else the suggestion (in SQL)."""
        suggested = Case(
            When(Q(fit__gte=GOOD, health__gte=GOOD), then=Value(Disposition.INVEST.value)),
            When(Q(fit__gte=GOOD), then=Value(Disposition.MIGRATE.value)),
            When(Q(health__gte=GOOD), then=Value(Disposition.TOLERATE.value)),
            default=Value(Disposition.ELIMINATE.value),
            output_field=models.CharField(),
        )
        return self.annotate(
            effective_disposition=Coalesce(NullIf(F("disposition"), Value("")), suggested)
        )

    def in_use(self) -> ApplicationQuerySet:
        """Applications that are planned or running (not retired)."""
        return self.exclude(lifecycle=Lifecycle.RETIRED)


class Application(OrgModel):
    """A piece of the current technology: what it costs, how healthy it is, what it serves."""

    name = models.CharField(max_length=120)
    vendor = models.CharField(max_length=120, blank=True)
    owner = models.CharField(max_length=120, blank=True, help_text="Who is responsible for it.")
    annual_cost = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(10**11)],
    )
    users = models.PositiveIntegerField(
        "number of users", default=0, validators=[MaxValueValidator(10**8)]
    )
    lifecycle = models.CharField(max_length=12, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    health = models.PositiveSmallIntegerField(
        "technical health",
        default=3,
        validators=SCORE,
        help_text="1 fragile or out of support, 5 modern and reliable.",
    )
    fit = models.PositiveSmallIntegerField(
        "business fit",
        default=3,
        validators=SCORE,
        help_text="1 gets in people's way, 5 does exactly what the business needs.",
    )
    capabilities = models.ManyToManyField(Capability, related_name="applications", blank=True)
    processes = models.ManyToManyField(Process, related_name="applications", blank=True)
    disposition = models.CharField(
        "disposition (override)",
        max_length=10,
        choices=Disposition.choices,
        blank=True,
        help_text="Leave empty to follow Cairn's suggestion.",
    )
    disposition_reason = models.CharField("reason for the override", max_length=500, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [unique_name("application")]

    def __str__(self) -> str:
        return self.name

    @property
    def suggested_disposition(self) -> Disposition:
        return suggest_disposition(self.health, self.fit)

    @property
    def effective(self) -> Disposition:
        """The disposition in force: the override if there is one, else the suggestion."""
        return Disposition(self.disposition) if self.disposition else self.suggested_disposition

    @property
    def is_overridden(self) -> bool:
        return bool(self.disposition) and self.disposition != self.suggested_disposition

    @property
    def disposition_colour(self) -> str:
        return DISPOSITION_COLOURS[self.effective]
