"""Phase 6, the ascent: business KPIs, their measurements, and the wins they show."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cairn.core.dates import DateField
from cairn.core.models import OrgModel, unique_name
from cairn.goals.models import BusinessGoal
from cairn.kpis import status as rules
from cairn.portfolio.models import Initiative

LIMIT = 10**15  # larger values are typing mistakes, and keep every database's floats exact
VALUE = [MinValueValidator(-LIMIT), MaxValueValidator(LIMIT)]
SPARK_POINTS = 24  # measurements kept on the KPI for sparklines and the forecast


class Direction(models.TextChoices):
    UP = "up", "Higher is better"
    DOWN = "down", "Lower is better"


class Rhythm(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class Kpi(OrgModel):
    """A business outcome IT is judged by, measured on a rhythm, from a baseline to a target."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. %, days, €, score out of 10")
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    baseline_value = models.FloatField("baseline", null=True, blank=True, validators=VALUE)
    baseline_date = DateField("baseline measured on", null=True, blank=True)
    target_value = models.FloatField("target", null=True, blank=True, validators=VALUE)
    target_date = DateField("target date", null=True, blank=True)
    min_value = models.FloatField(
        "lowest possible value",
        null=True,
        blank=True,
        validators=VALUE,
        help_text="Optional: a value below it is asked about before it is kept.",
    )
    max_value = models.FloatField(
        "highest possible value",
        null=True,
        blank=True,
        validators=VALUE,
        help_text="Optional: a value above it is asked about before it is kept.",
    )
    owner = models.CharField(max_length=120, blank=True, help_text="Who answers for it.")
    rhythm = models.CharField(
        "measured", max_length=10, choices=Rhythm.choices, default=Rhythm.MONTHLY
    )
    tolerance_percent = models.PositiveSmallIntegerField(
        "tolerance (%)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="How far behind the straight path to the target still counts as on track, "
        "as a share of the distance from baseline to target.",
    )
    replaces = models.CharField(
        "IT metric it replaces",
        max_length=200,
        blank=True,
        help_text="The technical measure this KPI replaces in reports, e.g. server uptime.",
    )
    formula = models.CharField(
        max_length=500,
        blank=True,
        help_text="Leave empty for a KPI you measure. For a KPI calculated from others, e.g. "
        "{IT operating cost} / {Orders shipped}.",
    )
    inputs = models.ManyToManyField(
        "self", symmetrical=False, related_name="used_by", blank=True, editable=False
    )
    goals = models.ManyToManyField(
        BusinessGoal, related_name="kpis", blank=True, verbose_name="goals it measures"
    )
    initiatives = models.ManyToManyField(
        Initiative,
        related_name="kpis",
        blank=True,
        verbose_name="initiatives expected to move it",
    )
    # Kept up to date by ``services.refresh`` whenever measurements change, so that the
    # dashboard reads one row per KPI whatever the number of measurements.
    latest_value = models.FloatField(null=True, blank=True, editable=False)
    latest_date = DateField(null=True, blank=True, editable=False)
    recent = models.JSONField(default=list, blank=True, editable=False)
    measurement_count = models.PositiveIntegerField(default=0, editable=False)
    # The status of the latest value, kept with it (``save`` and ``refresh`` set them) so that
    # the database can count, roll up and sort by status.
    status_code = models.CharField(
        max_length=10, default=rules.Status.NOT_SET.value, editable=False
    )
    status_rank = models.SmallIntegerField(default=-1, editable=False)
    progress_share = models.FloatField(
        null=True, blank=True, editable=False, help_text="Progress, clamped to 0–1."
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"
        constraints = [unique_name("kpi")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.set_status()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "status_code",
                "status_rank",
                "progress_share",
            }
        super().save(*args, **kwargs)

    def set_status(self) -> None:
        """Work out the stored status and progress from the latest value and the plan."""
        state = self.computed_status()
        self.status_code, self.status_rank = state.value, state.rank
        share = self.progress
        self.progress_share = None if share is None else min(max(share, 0.0), 1.0)

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)

    @property
    def plan(self) -> rules.Plan | None:
        if None in (self.baseline_value, self.baseline_date, self.target_value, self.target_date):
            return None
        return rules.Plan(
            self.direction == Direction.UP,
            self.baseline_value,
            self.baseline_date,
            self.target_value,
            self.target_date,
            self.tolerance_percent / 100,
        )

    @property
    def status(self) -> rules.Status:
        """The status of the latest value (as stored with it)."""
        return rules.Status(self.status_code)

    def computed_status(self) -> rules.Status:
        """The headline status (``status.headline``): the straight path and the forecast made
        at the latest measurement, so that it changes only when the data does."""
        plan = self.plan
        if plan is None:
            return rules.Status.NOT_SET
        if self.latest_value is None:
            return rules.Status.NO_DATA
        outlook = rules.forecast(self.points, plan, self.latest_date)
        return rules.headline(plan, self.latest_value, self.latest_date, outlook)

    @property
    def progress(self) -> float | None:
        plan = self.plan
        if plan is None or self.latest_value is None:
            return None
        return rules.progress(plan, self.latest_value)

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress_share is None else round(self.progress_share * 100)

    @property
    def points(self) -> list[tuple[date, float]]:
        return [(date.fromisoformat(d), v) for d, v in self.recent]

    def forecast(self, today: date) -> rules.Forecast | None:
        """The forecast at the target date; none once the target is reached."""
        plan = self.plan
        if plan is None or (self.latest_value is not None and plan.reached(self.latest_value)):
            return None
        outlook = rules.forecast(self.points, plan, today)
        if outlook is None:
            return None
        # A line drawn far enough leaves what the KPI can be (a share over 100%): keep it in.
        low, high = self.min_value, self.max_value
        if self.unit.strip() == "%":
            low, high = 0.0 if low is None else low, 100.0 if high is None else high

        def keep(v: float) -> float:
            return min(max(v, low if low is not None else v), high if high is not None else v)

        return replace(
            outlook, value=keep(outlook.value), low=keep(outlook.low), high=keep(outlook.high)
        )

    def questions(self, day: date, value: float) -> list[tuple[str, str]]:
        """What is doubtful about a new measurement (``status.questions``)."""
        return rules.questions(
            day,
            value,
            unit=self.unit,
            low=self.min_value,
            high=self.max_value,
            baseline_date=self.baseline_date,
            points=self.points,
        )

    def is_stale(self, today: date) -> bool:
        return rules.is_stale(self.rhythm, self.latest_date, today)

    @property
    def status_rule(self) -> str:
        return rules.rule(self.tolerance_percent)

    def deletion_refused(self) -> str:
        """Why this KPI cannot be deleted (``core.services.delete_object`` asks), or ""."""
        users = list(self.used_by.values_list("name", flat=True))
        if users:
            return (
                f"“{self}” is used in the formula of {', '.join(users)}. "
                "Change that formula first, then delete it."
            )
        return ""


