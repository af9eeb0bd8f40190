"""Execution at scale: 2,000 initiatives under way, five years of monthly spend on each
(120,000 actuals), a report a month for the last year, and a benefit on every other one.
The execution pages, computed afresh, against the KPI library page of the same run."""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from decimal import Decimal

from kpis import HOST, _owner_and_org, _time_page

INITIATIVES = 2_000
YEARS = 5
REPORT_MONTHS = 12


def bench_execution(initiatives: int = INITIATIVES) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cairn.core.calendar import add_months
    from cairn.execution.models import Actual, Benefit, StatusReport
    from cairn.kpis.models import Kpi, Measurement
    from cairn.portfolio.models import Initiative, Status
    from cairn.roadmap.models import Plan, RoadmapItem

    user, org = _owner_and_org("Bench execution")
    today = timezone.localdate()
    month = today.replace(day=1)
    first_month = add_months(month, -12 * YEARS)
    Plan.objects.create(organization=org, starts_on=add_months(month, -3), granularity="month")
    made = Initiative.objects.bulk_create(
        Initiative(
            organization=org,
            title=f"Initiative {i:04}",
            status=Status.IN_PROGRESS,
            one_off_cost=Decimal(50_000 + i * 37 % 90_000),
            running_cost=Decimal(1_000 + i * 13 % 9_000),
        )
        for i in range(initiatives)
    )
    RoadmapItem.objects.bulk_create(
        RoadmapItem(organization=org, initiative=x, duration=6 + i % 18, start=i % 6)
        for i, x in enumerate(made)
    )
    batch = []
    for i, x in enumerate(made):
        for k in range(12 * YEARS):
            amount = Decimal(500 + (i * 31 + k * 17) % 2_500)
            batch.append(
                Actual(
                    organization=org,
                    initiative=x,
                    month=add_months(first_month, k),
                    amount=amount,
                    source="bench",
                )  # fmt: skip
            )
        if len(batch) >= 50_000:
            Actual.objects.bulk_create(batch, batch_size=5_000)
            batch = []
    Actual.objects.bulk_create(batch, batch_size=5_000)
    health = ["green", "amber", "red", "green"]
    reports = []
    for i, x in enumerate(made):
        for k in range(REPORT_MONTHS):
            day = add_months(month, -REPORT_MONTHS + k) + timedelta(days=14)
            h = health[(i + k) % 4]
            reports.append(
                StatusReport(
                    organization=org,
                    initiative=x,
                    reported_on=day,
                    period=day.replace(day=1),
                    health=h,
                    scope_health=h,
                    schedule_health=h,
                    cost_health=h,
                    percent_complete=min(100, 5 * k + i % 7),
                    progress="Going.",
                )  # fmt: skip
            )
    StatusReport.objects.bulk_create(reports, batch_size=5_000)
    kpi = Kpi.objects.create(organization=org, name="Orders shipped", unit="orders")
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, date=month - timedelta(days=30 * k), value=1000 + 5 * (40 - k))
        for k in range(40)
    )
    Benefit.objects.bulk_create(
        Benefit(
            organization=org,
            initiative=x,
            kpi=kpi,
            change=10 + i % 50,
            due=date(today.year + 2, 12, 31),
        )  # fmt: skip
        for i, x in enumerate(made)
        if i % 2 == 0
    )
    stored = Actual.objects.filter(organization=org).count()

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    pages = {
        "overview": f"/o/{org.slug}/execution/",
        "spend": f"/o/{org.slug}/execution/spend/",
        "benefits": f"/o/{org.slug}/execution/benefits/",
        "dashboard": f"/o/{org.slug}/",
    }
    library = statistics.median(_time_page(client, f"/o/{org.slug}/ascent/library/"))
    result = {
        "name": "execution pages of a large organisation",
        "target": "each computed afresh under 3× the KPI library page",
        "data": {"initiatives": initiatives, "actuals": stored, "reports": len(reports)},
        "library_median_ms": round(library, 1),
        "pages": {},
    }
    for name, url in pages.items():
        cold = statistics.median(_time_page(client, url, cold=True))
        cached = statistics.median(_time_page(client, url))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        result["pages"][name] = {
            "computed_ms": round(cold, 1),
            "computed_ratio": round(cold / library, 2),
            "cached_ms": round(cached, 1),
            "cached_ratio": round(cached / library, 2),
            "cached_queries": len(queries),
            "kb": round(len(response.content) / 1024, 1),
        }
    return result


def print_execution(result: dict) -> None:
    data = result["data"]
    print(
        f"\n{result['name']}: {data['initiatives']:,} initiatives, {data['actuals']:,} "
        f"actuals, {data['reports']:,} reports"
    )
    print(f"  target: {result['target']}; library {result['library_median_ms']} ms")
    print(
        f"{'page':<12} {'computed ms':>12} {'ratio':>6} {'cached ms':>10} {'ratio':>6} "
        f"{'queries':>8} {'kB':>6}"
    )
    for name, r in result["pages"].items():
        print(
            f"{name:<12} {r['computed_ms']:>12} {r['computed_ratio']:>6} {r['cached_ms']:>10} "
            f"{r['cached_ratio']:>6} {r['cached_queries']:>8} {r['kb']:>6}"
        )
