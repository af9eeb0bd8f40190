"""What the figures of execution share: the months, when an initiative started, its
reports, and the cache they are kept in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from cairn.core.calendar import add_months
from cairn.core.models import Organization
from cairn.core.services import data_version
from cairn.execution import rules
from cairn.execution.models import StatusReport
from cairn.portfolio.models import Initiative, Status
from cairn.roadmap.models import Plan, RoadmapItem

UNDER_WAY = (Status.APPROVED, Status.IN_PROGRESS)
EXECUTED = (Status.APPROVED, Status.IN_PROGRESS, Status.DONE)


def this_month(today: date | None = None) -> date:
    return (today or timezone.localdate()).replace(day=1)


def closed_month(today: date | None = None) -> date:
    """Last month: the latest the finance system has closed, so "to date" runs to its end."""
    return add_months(this_month(today), -1)


def planned_spend(
    item: RoadmapItem | None,
    initiative: Initiative,
    plan: Plan,
    month: date,
    started: date | None = None,
):
    """What the plan says an initiative spends each month: its one-off cost spread over the
    months it runs (from its start, or its first status report when that is earlier, to the
    end the roadmap gives it), and a twelfth of its yearly running cost for each month from
    its finish up to ``month``."""
    if item is None or item.start is None:
        return {}
    first = plan.period_start(item.start)
    end = add_months(first, max(item.duration, 1) * plan.months_per_period)
    if started is not None and started < first:
        first = started.replace(day=1)
    months = (end.year - first.year) * 12 + end.month - first.month
    by_month = rules.spread(initiative.one_off_cost, first, months)
    if initiative.running_cost:
        monthly = (initiative.running_cost / 12).quantize(Decimal("0.01"))
        day = end
        while day <= month:
            by_month[day] = by_month.get(day, Decimal(0)) + monthly
            day = add_months(day, 1)
    return by_month


def first_reports(org: Organization) -> dict[int, date]:
    """The date of each initiative's first status report."""
    return dict(
        StatusReport.objects.filter(organization=org)
        .values("initiative_id")
        .annotate(first=Min("reported_on"))
        .values_list("initiative_id", "first")
    )


def started_on(item: RoadmapItem | None, plan: Plan, first_report: date | None) -> date | None:
    """When an initiative started: its start on the roadmap, or its first status report when
    that is earlier (it was under way before the roadmap began)."""
    started = plan.period_start(item.start) if item is not None and item.start is not None else None
    if first_report is not None and (started is None or first_report < started):
        return first_report
    return started


def latest_reports(org: Organization, ids=None) -> dict[int, StatusReport]:
    """Each initiative's latest status report, in one query (a correlated subquery, so only
    the latest rows are read, however many reports there are)."""
    newest = StatusReport.objects.filter(initiative=OuterRef("initiative")).order_by(
        "-reported_on", "-pk"
    )
    found = StatusReport.objects.filter(
        organization=org, pk=Subquery(newest.values("pk")[:1])
    ).select_related("created_by")
    if ids is not None:
        found = found.filter(initiative_id__in=ids)
    return {r.initiative_id: r for r in found}


def _months(first: date, last: date) -> int:
    """Months from ``first`` to ``last``, both firsts of months (0 when the same)."""
    return (last.year - first.year) * 12 + last.month - first.month


CACHE_SECONDS = 600


def _cached(org: Organization, name: str, today: date, compute):
    """What ``compute`` gives, kept until anything of the organisation changes (its newest
    audit event: every change is audited) or the day changes, as the dashboard does."""
    key = f"cairn:execution:{name}:{org.pk}:{data_version(org)}:{today}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def tolerance(org: Organization) -> float:
    """The overspend the organisation tolerates, as a share of the plan (0.10 for 10%)."""
    return org.overspend_tolerance_percent / 100
