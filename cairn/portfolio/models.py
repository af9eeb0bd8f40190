"""Phase 3, the path: initiatives scored on impact and feasibility, weighted criteria, and
scenarios whose portfolio a real optimiser chooses."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cairn.assessment.models import Application, SwotItem, Team
from cairn.core.models import OrgModel, unique_name
from cairn.goals.models import BusinessGoal, PainPoint

MONEY = {
    "max_digits": 14,
    "decimal_places": 2,
    "default": 0,
    "validators": [MinValueValidator(0), MaxValueValidator(10**11)],
}
SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Impact(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Feasibility(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class Kind(models.TextChoices):
    RUN = "run", "Run the business"
    CHANGE = "change", "Change the business"


class Status(models.TextChoices):
    IDEA = "idea", "Idea"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"


# Where an initiative may go from each status. An idea cannot jump to done: it is proposed,
# approved, started, then done; anything not yet done can be deferred or rejected.
TRANSITIONS: dict[str, set[str]] = {
    "idea": {"proposed", "approved", "deferred", "rejected"},
    "proposed": {"idea", "approved", "deferred", "rejected"},
    "approved": {"in_progress", "deferred", "rejected", "proposed"},
    "in_progress": {"done", "deferred", "approved"},
    "deferred": {"idea", "proposed", "approved", "rejected"},
    "rejected": {"idea", "proposed"},
    "done": {"in_progress"},
}
STATUS_LABELS = dict(Status.choices)


def transition_problem(old: str, new: str) -> str:
    """Why an initiative cannot go from ``old`` to ``new``, or "" when it can."""
    if old == new or new in TRANSITIONS.get(old, set()):
        return ""
    name = {k: str(v).lower() for k, v in STATUS_LABELS.items()}
    allowed = ", ".join(name[s] for s in sorted(TRANSITIONS.get(old, set())))
    return (
        f"An initiative cannot go from {name[old]} to {name[new]}; "
        f"from {name[old]} it can become: {allowed}."
    )


# Initiatives a scenario may choose from; approved ones are kept (treated as mandatory).
CANDIDATE_STATUSES = (Status.IDEA, Status.PROPOSED, Status.DEFERRED, Status.APPROVED)


class Quadrant(models.TextChoices):
    QUICK_WIN = "quick_win", "Quick win"
    STRATEGIC_BET = "strategic_bet", "Strategic bet"
    BACK_BURNER = "back_burner", "Back burner"


QUADRANT_COLOURS = {"quick_win": "green", "strategic_bet": "blue", "back_burner": "secondary"}
QUADRANT_RULE = (
    "High impact and easy or medium feasibility is a quick win; high impact and hard is a "
    "strategic bet; everything else goes on the back burner."
)
IMPACT_POINTS = {Impact.HIGH: 5, Impact.MEDIUM: 3, Impact.LOW: 1}


def quadrant(impact: str, feasibility: str) -> Quadrant:
    """The method's quadrant for an impact and a feasibility."""
    if impact == Impact.HIGH:
        return Quadrant.STRATEGIC_BET if feasibility == Feasibility.HARD else Quadrant.QUICK_WIN
    return Quadrant.BACK_BURNER


