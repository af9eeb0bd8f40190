"""The ascent's step of the getting-started checklist."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from cairn.core.checklist import Step, plural
from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal


def steps(org: Organization) -> list[Step]:
    """One step, one query: every goal has a KPI, and KPIs are being measured."""
    goals = BusinessGoal.objects.filter(organization=org).aggregate(
        total=Count("id", distinct=True),
        measured=Count("id", distinct=True, filter=Q(kpis__isnull=False)),
        values=Count("kpis", distinct=True, filter=Q(kpis__latest_date__isnull=False)),
    )
    missing = goals["total"] - goals["measured"]
    return [
        Step(
            "Measure each goal with business KPIs",
            "Business results instead of IT activity, on one dashboard the CEO reads.",
            goals["total"] >= 1 and missing == 0 and goals["values"] >= 1,
            reverse("kpis:library", args=[org.slug]),
            "Pick KPIs",
            (plural(missing, "goal") + " without a KPI")
            if missing
            else (plural(goals["values"], "KPI") + " measured"),
        )
    ]
