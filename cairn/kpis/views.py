"""Pages of the ascent: the dashboard, KPIs and their measurements, the library, wins."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.checklist import getting_started
from cairn.core import imports
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import delete_page, form_page, model_views
from cairn.core.models import Role
from cairn.core.services import ServiceError, data_version
from cairn.core.tabular import FORMATS, download, write_table
from cairn.goals.models import BusinessGoal
from cairn.kpis import dashboard as board
from cairn.kpis import services
from cairn.kpis import status as rules
from cairn.kpis.forms import KpiForm, MeasurementForm, WinForm
from cairn.kpis.library import LIBRARY
from cairn.kpis.models import Kpi, Measurement, Win
from cairn.kpis.tasks import import_measurements
from cairn.portfolio.models import Initiative

DASHBOARD_SECONDS = 24 * 3600


def _url(request, name: str, *args) -> str:
    return reverse(f"kpis:{name}", args=[request.org.slug, *args])


@org_view()
@require_GET
def dashboard(request):
    """The organisation's landing page: goals and their KPIs, alignment, the mix, wins."""
    org, today = request.org, timezone.localdate()
    # Cached until anything of the organisation changes (its newest audit event), the day
    # changes (staleness, forecasts) or the reader's rights differ (the buttons shown).
    version = data_version(org)
    key = f"cairn:dashboard:{org.pk}:{version}:{today}:{int(request.membership.can_edit)}"
    body = cache.get(key)
    if body is None:
        figures = board.figures(org, today)
        context = {
            "d": figures,
            "going": board.execution(org, today),
            "roll_up_rule": rules.ROLL_UP_RULE,
            "status_rule": rules.STATUS_RULE,
        }
        if org.checklist_dismissed is None:  # where to start, until done or dismissed
            steps = getting_started(org)
            done = sum(1 for s in steps if s.done)
            if done < len(steps):
                context.update(steps=steps, done=done, percent=round(100 * done / len(steps)))
        body = render_to_string("kpis/partials/dashboard_body.html", context, request=request)
        cache.set(key, body, DASHBOARD_SECONDS)
    return render(request, "kpis/dashboard.html", {"body": mark_safe(body)})  # noqa: S308


@org_view()
@require_GET
def getting_started_page(request):
    """The getting-started checklist that ticks itself."""
    steps = getting_started(request.org)
    done = sum(1 for s in steps if s.done)
    return render(
        request,
        "core/org_home.html",
        {"steps": steps, "done": done, "percent": round(100 * done / len(steps))},
    )


# --- KPIs

STATUS_FILTERS = {s.value: s.label for s in rules.Status}


@org_view()
@require_GET
def kpi_list(request):
    """Every KPI with its trend, latest value, target and status."""
    today = timezone.localdate()
    kpis = Kpi.objects.filter(organization=request.org)
    wanted = request.GET.get("status", "")
    if wanted == "stale":
        kpis = kpis.filter(board.stale_q(today))
    elif wanted in STATUS_FILTERS:
        kpis = kpis.filter(status_code=wanted)
    kpis = kpis.prefetch_related(
        Prefetch("goals", queryset=BusinessGoal.objects.only("id", "title"))
    )
    kpis = [board.annotate(k, today) for k in kpis]
    page = Paginator(kpis, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "kpis/kpi_list.html",
        {
            "page": page,
            "filters": STATUS_FILTERS,
            "wanted": wanted,
            "stale_rule": rules.STALE_RULE,
        },
    )


@org_view()
@require_GET
def kpi_detail(request, kpi_id: int):
    """One KPI: the chart with target, straight path and forecast; its measurements."""
    return _detail_page(request, kpi_id, MeasurementForm(initial={"date": timezone.localdate()}))


