from django import forms

from cairn.core.forms import OrgModelForm
from cairn.portfolio.models import (
    CANDIDATE_STATUSES,
    Criterion,
    Initiative,
    Scenario,
    transition_problem,
)

CHECKBOXES = forms.CheckboxSelectMultiple
SCORE_INPUT = forms.NumberInput(attrs={"min": 1, "max": 5})
LINKS = ("goals", "pain_points", "swot_items", "applications", "depends_on", "excludes")


class InitiativeForm(OrgModelForm):
    plain_fields = ("title",)

    class Meta(OrgModelForm.Meta):
        model = Initiative
        fields = (
            "title",
            "description",
            "owner",
            "impact",
            "feasibility",
            "kind",
            "status",
            "one_off_cost",
            "one_off_cost_best",
            "one_off_cost_worst",
            "running_cost",
            "effort_months",
            "duration_months",
            "urgency",
            "risk",
            "goals",
            "pain_points",
            "swot_items",
            "applications",
            "depends_on",
            "excludes",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "urgency": SCORE_INPUT,
            "risk": SCORE_INPUT,
            **dict.fromkeys(
                ("goals", "pain_points", "swot_items", "applications", "depends_on", "excludes"),
                CHECKBOXES,
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("depends_on", "excludes"):
                self.fields[name].queryset = self.fields[name].queryset.exclude(pk=self.instance.pk)

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk:
            problem = transition_problem(self.instance.status, status)
            if problem:
                raise forms.ValidationError(problem)
        return status

    def clean(self):
        cleaned = super().clean()
        depends, excludes = cleaned.get("depends_on"), cleaned.get("excludes")
        if depends and excludes and set(depends) & set(excludes):
            self.add_error("excludes", "An initiative cannot both depend on and exclude another.")
        if depends and self.instance.pk:
            # Walk what the chosen ones depend on: reaching this initiative would be a loop.
            frontier = {d.pk for d in depends}
            seen: set[int] = set()
            while frontier:
                if self.instance.pk in frontier:
                    self.add_error(
                        "depends_on",
                        "That would make initiatives depend on each other in a circle.",
                    )
                    break
                seen |= frontier
                frontier = (
                    set(
                        Initiative.depends_on.through.objects.filter(
                            from_initiative_id__in=frontier
                        ).values_list("to_initiative_id", flat=True)
                    )
                    - seen
                )
        return cleaned


class CriterionForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Criterion
        fields = ("name", "source", "weight", "description")
        labels = {"source": "Points come from"}


class ScenarioForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Scenario
        fields = (
            "name",
            "description",
            "one_off_budget",
            "running_budget",
            "staff_months",
            "min_change_percent",
            "mandatory",
            "time_limit_s",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "mandatory": CHECKBOXES}
        labels = {"time_limit_s": "Search for the best portfolio for up to (seconds)"}
        help_texts = {
            "time_limit_s": "10 seconds is plenty for a few hundred initiatives; the answer "
            "found first is shown at once."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mandatory"].queryset = self.fields["mandatory"].queryset.filter(
            status__in=CANDIDATE_STATUSES
        )
