"""The profile's "Where you are signed in": ``{% signed_in_sessions as sessions %}`` and the
``device`` filter that names a browser in words ("Chrome on Windows")."""

from __future__ import annotations

import re

from django import template

from cairn.identity.sessions import active_sessions

register = template.Library()

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = [
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Version/[\d.]+.*Safari/", "Safari"),
    (r"curl/", "curl"),
    (r"python-requests|python-httpx|Python-urllib", "a Python script"),
]
SYSTEMS = [
    (r"iPhone", "an iPhone"),
    (r"iPad", "an iPad"),
    (r"Android", "Android"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux", "Linux"),
]


@register.filter
def device(user_agent: str) -> str:
    """A browser and system in plain words, from the User-Agent header."""
    ua = user_agent or ""
    browser = next((name for pattern, name in BROWSERS if re.search(pattern, ua)), None)
    system = next((name for pattern, name in SYSTEMS if re.search(pattern, ua)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser[0].upper() + browser[1:]
    if system:
        return f"A browser on {system}"
    return "An unknown browser"


@register.simple_tag(takes_context=True)
def signed_in_sessions(context) -> list:
    """The signed-in person's sessions, each with ``current`` (this browser) set: one query."""
    request = context["request"]
    rows = list(active_sessions(request.user))
    key = request.session.session_key
    for row in rows:
        row.current = row.session_key == key
    rows.sort(key=lambda r: (not r.current, -r.last_seen.timestamp()))
    return rows