def _detail_page(request, kpi_id: int, form: MeasurementForm, status: int = 200):
    queryset = Kpi.objects.select_related("connector").prefetch_related(
        "goals", "initiatives", "inputs", "used_by", "wins"
    )
    kpi = board.annotate(get_object_for_member(request, queryset, kpi_id), timezone.localdate())
    today = timezone.localdate()
    outlook = kpi.forecast(today)
    measurements = Measurement.objects.filter(kpi=kpi).order_by("-date")
    page = Paginator(measurements, 50).get_page(request.GET.get("page"))
    chart_points = list(
        Measurement.objects.filter(kpi=kpi)
        .filter(date__gte=(kpi.latest_date or today) - timedelta(days=3 * 366))
        .order_by("date")
        .values_list("date", "value")
    )
    plan = kpi.plan
    chart = {
        "unit": kpi.unit,
        "values": [[d.isoformat(), v] for d, v in chart_points],
        "target": [kpi.target_date.isoformat(), kpi.target_value] if plan else None,
        "baseline": [kpi.baseline_date.isoformat(), kpi.baseline_value] if plan else None,
        "forecast": (
            {
                "from": [kpi.latest_date.isoformat(), kpi.latest_value],
                "at": kpi.target_date.isoformat(),
                "value": outlook.value,
                "low": outlook.low,
                "high": outlook.high,
            }
            if outlook
            else None
        ),
    }
    expected = plan.expected(kpi.latest_date) if plan and kpi.latest_date else None
    return render(
        request,
        "kpis/kpi_detail.html",
        {
            "kpi": kpi,
            "outlook": outlook,
            "expected": expected,
            "page": page,
            "chart": chart,
            "form": form,
            "forecast_rule": rules.FORECAST_RULE,
            "stale_rule": rules.STALE_RULE,
            "input_rule": rules.INPUT_RULE,
            "propose_win": kpi.status == rules.Status.ACHIEVED and not kpi.wins.all(),
        },
        status=status,
    )


kpi_create, kpi_edit, _ = model_views(
    Kpi, KpiForm, id_kwarg="kpi_id", list_url=lambda r: _url(r, "kpi_list")
)


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def kpi_delete(request, kpi_id: int):
    kpi = get_object_for_member(request, Kpi, kpi_id)
    refusal = kpi.deletion_refused()
    if refusal and request.method == "GET":
        context = {"object": kpi, "noun": "KPI", "blocked": refusal}
        context["cancel_url"] = _url(request, "kpi_detail", kpi.pk)
        return render(request, "core/confirm_delete.html", context)
    return delete_page(
        request,
        kpi,
        success_url=_url(request, "kpi_list"),
        consequences=f"Its {kpi.measurement_count} measurements are deleted with it.",
    )


@org_view(Role.EDITOR)
@require_POST
def formula_check(request):
    """The formula field's live check: what it uses and the value it would give, or why not."""
    text = request.POST.get("formula", "")
    result = services.check_formula(request.org, text) if text.strip() else None
    return render(request, "kpis/partials/formula_check.html", {"result": result})


@org_view()
@require_GET
def kpi_export(request, kpi_id: int, fmt: str):
    """Every measurement of a KPI, in the columns the import reads."""
    kpi = get_object_for_member(request, Kpi, kpi_id)
    if fmt not in FORMATS:
        raise Http404
    rows = [
        # Written "confirmed": values already kept are not questioned again on the way back.
        [kpi.name, d.isoformat(), v, source, note, "yes"]
        for d, v, source, note in Measurement.objects.filter(kpi=kpi)
        .order_by("date")
        .values_list("date", "value", "source", "note")
    ]
    content = write_table([c.name for c in services.COLUMNS], rows, fmt)
    return download(content, f"{request.org.slug}-kpi-{kpi.pk}.{fmt}", fmt)


