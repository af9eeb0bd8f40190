from django import forms

from cairn.core.forms import OrgModelForm, style_fields
from cairn.roadmap.models import BudgetLine, Milestone, Plan, RoadmapItem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ("granularity", "starts_on", "objective", "time_limit_s")
        widgets = {"starts_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean_starts_on(self):
        day = self.cleaned_data["starts_on"]
        if day.day != 1:
            raise forms.ValidationError("Periods start on the first day of a month.")
        if not 2000 <= day.year <= 2200:
            raise forms.ValidationError("Choose a start between the years 2000 and 2200.")
        return day


class RoadmapItemForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = RoadmapItem
        fields = (
            "duration",
            "duration_best",
            "duration_worst",
            "earliest",
            "deadline",
            "start",
            "pinned",
            "budget_line",
        )

    def __init__(self, *args, periods: int = 240, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, labels(n) if labels else n) for n in range(periods)]
        for name in ("earliest", "start"):
            self.fields[name].widget = forms.Select(
                choices=[("", "—"), *choices] if name == "start" else choices
            )
        self.fields["deadline"].widget = forms.Select(
            choices=[
                ("", "No deadline"),
                *[(n, labels(n) if labels else n) for n in range(1, periods + 1)],
            ]
        )
        self.periods = periods
        style_fields(self)

    def clean(self):
        cleaned = super().clean()
        start, duration = cleaned.get("start"), cleaned.get("duration")
        earliest, deadline = cleaned.get("earliest"), cleaned.get("deadline")
        if duration is not None and duration > self.periods:
            self.add_error("duration", f"The roadmap holds {self.periods} periods.")
        if start is not None and duration is not None and start + duration > self.periods:
            self.add_error("start", "It would run past the end of the roadmap.")
        if (
            deadline is not None
            and earliest is not None
            and duration is not None
            and earliest + duration > deadline
        ):
            self.add_error("deadline", "It cannot end by then if it starts no earlier.")
        if cleaned.get("pinned") and start is None:
            self.add_error("start", "Choose the start to keep.")
        return cleaned


class BudgetLineForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = BudgetLine
        fields = ("name", "per_period")


class MilestoneForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Milestone
        fields = ("initiative", "title", "due", "done")
        widgets = {"due": DATE}

    def clean_due(self):
        due = self.cleaned_data["due"]
        if not 2000 <= due.year <= 2200:
            raise forms.ValidationError("Choose a date between the years 2000 and 2200.")
        return due
