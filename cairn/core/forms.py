"""Forms shared by every app, and those of organisations, members and tokens."""

from __future__ import annotations

import calendar
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator as MaxValue
from django.core.validators import MinValueValidator as MinValue
from django.db import models

from cairn.core.models import Invitation, Organization, Role
from cairn.core.money import DEFAULT_CURRENCY, number_problem
from cairn.core.services import EMAIL_TAKEN

User = get_user_model()


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


ECHO_LIMIT = 200  # characters of a refused value that isn't text a page shows back


def bound_echo(form: forms.BaseForm) -> None:
    """What a refused form shows back is bounded: a 100,000-character "date" is cut (it is
    refused either way), so the page stays small. Text keeps one character past its limit,
    so that the "at most N characters" message still applies."""
    if not form.is_bound or not hasattr(form.data, "copy"):
        return
    data = form.data.copy()
    changed = False
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        limit = (field.max_length + 1) if getattr(field, "max_length", None) else ECHO_LIMIT
        if isinstance(field, forms.CharField) and not getattr(field, "max_length", None):
            continue  # free text without a limit: the model's own limit applies
        values = data.getlist(key) if hasattr(data, "getlist") else [data.get(key)]
        if any(isinstance(v, str) and len(v) > limit for v in values):
            cut = [v[:limit] if isinstance(v, str) else v for v in values]
            if hasattr(data, "setlist"):
                data.setlist(key, cut)
            else:
                data[key] = cut[0]
            changed = True
    if changed:
        form.data = data


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)
        bound_echo(self)


MAX_ID = 2**63 - 1  # the largest id any supported database stores


def parse_id(value) -> int | None:
    """A row id from user text, or None: ASCII digits only ("²" is a digit to Python, not to
    int), and small enough for any database."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_amount(raw: str, maximum: int | Decimal) -> Decimal | None:
    """A number from user text (thousands commas allowed) between 0 and ``maximum``, or None."""
    try:
        value = Decimal(raw.strip().replace(",", ""))
    except ArithmeticError:
        return None
    return value if value.is_finite() and 0 <= value <= maximum else None


def _valid_id(value) -> bool:
    return parse_id(value) is not None


class BoundedModelChoiceField(forms.ModelChoiceField):
    """Refuses ids no database could hold, before they reach a query."""

    def to_python(self, value):
        if value not in self.empty_values and not _valid_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not _valid_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:30]},
                )
        return super()._check_values(value)


def bounded_formfield(db_field: models.Field, **kwargs):
    """Form fields for model fields, with bounded ids for links to other rows and numbers
    whose limits are told in plain words."""
    if isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
    elif isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", BoundedModelChoiceField)
    field = db_field.formfield(**kwargs)
    if isinstance(db_field, models.DecimalField) and field is not None:
        plain_number_limits(field, db_field)
    return field


def plain_number_limits(field: forms.Field, db_field: models.DecimalField) -> None:
    """Check a decimal's bounds and places on the form with the words of imports and the API
    (core.money), instead of Django's "Ensure that there are no more than 12 digits before
    the decimal point". The model's own validators then find nothing left to refuse."""
    minimum = next((v.limit_value for v in db_field.validators if isinstance(v, MinValue)), None)
    maximum = next((v.limit_value for v in db_field.validators if isinstance(v, MaxValue)), None)
    if maximum is None:  # the largest number the column holds
        places = Decimal(10) ** -db_field.decimal_places
        maximum = Decimal(10) ** (db_field.max_digits - db_field.decimal_places) - places

    def check(value: Decimal | None) -> None:
        if value is None:
            return
        problem = number_problem(value, minimum, maximum, db_field.decimal_places)
        if problem:
            raise ValidationError(problem, code="limit")

    field.validators = [check]


def plain_language_check(widget: forms.Widget, organization: Organization) -> None:
    """Check a text field's words as they are typed (HTMX; the answer shows under the field
    and never blocks saving)."""
    from django.urls import reverse

    widget.attrs.update(
        {
            "hx-post": reverse("language:check", args=[organization.slug]),
            "hx-trigger": "input changed delay:700ms",
            "hx-target": "next .plain-check",
            "hx-swap": "innerHTML",
            "hx-sync": "this:replace",
            "data-plain-check": "1",
        }
    )
    widget.plain_check = True  # the form template puts the answer's place under the field


HIDDEN_FIELD_MESSAGE = (
    "This page was changed on its way here and cannot be saved. Reload it and make your "
    "change again."
)


