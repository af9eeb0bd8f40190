"""Pages of a KPI's connector: its state and log of runs (for every member), and for owners
the form, "Test now", "Run now" and delete.

Owners only change connectors: a connector holds credentials and makes the server open
connections, as a webhook does."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.htmx import render_htmx
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.kpis import connector_services as runs
from cairn.kpis import connectors, secrets
from cairn.kpis.connector_forms import ConnectorForm
from cairn.kpis.connector_models import FAILURES_BEFORE_ALERT, KpiConnector, KpiConnectorRun
from cairn.kpis.models import Kpi

RUNS_PER_PAGE = 25


def _kpi(request, kpi_id: int) -> Kpi:
    return get_object_for_member(request, Kpi.objects.select_related("connector"), kpi_id)


def _connector(kpi: Kpi) -> KpiConnector | None:
    try:
        return kpi.connector
    except KpiConnector.DoesNotExist:
        return None


def _page_url(request, kpi: Kpi) -> str:
    return reverse("kpis:connector", args=[request.org.slug, kpi.pk])


def _limits() -> dict:
    return {
        "max_mb": connectors.MAX_BYTES // (1024 * 1024),
        "max_rows": f"{connectors.MAX_ROWS:,}",
        "timeout": int(connectors.TIMEOUT),
        "failures": FAILURES_BEFORE_ALERT,
        "changed_rule": runs.CHANGED_RULE,
        "derived_key": secrets.derived(),
    }


@org_view()
@require_GET
def connector_page(request, kpi_id: int):
    """The KPI's connector: where its values come from, when it runs next, its runs."""
    kpi = _kpi(request, kpi_id)
    connector = _connector(kpi)
    page = None
    if connector is not None:
        log = KpiConnectorRun.objects.filter(connector=connector)
        page = Paginator(log, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"kpi": kpi, "connector": connector, "page": page, **_limits()}
    return render(request, "kpis/connectors/detail.html", context)


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def connector_edit(request, kpi_id: int):
    """Add or change the KPI's connector."""
    kpi = _kpi(request, kpi_id)
    if kpi.formula:
        messages.error(request, f"“{kpi}” is calculated from its formula; feed its inputs.")
        return redirect(reverse("kpis:kpi_detail", args=[request.org.slug, kpi.pk]))
    connector = _connector(kpi)
    form = ConnectorForm(
        request.POST or None,
        instance=connector or KpiConnector(kpi=kpi, organization=request.org),
        organization=request.org,
    )
    if request.method == "POST" and form.is_valid():
        try:
            runs.save_connector(kpi, form.values(), actor=request.user, connector=connector)
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Connector saved. Use “Test now” to see what it reads.")
            return redirect(_page_url(request, kpi))
    status = 400 if form.is_bound and form.errors else 200
    context = {"kpi": kpi, "connector": connector, "form": form, **_limits()}
    return render(request, "kpis/connectors/form.html", context, status=status)


@org_view(Role.OWNER)
@require_POST
def connector_test(request, kpi_id: int):
    """Fetch now and show the rows a run would record; writes nothing."""
    kpi = _kpi(request, kpi_id)
    connector = _connector(kpi)
    if connector is None:
        raise Http404("This KPI has no connector")
    result = runs.preview(connector)
    context = {"kpi": kpi, "connector": connector, "preview": result, **_limits()}
    return render_htmx(
        request, "kpis/connectors/test.html", "kpis/connectors/partials/preview.html", context
    )


@org_view(Role.OWNER)
@require_POST
def connector_run(request, kpi_id: int):
    """Queue a run for the worker, now."""
    kpi = _kpi(request, kpi_id)
    connector = _connector(kpi)
    if connector is None:
        raise Http404("This KPI has no connector")
    runs.run_now(connector)
    messages.success(request, "The run is queued: its result appears below within a minute.")
    return redirect(_page_url(request, kpi))


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def connector_delete(request, kpi_id: int):
    """Confirm, then remove the connector and its log (recorded values stay)."""
    kpi = _kpi(request, kpi_id)
    connector = _connector(kpi)
    if connector is None:  # removed already (a second tab, the back button)
        messages.info(request, "This KPI has no connector.")
        return redirect(_page_url(request, kpi))
    if request.method == "POST":
        runs.delete_connector(connector, actor=request.user)
        messages.success(request, "Connector removed; the values it recorded stay.")
        return redirect(reverse("kpis:kpi_detail", args=[request.org.slug, kpi.pk]))
    return render(
        request,
        "core/confirm_delete.html",
        {
            "object": connector,
            "noun": "connector",
            "cancel_url": _page_url(request, kpi),
            "consequences": "Its log of runs goes too; the values it recorded stay on the KPI.",
        },
    )
