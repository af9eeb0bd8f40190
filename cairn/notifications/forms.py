"""A person's choices (per kind, and when the digest comes) and an organisation's defaults."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms

from cairn.notifications.kinds import SENTENCES, Channel, Kind
from cairn.notifications.models import PersonSettings


@cache
def time_zones() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class ChannelsForm(forms.Form):
    """One choice per kind: e-mail (and in Cairn), in Cairn only, or off."""

    def __init__(self, *args, current: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Channel.choices,
                initial=current.get(kind.value),
                help_text=SENTENCES[kind],
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def chosen(self) -> dict[str, str]:
        return {kind.value: self.cleaned_data[kind.value] for kind in Kind}


class DigestForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=time_zones,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    digest_hour = forms.TypedChoiceField(
        label="At",
        coerce=int,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="The hour, in your time zone.",
    )

    class Meta:
        model = PersonSettings
        fields = ["time_zone", "digest_weekday", "digest_hour"]
        labels = {"digest_weekday": "The weekly digest comes on"}
        widgets = {"digest_weekday": forms.Select(attrs={"class": "form-select"})}
