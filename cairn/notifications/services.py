"""Who is told what: each person's choices, the owners matched to members, and the run of
the reminders that writes the inbox lines and the mails."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cairn.core.models import Membership, Organization
from cairn.notifications import mail
from cairn.notifications.kinds import DEFAULTS, SENTENCES, Channel, Due, Kind
from cairn.notifications.models import (
    Notification,
    OrgDefault,
    OutgoingMail,
    PersonSettings,
    Preference,
    ReminderRun,
    make_key,
)


def normal(name: str) -> str:
    return re.sub(r"\s+", " ", name or "").strip().casefold()


def names_of(user) -> set[str]:
    """The ways an owner field may name a person: full name, user name, e-mail address."""
    found = {normal(user.get_full_name()), normal(user.username), normal(user.email)}
    found.discard("")
    return found


@dataclass
class People:
    """An organisation's members with their choices, loaded in three queries."""

    organization: Organization
    members: list[Membership]
    defaults: dict[str, str]
    choices: dict[tuple[int, str], str]
    by_name: dict[str, Membership] = field(default_factory=dict)
    by_id: dict[int, Membership] = field(default_factory=dict)

    @classmethod
    def load(cls, organization: Organization) -> People:
        members = list(
            Membership.objects.filter(organization=organization)
            .select_related("user", "user__notification_settings")
            .order_by("id")
        )
        defaults = dict(
            OrgDefault.objects.filter(organization=organization).values_list("kind", "channel")
        )
        choices = {
            (m, k): c
            for m, k, c in Preference.objects.filter(
                membership__organization=organization
            ).values_list("membership_id", "kind", "channel")
        }
        people = cls(organization, members, defaults, choices)
        for member in members:
            people.by_id[member.pk] = member
            for name in names_of(member.user):
                people.by_name.setdefault(name, member)
        return people

    def channel(self, member: Membership, kind: str) -> str:
        return self.choices.get((member.pk, kind)) or org_default(self.defaults, kind)

    def recipients(self, due: Due) -> list[Membership]:
        if due.member_ids:
            return [self.by_id[i] for i in due.member_ids if i in self.by_id]
        member = self.by_name.get(normal(due.owner))
        return [member] if member else []


def org_default(defaults: dict[str, str], kind: str) -> str:
    return defaults.get(kind) or DEFAULTS[Kind(kind)]


def settings_for(user) -> PersonSettings:
    try:
        return user.notification_settings
    except PersonSettings.DoesNotExist:
        return PersonSettings(user=user)


def choices_for(membership: Membership) -> list[dict]:
    """Every kind with its sentence, the person's channel and the organisation's default."""
    defaults = dict(
        OrgDefault.objects.filter(organization=membership.organization_id).values_list(
            "kind", "channel"
        )
    )
    mine = dict(Preference.objects.filter(membership=membership).values_list("kind", "channel"))
    return [
        {
            "kind": kind,
            "label": kind.label,
            "sentence": SENTENCES[kind],
            "channel": mine.get(kind) or org_default(defaults, kind),
            "default": org_default(defaults, kind),
            "chosen": kind in mine,
        }
        for kind in Kind
    ]


@transaction.atomic
def set_choices(membership: Membership, chosen: dict[str, str]) -> None:
    """A person's channel per kind; a choice equal to the default is kept as a choice (the
    person said so), so a later change of the default leaves it alone."""
    for kind, channel in chosen.items():
        Preference.objects.update_or_create(
            membership=membership, kind=Kind(kind), defaults={"channel": Channel(channel)}
        )


@transaction.atomic
def set_defaults(organization: Organization, chosen: dict[str, str]) -> None:
    for kind, channel in chosen.items():
        OrgDefault.objects.update_or_create(
            organization=organization, kind=Kind(kind), defaults={"channel": Channel(channel)}
        )


def unsubscribe(membership: Membership, kind: str) -> None:
    """Turn off one kind of mail for one person: they still see it in Cairn's inbox."""
    Preference.objects.update_or_create(
        membership=membership, kind=Kind(kind), defaults={"channel": Channel.INBOX}
    )


# --- The run of the reminders -------------------------------------------------------------


@dataclass
class Planned:
    member: Membership
    due: Due
    channel: str
    key: str


@dataclass
class RemindReport:
    planned: list[Planned] = field(default_factory=list)
    notified: int = 0
    queued: int = 0

    def lines(self) -> list[str]:
        return [
            f"{p.member.organization.slug}\t{p.member.user.email or p.member.user.username}\t"
            f"{p.channel}\t{p.due.kind}\t{p.due.subject}"
            for p in self.planned
        ]


