"""What Cairn tells people, and how: the kinds of notification, the sentence each shows in a
person's settings, the channels, and the shape every rule returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models


class Kind(models.TextChoices):
    KPI_DUE = "kpi_due", "A KPI value is due"
    KPI_STALE = "kpi_stale", "A KPI has gone stale"
    ACTION_DUE = "action_due", "An action is due soon"
    ACTION_OVERDUE = "action_overdue", "An action is overdue"
    REPORT_DUE = "report_due", "A status report is due"
    MEETING_SOON = "meeting_soon", "A committee meeting is coming"
    DECISIONS_WAITING = "decisions_waiting", "Decisions are waiting"
    REVIEW_DUE = "review_due", "The strategy review is due"
    POLICY_REVIEW = "policy_review", "A policy review is due"
    DIGEST = "digest", "The weekly digest"
    CONNECTOR_FAILING = "connector_failing", "A KPI's connector keeps failing"


# The sentence shown beside each kind in a person's settings: who is told, and when.
SENTENCES = {
    Kind.KPI_DUE: "When a new value of a KPI you own is due, by the KPI's rhythm, with a "
    "link to the form that records it.",
    Kind.KPI_STALE: "When a KPI you own has gone without a value for longer than its rhythm "
    "allows (it is then shown as stale on the dashboard).",
    Kind.ACTION_DUE: "Three days before an action you own is due.",
    Kind.ACTION_OVERDUE: "The day after an action you own was due, if it is not done.",
    Kind.REPORT_DUE: "When a status report on an initiative you own is due (every reporting "
    "period of your organisation).",
    Kind.MEETING_SOON: "Five days before a committee meeting you sit on, with its agenda and "
    "the briefing pack.",
    Kind.DECISIONS_WAITING: "When the committee you sit on has proposals waiting for a "
    "decision, once a week while they wait.",
    Kind.REVIEW_DUE: "When the committee's next strategy review is due within a month, and "
    "when it is overdue.",
    Kind.POLICY_REVIEW: "When a policy you own is due for review within a month, and when the "
    "review is overdue.",
    Kind.DIGEST: "Once a week, on the day and at the hour you choose: what changed, what is "
    "off track, and the wins.",
    Kind.CONNECTOR_FAILING: "When the connector feeding a KPI you own has failed three runs "
    "in a row (once, until it works again). A KPI owned by no member: its organisation's "
    "owners and editors are told.",
}


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    INBOX = "inbox", "In Cairn only"
    OFF = "off", "Off"


# What a person gets when neither they nor their organisation chose otherwise.
DEFAULTS = dict.fromkeys(Kind, Channel.EMAIL) | {Kind.DIGEST: Channel.OFF}


@dataclass(frozen=True)
class Due:
    """One thing a rule says someone should be told now.

    ``owner`` is the free-text owner name written on the row (a KPI's, an action's, an
    initiative's, a policy's): it is matched to the organisation's members by full name,
    user name or e-mail address. ``member_ids`` names memberships directly (the committee's
    members). ``period`` is what makes the reminder happen once: the same kind, object,
    person and period is never told twice. ``url`` is the path of the page to open (no host).
    """

    kind: Kind
    object_type: str  # "app_label.model"
    object_id: int
    period: str  # e.g. "2026-11" for a monthly KPI, the due date for an action
    subject: str  # a short line, without the organisation's name
    lines: tuple[str, ...] = ()  # the body, one sentence or fact a line
    url: str = ""
    owner: str = ""
    member_ids: tuple[int, ...] = ()
    links: tuple[tuple[str, str], ...] = field(default=())  # (label, path): further links
    # (title, lines) for a mail in parts (the digest); the inbox shows ``lines``.
    sections: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
