"""Forms of execution: a status report, an actual, a benefit."""

from __future__ import annotations

from django import forms

from cairn.core.forms import OrgModelForm
from cairn.execution.models import Actual, Benefit, StatusReport
from cairn.execution.rules import period_of
from cairn.execution.services import EXECUTED, UNDER_WAY

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
TEXT = {"rows": 3}


class StatusReportForm(OrgModelForm):
    """A status report on one initiative, chosen by the page (never by the form data)."""

    class Meta(OrgModelForm.Meta):
        model = StatusReport
        fields = (
            "reported_on",
            "health",
            "scope_health",
            "schedule_health",
            "cost_health",
            "percent_complete",
            "progress",
            "next_steps",
            "needs",
        )
        widgets = {
            "reported_on": DATE,
            "progress": forms.Textarea(attrs=TEXT),
            "next_steps": forms.Textarea(attrs=TEXT),
            "needs": forms.Textarea(attrs=TEXT),
        }
        help_texts = {
            "health": "Green: on track. Amber: a problem the team is handling. Red: the "
            "committee must act.",
            "percent_complete": "Of the whole initiative, 0 to 100.",
        }

    def __init__(self, *args, initiative, **kwargs):
        super().__init__(*args, **kwargs)
        self.initiative = initiative
        self.instance.initiative = initiative
        self.fields["percent_complete"].widget.attrs.update(min=0, max=100)

    def clean(self):
        cleaned = super().clean()
        if self.initiative.status not in UNDER_WAY and not self.instance.pk:
            raise forms.ValidationError(
                f"“{self.initiative}” is {self.initiative.get_status_display().lower()}: "
                "only approved initiatives and those in progress report."
            )
        day = cleaned.get("reported_on")
        if day:
            org = self.organization
            period = period_of(day, org.report_every_months, org.fiscal_year_start)
            clash = StatusReport.objects.filter(initiative=self.initiative, period=period)
            if clash.exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "reported_on",
                    f"There is already a report for the period from {period:%-d %B %Y}: "
                    "change that one instead.",
                )
        return cleaned


class ActualForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Actual
        fields = ("initiative", "month", "amount", "kind", "budget_line", "source")
        widgets = {"month": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = self.fields["initiative"].queryset.filter(
            status__in=EXECUTED
        )


class BenefitForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Benefit
        fields = ("initiative", "kpi", "change", "due", "confidence", "note")
        widgets = {"due": DATE, "note": forms.Textarea(attrs=TEXT)}
        labels = {"kpi": "KPI it should move"}
