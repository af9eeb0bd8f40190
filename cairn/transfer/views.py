"""Pages that take a whole organisation at once: starting a new one (blank, from a template
or from another organisation's structure), exporting it as one file, importing one."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cairn.core import services
from cairn.core.access import org_view
from cairn.core.forms import OrganizationForm
from cairn.core.models import Membership, Role
from cairn.transfer import orgfile, starters


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request):
    """Any signed-in person may start a new organisation (a consultant's next client)."""
    form = OrganizationForm(request.POST or None)
    starts = _starting_points(request.user)
    start = request.POST.get("start_from", "")
    if request.method == "POST" and form.is_valid():
        if start and start not in dict(starts):
            form.add_error(None, "Choose a starting point from the list.")
        else:
            name = form.cleaned_data["name"]
            if start:
                data = _starting_file(start, request.user, form.cleaned_data["currency"])
                org = orgfile.import_organization(data, name=name, actor=request.user)
            else:
                org = services.start_organization(name, owner=request.user)
            services.update_organization(
                org,
                {k: form.cleaned_data[k] for k in SETTINGS_ON_CREATE},
                actor=request.user,
            )
            messages.success(request, f"{org} is ready. Start with its business goals.")
            return redirect("org_home", org_slug=org.slug)
    return render(
        request,
        "core/organization_form.html",
        {"form": form, "creating": True, "starts": starts, "start": start},
    )


SETTINGS_ON_CREATE = (
    "currency",
    "fiscal_year_start",
    "planning_horizon_years",
    "change_target_percent",
)


def _starting_points(user) -> list[tuple[str, str]]:
    """Built-in templates, and the structure of each organisation the user belongs to."""
    points = [(f"builtin:{k}", f"Template: {v['label']}") for k, v in starters.BUILT_IN.items()]
    copiers = [Role.OWNER, Role.EDITOR]  # copying out is for those who may change it
    for m in Membership.objects.filter(user=user, role__in=copiers).select_related("organization"):
        points.append((f"org:{m.organization.slug}", f"The structure of {m.organization.name}"))
    return points


def _starting_file(start: str, user, currency: str) -> dict:
    kind, _, key = start.partition(":")
    if kind == "builtin":
        return starters.built_in(key, currency)
    membership = Membership.objects.select_related("organization").get(
        user=user, organization__slug=key, role__in=[Role.OWNER, Role.EDITOR]
    )
    return starters.structure_of(membership.organization)


@org_view(Role.OWNER)
@require_GET
def organization_export(request):
    """Everything of the organisation's strategy (not its people) as one JSON file."""
    data = orgfile.export(request.org)
    response = HttpResponse(
        json.dumps(data, indent=1, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{request.org.slug}-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def organization_import(request):
    """Start a new organisation from a file exported from Cairn (this install or another)."""
    error, report = "", None
    if request.method == "POST":
        upload = request.FILES.get("file")
        name = request.POST.get("name", "").strip()[:120]
        if not name or upload is None:
            error = "Give the new organisation a name and choose the file."
        else:
            try:
                data = orgfile.load(upload)  # its size first, then how deep it nests
                org = orgfile.import_organization(data, name=name, actor=request.user)
            except orgfile.TransferRefused as e:
                report = e.report
            except orgfile.TransferError as e:
                error = f"Nothing was imported: {e}"
            else:
                messages.success(request, f"{org} is ready: everything in the file was imported.")
                return redirect("org_home", org_slug=org.slug)
    context = {"error": error, "report": report, "max_mb": orgfile.MAX_MB}
    status = 422 if error or report else 200
    return render(request, "core/organization_import.html", context, status=status)
