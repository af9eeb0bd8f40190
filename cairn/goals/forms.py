from django import forms
from django.utils import timezone

from cairn.core.forms import OrgModelForm
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def not_in_future(day, what: str):
    """Refuse a date after today for something that has already happened."""
    if day and day > timezone.localdate():
        raise forms.ValidationError(
            f"{what} is recorded once it has happened: choose today or an earlier date."
        )
    return day


class BusinessGoalForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = BusinessGoal
        fields = ("title", "description", "target_date", "priority", "owner_name", "owner_role")
        widgets = {"target_date": DATE, "description": forms.Textarea(attrs={"rows": 3})}


class ITMissionForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = ITMission
        fields = ("statement", "goals")
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.CheckboxSelectMultiple,
        }
        labels = {"goals": "The goals it serves"}
        help_texts = {
            "statement": "How IT will help, in words the business recognises. E.g. “Give our "
            "support teams instant access to customer history, cutting resolution time by half.”"
        }

    def clean_goals(self):
        goals = self.cleaned_data["goals"]
        if not goals:
            raise forms.ValidationError("Pick at least one goal this mission serves.")
        return goals


class InterviewForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Interview
        fields = (
            "stakeholder_name",
            "stakeholder_role",
            "held_on",
            "keeps_up_at_night",
            "biggest_obstacle",
            "magic_wand",
            "notes",
        )
        widgets = {
            "held_on": DATE,
            "stakeholder_role": forms.TextInput(attrs={"list": "executive-roles"}),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in ("keeps_up_at_night", "biggest_obstacle", "magic_wand", "notes")
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["held_on"].initial = timezone.localdate()

    def clean_held_on(self):
        return not_in_future(self.cleaned_data["held_on"], "An interview")


class PainPointForm(OrgModelForm):
    plain_fields = ("title",)

    class Meta(OrgModelForm.Meta):
        model = PainPoint
        fields = ("title", "description", "severity", "interview", "goals")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.CheckboxSelectMultiple,
            "severity": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        labels = {"goals": "The goals it threatens"}
