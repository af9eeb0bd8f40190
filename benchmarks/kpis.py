"""The ascent at realistic sizes: importing a million measurements, the bulk API, the dashboard.

Needs Django set up (``run.py`` does it). BENCH_MEASUREMENTS lowers the number of
measurements of the import and of the dashboard's organisation for a quick run.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

KPIS = 500
GOALS = 10
INITIATIVES = 2_000
REQUESTS = 15  # timed requests per page, after two to warm up
HOST = "localhost"  # the test client's default "testserver" is not in ALLOWED_HOSTS


def measurements(default: int) -> int:
    return int(os.environ.get("BENCH_MEASUREMENTS", default))


def _owner_and_org(name: str):
    """A new user and an organisation they own."""
    from django.contrib.auth.models import User

    from cairn.core import services

    user = User.objects.create_user(f"bench{time.time_ns()}")
    return user, services.create_organization(name, owner=user)


def _kpis(org, **fields) -> list:
    from cairn.kpis.models import Kpi

    return [
        Kpi.objects.create(organization=org, name=f"Business KPI {i:03}", **fields)
        for i in range(KPIS)
    ]


def _rows(n: int, today: date) -> Iterator[tuple[int, date, float, str, str]]:
    """n measurements as (KPI index, date, value, source, note), day by day for every KPI,
    distinct (KPI, date) pairs, all of them before today."""
    days = -(-n // KPIS)
    first = today - timedelta(days=days)
    for i in range(n):
        yield (
            i % KPIS,
            first + timedelta(days=i // KPIS),
            round(50 + (i * 7919 % 10_000) / 100, 2),
            "ERP report",
            "Year-end rush" if i % 100 == 0 else "",
        )


def _peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_import_measurements(n: int = 1_000_000) -> dict:
    """Import n measurements of 500 KPIs from a CSV file on disk, against a plain
    bulk_create of the same rows into the same table."""
    from django.utils import timezone

    from cairn.kpis import services
    from cairn.kpis.models import Measurement

    n = measurements(n)
    _user, org = _owner_and_org("Bench import")
    kpis = _kpis(org)
    today = timezone.localdate()
    path = Path(tempfile.mkdtemp()) / "m.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["kpi", "date", "value", "source", "note"])
        for k, day, value, source, note in _rows(n, today):
            out.writerow([kpis[k].name, day.isoformat(), value, source, note])
    size_mb = round(path.stat().st_size / 2**20, 1)
    results = {}

    # The import runs first, so that the peak memory it reaches is its own.
    peak_before = _peak_mb()
    start = time.perf_counter()
    with path.open("rb") as f:
        added, updated = services.import_file(org, f, "m.csv", actor=None)
    seconds = time.perf_counter() - start
    peak_after = _peak_mb()
    assert (added, updated) == (n, 0), (added, updated)
    assert Measurement.objects.filter(kpi__organization=org).count() == n
    results["import_file"] = {
        "rows": n,
        "seconds": round(seconds, 2),
        "rows_per_second": round(n / seconds),
    }
    Measurement.objects.filter(kpi__organization=org).delete()
    path.unlink()

    rows = [
        (kpis[k].pk, day, value, source, note) for k, day, value, source, note in _rows(n, today)
    ]
    start = time.perf_counter()
    Measurement.objects.bulk_create(
        [
            Measurement(kpi_id=k, date=day, value=value, source=source, note=note)
            for k, day, value, source, note in rows
        ],
        batch_size=2000,
    )
    seconds = time.perf_counter() - start
    assert Measurement.objects.filter(kpi__organization=org).count() == n
    results["plain bulk_create"] = {
        "rows": n,
        "seconds": round(seconds, 2),
        "rows_per_second": round(n / seconds),
    }
    del rows
    Measurement.objects.filter(kpi__organization=org).delete()

    ratio = (
        results["import_file"]["rows_per_second"] / results["plain bulk_create"]["rows_per_second"]
    )
    return {
        "name": f"import {n:,} measurements from CSV",
        "target": "import at least half as fast as a plain bulk_create (ratio ≥ 0.5)",
        "results": results,
        "file_mb": size_mb,
        "ratio_import_to_plain": round(ratio, 2),
        "peak_memory_mb": {
            "before_import": peak_before,
            "after_import": peak_after,
            "growth": round(peak_after - peak_before, 1),
            "note": "process peak resident memory (ru_maxrss)",
        },
        "summary": f"import/plain {ratio:.2f}; process peak memory {peak_before:,.0f} MB "
        f"before the import, {peak_after:,.0f} MB after (+{peak_after - peak_before:,.0f} MB); "
        f"file {size_mb} MB",
    }


def bench_bulk_api(n: int = 10_000) -> dict:
    """POST n new measurements of 500 KPIs to the bulk API in one request, then the same again."""
    from django.test import Client
    from django.utils import timezone

    from cairn.core import services

    user, org = _owner_and_org("Bench API")
    kpis = _kpis(org)
    _token, key = services.create_api_token(user, "bench")
    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {key}")

    body = json.dumps(
        {
            "items": [
                {"kpi": kpis[k].pk, "date": day.isoformat(), "value": value}
                for k, day, value, _source, _note in _rows(n, timezone.localdate())
            ]
        }
    )
    url = f"/api/v1/orgs/{org.slug}/measurements"
    results = {}
    for label, expected in (
        (f"{n:,} new", {"added": n, "updated": 0}),
        (f"same {n:,} again", {"added": 0, "updated": n}),
    ):
        start = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        seconds = time.perf_counter() - start
        assert response.status_code == 201, (response.status_code, response.content[:500])
        assert response.json() == expected, response.json()
        results[label] = {
            "rows": n,
            "seconds": round(seconds, 2),
            "rows_per_second": round(n / seconds),
        }
    return {
        "name": f"bulk API: {n:,} measurements in one POST",
        "target": "a few seconds",
        "results": results,
        "request_mb": round(len(body) / 2**20, 2),
    }


def _time_page(client, url: str, cold: bool = False) -> list[float]:
    """Milliseconds of REQUESTS GETs of a page, after two to warm up; ``cold`` empties the
    cache before each, so that the page computes everything afresh."""
    from django.core.cache import cache

    times = []
    for i in range(2 + REQUESTS):
        if cold:
            cache.clear()
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        if i >= 2:
            times.append(elapsed * 1000)
    return times


def bench_dashboard(n: int = 1_000_000) -> dict:
    """The dashboard of a large organisation (10 goals, 500 KPIs, n measurements, 2,000
    initiatives) against a small page of the same app, the KPI library."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cairn.goals.models import BusinessGoal
    from cairn.kpis import services
    from cairn.kpis.models import Kpi, Measurement
    from cairn.portfolio.models import Initiative, Kind, Status

    n = measurements(n)
    user, org = _owner_and_org("Bench dashboard")
    today = timezone.localdate()
    per_kpi = -(-n // KPIS)
    first = today - timedelta(days=per_kpi)
    target_date = today + timedelta(days=730)
    goals = BusinessGoal.objects.bulk_create(
        BusinessGoal(organization=org, title=f"Business goal {g}", target_date=target_date)
        for g in range(GOALS)
    )
    kpis = []
    for i in range(KPIS):
        up = i % 3 != 0
        kpis.append(
            Kpi.objects.create(
                organization=org,
                name=f"Business KPI {i:03}",
                unit="%" if up else "days",
                direction="up" if up else "down",
                baseline_value=100.0,
                baseline_date=first,
                target_value=150.0 if up else 50.0,
                target_date=target_date,
            )
        )
    Kpi.goals.through.objects.bulk_create(
        Kpi.goals.through(kpi_id=k.pk, businessgoal_id=goals[i % GOALS].pk)
        for i, k in enumerate(kpis)
    )
    # Each KPI moves at its own pace (0.5 to 1.6 of the straight path), with some noise, so
    # that every status shows; one in twenty stopped being measured two months ago (stale).
    span = (target_date - first).days
    batch = []
    for i, kpi in enumerate(kpis):
        pace = 0.5 + (i % 12) / 10
        sign = 1 if kpi.direction == "up" else -1
        start = first - timedelta(days=60 if i % 20 == 0 else 0)
        for d in range(min(per_kpi, n - i * per_kpi)):
            noise = ((i * 7919 + d * 104_729) % 1000) / 500 - 1
            value = 100 + sign * (50 * pace * d / span + noise)
            batch.append(
                Measurement(kpi_id=kpi.pk, date=start + timedelta(days=d), value=round(value, 2))
            )
        if len(batch) >= 100_000:
            Measurement.objects.bulk_create(batch, batch_size=2000)
            batch = []
    Measurement.objects.bulk_create(batch, batch_size=2000)
    stored = Measurement.objects.filter(kpi__organization=org).count()
    services.refresh(k.pk for k in kpis)
    initiatives = Initiative.objects.bulk_create(
        Initiative(
            organization=org,
            title=f"Initiative {i:04}",
            one_off_cost=Decimal(10_000 + i * 37 % 90_000),
            running_cost=Decimal(1_000 + i * 13 % 9_000),
            kind=Kind.RUN if i % 3 == 0 else Kind.CHANGE,
            status=Status.IDEA,
        )
        for i in range(INITIATIVES)
    )
    Initiative.goals.through.objects.bulk_create(
        Initiative.goals.through(initiative_id=x.pk, businessgoal_id=goals[i % GOALS].pk)
        for i, x in enumerate(initiatives)
        if i % 5  # four in five serve a goal
    )

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    dashboard_url = f"/o/{org.slug}/"
    library_url = f"/o/{org.slug}/ascent/library/"
    cold = _time_page(client, dashboard_url, cold=True)
    dashboard = _time_page(client, dashboard_url)
    library = _time_page(client, library_url)
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(dashboard_url)
    with CaptureQueriesContext(connection) as cached_queries:
        client.get(dashboard_url)
    assert response.status_code == 200
    statuses = {}
    for kpi in Kpi.objects.filter(organization=org):
        statuses[kpi.status.value] = statuses.get(kpi.status.value, 0) + 1
    dashboard_ms = statistics.median(dashboard)
    cold_ms = statistics.median(cold)
    library_ms = statistics.median(library)
    return {
        "name": "dashboard of a large organisation",
        "target": "median under 3× that of the KPI library page",
        "data": {
            "goals": GOALS,
            "kpis": KPIS,
            "measurements": stored,
            "initiatives": INITIATIVES,
            "initiatives_serving_a_goal": INITIATIVES - INITIATIVES // 5,
            "kpi_statuses": statuses,
        },
        "requests": REQUESTS,
        "dashboard_median_ms": round(dashboard_ms, 1),
        "dashboard_min_max_ms": [round(min(dashboard), 1), round(max(dashboard), 1)],
        "library_median_ms": round(library_ms, 1),
        "library_min_max_ms": [round(min(library), 1), round(max(library), 1)],
        "ratio": round(dashboard_ms / library_ms, 2),
        "cold_median_ms": round(cold_ms, 1),
        "cold_min_max_ms": [round(min(cold), 1), round(max(cold), 1)],
        "cold_ratio": round(cold_ms / library_ms, 2),
        "dashboard_queries": len(queries),
        "cached_queries": len(cached_queries),
        "dashboard_kb": round(len(response.content) / 1024, 1),
    }


def print_dashboard(result: dict) -> None:
    data = result["data"]
    print(
        f"\n{result['name']}: {data['goals']} goals, {data['kpis']} KPIs, "
        f"{data['measurements']:,} measurements, {data['initiatives']:,} initiatives"
    )
    print(f"  target: {result['target']}")
    print(f"{'page':<22} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for page, label in (
        ("cold", "dashboard, computed"),
        ("dashboard", "dashboard, cached"),
        ("library", "library (minimal)"),
    ):
        low, high = result[f"{page}_min_max_ms"]
        print(f"{label:<22} {result[f'{page}_median_ms']:>10} {low:>8} {high:>8}")
    print(
        f"  computed: {result['cold_ratio']}× the library, {result['dashboard_queries']} "
        f"queries; cached (until the organisation's data changes): {result['ratio']}×, "
        f"{result['cached_queries']} queries; {result['dashboard_kb']} kB"
    )
