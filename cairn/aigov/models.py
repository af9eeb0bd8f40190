"""AI and automation, governed: use cases placed in the EU AI Act's tiers, the NIST AI RMF
functions as a checklist, and the policies that govern them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from cairn.aigov import rules
from cairn.core.dates import DateField
from cairn.core.models import OrgModel
from cairn.goals.models import BusinessGoal
from cairn.portfolio.models import Initiative


class Automation(models.TextChoices):
    ASSISTS = "assists", "It assists a person, who decides"
    APPROVES = "approves", "It proposes; a person approves each result"
    AUTOMATIC = "automatic", "It acts on its own"


class UseCaseStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    PILOT = "pilot", "Pilot"
    LIVE = "live", "In use"
    RETIRED = "retired", "Retired"


class Area(models.TextChoices):
    DATA = "data", "Data usage"
    ETHICS = "ethics", "Ethics"
    RISK = "risk", "Risk management"
    SECURITY = "security", "Security"
    VENDORS = "vendors", "Vendors"


DATA_KINDS = [
    ("customer", "Customer data"),
    ("employee", "Employee data"),
    ("financial", "Financial data"),
    ("health", "Health data"),
    ("biometric", "Biometric data (faces, voices, fingerprints)"),
    ("children", "Children's data"),
    ("public", "Public data only"),
]


class AiPolicy(OrgModel):
    """A rule for using AI (data usage, ethics, risk, security, vendors), approved by a
    decision of the committee, reviewed by a date."""

    area = models.CharField(max_length=10, choices=Area.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=10000)
    owner = models.CharField(max_length=120, blank=True)
    approved_by = models.ForeignKey(
        "governance.Decision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ai_policies",
        verbose_name="decision that approved it",
    )
    review_by = DateField("review by", null=True, blank=True)

    class Meta:
        ordering = ["area", "title"]
        verbose_name = "AI policy"
        verbose_name_plural = "AI policies"

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.review_by is not None and self.review_by < timezone.localdate()


class AiUseCase(OrgModel):
    """A use of AI or automation, the goal it serves, and how it is governed."""

    title = models.CharField(max_length=200)
    description = models.TextField(
        "what it does",
        max_length=5000,
        help_text="e.g. Matches supplier invoices to orders; or predicts which customers may "
        "leave, for the sales team.",
    )
    goals = models.ManyToManyField(
        BusinessGoal, related_name="ai_use_cases", blank=True, verbose_name="goals it serves"
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="ai_use_cases"
    )
    purpose = models.CharField(
        "what it decides or does",
        max_length=30,
        choices=[(k, v[0]) for k, v in rules.PURPOSES.items()],
        default="internal",
    )
    automation = models.CharField(
        "how automated", max_length=10, choices=Automation.choices, default=Automation.ASSISTS
    )
    data = models.JSONField("data it uses", default=list, blank=True)
    model_or_vendor = models.CharField("model or vendor", max_length=200, blank=True)
    owner = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=8, choices=UseCaseStatus.choices, default="idea")
    next_review = DateField("next review", null=True, blank=True)
    tier_override = models.CharField(
        "tier set by hand",
        max_length=10,
        choices=[(k, v) for k, v in rules.TIERS.items()],
        blank=True,
        help_text="Leave empty to follow the questionnaire.",
    )
    override_reason = models.CharField("why", max_length=500, blank=True)
    nist = models.JSONField("NIST AI RMF functions done", default=dict, blank=True)
    policies = models.ManyToManyField(
        AiPolicy, related_name="use_cases", blank=True, verbose_name="policies that apply"
    )

    class Meta:
        ordering = ["title"]
        verbose_name = "AI use case"

    def __str__(self) -> str:
        return self.title

    @property
    def suggested_tier(self) -> rules.Tier:
        return rules.tier(self.purpose, self.automation, list(self.data or []))

    @property
    def tier(self) -> rules.Tier:
        if self.tier_override:
            return rules.Tier(self.tier_override, f"Set by hand: {self.override_reason}")
        return self.suggested_tier

    @property
    def data_labels(self) -> list[str]:
        names = dict(DATA_KINDS)
        return [names.get(d, d) for d in self.data or []]
