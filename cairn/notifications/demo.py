"""The demo's reminders: addresses and choices for the demo people, an inbox each, and the
mails of the last reminder run written to the development mail folder."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cairn.core.models import Membership, Organization
from cairn.notifications import services
from cairn.notifications.kinds import Channel, Kind
from cairn.notifications.models import Notification, PersonSettings

ADDRESSES = {
    "demo-owner": "morgan.reyes@summit-outfitters.example",
    "demo-editor": "priya.shah@summit-outfitters.example",
    "demo-viewer": "dana.okafor@summit-outfitters.example",
}
# (user name, time zone, digest day, hour, {kind: channel})
CHOICES = [
    ("demo-owner", "Europe/Madrid", 0, 8, {Kind.DIGEST: Channel.EMAIL}),
    ("demo-editor", "Europe/London", 4, 9, {Kind.KPI_STALE: Channel.INBOX}),
    (
        "demo-viewer",
        "Europe/Madrid",
        0,
        7,
        {Kind.DIGEST: Channel.EMAIL, Kind.MEETING_SOON: Channel.EMAIL},
    ),
]


def load(org: Organization, owner) -> None:
    """Idempotent: addresses and choices are set once, the reminders written once per key."""
    members = {
        m.user.username: m
        for m in Membership.objects.filter(organization=org).select_related("user")
    }
    for username, zone, weekday, hour, chosen in CHOICES:
        member = members.get(username)
        if member is None:
            continue
        user = member.user
        if not user.email:
            user.email = ADDRESSES[username]
            user.save(update_fields=["email"])
        PersonSettings.objects.get_or_create(
            user=user,
            defaults={"time_zone": zone, "digest_weekday": weekday, "digest_hour": hour},
        )
        if not services.choices_for(member)[0]["chosen"]:
            services.set_choices(member, chosen)
    if Notification.objects.filter(organization=org).exists():
        return
    now = timezone.now()
    report = services.RemindReport()
    planned = services.plan(org, now)
    # This week's digest for those who chose it, whatever the day the demo is loaded.
    people = services.People.load(org)
    for member in people.members:
        if people.channel(member, Kind.DIGEST) != Channel.OFF:
            planned += digest_now(org, member, now, people)
    services.write(org, planned, now, report)
    # The oldest half read already, as after a week of use.
    notes = list(Notification.objects.filter(organization=org).order_by("id"))
    for note in notes[: len(notes) // 2]:
        note.read_at = now
        note.created = now - timedelta(days=3)
    Notification.objects.bulk_update(notes[: len(notes) // 2], ["read_at", "created"])


def digest_now(org, member, now, people) -> list[services.Planned]:
    from cairn.notifications import digest as digests
    from cairn.notifications.models import make_key

    content = digests.digest(org, now - timedelta(days=7), timezone.localdate(now))
    if content.is_empty:
        return []
    year, week, _ = now.isocalendar()
    due = services.digest_as_due(content, org, member, f"{year}-W{week:02d}")
    key = make_key(due.kind, due.object_type, due.object_id, due.period, member.user_id)
    return [services.Planned(member, due, people.channel(member, Kind.DIGEST), key)]
