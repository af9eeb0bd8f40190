from django import forms
from django.urls import reverse
from django.utils import timezone

from cairn.core.forms import OrgModelForm, StyledForm
from cairn.goals.forms import DATE
from cairn.kpis import formula as formulas
from cairn.kpis import services
from cairn.kpis.models import LIMIT, Direction, Kpi, Win

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
            "min_value",
            "max_value",
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
        for value, day, message in (
            ("baseline_value", "baseline_date", "Give both the baseline and the date measured."),
            ("target_value", "target_date", "Give both the target and the date to reach it by."),
        ):
            given = [cleaned.get(value), cleaned.get(day)]
            typed_wrong = value in self.errors or day in self.errors  # has its own error
            if any(v is not None for v in given) and None in given and not typed_wrong:
                # Once, on the field left empty.
                self.add_error(day if given[1] is None else value, message)
        baseline, target = cleaned.get("baseline_value"), cleaned.get("target_value")
        if baseline is not None and target is not None and "target_value" not in self.errors:
            up = cleaned.get("direction", Direction.UP) == Direction.UP
            if (up and target < baseline) or (not up and target > baseline):
                self.add_error(
                    "target_value",
                    f"The target {target:g} is {'below' if up else 'above'} the baseline "
                    f"{baseline:g}, but {'higher' if up else 'lower'} is better for this KPI: "
                    f"set a target {'above' if up else 'below'} the baseline, or change "
                    "which way is better.",
                )
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if low is not None and high is not None and low >= high:
            self.add_error(
                "max_value", "The highest possible value must be above the lowest possible value."
            )
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
    """A value recorded by hand; a doubtful one (``Kpi.questions``) is kept once confirmed."""

    date = forms.DateField(widget=DATE)
    value = forms.FloatField(min_value=-LIMIT, max_value=LIMIT)
    source = forms.CharField(max_length=120, required=False)
    note = forms.CharField(max_length=500, required=False)
    # Hidden until Cairn has a question about the value; then a checkbox beside the reason.
    confirm = forms.BooleanField(
        label="Yes, keep this value", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, kpi: Kpi | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        self.asks = False

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date is in the future: record values once measured.")
        if day.year < 1900:
            raise forms.ValidationError("The date is too long ago.")
        return day

    def clean(self):
        cleaned = super().clean()
        day, value = cleaned.get("date"), cleaned.get("value")
        if self.kpi is None or day is None or value is None or cleaned.get("confirm"):
            return cleaned
        found = self.kpi.questions(day, value)
        for field, reason in found:
            self.add_error(field, f"{reason} Tick “Yes, keep this value” if it is right.")
        if found:
            self.asks = True
            widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
            self.fields["confirm"].widget = widget
        return cleaned


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
