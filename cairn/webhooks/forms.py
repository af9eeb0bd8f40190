"""The webhook form: used by its pages and by the API, so both refuse the same things."""

from __future__ import annotations

from django import forms

from cairn.core.forms import bound_echo, style_fields
from cairn.webhooks import addresses
from cairn.webhooks.models import Event, Format, Webhook

MIN_SECRET = 16


class WebhookForm(forms.ModelForm):
    """Name, address, events, format, on/off and (optionally) the secret.

    A blank secret keeps the current one (a new webhook gets one made for it)."""

    events = forms.MultipleChoiceField(
        label="Tell it when",
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one thing to tell it about."},
    )
    secret = forms.CharField(
        required=False,
        max_length=128,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Signs every delivery so the other system knows it came from Cairn. "
        "Leave blank to have Cairn make a strong one.",
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "format", "active")
        labels = {"format": "Message format", "url": "Address (URL)"}
        help_texts = {
            "url": "Where Cairn sends the message, e.g. a Slack or Teams incoming-webhook "
            "address. It must start with https:// and be on the internet.",
            "active": "Switched off, it is told nothing (the test button still works).",
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.instance.organization = organization
        self.fields["format"].choices = Format.choices
        self.fields["url"].widget.attrs.update(placeholder="https://", inputmode="url")
        if self.instance.pk:
            self.fields["secret"].label = "New secret"
            self.fields["secret"].help_text = (
                "Leave blank to keep the current secret. A new one replaces it at once: give it "
                "to the other system too."
            )
        style_fields(self)
        bound_echo(self)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        problem = addresses.problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret", "")
        if secret and len(secret) < MIN_SECRET:
            raise forms.ValidationError(
                f"A secret needs at least {MIN_SECRET} characters; leave it blank and Cairn "
                "makes a strong one."
            )
        return secret

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Webhook.objects.filter(organization=self.organization, name=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"There is already a webhook named “{name}”.")
        return name

    def values(self) -> dict:
        """What the services take: the cleaned fields, the events in a fixed order."""
        chosen = set(self.cleaned_data["events"])
        return {
            **{name: self.cleaned_data[name] for name in ("name", "url", "format", "active")},
            "events": [e for e in Event.values if e in chosen],
            "secret": self.cleaned_data.get("secret", ""),
        }
