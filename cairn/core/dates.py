"""The range of dates Cairn stores: wide enough for any strategy, any KPI's history and any
plan, narrow enough that a typo (0001-01-01, 9999-12-31, 20266-01-01) is refused with a
message instead of being kept and breaking the roadmap's arithmetic.

Every date field of every model is a ``DateField`` from here (a system check says so), so
forms, the API, imports and the organisation file all refuse the same dates.
"""

from __future__ import annotations

from datetime import date

from django.core.checks import Error, register
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
RANGE_MESSAGE = f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


class DateField(models.DateField):
    """A model date between ``EARLIEST`` and ``LATEST``; its form input says so too."""

    default_validators = [
        MinValueValidator(EARLIEST, "Enter a date from 1 January 1900 on."),
        MaxValueValidator(LATEST, "Enter a date up to 31 December 2199."),
    ]

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.widget.attrs.setdefault("min", EARLIEST.isoformat())
        field.widget.attrs.setdefault("max", LATEST.isoformat())
        return field


@register()
def every_date_is_bounded(app_configs, **kwargs):
    """A plain ``models.DateField`` in one of Cairn's apps would accept any date."""
    from django.apps import apps

    configs = app_configs or apps.get_app_configs()
    return [
        Error(
            f"{model._meta.label}.{field.name} is a plain DateField.",
            hint="Use cairn.core.dates.DateField, which bounds the date.",
            obj=field,
            id="cairn.E001",
        )
        for config in configs
        if config.name.startswith("cairn.")
        for model in config.get_models()
        for field in model._meta.local_fields
        if type(field) is models.DateField
    ]