def digest_due(people: People, now: datetime, organization: Organization) -> list[Due]:
    """The weekly digest of each person who chose it, on their day from their hour on (in
    their time zone), once per ISO week."""
    from cairn.notifications import digest as digests

    found, content = [], None
    for member in people.members:
        if people.channel(member, Kind.DIGEST) == Channel.OFF:
            continue
        chosen = settings_for(member.user)
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(chosen.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            local = now
        if local.weekday() != chosen.digest_weekday or local.hour < chosen.digest_hour:
            continue
        if content is None:
            content = digests.digest(organization, now - timedelta(days=7), local.date())
        if content.is_empty:
            continue
        year, week, _ = local.isocalendar()
        found.append(digest_as_due(content, organization, member, f"{year}-W{week:02d}"))
    return found


DIGEST_LINES = 6  # lines of each part of the digest at most; the rest is counted


def digest_as_due(content, organization: Organization, member: Membership, period: str) -> Due:
    sections = []
    for title, items in (
        ("What changed", content.changed),
        ("Off track", content.off_track),
        ("Wins", content.wins),
    ):
        texts = [item[0] if isinstance(item, tuple | list) else str(item) for item in items]
        if len(texts) > DIGEST_LINES:
            rest = len(texts) - DIGEST_LINES + 1
            texts = [*texts[: DIGEST_LINES - 1], f"and {rest} more: see the activity page"]
        if texts:
            sections.append((title, tuple(texts)))
    counts = [f"{len(content.off_track)} off track"] if content.off_track else []
    if content.wins:
        counts.append(f"{len(content.wins)} win{'s' if len(content.wins) != 1 else ''}")
    return Due(
        kind=Kind.DIGEST,
        object_type="core.organization",
        object_id=organization.pk,
        period=period,
        subject="Your week" + (": " + ", ".join(counts) if counts else ""),
        lines=tuple(f"{title}: {text}" for title, texts in sections for text in texts[:2]),
        url=reverse("org_home", args=[organization.slug]),
        member_ids=(member.pk,),
        sections=tuple(sections),
        links=(("What changed, in full", reverse("activity", args=[organization.slug])),),
    )


def plan(organization: Organization, now: datetime) -> list[Planned]:
    """What everyone in an organisation should be told now, by the rules and their choices."""
    from cairn.notifications import rules

    today = timezone.localdate(now)
    people = People.load(organization)
    dues = [*rules.due_now(organization, today), *digest_due(people, now, organization)]
    planned = []
    for due in dues:
        for member in people.recipients(due):
            channel = people.channel(member, due.kind)
            if channel == Channel.OFF:
                continue
            key = make_key(due.kind, due.object_type, due.object_id, due.period, member.user_id)
            planned.append(Planned(member, due, channel, key))
    return planned


def remind(
    now: datetime | None = None,
    *,
    organizations: Iterable[Organization] | None = None,
    dry_run: bool = False,
) -> RemindReport:
    """Work out what is due now and write it: an inbox line for everyone told, and a mail
    for those who chose e-mail. Idempotent: what was written before (same key) is skipped,
    so a second run, or a second worker, writes nothing new."""
    now = now or timezone.now()
    report = RemindReport()
    for organization in organizations or Organization.objects.order_by("id"):
        write(organization, plan(organization, now), now, report, dry_run=dry_run)
    if report.queued and not dry_run:
        transaction.on_commit(mail.enqueue_sending)
    return report


def write(
    organization: Organization,
    planned: list[Planned],
    now: datetime,
    report: RemindReport,
    *,
    dry_run: bool = False,
) -> None:
    """Write what was planned and not written before: the inbox lines and the mails."""
    keys = {p.key for p in planned}
    told = set(
        Notification.objects.filter(organization=organization, key__in=keys).values_list(
            "user_id", "key"
        )
    )
    mailed = set(OutgoingMail.objects.filter(key__in=keys).values_list("key", flat=True))

    def wants_mail(p: Planned) -> bool:
        return p.channel == Channel.EMAIL and bool(p.member.user.email) and p.key not in mailed

    fresh = [p for p in planned if (p.member.user_id, p.key) not in told or wants_mail(p)]
    report.planned += fresh
    if dry_run or not fresh:
        return
    with transaction.atomic():
        notes = Notification.objects.bulk_create(
            [
                Notification(
                    user=p.member.user,
                    organization=organization,
                    kind=p.due.kind,
                    subject=p.due.subject[:300],
                    lines=list(p.due.lines),
                    url=p.due.url,
                    key=p.key,
                    created=now,
                )
                for p in fresh
                if (p.member.user_id, p.key) not in told
            ],
            ignore_conflicts=True,
        )
        report.notified += len(notes)
        for p in fresh:
            if wants_mail(p) and queue_reminder(organization, p):
                report.queued += 1


def queue_reminder(organization: Organization, p: Planned, *, send: bool = False):
    """Write the mail of a planned reminder; the run sends them all at the end."""
    user = p.member.user
    return mail.queue(
        to=user.email,
        kind=p.due.kind,
        key=p.key,
        subject=p.due.subject,
        template="reminder",
        context={
            "name": user.first_name or user.get_username(),
            "organization": organization,
            "lines": p.due.lines if not p.due.sections else (),
            "sections": p.due.sections,
            "url": mail.absolute(p.due.url),
            "links": [(label, mail.absolute(path)) for label, path in p.due.links],
            "sentence": SENTENCES[Kind(p.due.kind)],
            "settings_url": mail.absolute(
                reverse("notifications:preferences", args=[organization.slug])
            ),
        },
        organization=organization,
        user=user,
        object_type=p.due.object_type,
        object_id=p.due.object_id,
        period=p.due.period,
        unsubscribe=mail.unsubscribe_url(p.member.pk, p.due.kind),
        send=send,
    )


def slot_of(now: datetime) -> datetime:
    """The start of the reminder slot ``now`` falls in (every CAIRN_REMIND_EVERY_MINUTES)."""
    every = max(1, settings.CAIRN_REMIND_EVERY_MINUTES) * 60
    epoch = int(now.timestamp()) // every * every
    return datetime.fromtimestamp(epoch, tz=UTC)


def claim_slot(now: datetime, worker: str = "") -> ReminderRun | None:
    """The run of this slot, if this caller is the first to claim it (a unique row: with
    several workers, one runs the reminders of a slot)."""
    try:
        with transaction.atomic():
            return ReminderRun.objects.create(slot=slot_of(now), worker=worker[:64])
    except IntegrityError:
        return None


def remind_in_slot(now: datetime | None = None, worker: str = "") -> ReminderRun | None:
    now = now or timezone.now()
    run = claim_slot(now, worker)
    if run is None:
        return None
    report = remind(now)
    ReminderRun.objects.filter(pk=run.pk).update(
        finished=timezone.now(), queued=report.queued, notified=report.notified
    )
    return run
