"""A whole workbook imported by the engine (cairn/exchange) against a plain bulk insert of the
same rows, in the same run: 200 goals, 5,000 initiatives with dependencies and two goals
each, 1,000 KPIs with ten goals each (20,000 goal links in all).

The plain insert reads the same workbook with openpyxl and writes the rows and links with
``bulk_create``: no checks, no matching, no audit. The engine's rows per second divided by
the plain insert's is the figure to judge (target ≥ 0.5×).
"""

from __future__ import annotations

import io
import time
from datetime import date

GOALS, INITIATIVES, KPIS = 200, 5_000, 1_000


def workbook() -> bytes:
    from cairn.core.tabular import write_book

    goals = [[f"Goal {g:04}", date(2028, 12, 31), 1 + g % 3] for g in range(GOALS)]
    initiatives = []
    for i in range(INITIATIVES):
        deps = [f"Initiative {d:05}" for d in (i - 1, i - 7) if d >= 0 and i % 3]
        initiatives.append(
            [
                f"Initiative {i:05}",
                "medium",
                1000 * (i % 50),
                1 + i % 12,
                f"Goal {i % GOALS:04}; Goal {(i * 7 + 3) % GOALS:04}",
                "; ".join(deps),
            ]
        )
    kpis = [
        [f"KPI {k:04}", "up", "; ".join(f"Goal {(k + 13 * j) % GOALS:04}" for j in range(10))]
        for k in range(KPIS)
    ]
    return write_book(
        [
            ("Business goals", ["title", "target_date", "priority"], goals),
            (
                "Initiatives",
                ["title", "impact", "one_off_cost", "duration_months", "goals", "depends_on"],
                initiatives,
            ),
            ("KPIs", ["name", "direction", "goals"], kpis),
        ]
    )


def plain_insert(org, content: bytes) -> None:
    """The same rows and links written the simplest way: read, bulk_create, done."""
    from openpyxl import load_workbook

    from cairn.goals.models import BusinessGoal
    from cairn.kpis.models import Kpi
    from cairn.portfolio.models import Initiative

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheets = {s.title: list(s.iter_rows(min_row=2, values_only=True)) for s in book.worksheets}
    goals = BusinessGoal.objects.bulk_create(
        [
            BusinessGoal(organization=org, title=t, target_date=d, priority=p)
            for t, d, p in sheets["Business goals"]
        ],
        batch_size=500,
    )
    goal_ids = {g.title: g.pk for g in goals}
    initiatives = Initiative.objects.bulk_create(
        [
            Initiative(organization=org, title=t, impact=im, one_off_cost=c, duration_months=m)
            for t, im, c, m, _g, _d in sheets["Initiatives"]
        ],
        batch_size=500,
    )
    ids = {i.title: i.pk for i in initiatives}
    goal_links, deps = Initiative.goals.through, Initiative.depends_on.through
    goal_links.objects.bulk_create(
        [
            goal_links(initiative_id=ids[t], businessgoal_id=goal_ids[g.strip()])
            for t, _i, _c, _m, gs, _d in sheets["Initiatives"]
            for g in (gs or "").split(";")
            if g.strip()
        ],
        batch_size=1000,
    )
    deps.objects.bulk_create(
        [
            deps(from_initiative_id=ids[t], to_initiative_id=ids[d.strip()])
            for t, _i, _c, _m, _g, ds in sheets["Initiatives"]
            for d in (ds or "").split(";")
            if d.strip()
        ],
        batch_size=1000,
    )
    kpis = Kpi.objects.bulk_create(
        [Kpi(organization=org, name=n, direction=d) for n, d, _g in sheets["KPIs"]],
        batch_size=500,
    )
    kpi_ids = {k.name: k.pk for k in kpis}
    kpi_goals = Kpi.goals.through
    kpi_goals.objects.bulk_create(
        [
            kpi_goals(kpi_id=kpi_ids[n], businessgoal_id=goal_ids[g.strip()])
            for n, _d, gs in sheets["KPIs"]
            for g in gs.split(";")
        ],
        batch_size=1000,
    )


def bench_workbook() -> dict:
    from django.contrib.auth.models import User

    from cairn.core import services
    from cairn.exchange import books
    from cairn.portfolio.models import Initiative

    user = User.objects.create_user(f"exchange{time.time_ns()}")
    content = workbook()
    rows = GOALS + INITIATIVES + KPIS
    plain_org = services.create_organization("Plain", owner=user)
    start = time.perf_counter()
    plain_insert(plain_org, content)
    plain = time.perf_counter() - start
    org = services.create_organization("Engine", owner=user)
    results = {}
    for case, dry in (
        ("dry run (preview)", True),
        ("first import", False),
        ("again, unchanged", False),
    ):
        start = time.perf_counter()
        outcomes = books.import_workbook(
            org, io.BytesIO(content), "bench.xlsx", actor=user, dry_run=dry
        )
        seconds = time.perf_counter() - start
        results[case] = {
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds),
            "added": sum(len(o.added) for o in outcomes),
            "unchanged": sum(o.unchanged for o in outcomes),
            "ratio_to_plain_insert": round(plain / seconds, 2),
        }
    assert Initiative.objects.filter(organization=org).count() == INITIATIVES
    links = Initiative.depends_on.through.objects.filter(from_initiative__organization=org)
    return {
        "name": "import a workbook: 5,000 initiatives with dependencies, 20,000 goal links",
        "target": "≥ 0.5× a plain bulk insert of the same rows",
        "plain_insert": {
            "seconds": round(plain, 2),
            "rows_per_second": round(rows / plain),
        },
        "dependencies": links.count(),
        "results": results,
    }


def print_workbook(report: dict) -> None:
    print(f"\n{report['name']} (target {report['target']})")
    plain = report["plain_insert"]
    seconds, speed = plain["seconds"], plain["rows_per_second"]
    print(f"  {'plain bulk insert':<26} {seconds:>7.2f} s {speed:>8,} rows/s")
    for case, r in report["results"].items():
        print(
            f"  {case:<26} {r['seconds']:>7.2f} s {r['rows_per_second']:>8,} rows/s"
            f"  {r['ratio_to_plain_insert']:.2f}× plain"
        )