class OrgModelForm(forms.ModelForm):
    """A model form for a row of one organisation.

    Every link to another row (foreign key or many-to-many) offers only rows of
    the same organisation, so an id from elsewhere is refused as "not one of the
    available choices". ``seen_version`` carries the version the person started
    editing, for the conflict check in ``core.services.save_form``.
    """

    seen_version = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31
    )
    # Short text fields checked in plain language too (every textarea always is): titles
    # people read in lists and on the board.
    plain_fields: tuple[str, ...] = ()

    class Meta:
        formfield_callback = bounded_formfield

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not issubclass(cls.Meta, OrgModelForm.Meta):
            raise TypeError(f"{cls.__name__}.Meta must subclass OrgModelForm.Meta")

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        style_fields(self)
        bound_echo(self)
        if self.instance.pk and not self.is_bound:
            self.fields["seen_version"].initial = self.instance.version
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset.model, "organization"):
                field.queryset = queryset.filter(organization=organization)
            if isinstance(field.widget, forms.Textarea):
                plain_language_check(field.widget, organization)
        for name in self.plain_fields:
            if name in self.fields:
                plain_language_check(self.fields[name].widget, organization)

    def clean(self):
        cleaned = super().clean()
        self._check_unique_name(cleaned.get("name"))
        # A hidden field has no place to show its error: a tampered or garbled one (the
        # version the page was opened at) is said above the form, not silently dropped.
        if any(self.fields[name].widget.is_hidden for name in self._errors if name in self.fields):
            self.add_error(None, HIDDEN_FIELD_MESSAGE)
        return cleaned

    def _check_unique_name(self, name) -> None:
        """Names unique within an organisation are checked here, with a message on the field."""
        model = self._meta.model
        unique = any(
            isinstance(c, models.UniqueConstraint) and set(c.fields) == {"organization", "name"}
            for c in model._meta.constraints
        )
        if not unique or not name:
            return
        others = model.objects.filter(organization=self.organization, name=name)
        if others.exclude(pk=self.instance.pk).exists():
            self.add_error("name", f"There is already a {model._meta.verbose_name} named “{name}”.")


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class PasswordForm(PasswordChangeForm):
    """Django's password change, styled like the site's other forms."""

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
        fields = (
            "name",
            "currency",
            "fiscal_year_start",
            "planning_horizon_years",
            "change_target_percent",
            "report_every_months",
            "overspend_tolerance_percent",
            "require_sso",
            "require_second_factor",
        )
        widgets = {
            "fiscal_year_start": forms.Select(
                choices=[(m, calendar.month_name[m]) for m in range(1, 13)]
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)
        # Left out (an older script, the API), the currency stays what it was; so do the
        # settings added since.
        for name in (
            "currency",
            "report_every_months",
            "overspend_tolerance_percent",
            "require_sso",
            "require_second_factor",
        ):
            self.fields[name].required = False

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the organisation a name.")
        return name

    def clean_report_every_months(self):
        return self.cleaned_data["report_every_months"] or self.instance.report_every_months

    def clean_overspend_tolerance_percent(self):
        value = self.cleaned_data["overspend_tolerance_percent"]
        return value if value is not None else self.instance.overspend_tolerance_percent

    def clean_currency(self):
        return self.cleaned_data["currency"] or self.instance.currency or DEFAULT_CURRENCY


class InvitationForm(forms.ModelForm):
    # Not kept on the invitation: the link is sent there once, and the mail log shows it.
    email = forms.EmailField(
        label="Their e-mail address",
        required=False,
        max_length=254,
        help_text="Optional. Cairn sends them the link too; you can still copy it here.",
    )

    class Meta:
        model = Invitation
        fields = ("label", "role")
        labels = {"label": "Who is it for?"}
        help_texts = {"label": "A name to recognise the invitation by, e.g. “Dana, CFO”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class PersonForm(StyledForm):
    """A person's own name and e-mail address, the one Cairn's mails go to. A plain form,
    so that a refused one leaves the signed-in user as it was."""

    form = forms.CharField(widget=forms.HiddenInput, initial="details")  # which form of the page
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        required=False,
        help_text="Where Cairn sends your reminders and password reset links.",
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault(
            "initial",
            {"first_name": user.first_name, "last_name": user.last_name, "email": user.email},
        )
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        others = User.objects.filter(email__iexact=email).exclude(pk=self.user.pk)
        if email and others.exists():
            raise ValidationError(EMAIL_TAKEN)
        return email


class RoleForm(StyledForm):
    role = forms.ChoiceField(choices=Role.choices)


class ApiTokenForm(StyledForm):
    name = forms.CharField(
        max_length=80, help_text="What the token is for, e.g. “Finance KPI import”."
    )
    scope = forms.ChoiceField(
        label="It may",
        choices=[("read", "Read only"), ("write", "Read and change data")],
        initial="read",
        help_text="A token that only reads is refused every change.",
    )
    days = forms.TypedChoiceField(
        label="It works for",
        coerce=int,
        choices=[(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "A year")],
        initial=90,
    )
    organization = forms.TypedChoiceField(
        label="In",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Keep it to one organisation, or let it act in all of yours.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        memberships = user.memberships.select_related("organization") if user else []
        self.fields["organization"].choices = [("", "All my organisations")] + [
            (m.organization_id, m.organization.name) for m in memberships
        ]
