"""Summit's KPI connector: weekly web-shop orders, read from a CSV file the demo server serves
itself (``static/cairn/demo/weekly-orders.csv``). The address is on this machine, which the
demo may reach because development allows private addresses
(``CAIRN_CONNECTORS_ALLOW_PRIVATE``); the worker of ``make run`` runs it within a minute."""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static

from cairn.core.demo import ensure
from cairn.core.models import AuditVia
from cairn.kpis import connector_services
from cairn.kpis.connector_models import ConnectorSchedule, KpiConnector
from cairn.kpis.models import Kpi

NAME = "Web shop orders per week"
FILE = "cairn/demo/weekly-orders.csv"


def feed_url() -> str:
    """The file's address on the demo server (127.0.0.1 rather than "localhost", which may
    answer on IPv6 first while the development server listens on IPv4)."""
    base = settings.CAIRN_BASE_URL.replace("://localhost", "://127.0.0.1")
    return base + static(FILE)


def load(org, actor) -> KpiConnector:
    """Add the KPI and its connector, unless they are there already."""
    kpi = ensure(
        Kpi,
        org,
        actor,
        lookup={"name": NAME},
        defaults={
            "unit": "orders",
            "direction": "up",
            "rhythm": "weekly",
            "owner": "Tom Lindqvist",
            "replaces": "Web server requests per second",
            "description": "Orders placed on the web shop each week, from the shop's export.",
        },
    )
    found = KpiConnector.objects.filter(kpi=kpi).first()
    if found is not None:
        return found
    return connector_services.save_connector(
        kpi,
        {
            "kind": "csv_url",
            "url": feed_url(),
            "schedule": ConnectorSchedule.DAILY,
            "confirm_questioned": True,
        },
        actor=actor,
        via=AuditVia.CLI,
    )
