from django import forms

from cairn.assessment.models import (
    MAX_DEPTH,
    Application,
    Capability,
    Process,
    SwotItem,
    Team,
    suggest_disposition,
)
from cairn.core.forms import OrgModelForm

CHECKBOXES = forms.CheckboxSelectMultiple
TEXT = forms.Textarea(attrs={"rows": 2})


class SwotItemForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = SwotItem
        fields = ("kind", "statement", "it_question", "it_answer", "goals")
        widgets = {
            "statement": TEXT,
            "it_question": TEXT,
            "it_answer": TEXT,
            "goals": CHECKBOXES,
        }
        labels = {"goals": "Goals it bears on"}


class CapabilityForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Capability
        fields = ("name", "parent", "description", "goals")
        widgets = {"description": TEXT, "goals": CHECKBOXES}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # a capability cannot sit under itself or its own children
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                pk__in=descendant_ids(self.instance)
            )

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None:
            below = subtree_height(self.instance) if self.instance.pk else 1
            if parent.depth() + below > MAX_DEPTH:
                raise forms.ValidationError(
                    f"Capabilities go at most {MAX_DEPTH} levels deep; pick a higher parent."
                )
        return parent


def descendant_ids(capability: Capability) -> set[int]:
    """Ids of a capability and everything under it (one query per level, at most three)."""
    ids, frontier = {capability.pk}, {capability.pk}
    while frontier:
        frontier = (
            set(Capability.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    return ids


def subtree_height(capability: Capability) -> int:
    """Levels from this capability down to its deepest child, itself included."""
    height, frontier = 1, {capability.pk}
    while frontier := set(
        Capability.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
    ):
        height += 1
        if height > MAX_DEPTH:
            break
    return height


class TeamForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Team
        fields = ("name", "headcount", "lead", "skills")


class ProcessForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Process
        fields = ("name", "team", "automation", "pain", "capabilities", "description")
        widgets = {
            "description": TEXT,
            "capabilities": CHECKBOXES,
            "pain": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }


class ApplicationForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Application
        fields = (
            "name",
            "vendor",
            "owner",
            "annual_cost",
            "users",
            "lifecycle",
            "health",
            "fit",
            "capabilities",
            "processes",
            "disposition",
            "disposition_reason",
        )
        widgets = {
            "capabilities": CHECKBOXES,
            "processes": CHECKBOXES,
            "health": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "fit": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def clean(self):
        cleaned = super().clean()
        chosen, reason = cleaned.get("disposition"), cleaned.get("disposition_reason")
        health, fit = cleaned.get("health"), cleaned.get("fit")
        if chosen and health and fit and not reason:
            suggested = suggest_disposition(health, fit)
            if chosen != suggested:
                self.add_error(
                    "disposition_reason",
                    f"Say why you chose differently from Cairn's suggestion ({suggested.label}).",
                )
        return cleaned
