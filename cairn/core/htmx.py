"""The one HTMX helper: a partial for HTMX requests, the whole page otherwise."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_htmx(
    request: HttpRequest, template: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """Render ``partial`` for an HTMX request (not a boosted page load), else ``template``."""
    htmx = getattr(request, "htmx", None)
    use_partial = bool(htmx) and not htmx.boosted
    return render(request, partial if use_partial else template, context, status=status)
