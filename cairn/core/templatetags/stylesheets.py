"""A page's own stylesheet, linked for the browser or written into the page for a PDF:
``{% stylesheet "cairn/strategy.css" inline=for_pdf %}``.

Pages may carry no <style> element (the Content Security Policy refuses inline styles), so
the printable documents link a static file; WeasyPrint, which makes their PDFs from a string
with no server to fetch from, gets the same file's text instead.
"""

from pathlib import Path

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def _text(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise template.TemplateSyntaxError(f"No static file {path!r}.")
    return Path(found).read_text(encoding="utf-8")


@register.simple_tag
def stylesheet(path: str, inline: bool = False) -> str:
    """<link rel="stylesheet"> to the static file, or (inline) a <style> with its text."""
    if inline:
        # Our own static file, never user input.
        return format_html("<style>{}</style>", mark_safe(_text(path)))  # noqa: S308
    return format_html('<link rel="stylesheet" href="{}">', static(path))
