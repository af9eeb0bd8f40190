"""How KPI figures are written and drawn on pages: numbers with units, and sparklines."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from cairn.core.money import MONEY_SIGNS

register = template.Library()


def number(value: float | None) -> str:
    """A figure as people read it: 1,234 · 98.2 · 0.45; no trailing zeros."""
    if value is None:
        return "—"
    size = abs(value)
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 100:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@register.filter
def figure(value: float | None, unit: str = "") -> str:
    """A figure with its unit: 97.2%, 41 days, €3.10."""
    text = number(value)
    if value is None or not unit:
        return text
    if unit == "%":
        return f"{text}%"
    if unit in MONEY_SIGNS:
        return f"{unit} {text}" if unit[-1].isalpha() else f"{unit}{text}"  # CHF 3.10, €3.10
    return f"{text} {unit}"


@register.simple_tag
def sparkline(kpi, width: int = 120, height: int = 32):
    """A small line of the KPI's recent values, with its target as a dashed line when the
    target is within the drawn range."""
    values = [v for _, v in kpi.recent]
    if len(values) < 2:
        return format_html(
            '<span class="text-secondary small">{}</span>',
            "no trend yet" if values else "no data",
        )
    low, high = min(values), max(values)
    # Noise on a flat line should look flat: the scale spans at least a quarter of the way
    # from baseline to target.
    if kpi.target_value is not None and kpi.baseline_value is not None:
        least = abs(kpi.target_value - kpi.baseline_value) / 4
        if high - low < least:
            middle = (high + low) / 2
            low, high = middle - least / 2, middle + least / 2
    target = kpi.target_value
    # The line is scaled on its own values, so that the trend shows; the target is drawn
    # only when it falls inside that range (the table beside it gives the figure).
    if target is not None and not low <= target <= high:
        target = None
    span = (high - low) or 1.0
    pad = 3

    def y(v: float) -> float:
        return round(pad + (height - 2 * pad) * (1 - (v - low) / span), 1)

    step = (width - 2 * pad) / (len(values) - 1)
    points = " ".join(f"{round(pad + i * step, 1)},{y(v)}" for i, v in enumerate(values))
    colour = {"green": "#2fb344", "yellow": "#f59f00", "red": "#d63939"}.get(
        kpi.status.colour, "#667382"
    )
    target_line = ""
    if target is not None:
        ty = y(target)
        target_line = format_html(
            '<line x1="0" x2="{}" y1="{}" y2="{}" stroke="#667382" stroke-width="1" '
            'stroke-dasharray="3 3"/>',
            width,
            ty,
            ty,
        )
    last_x, last_y = points.rsplit(" ", 1)[-1].split(",")
    return format_html(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="Trend of the last {n} values">{t}<polyline fill="none" stroke="{c}" '
        'stroke-width="2" points="{p}"/><circle cx="{x}" cy="{y}" r="2.5" fill="{c}"/></svg>',
        w=width,
        h=height,
        n=len(values),
        t=target_line,
        c=colour,
        p=points,
        x=last_x,
        y=last_y,
    )
