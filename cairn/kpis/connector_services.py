"""Every change to KPI connectors and every run of one: save, delete, test, run, schedule.

A run fetches the source (``connectors``), drops the dates Cairn already has with the same
value, and records the rest through ``services.record_bulk`` (the rules of a typed
measurement), all or nothing: one bad row and the run fails with a list of the problems and
writes nothing. A date Cairn has with another value takes the source's value (the source is
the system of record; the change is audited). ``FAILURES_BEFORE_ALERT`` failed runs in a row
tell the KPI's owner, once per streak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditAction, AuditVia, Membership, Role
from cairn.kpis import connectors, secrets
from cairn.kpis.connector_models import (
    FAILURES_BEFORE_ALERT,
    ConnectorKind,
    KpiConnector,
    KpiConnectorRun,
    RunTrigger,
)
from cairn.kpis.models import Kpi, Measurement
from cairn.kpis.services import MeasurementError, record_bulk

PREVIEW_ROWS = 20  # rows "Test now" shows
KEPT_RUNS = 200  # runs kept per connector; older ones are dropped
SOURCE = "connector"  # the source written on measurements a connector records

CHANGED_RULE = (
    "A date Cairn already has with the same value is left alone. A date with a different "
    "value takes the source's value: the source is taken as the system of record, and the "
    "change is in the activity log. A run with any bad row records nothing."
)


# --- Saving


def _audited(connector: KpiConnector) -> dict[str, Any]:
    """The audited values: never the secrets, only whether there are some."""
    return {
        "kpi": connector.kpi_id,
        "kind": connector.kind,
        "url": connector.url,
        "auth_header": connector.auth_header,
        "token": "saved" if connector.has_token else "",
        "database": connector.database_hint,
        "query": connector.query,
        "items_path": connector.items_path,
        "date_field": connector.date_field,
        "value_field": connector.value_field,
        "confirm_questioned": connector.confirm_questioned,
        "schedule": connector.schedule,
        "enabled": connector.enabled,
    }


PLAIN_FIELDS = (
    "kind", "url", "auth_header", "query", "items_path", "date_field", "value_field",
    "confirm_questioned", "schedule", "enabled",
)  # fmt: skip


def save_connector(
    kpi: Kpi,
    values: dict[str, Any],
    *,
    actor,
    via: AuditVia = AuditVia.WEB,
    connector: KpiConnector | None = None,
) -> KpiConnector:
    """Add the KPI's connector or change it. ``token`` and ``database_url`` in ``values``
    replace the saved ones when not empty (empty keeps them); ``clear_token`` removes the
    token. The first run is due at once."""
    if kpi.formula:
        raise core.ServiceError(f"“{kpi}” is calculated from its formula; feed its inputs.")
    creating = connector is None
    if creating:
        if KpiConnector.objects.filter(kpi=kpi).exists():
            raise core.ServiceError(f"“{kpi}” already has a connector: change that one.")
        connector = KpiConnector(kpi=kpi, organization=kpi.organization, created_by=actor)
    before = None if creating else _audited(connector)
    for name in PLAIN_FIELDS:
        if name in values:
            setattr(connector, name, values[name])
    if values.get("token"):
        connector.token_encrypted = secrets.encrypt(values["token"])
    elif values.get("clear_token"):
        connector.token_encrypted = ""
    if values.get("database_url"):
        connector.database_encrypted = secrets.encrypt(values["database_url"].strip())
        connector.database_hint = connectors.database_hint(values["database_url"])
    if connector.kind != ConnectorKind.SQL:
        connector.database_encrypted = connector.database_hint = ""
    else:
        connector.url = connector.auth_header = connector.token_encrypted = ""
        if not connector.database_encrypted:
            raise core.ServiceError("A query connector needs the database's address.")
    with transaction.atomic():
        if creating or connector.enabled and connector.next_run is None:
            connector.next_run = timezone.now()
        if not creating:
            connector.version = F("version") + 1
        connector.save()
        connector.refresh_from_db(fields=["version"])
        core.record(
            kpi.organization,
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=connector,
            before=before,
            after=_audited(connector),
            via=via,
        )
    return connector


def delete_connector(connector: KpiConnector, *, actor, via: AuditVia = AuditVia.WEB) -> None:
    """Remove a connector and its log (the values it recorded stay)."""
    with transaction.atomic():
        before, pk = _audited(connector), connector.pk
        connector.delete()
        core.record(
            connector.organization,
            actor=actor,
            action=AuditAction.DELETE,
            obj=connector,
            before=before,
            after=None,
            via=via,
            object_id=pk,
        )


# --- Reading the source and checking its rows


class RunFailed(Exception):
    """A run recorded nothing: ``error`` in words, ``problems`` as (row, what is wrong)."""

    def __init__(self, error: str, problems: list[tuple[int, str]] | None = None):
        super().__init__(error)
        self.error = error
        self.problems = (problems or [])[: connectors.MAX_PROBLEMS]


def read(connector: KpiConnector) -> connectors.Parsed:
    """Fetch and parse the source, or RunFailed."""
    try:
        if connector.kind == ConnectorKind.SQL:
            return connectors.query(
                secrets.decrypt(connector.database_encrypted),
                connector.query,
                connector.date_field,
                connector.value_field,
            )
        headers = {}
        if connector.auth_header and connector.token_encrypted:
            headers[connector.auth_header] = secrets.decrypt(connector.token_encrypted)
        body = connectors.fetch(connector.url, headers)
        if connector.kind == ConnectorKind.JSON_URL:
            return connectors.parse_json(
                body, connector.items_path, connector.date_field, connector.value_field
            )
        return connectors.parse_table(body, connector.date_field, connector.value_field)
    except (connectors.FetchError, secrets.SecretError) as e:
        raise RunFailed(str(e)) from None


@dataclass
class Outcome:
    """What a run records, or would: counts and the rows, each with what happens to it."""

    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rows: list[tuple[int, date, float, str]] = field(default_factory=list)  # … , "new" etc.


class _DryRun(Exception):
    """Raised inside the transaction of a test: everything it wrote is undone."""


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def apply(connector: KpiConnector, parsed: connectors.Parsed, *, write: bool) -> Outcome:
    """Check the rows with the rules of a typed measurement and record the new and changed
    ones in one transaction (``write`` False: undone at the end, for "Test now"). Raises
    RunFailed with the problems; then nothing is written."""
    if parsed.problems:
        raise RunFailed(
            f"{len(parsed.problems)} row(s) of the source could not be read; nothing was recorded.",
            parsed.problems,
        )
    latest: dict[date, tuple[int, float]] = {}
    for number, day, value in parsed.rows:  # the same date twice: the later row counts
        latest[day] = (number, value)
    kpi = connector.kpi
    have = dict(
        Measurement.objects.filter(kpi=kpi, date__in=list(latest)).values_list("date", "value")
    )
    outcome = Outcome(read=parsed.read)
    items, numbers = [], []
    for day, (number, value) in sorted(latest.items()):
        if day in have and _same(have[day], value):
            outcome.unchanged += 1
            what = "unchanged"
        else:
            what = "changed" if day in have else "new"
            items.append(
                {
                    "kpi": kpi.pk,
                    "date": day,
                    "value": value,
                    "source": SOURCE,
                    "confirmed": connector.confirm_questioned,
                }
            )
            numbers.append(number)
        outcome.rows.append((number, day, value, what))
    outcome.changed = sum(1 for r in outcome.rows if r[3] == "changed")
    outcome.added = len(items) - outcome.changed
    if not items:
        return outcome
    try:
        with transaction.atomic():
            record_bulk(kpi.organization, items, actor=None, via=AuditVia.API)
            if not write:
                raise _DryRun
    except _DryRun:
        pass
    except MeasurementError as e:
        problems = [
            (numbers[index], f"{name}: {_plain(message)}") for index, name, message in e.problems
        ]
        raise RunFailed(
            f"{len(e.problems)} row(s) were refused by the KPI's rules; nothing was recorded.",
            problems,
        ) from None
    return outcome


def _plain(message: str) -> str:
    """record_bulk's advice is for API callers; a connector's owner ticks a box instead."""
    return message.replace(
        "Send “confirmed”: true to keep it.",
        "Tick “keep values Cairn would question” to record such values.",
    )


@dataclass
class Preview:
    """What "Test now" shows: the outcome, or the error and problems."""

    outcome: Outcome | None = None
    error: str = ""
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def shown(self):
        return self.outcome.rows[:PREVIEW_ROWS] if self.outcome else []


def preview(connector: KpiConnector) -> Preview:
    """Fetch and check as a run would, and show what it would record; writes nothing."""
    try:
        return Preview(outcome=apply(connector, read(connector), write=False))
    except RunFailed as e:
        return Preview(error=e.error, problems=e.problems)


# --- Runs


def run(
    connector: KpiConnector, *, trigger: str = RunTrigger.SCHEDULE, now: datetime | None = None
) -> KpiConnectorRun:
    """Run a connector once: fetch, check, record, log the run, count failures and alert."""
    started = now or timezone.now()
    log = KpiConnectorRun(connector=connector, trigger=trigger, started=started)
    try:
        outcome = None
        outcome = apply(connector, read(connector), write=True)
    except RunFailed as e:
        log.error, log.problems = e.error, [list(p) for p in e.problems]
    except Exception as e:  # noqa: BLE001 - an unforeseen failure is logged like any other
        log.error = f"The run stopped on an unexpected error ({type(e).__name__})."
    if outcome is not None:
        log.ok = True
        log.rows_read, log.rows_added = outcome.read, outcome.added
        log.rows_changed, log.rows_unchanged = outcome.changed, outcome.unchanged
    log.finished = timezone.now()
    with transaction.atomic():
        log.save()
        if log.ok:
            KpiConnector.objects.filter(pk=connector.pk).update(
                consecutive_failures=0, failing_since=None, last_run=started
            )
        else:
            KpiConnector.objects.filter(pk=connector.pk).update(
                consecutive_failures=F("consecutive_failures") + 1, last_run=started
            )
            KpiConnector.objects.filter(pk=connector.pk, failing_since=None).update(
                failing_since=started
            )
        old = KpiConnectorRun.objects.filter(connector=connector).values_list("pk", flat=True)
        stale = list(old[KEPT_RUNS : KEPT_RUNS + 500])
        if stale:
            KpiConnectorRun.objects.filter(pk__in=stale).delete()
    connector.refresh_from_db(fields=["consecutive_failures", "failing_since", "last_run"])
    if not log.ok and connector.consecutive_failures == FAILURES_BEFORE_ALERT:
        alert(connector, log)
    return log


def run_by_id(connector_id: int, trigger: str = RunTrigger.SCHEDULE) -> KpiConnectorRun | None:
    """The worker's entry: run the connector if it still exists."""
    connector = (
        KpiConnector.objects.select_related("kpi", "organization").filter(pk=connector_id).first()
    )
    if connector is None:
        return None
    return run(connector, trigger=trigger)