@org_view(Role.EDITOR)
@require_POST
def measurement_add(request, kpi_id: int):
    """Record a value by hand (a value on the same date is replaced). A refused or doubtful
    value shows the page again with the reason beside the field and what was typed."""
    kpi = get_object_for_member(request, Kpi, kpi_id)
    form = MeasurementForm(request.POST, kpi=kpi)
    if not form.is_valid():
        return _detail_page(request, kpi.pk, form, status=422)
    data = form.cleaned_data
    try:
        services.record_one(
            kpi,
            data["date"],
            data["value"],
            source=data["source"],
            note=data["note"],
            actor=request.user,
        )
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Recorded {data['value']:g} on {data['date']}.")
    return redirect(_url(request, "kpi_detail", kpi.pk))


@org_view(Role.EDITOR)
@require_POST
def measurement_delete(request, kpi_id: int, measurement_id: int):
    kpi = get_object_for_member(request, Kpi, kpi_id)
    measurement = get_object_or_404(Measurement.objects.filter(kpi=kpi), pk=measurement_id)
    try:
        services.delete_measurement(measurement, actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Deleted the value of {measurement.date}.")
    return redirect(_url(request, "kpi_detail", kpi.pk))


# --- Library and import


@org_view()
@require_GET
def library(request):
    """IT metrics and the business KPI to report instead; one click adds it."""
    have = set(Kpi.objects.filter(organization=request.org).values_list("name", flat=True))
    return render(request, "kpis/library.html", {"library": LIBRARY, "have": have})


@org_view(Role.EDITOR)
@require_POST
def library_add(request):
    try:
        kpi = services.add_from_library(
            request.org, request.POST.get("key", ""), actor=request.user
        )
    except ServiceError as e:
        messages.error(request, str(e))
        return redirect(_url(request, "library"))
    messages.success(
        request, f"Added “{kpi}”. Set its baseline, target and goals to start tracking it."
    )
    return redirect(_url(request, "kpi_edit", kpi.pk))


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload measurements from a CSV or Excel file; the worker imports all rows or none, and
    the job's page shows its progress, then the counts or a report of each problem."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to import.")
        else:
            try:
                job = imports.start(
                    request.org,
                    upload,
                    kind="measurements",
                    label="Measurements",
                    task=import_measurements,
                    actor=request.user,
                )
            except ServiceError as e:
                messages.error(request, str(e))
            else:
                return redirect("import_job", request.org.slug, job.pk)
    names = list(
        Kpi.objects.filter(organization=request.org, formula="").values_list("name", flat=True)
    )
    return render(
        request,
        "kpis/import.html",
        {
            "columns": services.COLUMNS,
            "names": names,
            "recent": imports.recent(request.org, ["measurements"]),
        },
    )


@org_view()
@require_GET
def import_template(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    return download(
        write_table([c.name for c in services.COLUMNS], services.EXAMPLES, fmt),
        f"cairn-measurements-template.{fmt}",
        fmt,
    )


# --- Wins


@org_view()
@require_GET
def win_list(request):
    """The wins feed: what the strategy achieved, to share with the company."""
    wins = Win.objects.filter(organization=request.org).select_related("goal", "kpi")
    wins = wins.prefetch_related(
        Prefetch("initiatives", queryset=Initiative.objects.only("id", "title"))
    )
    proposals = services.win_proposals(request.org)
    page = Paginator(wins, 30).get_page(request.GET.get("page"))
    return render(request, "kpis/win_list.html", {"page": page, "proposals": proposals})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def win_create(request):
    initial = {"achieved_on": timezone.localdate()}
    kpi_id = request.GET.get("kpi", "")
    if kpi_id.isdigit() and len(kpi_id) < 19:
        kpi = (
            Kpi.objects.filter(organization=request.org, pk=int(kpi_id))
            .prefetch_related("goals", "initiatives")
            .first()
        )
        if kpi is not None:
            initial.update(services.win_draft(kpi))
    return form_page(
        request,
        WinForm,
        title="Record a win",
        cancel_url=_url(request, "win_list"),
        success_url=lambda obj: _url(request, "win_list"),
        initial=initial,
    )


_, win_edit, win_delete = model_views(
    Win, WinForm, id_kwarg="win_id", list_url=lambda r: _url(r, "win_list")
)
