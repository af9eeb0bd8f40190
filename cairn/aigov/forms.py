from django import forms

from cairn.aigov.models import DATA_KINDS, AiPolicy, AiUseCase
from cairn.core.forms import OrgModelForm
from cairn.goals.forms import DATE

CHECKBOXES = forms.CheckboxSelectMultiple


class AiUseCaseForm(OrgModelForm):
    data = forms.MultipleChoiceField(
        label="Data it uses", choices=DATA_KINDS, required=False, widget=CHECKBOXES
    )

    class Meta(OrgModelForm.Meta):
        model = AiUseCase
        fields = (
            "title",
            "description",
            "goals",
            "initiative",
            "purpose",
            "automation",
            "data",
            "model_or_vendor",
            "owner",
            "status",
            "next_review",
            "policies",
            "tier_override",
            "override_reason",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "goals": CHECKBOXES,
            "policies": CHECKBOXES,
            "next_review": DATE,
            "purpose": forms.RadioSelect,
            "automation": forms.RadioSelect,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tier_override") and not cleaned.get("override_reason", "").strip():
            self.add_error("override_reason", "Say why the tier is set by hand.")
        if not cleaned.get("tier_override"):
            cleaned["override_reason"] = ""
        return cleaned


class AiPolicyForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = AiPolicy
        fields = ("area", "title", "text", "owner", "approved_by", "review_by")
        widgets = {"text": forms.Textarea(attrs={"rows": 6}), "review_by": DATE}
