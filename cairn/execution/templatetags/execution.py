"""``{% health row %}`` and ``{{ share|signed_percent }}`` for the pages of execution."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from cairn.execution.rules import Health, ReportState

register = template.Library()

COLOURS = {"green": "green", "amber": "yellow", "red": "red"}


@register.simple_tag
def health(value, state=None):
    """A health badge; "No report" when the latest report is overdue (one verdict: the
    missing report, never a stale colour beside it)."""
    if state == ReportState.MISSING:
        return mark_safe('<span class="badge bg-orange-lt">No report</span>')
    if not value:
        return mark_safe('<span class="badge bg-secondary-lt">Not reported yet</span>')
    h = Health(value)
    return format_html(
        '<span class="badge bg-{}-lt"><span class="status-dot status-{} me-1"></span>{}</span>',
        COLOURS[h.value],
        COLOURS[h.value],
        h.label,
    )


@register.filter
def signed_percent(share) -> str:
    """0.123 as "+12%", -0.05 as "−5%"; "—" for none."""
    if share is None:
        return "—"
    value = round(share * 100)
    if value > 0:
        return f"+{value}%"
    return f"−{-value}%" if value < 0 else "0%"


@register.filter
def percent(share) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


@register.simple_tag
def change(kpi, amount):
    """A change in a KPI, in its good direction: "down €0.70", "up 6 points"; a movement the
    wrong way says so: "up 0.9% (the wrong way)"."""
    if amount is None:
        return "—"
    from cairn.kpis.templatetags.kpis import figure

    good = "up" if kpi.direction == "up" else "down"
    bad = "down" if good == "up" else "up"
    if amount < 0:
        return f"{bad} {figure(-amount, kpi.unit)} (the wrong way)"
    return f"{good} {figure(amount, kpi.unit)}"
