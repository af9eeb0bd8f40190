"""Charts drawn on the server as SVG, so that the PDF prints them sharply (no JavaScript)."""

from __future__ import annotations

from html import escape

COLOURS = {"green": "#2fb344", "yellow": "#f59f00", "red": "#d63939", "secondary": "#667382"}


def kpi_line(points: list, target: float | None, colour: str, width=260, height=70) -> str:
    """A KPI's recent values as a line, with its target as a dashed line."""
    values = [v for _, v in points]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    if target is not None:
        low, high = min(low, target), max(high, target)
    span = (high - low) or 1.0
    pad = 6

    def y(v: float) -> float:
        return round(pad + (height - 2 * pad) * (1 - (v - low) / span), 1)

    step = (width - 2 * pad) / (len(values) - 1)
    line = " ".join(f"{round(pad + i * step, 1)},{y(v)}" for i, v in enumerate(values))
    stroke = COLOURS.get(colour, COLOURS["secondary"])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#f8fafc"/>',
    ]
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{ty}" y2="{ty}" stroke="#2fb344" '
            'stroke-width="1" stroke-dasharray="4 3"/>'
        )
    parts.append(f'<polyline fill="none" stroke="{stroke}" stroke-width="2" points="{line}"/>')
    parts.append("</svg>")
    return "".join(parts)


def mix_bar(run: float, change: float, target: int, width=420, height=46) -> str:
    """Run against change, with the target share of change marked."""
    total = run + change
    if not total:
        return ""
    change_w = round(width * change / total, 1)
    target_x = round(width * (1 - target / 100), 1)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f'<rect x="0" y="4" width="{width - change_w}" height="22" fill="#f76707"/>'
        f'<rect x="{width - change_w}" y="4" width="{change_w}" height="22" fill="#206bc4"/>'
        f'<line x1="{target_x}" x2="{target_x}" y1="0" y2="30" stroke="#1d273b" '
        'stroke-width="2"/>'
        f'<text x="2" y="42" font-size="11" fill="#1d273b">Run {round(100 * run / total)}%</text>'
        f'<text x="{width - 2}" y="42" font-size="11" text-anchor="end" fill="#1d273b">'
        f"Change {round(100 * change / total)}% (target {target}%)</text></svg>"
    )


def gantt(periods: list[str], items: list[dict], width=680) -> str:
    """The roadmap: one bar per initiative across the periods."""
    if not items or not periods:
        return ""
    label_w, row_h, head = 230, 18, 20
    end = max(i["start"] + i["duration"] for i in items)
    shown = max(1, min(len(periods), end + 1))
    col = (width - label_w) / shown
    every = max(1, -(-64 // int(col)))  # label every n-th period so labels never overlap
    height = head + row_h * len(items) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="10" font-family="DejaVu Sans, sans-serif">'
    ]
    for p, label in enumerate(periods[:shown]):
        x = label_w + p * col
        if p % every == 0:
            parts.append(
                f'<text x="{round(x + 2, 1)}" y="13" fill="#667382">{escape(label[:12])}</text>'
            )
        parts.append(
            f'<line x1="{round(x, 1)}" x2="{round(x, 1)}" y1="16" y2="{height}" stroke="#e6e7e9"/>'
        )
    for n, item in enumerate(items):
        y = head + n * row_h
        title = item["title"] if len(item["title"]) <= 38 else item["title"][:36] + "…"
        parts.append(f'<text x="0" y="{y + 12}" fill="#1d273b">{escape(title)}</text>')
        start = min(item["start"], shown - 1)
        length = min(item["duration"], shown - start)
        parts.append(
            f'<rect x="{round(label_w + start * col + 1, 1)}" y="{y + 3}" '
            f'width="{round(max(length * col - 2, 3), 1)}" height="{row_h - 6}" rx="3" '
            'fill="#206bc4"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