class Initiative(OrgModel):
    """A project or piece of work IT could take on, with what it costs and what it serves."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    owner = models.CharField(max_length=120, blank=True)
    impact = models.CharField(
        "business impact",
        max_length=6,
        choices=Impact.choices,
        default=Impact.MEDIUM,
        help_text="How much it moves the needle on a core business goal.",
    )
    feasibility = models.CharField(
        max_length=6,
        choices=Feasibility.choices,
        default=Feasibility.MEDIUM,
        help_text="How difficult, costly or disruptive it is to do.",
    )
    kind = models.CharField(
        "run or change",
        max_length=6,
        choices=Kind.choices,
        default=Kind.CHANGE,
        help_text="Keeps today's business running, or changes it (growth, new ways of working).",
    )
    one_off_cost = models.DecimalField("one-off cost", **MONEY)
    one_off_cost_best = models.DecimalField(
        "one-off cost if all goes well",
        **{**MONEY, "default": None, "null": True, "blank": True},
        help_text="Leave empty when the one-off cost is firm.",
    )
    one_off_cost_worst = models.DecimalField(
        "one-off cost if it goes badly",
        **{**MONEY, "default": None, "null": True, "blank": True},
        help_text="Leave empty when the one-off cost is firm.",
    )
    running_cost = models.DecimalField("running cost per year", **MONEY)
    effort_months = models.DecimalField(
        "staff effort (FTE-months)",
        max_digits=8,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
        help_text="Total person-months of work; split it by team on the initiative's page.",
    )
    duration_months = models.PositiveSmallIntegerField(
        "duration (months)", default=3, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IDEA)
    urgency = models.PositiveSmallIntegerField(
        default=3, validators=SCORE, help_text="1 can wait years, 5 cannot wait."
    )
    risk = models.PositiveSmallIntegerField(
        "risk reduced",
        default=3,
        validators=SCORE,
        help_text="How much business risk it removes: 1 little, 5 a lot.",
    )
    goals = models.ManyToManyField(BusinessGoal, related_name="initiatives", blank=True)
    swot_items = models.ManyToManyField(
        SwotItem, related_name="initiatives", blank=True, verbose_name="SWOT items it answers"
    )
    pain_points = models.ManyToManyField(
        PainPoint, related_name="initiatives", blank=True, verbose_name="pain points it answers"
    )
    applications = models.ManyToManyField(
        Application, related_name="initiatives", blank=True, verbose_name="applications it touches"
    )
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="required_by",
        blank=True,
        help_text="It can only be done with these.",
    )
    excludes = models.ManyToManyField(
        "self", symmetrical=True, blank=True, help_text="It cannot be done together with these."
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        best, worst = self.one_off_cost_best, self.one_off_cost_worst
        if best is not None and self.one_off_cost is not None and best > self.one_off_cost:
            raise ValidationError(
                {"one_off_cost_best": "If all goes well it cannot cost more than expected."}
            )
        if worst is not None and self.one_off_cost is not None and worst < self.one_off_cost:
            raise ValidationError(
                {"one_off_cost_worst": "If it goes badly it cannot cost less than expected."}
            )

    @property
    def cost_estimate(self) -> tuple[Decimal, Decimal, Decimal]:
        """Best case, most likely, worst case of the one-off cost."""
        cost = self.one_off_cost
        best, worst = self.one_off_cost_best, self.one_off_cost_worst
        return (cost if best is None else best, cost, cost if worst is None else worst)

    @property
    def quadrant(self) -> Quadrant:
        return quadrant(self.impact, self.feasibility)

    @property
    def quadrant_colour(self) -> str:
        return QUADRANT_COLOURS[self.quadrant]

    @property
    def total_cost(self) -> Decimal:
        """One-off cost plus one year of running cost."""
        return self.one_off_cost + self.running_cost


class TeamEffort(models.Model):
    """The part of an initiative's effort that falls on one team."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="efforts")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="efforts")
    months = models.DecimalField(
        "FTE-months",
        max_digits=8,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["initiative", "team"], name="one_effort_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.months} FTE-months"


class Source(models.TextChoices):
    IMPACT = "impact", "Business impact (from the initiative)"
    ALIGNMENT = "alignment", "Alignment (from the priority of its goals)"
    URGENCY = "urgency", "Urgency (from the initiative)"
    RISK = "risk", "Risk reduced (from the initiative)"
    MANUAL = "manual", "Scored by hand, 1 to 5"


class Criterion(OrgModel):
    """One thing initiatives are scored on, with the weight it carries."""

    name = models.CharField(max_length=80)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(100)],
        help_text="How much it counts against the other criteria.",
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-weight", "name"]
        verbose_name = "scoring criterion"
        verbose_name_plural = "scoring criteria"
        constraints = [unique_name("criterion")]

    def __str__(self) -> str:
        return self.name


class CriterionScore(models.Model):
    """An initiative's score, 1 to 5, on a criterion scored by hand."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="scores")
    value = models.PositiveSmallIntegerField(validators=SCORE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["criterion", "initiative"], name="one_score_each")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.value}"


class RunState(models.TextChoices):
    NEVER = "never", "Not run yet"
    QUEUED = "queued", "Waiting to run"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Scenario(OrgModel):
    """A named set of limits; the optimiser picks the most valuable portfolio within them."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    one_off_budget = models.DecimalField(
        "one-off budget",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10**11)],
        help_text="Leave empty for no limit.",
    )
    running_budget = models.DecimalField(
        "running-cost budget per year",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10**11)],
        help_text="Leave empty for no limit.",
    )
    staff_months = models.DecimalField(
        "staff effort, all teams (FTE-months)",
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
        help_text="Leave empty for no limit; limits per team are set on the scenario's page.",
    )
    min_change_percent = models.PositiveSmallIntegerField(
        "minimum share of change (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Share of the one-off cost that must go to changing the business.",
    )
    mandatory = models.ManyToManyField(
        Initiative,
        related_name="mandatory_in",
        blank=True,
        verbose_name="must include",
        help_text="Approved initiatives are always included.",
    )
    time_limit_s = models.PositiveSmallIntegerField(
        "time limit (seconds)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    state = models.CharField(max_length=8, choices=RunState.choices, default=RunState.NEVER)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [unique_name("scenario")]

    def __str__(self) -> str:
        return self.name


class TeamLimit(models.Model):
    """How many FTE-months a team can give to a scenario's initiatives."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="team_limits")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    months = models.DecimalField(
        "FTE-months",
        max_digits=8,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scenario", "team"], name="one_limit_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.months} FTE-months"


class Frontier(models.Model):
    """What each extra unit of a scenario's limits buys (the efficient frontier), worked out
    by the worker point by point; ``result`` is what cairn.solver.frontier returns, plus the
    digest of the problem it was worked out for."""

    scenario = models.OneToOneField(Scenario, on_delete=models.CASCADE, related_name="frontier")
    state = models.CharField(max_length=8, choices=RunState.choices, default=RunState.NEVER)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"What more budget buys in {self.scenario}"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
