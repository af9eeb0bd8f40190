"""What the guideposts' pages share."""

from django.urls import reverse


def _url(request, name: str, *args) -> str:
    return reverse(f"governance:{name}", args=[request.org.slug, *args])
