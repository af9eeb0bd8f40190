"""Who does what: RACI matrices, accountability and buy-in."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core import services as core
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import model_views
from cairn.core.models import Role
from cairn.goals.models import Interview, PainPoint
from cairn.governance import rules, services
from cairn.governance.forms import (
    RaciForm,
    parse_grid,
)
from cairn.governance.models import (
    Raci,
)
from cairn.governance.views.common import _url
from cairn.portfolio.models import Initiative

# --- RACI


@org_view()
@require_GET
def raci_list(request):
    racis = Raci.objects.filter(organization=request.org).select_related("decision", "initiative")
    return render(
        request,
        "governance/raci_list.html",
        {"racis": racis, "presets": rules.PRESETS, "rule": rules.RACI_RULE},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def raci_create(request):
    preset = rules.PRESETS.get(request.GET.get("preset", ""), None)
    form = RaciForm(
        request.POST or None,
        initial={"title": preset["title"]} if preset else None,
        organization=request.org,
    )
    if request.method == "POST" and form.is_valid():
        chosen = rules.PRESETS.get(request.POST.get("preset", ""))
        form.instance.people = list(chosen["people"]) if chosen else []
        form.instance.rows = [dict(r) for r in chosen["rows"]] if chosen else []
        raci = core.save_form(form, actor=request.user)
        return redirect(_url(request, "raci_detail", raci.pk))
    return render(
        request,
        "governance/raci_create.html",
        {"form": form, "preset_key": request.GET.get("preset", ""), "presets": rules.PRESETS},
    )


@org_view()
@require_GET
def raci_detail(request, raci_id: int):
    """The matrix: activities down, people across, a letter in each cell."""
    raci = get_object_for_member(
        request, Raci.objects.select_related("decision", "initiative"), raci_id
    )
    return _raci_page(request, raci, raci.people, raci.rows, [])


@org_view(Role.EDITOR)
@require_POST
def raci_save(request, raci_id: int):
    """Save the matrix if it keeps the rule; otherwise show it again saying which activity
    breaks it, nothing saved."""
    raci = get_object_for_member(request, Raci, raci_id)
    people, rows = parse_grid(request.POST)
    problems = services.set_matrix(raci, people, rows, actor=request.user)
    if not problems:
        messages.success(request, "Matrix saved.")
        return redirect(_url(request, "raci_detail", raci.pk))
    return _raci_page(request, raci, people, rows, problems)


def _raci_page(request, raci, people, rows, problems):
    grid = [
        {
            "i": i,
            "activity": r["activity"],
            "cells": [(j, r["cells"].get(p, "")) for j, p in enumerate(people)],
        }
        for i, r in enumerate(rows)
    ]
    return render(
        request,
        "governance/raci_detail.html",
        {
            "raci": raci,
            "people": list(enumerate(people)),
            "grid": grid,
            "problems": problems,
            "blank_row": len(rows),
            "blank_column": len(people),
            "rule": rules.RACI_RULE,
            "letters": rules.LETTERS,
        },
        status=422 if problems else 200,
    )


_, _, raci_delete = model_views(
    Raci, RaciForm, id_kwarg="raci_id", list_url=lambda r: _url(r, "raci_list")
)


@org_view()
@require_GET
def accountable(request):
    """What a person answers for, across decisions and initiatives."""
    person = request.GET.get("person", "")[:120]
    return render(
        request,
        "governance/accountable.html",
        {
            "person": person,
            "found": services.accountable_for(request.org, person) if person else None,
            "people": services.people(request.org),
        },
    )


# --- Buy-in


@org_view()
@require_GET
def buy_in_list(request):
    interviews = Interview.objects.filter(organization=request.org).annotate(
        pains=Count("pain_points", distinct=True)
    )
    return render(request, "governance/buy_in_list.html", {"interviews": interviews})


@org_view()
@require_GET
def buy_in(request, interview_id: int):
    """What is in it for one executive: their pain points, the initiatives that answer them,
    where those stand and the KPIs that will show it."""
    from cairn.kpis.models import Kpi

    interview = get_object_for_member(request, Interview, interview_id)
    pains = list(
        PainPoint.objects.filter(interview=interview).prefetch_related(
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.prefetch_related(
                    Prefetch("kpis", queryset=Kpi.objects.order_by("name"))
                ),
            )
        )
    )
    return render(request, "governance/buy_in.html", {"interview": interview, "pains": pains})
