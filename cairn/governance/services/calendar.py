"""The committee's calendar: the private feed and the iCalendar file."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditVia, Organization, hash_key
from cairn.governance.models import (
    CalendarFeed,
)

# --- Calendar


def new_calendar_feed(org: Organization, *, actor, via=AuditVia.WEB) -> str:
    """A new private calendar address for the organisation (the old one stops working)."""
    key = secrets.token_urlsafe(24)
    CalendarFeed.objects.update_or_create(organization=org, defaults={"key_hash": hash_key(key)})
    core.record(
        org,
        actor=actor,
        action=core.AuditAction.UPDATE,
        obj=org,
        before=None,
        after={"calendar feed": "new private address"},
        via=via,
    )
    return key


def revoke_calendar_feed(org: Organization, *, actor, via=AuditVia.WEB) -> None:
    deleted, _ = CalendarFeed.objects.filter(organization=org).delete()
    if deleted:
        core.record(
            org,
            actor=actor,
            action=core.AuditAction.UPDATE,
            obj=org,
            before={"calendar feed": "on"},
            after={"calendar feed": "revoked"},
            via=via,
        )


def org_for_calendar_key(key: str) -> Organization | None:
    feed = CalendarFeed.objects.filter(key_hash=hash_key(key)).select_related("organization")
    found = feed.first()
    return found.organization if found else None


def calendar(org: Organization, meetings, reviews, base_url: str = "") -> bytes:
    """An iCalendar file of meetings (two hours from 10:00) and reviews (all-day, on the due
    date)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Cairn//IT strategy//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{org.name}: IT strategy")
    stamp = timezone.now()
    for m in meetings:
        event = Event()
        event.add("uid", f"meeting-{m.pk}@cairn")
        event.add("dtstamp", stamp)
        start = datetime.combine(m.held_on, time(10, 0))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(hours=2))
        event.add("summary", m.title)
        agenda = [a.title for a in m.agenda.all()]
        if agenda:
            event.add("description", "Agenda:\n" + "\n".join(f"- {t}" for t in agenda))
        if base_url:
            event.add("url", base_url + reverse("governance:meeting_detail", args=[org.slug, m.pk]))
        cal.add_component(event)
    for r in reviews:
        event = Event()
        event.add("uid", f"review-{r.pk}@cairn")
        event.add("dtstamp", stamp)
        event.add("dtstart", r.due)
        event.add("dtend", r.due + timedelta(days=1))
        event.add("summary", f"{r.title} due")
        cal.add_component(event)
    return cal.to_ical()
