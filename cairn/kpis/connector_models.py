"""KPI connectors: where a KPI's values come from on a schedule, and the log of each run.

Imported by ``cairn.kpis.models``; the fetching lives in ``connectors``, the runs in
``connector_services``.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from cairn.core.models import OrgModel

FAILURES_BEFORE_ALERT = 3  # failed runs in a row before the KPI's owner is told


class ConnectorKind(models.TextChoices):
    CSV_URL = "csv_url", "A CSV or Excel file at a web address"
    JSON_URL = "json_url", "A JSON answer from a web address"
    SQL = "sql", "A query on a database"


class ConnectorSchedule(models.TextChoices):
    HOURLY = "hourly", "Every hour"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"


INTERVALS = {
    ConnectorSchedule.HOURLY: timedelta(hours=1),
    ConnectorSchedule.DAILY: timedelta(days=1),
    ConnectorSchedule.WEEKLY: timedelta(days=7),
}


class KpiConnector(OrgModel):
    """Where one KPI's values are fetched from on a schedule: a file or JSON at a web address,
    or a query on a read-only database. The token and the database address are secrets,
    stored encrypted (``cairn.kpis.secrets``) and never shown again."""

    kpi = models.OneToOneField("kpis.Kpi", on_delete=models.CASCADE, related_name="connector")
    kind = models.CharField(max_length=10, choices=ConnectorKind.choices)
    url = models.CharField("web address", max_length=500, blank=True)
    auth_header = models.CharField("header name", max_length=100, blank=True)
    token_encrypted = models.TextField(blank=True, editable=False)
    database_encrypted = models.TextField(blank=True, editable=False)
    database_hint = models.CharField(max_length=200, blank=True, editable=False)
    query = models.TextField(max_length=4000, blank=True)
    items_path = models.CharField("list of items", max_length=200, blank=True)
    date_field = models.CharField("date", max_length=100, default="date")
    value_field = models.CharField("value", max_length=100, default="value")
    confirm_questioned = models.BooleanField("keep values Cairn would question", default=False)
    schedule = models.CharField(
        max_length=10, choices=ConnectorSchedule.choices, default=ConnectorSchedule.DAILY
    )
    enabled = models.BooleanField("on", default=True)
    next_run = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_run = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["enabled", "next_run"])]

    def __str__(self) -> str:
        return f"Connector of {self.kpi_id and self.kpi.name}"

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)

    @property
    def has_database(self) -> bool:
        return bool(self.database_encrypted)

    @property
    def interval(self) -> timedelta:
        return INTERVALS[ConnectorSchedule(self.schedule)]

    @property
    def source_label(self) -> str:
        """Where the values come from, without any secret."""
        if self.kind == ConnectorKind.SQL:
            return self.database_hint or "a database"
        return self.url


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "On schedule"
    MANUAL = "manual", "Run now"


class KpiConnectorRun(models.Model):
    """One run of a connector: when, what it recorded, and, when it failed, why in words."""

    connector = models.ForeignKey(KpiConnector, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    rows_read = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True)  # [[row, what is wrong], …] at most 20

    class Meta:
        ordering = ["-started", "-id"]
        indexes = [models.Index(fields=["connector", "-started"])]

    def __str__(self) -> str:
        return f"Run of {self.connector_id} at {self.started:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        if self.finished is None:
            return None
        return (self.finished - self.started).total_seconds()