class Measurement(models.Model):
    """A KPI's value on a date. One per KPI and date: sending the same date again updates it."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    date = DateField()
    value = models.FloatField(validators=VALUE)
    source = models.CharField(max_length=120, blank=True, help_text="Where the figure comes from.")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["kpi", "date"]
        constraints = [models.UniqueConstraint(fields=["kpi", "date"], name="one_value_per_date")]

    def __str__(self) -> str:
        value = "no value" if self.value is None else f"{self.value:g}"
        return f"{value} on {self.date}" if self.date else f"{value} (no date)"


class Win(OrgModel):
    """Something the strategy achieved, told as a short story to share with the company."""

    title = models.CharField("what was achieved", max_length=200)
    achieved_on = DateField("achieved on")
    story = models.TextField(
        blank=True,
        max_length=3000,
        help_text="A few sentences: the problem, what changed, who made it happen.",
    )
    goal = models.ForeignKey(
        BusinessGoal, null=True, blank=True, on_delete=models.SET_NULL, related_name="wins"
    )
    kpi = models.ForeignKey(
        Kpi,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wins",
        verbose_name="KPI",
    )
    initiatives = models.ManyToManyField(
        Initiative, related_name="wins", blank=True, verbose_name="initiatives that made it"
    )

    class Meta:
        ordering = ["-achieved_on", "-pk"]

    def __str__(self) -> str:
        return self.title


from cairn.kpis.connector_models import KpiConnector, KpiConnectorRun  # noqa: E402, F401
