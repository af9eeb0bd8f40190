"""Cairn's speed checks: `make bench` runs them and writes benchmarks/results.json and a table.

Each benchmark builds its data in a throwaway SQLite database (or the one DATABASE_URL
names), times the real code path, and reports rows per second. Nothing here is a test:
targets are printed beside the figures for a person to judge.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_import_applications(n: int = 20_000) -> dict:
    """Import n applications (each linked to two capabilities) from CSV, then re-import,
    through the one import engine (what the data page's worker and `cairn import` run)."""
    from django.contrib.auth.models import User

    from cairn.assessment.models import Application, Capability
    from cairn.core import services
    from cairn.core.tabular import write_table
    from cairn.exchange import books

    user = User.objects.create_user(f"bench{time.time_ns()}")
    org = services.create_organization("Bench", owner=user)
    for i in range(20):
        Capability.objects.create(organization=org, name=f"Capability {i}")
    kind = books.kind_for("applications")
    rows = [
        [
            f"App {i:06}",
            f"Vendor {i % 300}",
            "IT",
            1000 + i,
            i % 500,
            "active",
            1 + i % 5,
            1 + (i // 5) % 5,
            f"Capability {i % 20}; Capability {(i + 7) % 20}",
            "",
            "",
            "",
        ]
        for i in range(n)
    ]
    content = write_table(kind.headers_for(org), rows, "csv")
    results = {}
    for label in ("first import", "re-import, unchanged"):
        start = time.perf_counter()
        (outcome,) = books.import_kind(org, kind, io.BytesIO(content), "apps.csv", actor=user)
        seconds = time.perf_counter() - start
        results[label] = {
            "rows": n,
            "seconds": round(seconds, 2),
            "rows_per_second": round(n / seconds),
            "added": len(outcome.added),
            "updated": len(outcome.changed),
            "unchanged": outcome.unchanged,
        }
    assert Application.objects.filter(organization=org).count() == n
    return {
        "name": f"import {n:,} applications from CSV",
        "target": "a few seconds",
        "results": results,
    }


def main() -> None:
    setup_django()
    from django.db import connection
    from exchange import bench_workbook, print_workbook
    from execution import bench_execution, print_execution
    from kpis import bench_bulk_api, bench_dashboard, bench_import_measurements, print_dashboard
    from language import bench_plain_language, print_language
    from portfolio import bench_portfolio, print_table
    from schedule import bench_schedule
    from schedule import print_table as print_schedule
    from suggest import bench_suggest, print_suggest
    from uncertainty import bench_uncertainty, print_uncertainty

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    # First, while the process is small: it reports the peak memory of the import.
    measurements = bench_import_measurements()
    bulk_api = bench_bulk_api()
    dashboard = bench_dashboard()
    portfolio = bench_portfolio()
    schedule = bench_schedule()
    language = bench_plain_language()
    execution = bench_execution()
    workbook = bench_workbook()
    suggested = bench_suggest()
    uncertainty = bench_uncertainty()
    report = {
        "database": connection.vendor,
        "benchmarks": [bench_import_applications(n), measurements, bulk_api],
        "kpi_dashboard": dashboard,
        "portfolio": portfolio,
        "schedule": schedule,
        "plain_language": language,
        "execution": execution,
        "workbook_import": workbook,
        "suggested_links": suggested,
        "uncertainty": uncertainty,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"database: {report['database']}")
    print(f"{'benchmark':<45} {'case':<22} {'rows':>8} {'seconds':>8} {'rows/s':>9}")
    for b in report["benchmarks"]:
        for case, r in b["results"].items():
            print(
                f"{b['name']:<45} {case:<22} {r['rows']:>8,} {r['seconds']:>8} "
                f"{r['rows_per_second']:>9,}"
            )
        print(f"  target: {b['target']}")
        if "summary" in b:
            print(f"  {b['summary']}")
    print_dashboard(dashboard)
    print_table(portfolio)
    print_schedule(schedule)
    print_language(language)
    print_execution(execution)
    print_workbook(workbook)
    print_suggest(suggested)
    print_uncertainty(uncertainty)


if __name__ == "__main__":
    main()
