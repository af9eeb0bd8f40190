"""The roadmap: when each approved initiative runs, within every team's capacity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from cairn.assessment.models import Team
from cairn.core import calendar
from cairn.core.dates import DateField
from cairn.core.models import Organization, OrgModel, unique_name
from cairn.portfolio.models import Initiative, Status

PERIOD = [MinValueValidator(0), MaxValueValidator(239)]
ON_ROADMAP = (Status.APPROVED, Status.IN_PROGRESS)  # what the roadmap schedules


class Granularity(models.TextChoices):
    QUARTER = "quarter", "Quarters"
    MONTH = "month", "Months"


class Objective(models.TextChoices):
    WEIGHTED = "weighted_completion", "Most valuable work first"
    MAKESPAN = "makespan", "Finish everything as early as possible"


class RunState(models.TextChoices):
    NEVER = "never", "Not scheduled yet"
    RUNNING = "running", "Scheduling in the background"
    DONE = "done", "Scheduled"
    INFEASIBLE = "infeasible", "No plan fits"
    FAILED = "failed", "The last run failed"


def first_of_quarter(day: date, fiscal_start: int = 1) -> date:
    """The first day of the (fiscal) quarter that contains ``day``."""
    return calendar.quarter_start(day, fiscal_start)


class Plan(OrgModel):
    """An organisation's roadmap settings and the last scheduling run."""

    granularity = models.CharField(
        "periods", max_length=7, choices=Granularity.choices, default=Granularity.QUARTER
    )
    starts_on = DateField("first period starts on")
    objective = models.CharField(
        "schedule for", max_length=20, choices=Objective.choices, default=Objective.WEIGHTED
    )
    time_limit_s = models.PositiveSmallIntegerField(
        "time limit (seconds)", default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.NEVER)
    result = models.JSONField(null=True, blank=True)
    last_run = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="one_plan_per_org")]

    def __str__(self) -> str:
        return f"Roadmap of {self.organization}"

    @property
    def months_per_period(self) -> int:
        return 3 if self.granularity == Granularity.QUARTER else 1

    @property
    def periods(self) -> int:
        """How many periods the organisation's planning horizon holds."""
        return self.organization.planning_horizon_years * 12 // self.months_per_period

    def period_start(self, index: int) -> date:
        month = self.starts_on.month - 1 + index * self.months_per_period
        return date(self.starts_on.year + month // 12, month % 12 + 1, 1)

    def period_label(self, index: int, *, short: bool = False) -> str:
        """The period's name in the one calendar of the app ("Q2 2027 (Apr–Jun)", "Q1 FY2028
        (Apr–Jun 2027)", "Mar 2027"); ``short`` drops the months in brackets."""
        start = self.period_start(index)
        if self.granularity == Granularity.MONTH:
            return calendar.month_label(start)
        return calendar.quarter_label(start, self.organization.fiscal_year_start, months=not short)

    def period_of(self, day: date) -> int:
        """The period a date falls in (negative before the plan starts)."""
        months = (day.year - self.starts_on.year) * 12 + day.month - self.starts_on.month
        return months // self.months_per_period

    @property
    def today(self) -> int:
        return self.period_of(timezone.localdate())

    @classmethod
    def for_org(cls, org: Organization) -> Plan:
        """The organisation's plan; until someone changes or schedules the roadmap, an unsaved
        plan with the defaults (reading a page writes nothing)."""
        plan = cls.objects.filter(organization=org).select_related("organization").first()
        if plan is None:
            plan = cls(
                organization=org,
                starts_on=first_of_quarter(timezone.localdate(), org.fiscal_year_start),
            )
        return plan


class TeamCapacity(models.Model):
    """A team's capacity in one period when it differs from its headcount (hires, holidays)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="capacities")
    period = models.PositiveSmallIntegerField(validators=PERIOD)
    fte = models.DecimalField(
        max_digits=7, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(100000)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "period"], name="one_fte_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.team} in period {self.period}: {self.fte} FTE"


class BudgetLine(OrgModel):
    """Money available per period for the initiatives that draw on it."""

    name = models.CharField(max_length=120)
    per_period = models.DecimalField(
        "amount per period",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(10**11)],
    )

    class Meta:
        ordering = ["name"]
        constraints = [unique_name("budget line")]

    def __str__(self) -> str:
        return self.name


class BudgetCapacity(models.Model):
    """A budget line's amount in one period when it differs from its usual amount."""

    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="capacities")
    period = models.PositiveSmallIntegerField(validators=PERIOD)
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(10**11)],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "period"], name="one_amount_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.line} in period {self.period}: {self.amount}"


