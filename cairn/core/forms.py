"""Forms shared by every app, and those of organisations, members and tokens."""

from __future__ import annotations

import calendar

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.db import models

from cairn.core.models import Invitation, Organization, Role


def style_fields(form: forms.BaseForm) -> None:
    """Give each widget the CSS class of the UI kit, so templates stay plain."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class OrgModelForm(forms.ModelForm):
    """A model form for a row of one organisation.

    Every link to another row (foreign key or many-to-many) offers only rows of
    the same organisation, so an id from elsewhere is refused as "not one of the
    available choices". ``seen_version`` carries the version the person started
    editing, for the conflict check in ``core.services.save_form``.
    """

    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        style_fields(self)
        if self.instance.pk and not self.is_bound:
            self.fields["seen_version"].initial = self.instance.version
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset.model, "organization"):
                field.queryset = queryset.filter(organization=organization)

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            # Strip surrounding spaces so "   " counts as empty, and say so.
            if isinstance(value, str):
                cleaned[name] = value.strip()
                field = self.fields.get(name)
                if field is not None and field.required and not cleaned[name]:
                    self.add_error(name, "This field cannot be blank.")
        return cleaned


def text_limits(model: type[models.Model]) -> dict[str, int]:
    """max_length of each text field of a model, so forms enforce TextField limits too."""
    return {
        f.name: f.max_length
        for f in model._meta.get_fields()
        if isinstance(f, models.TextField) and f.max_length
    }


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class SetupForm(SignUpForm):
    """The first person's account and their first organisation."""

    organization_name = forms.CharField(
        label="Your organisation's name",
        max_length=120,
        help_text="For example, Summit Outfitters.",
    )


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ("name", "fiscal_year_start", "planning_horizon_years")
        widgets = {
            "fiscal_year_start": forms.Select(
                choices=[(m, calendar.month_name[m]) for m in range(1, 13)]
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the organisation a name.")
        return name


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ("label", "role")
        labels = {"label": "Who is it for?"}
        help_texts = {"label": "A name to recognise the invitation by, e.g. “Dana, CFO”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class RoleForm(StyledForm):
    role = forms.ChoiceField(choices=Role.choices)


class ApiTokenForm(StyledForm):
    name = forms.CharField(
        max_length=80, help_text="What the token is for, e.g. “Finance KPI import”."
    )
