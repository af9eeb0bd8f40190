"""Pages of AI governance: the register, each use case with its tier and NIST checklist,
and the policies."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cairn.aigov import rules, services
from cairn.aigov.forms import AiPolicyForm, AiUseCaseForm
from cairn.aigov.models import AiPolicy, AiUseCase
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import model_views
from cairn.core.models import Role
from cairn.core.services import change_row


def _url(request, name: str, *args) -> str:
    return reverse(f"aigov:{name}", args=[request.org.slug, *args])


@org_view()
@require_GET
def register(request):
    """Use cases by risk tier, with the gaps to close."""
    found = services.register(request.org)
    tiers = [
        (key, rules.TIERS[key], rules.TIER_COLOURS[key], found.by_tier[key])
        for key in rules.TIER_ORDER
    ]
    return render(
        request,
        "aigov/register.html",
        {
            "register": found,
            "tiers": tiers,
            "gap_rules": services.GAP_RULES,
            "duties": rules.DUTIES,
        },
    )


@org_view()
@require_GET
def usecase_detail(request, usecase_id: int):
    case = get_object_for_member(
        request,
        AiUseCase.objects.select_related("initiative").prefetch_related("goals", "policies"),
        usecase_id,
    )
    case.gaps = services.gaps_of(case)
    return render(
        request,
        "aigov/usecase_detail.html",
        {
            "case": case,
            "nist": [
                (k, label, bool((case.nist or {}).get(k)))
                for k, label in rules.NIST_FUNCTIONS.items()
            ],
        },
    )


@org_view(Role.EDITOR)
@require_POST
def usecase_nist(request, usecase_id: int):
    """Tick the NIST AI RMF functions done for a use case."""
    case = get_object_for_member(request, AiUseCase, usecase_id)
    nist = {k: k in request.POST for k in rules.NIST_FUNCTIONS}
    change_row(case, {"nist": nist}, actor=request.user)
    messages.success(request, "Checklist saved.")
    return redirect(_url(request, "usecase_detail", case.pk))


usecase_create, usecase_edit, usecase_delete = model_views(
    AiUseCase, AiUseCaseForm, id_kwarg="usecase_id", list_url=lambda r: _url(r, "register")
)


@org_view()
@require_GET
def policy_list(request):
    policies = AiPolicy.objects.filter(organization=request.org).select_related("approved_by")
    return render(request, "aigov/policy_list.html", {"policies": policies})


policy_create, policy_edit, policy_delete = model_views(
    AiPolicy, AiPolicyForm, id_kwarg="policy_id", list_url=lambda r: _url(r, "policy_list")
)
