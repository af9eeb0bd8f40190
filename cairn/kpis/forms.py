from django import forms
from django.urls import reverse
from django.utils import timezone

from cairn.core.forms import OrgModelForm, StyledForm
from cairn.goals.forms import DATE
from cairn.kpis import formula as formulas
from cairn.kpis import services
from cairn.kpis.models import LIMIT, Kpi, Win

CHECKBOXES = forms.CheckboxSelectMultiple


class KpiForm(OrgModelForm):
    plain_fields = ("name",)

    class Meta(OrgModelForm.Meta):
        model = Kpi
        fields = (
            "name",
            "description",
            "replaces",
            "unit",
            "direction",
            "rhythm",
            "owner",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "tolerance_percent",
            "goals",
            "initiatives",
            "formula",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "baseline_date": DATE,
            "target_date": DATE,
            "goals": CHECKBOXES,
            "initiatives": CHECKBOXES,
        }
        help_texts = {"formula": formulas.HELP + " Leave empty for a KPI you measure."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Checked as it is typed: the answer replaces the hint under the field.
        self.fields["formula"].widget.attrs.update(
            {
                "hx-post": reverse("kpis:formula_check", args=[self.organization.slug]),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "next .form-hint",
                "hx-include": "this",
                "autocomplete": "off",
            }
        )
        self._old_name = self.instance.name if self.instance.pk else None
        self._old_formula = self.instance.formula if self.instance.pk else ""
        self._names: dict[str, int] = {}

    def clean_formula(self):
        text = self.cleaned_data.get("formula", "").strip()
        if not text:
            return ""
        if self.instance.pk and self.instance.used_by.exists():
            users = ", ".join(self.instance.used_by.values_list("name", flat=True))
            raise forms.ValidationError(
                f"{users} already use this KPI in a formula, and a formula can only use "
                "measured KPIs: this one must stay measured."
            )
        check = services.check_formula(
            self.organization,
            text,
            own_name=self.cleaned_data.get("name", ""),
            own_id=self.instance.pk,
        )
        if check.error:
            raise forms.ValidationError(check.error)
        self._names = {k.name: k.pk for k in check.inputs}
        return text

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("baseline_date"), cleaned.get("target_date")
        if start and end and end <= start:
            self.add_error("target_date", "The target date must come after the baseline date.")
        values = [cleaned.get(f) for f in ("baseline_value", "baseline_date")]
        if any(v is not None for v in values) and None in values:
            self.add_error("baseline_date", "Give both the baseline and the date it was measured.")
        values = [cleaned.get(f) for f in ("target_value", "target_date")]
        if any(v is not None for v in values) and None in values:
            self.add_error("target_date", "Give both the target and the date to reach it by.")
        return cleaned

    def save(self, commit=True):
        kpi = super().save(commit)
        if commit:
            if self._old_name and self._old_name != kpi.name:
                services.rename_in_formulas(kpi, self._old_name)
            if kpi.formula != self._old_formula:
                services.set_formula_inputs(kpi, self._names)
                kpi.refresh_from_db()
        return kpi


class MeasurementForm(StyledForm):
    date = forms.DateField(widget=DATE)
    value = forms.FloatField(min_value=-LIMIT, max_value=LIMIT)
    source = forms.CharField(max_length=120, required=False)
    note = forms.CharField(max_length=500, required=False)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date is in the future: record values once measured.")
        if day.year < 1900:
            raise forms.ValidationError("The date is too long ago.")
        return day


class WinForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Win
        fields = ("title", "achieved_on", "goal", "kpi", "initiatives", "story")
        widgets = {
            "achieved_on": DATE,
            "story": forms.Textarea(attrs={"rows": 4}),
            "initiatives": CHECKBOXES,
        }

    def clean_achieved_on(self):
        day = self.cleaned_data["achieved_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("A win is recorded once it has happened.")
        return day
