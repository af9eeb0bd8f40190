"""Execution: status reports, money actually spent, and benefits promised against KPIs."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from cairn.core.dates import DateField
from cairn.core.models import OrgModel
from cairn.execution.rules import Health, period_of
from cairn.kpis.models import Kpi
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import BudgetLine

HEALTH = [(h.value, h.label) for h in Health]
AMOUNT = [MinValueValidator(-(10**11)), MaxValueValidator(10**11)]


class StatusReport(OrgModel):
    """How an initiative under way is going, once per reporting period, by the person who
    leads it: health overall and for scope, schedule and cost, percent complete, and what
    the committee should know."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="status_reports"
    )
    reported_on = DateField("date", default=timezone.localdate)
    period = DateField(
        "reporting period", editable=False, help_text="The first day of the period it covers."
    )
    health = models.CharField("overall", max_length=5, choices=HEALTH)
    scope_health = models.CharField("scope", max_length=5, choices=HEALTH)
    schedule_health = models.CharField("schedule", max_length=5, choices=HEALTH)
    cost_health = models.CharField("cost", max_length=5, choices=HEALTH)
    percent_complete = models.PositiveSmallIntegerField(
        "percent complete", validators=[MaxValueValidator(100)]
    )
    progress = models.TextField("what happened", max_length=2000)
    next_steps = models.TextField("what's next", max_length=2000, blank=True)
    needs = models.TextField(
        "what we need from the committee",
        max_length=2000,
        blank=True,
        help_text="A decision, money, people, a roadblock removed. Empty if nothing.",
    )

    class Meta:
        ordering = ["-reported_on", "-pk"]
        verbose_name = "status report"
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "period"], name="one_status_report_per_period"
            )
        ]

    def save(self, *args, **kwargs):
        org = self.organization
        self.period = period_of(self.reported_on, org.report_every_months, org.fiscal_year_start)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.initiative}: {self.get_health_display()} on {self.reported_on}"


class SpendKind(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    RUNNING = "running", "Running"


class Actual(OrgModel):
    """Money spent on an initiative in a month, as the finance system books it."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="actuals")
    budget_line = models.ForeignKey(
        BudgetLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="actuals"
    )
    month = DateField(help_text="Any day of the month it was booked in.")
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=AMOUNT,
        help_text="A credit (a refund, a reversed invoice) is negative.",
    )
    kind = models.CharField(max_length=8, choices=SpendKind.choices, default=SpendKind.ONE_OFF)
    source = models.CharField(
        "source", max_length=200, blank=True, help_text="Invoice, purchase order or ledger line."
    )

    class Meta:
        ordering = ["-month", "initiative__title"]
        verbose_name = "actual spend"
        verbose_name_plural = "actual spend"
        indexes = [models.Index(fields=["organization", "month"], name="actual_org_month")]

    def save(self, *args, **kwargs):
        self.month = self.month.replace(day=1)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.initiative}: {self.amount} in {self.month:%b %Y}"


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Benefit(OrgModel):
    """What an initiative promised to move: a KPI, by how much, by when."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="benefits")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="benefits")
    change = models.FloatField(
        "promised change",
        validators=[MinValueValidator(0.000001), MaxValueValidator(10**12)],
        help_text="How far the KPI should move, in its unit, in its good direction.",
    )
    due = DateField("by")
    confidence = models.CharField(
        max_length=6, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    note = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.kpi} by {self.change:g}"