class RoadmapItem(OrgModel):
    """An initiative's place on the roadmap: when it may, must and does run."""

    initiative = models.OneToOneField(
        Initiative, on_delete=models.CASCADE, related_name="roadmap_item"
    )
    duration = models.PositiveSmallIntegerField(
        "duration (periods)",
        validators=[MaxValueValidator(240)],
        help_text="Whole periods; 0 makes it a milestone.",
    )
    duration_best = models.PositiveSmallIntegerField(
        "duration if all goes well (periods)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(240)],
        help_text="Leave empty when the duration is firm.",
    )
    duration_worst = models.PositiveSmallIntegerField(
        "duration if it goes badly (periods)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(240)],
        help_text="Leave empty when the duration is firm.",
    )
    earliest = models.PositiveSmallIntegerField(
        "earliest start (period)", default=0, validators=PERIOD
    )
    deadline = models.PositiveSmallIntegerField(
        "must end by (period)",
        null=True,
        blank=True,
        validators=PERIOD,
        help_text="The period by whose start it must be finished. Empty for none.",
    )
    start = models.PositiveSmallIntegerField(
        "starts in (period)", null=True, blank=True, validators=PERIOD
    )
    pinned = models.BooleanField(
        "keep this start", default=False, help_text="Scheduling will not move it."
    )
    budget_line = models.ForeignKey(
        BudgetLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        help_text="Its one-off cost is spread over its periods on this line.",
    )

    class Meta:
        ordering = ["start", "initiative__title"]
        verbose_name = "roadmap item"

    def __str__(self) -> str:
        return str(self.initiative)

    def clean(self):
        super().clean()
        best, worst, duration = self.duration_best, self.duration_worst, self.duration
        if best is not None and duration is not None and best > duration:
            raise ValidationError(
                {"duration_best": "If all goes well it cannot take longer than expected."}
            )
        if worst is not None and duration is not None and worst < duration:
            raise ValidationError(
                {"duration_worst": "If it goes badly it cannot take less time than expected."}
            )

    @property
    def estimate(self) -> tuple[int, int, int]:
        """Best case, most likely, worst case of the duration, in periods."""
        d, best, worst = self.duration, self.duration_best, self.duration_worst
        return (d if best is None else best, d, d if worst is None else worst)

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + self.duration

    def slot(self) -> str:
        """When the item runs, in the plan's period names ("Q1 2027 to Q2 2027")."""
        if self.start is None:
            return "On the roadmap, not scheduled yet"
        plan = Plan.for_org(self.organization)
        first, last = plan.period_label(self.start), plan.period_label(self.end - 1)
        return f"{first} to {last}" if first != last else first


class Milestone(OrgModel):
    """A dated checkpoint of an initiative; one past due and not done has slipped."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due = DateField("due date")
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["due", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def slipped(self) -> bool:
        return not self.done and self.due < timezone.localdate()


def per_period_fte(effort_months: Decimal, months_per_period: int, duration: int) -> Decimal:
    """FTE a team gives in each period to spread ``effort_months`` over the item's duration."""
    if duration <= 0:
        return Decimal(0)
    return (effort_months / (duration * months_per_period)).quantize(Decimal("0.01"))


class Simulation(models.Model):
    """The organisation's last Monte-Carlo simulation of its roadmap (how likely the dates
    are); ``result`` is what cairn.solver.risk returns, with the names it needs to be read."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="roadmap_simulation"
    )
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.NEVER)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"Simulation of {self.organization}'s roadmap"