def claim_due(now: datetime | None = None, limit: int = 100) -> list[int]:
    """The connectors whose time has come, each claimed by moving its next run one interval
    on (a second worker looking at the same moment claims none of them)."""
    now = now or timezone.now()
    due = KpiConnector.objects.filter(enabled=True, next_run__lte=now).order_by("next_run")
    claimed = []
    for pk, schedule_at, schedule in due.values_list("pk", "next_run", "schedule")[:limit]:
        connector = KpiConnector(schedule=schedule)
        taken = KpiConnector.objects.filter(pk=pk, next_run=schedule_at).update(
            next_run=now + connector.interval
        )
        if taken:
            claimed.append(pk)
    return claimed


def enqueue(connector_ids: Iterable[int], trigger: str = RunTrigger.SCHEDULE) -> None:
    """Hand runs to the worker (after the current transaction commits)."""
    from cairn.kpis.connector_tasks import run_connector

    for pk in connector_ids:
        transaction.on_commit(lambda pk=pk: run_connector.enqueue(pk, str(trigger)), robust=True)


def run_now(connector: KpiConnector) -> None:
    """ "Run now": the worker runs it as soon as it can."""
    enqueue([connector.pk], RunTrigger.MANUAL)


# --- The alert


def alert(connector: KpiConnector, log: KpiConnectorRun) -> int:
    """Tell the KPI's owner (a member named like the owner field), or when no member is,
    the organisation's owners and editors, that the connector keeps failing. Returns how
    many people were told; once per streak of failures."""
    from cairn.notifications import mail
    from cairn.notifications import services as notes
    from cairn.notifications.kinds import Channel, Due, Kind
    from cairn.notifications.models import make_key

    org, kpi = connector.organization, connector.kpi
    people = notes.People.load(org)
    url = reverse("kpis:connector", args=[org.slug, kpi.pk])
    due = Due(
        kind=Kind.CONNECTOR_FAILING,
        object_type="kpis.kpiconnector",
        object_id=connector.pk,
        period=(connector.failing_since or log.started).isoformat(),
        subject=f"The connector of “{kpi.name}” failed {connector.consecutive_failures} times",
        lines=(
            f"It has failed {connector.consecutive_failures} runs in a row.",
            f"The last run said: {log.error}",
            "No values were recorded by those runs; the KPI keeps its older ones.",
        ),
        url=url,
        owner=kpi.owner,
    )
    members = people.recipients(due)
    if not members:
        members = [m for m in people.members if m.role in (Role.OWNER, Role.EDITOR)]
    planned = []
    for member in members:
        channel = people.channel(member, due.kind)
        if channel != Channel.OFF:
            key = make_key(due.kind, due.object_type, due.object_id, due.period, member.user_id)
            planned.append(notes.Planned(member, due, channel, key))
    report = notes.RemindReport()
    notes.write(org, planned, timezone.now(), report)
    if report.queued:
        transaction.on_commit(mail.enqueue_sending)
    return report.notified


def owners_told(connector: KpiConnector) -> list[Membership]:
    """Who the alert would go to (for the page: "the owner, Tom, is told after 3 failures")."""
    from cairn.notifications import services as notes
    from cairn.notifications.kinds import Due, Kind

    people = notes.People.load(connector.organization)
    due = Due(Kind.CONNECTOR_FAILING, "kpis.kpiconnector", 0, "", "", owner=connector.kpi.owner)
    return people.recipients(due)
