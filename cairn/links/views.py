"""The "Suggested links" card of initiatives, KPIs, pain points, AI use cases and
applications, and its one-click "Link".

The card is fetched by the page it sits on once that page has loaded (``hx-trigger="load"``),
so the pages themselves make no more queries; without JavaScript its link opens the same
suggestions as a page of their own.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.htmx import render_htmx
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.links import services, suggest
from cairn.links.suggest import SOURCES

# URL keyword of each kind's id, and the page of the row itself.
ID_KWARG = {
    "initiative": "initiative_id",
    "kpi": "kpi_id",
    "painpoint": "painpoint_id",
    "usecase": "usecase_id",
    "application": "application_id",
}
UNLINKED_SHOWN = 5  # rows on a list page's card: the newest that link to nothing yet


def item_url(org, kind: str, item) -> str:
    """The page of the row (pain points and applications have their list)."""
    match kind:
        case "initiative":
            return reverse("portfolio:initiative_detail", args=[org.slug, item.pk])
        case "kpi":
            return reverse("kpis:kpi_detail", args=[org.slug, item.pk])
        case "usecase":
            return reverse("aigov:usecase_detail", args=[org.slug, item.pk])
        case "painpoint":
            return reverse("goals:painpoint_list", args=[org.slug])
    return reverse("assessment:application_list", args=[org.slug])


LISTS = {
    "initiative": "portfolio:initiative_list",
    "kpi": "kpis:kpi_list",
    "painpoint": "goals:painpoint_list",
    "usecase": "aigov:register",
    "application": "assessment:application_list",
}


def list_url(org, kind: str) -> str:
    """The list a row lands on once written (where the card of rows linked to nothing is)."""
    return reverse(LISTS[kind], args=[org.slug])


def target_url(org, suggestion: suggest.Suggestion) -> str:
    """Where a suggested row can be read (goals have their page; the rest their list)."""
    match suggestion.kind:
        case "goal":
            return reverse("goals:goal_detail", args=[org.slug, suggestion.target.pk])
        case "painpoint":
            return reverse("goals:painpoint_list", args=[org.slug])
        case "swot":
            return reverse("assessment:swot", args=[org.slug])
    return reverse("assessment:capability_list", args=[org.slug])


def _context(request, kind: str, item, found: dict[str, list[suggest.Suggestion]]) -> dict:
    org = request.org
    sections = []
    for target, suggestions in found.items():
        for s in suggestions:
            s.url = target_url(org, s)
        sections.append((suggest.TARGETS[target], suggestions))
    return {
        "kind": suggest.SOURCES[kind],
        "item": item,
        "item_url": item_url(org, kind, item),
        "sections": sections,
        "any": any(s for _, s in sections),
        "accept_url": reverse(f"links:{kind}_accept", args=[org.slug, item.pk]),
    }


def suggestions(kind: str):
    """The view of one kind's suggestions for one row: the card for HTMX, else a page."""

    @org_view()
    @require_GET
    def view(request, **kwargs):
        item = get_object_for_member(request, suggest.queryset(kind), kwargs[ID_KWARG[kind]])
        found = suggest.suggest(request.org, item, kind)
        return render_htmx(
            request,
            "links/page.html",
            "links/partials/suggestions.html",
            _context(request, kind, item, found),
        )

    view.__name__ = view.__qualname__ = f"{kind}_suggestions"
    view.__doc__ = f"Suggested links of one {SOURCES[kind].label}."
    return view


def accept(kind: str):
    """The view that accepts one suggestion (editors): the page reloads to show the link."""

    @org_view(Role.EDITOR)
    @require_POST
    def view(request, **kwargs):
        item = get_object_for_member(request, SOURCES[kind].model, kwargs[ID_KWARG[kind]])
        back = request.POST.get("back") == "list"
        try:
            row = services.accept(
                request.org, kind, item, request.POST.get("target", ""), actor=request.user
            )
        except services.BadTarget as e:
            return HttpResponseBadRequest(str(e))
        except services.UnknownTarget as e:
            raise Http404(str(e)) from None
        except ServiceError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, f"Linked “{item}” to “{row}”.")
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        if back:
            return redirect(list_url(request.org, kind))
        return redirect(reverse(f"links:{kind}", args=[request.org.slug, item.pk]))

    view.__name__ = view.__qualname__ = f"{kind}_accept"
    view.__doc__ = f"Accept a suggested link of one {SOURCES[kind].label}."
    return view


def unlinked(kind: str):
    """The card of a list page: the newest rows that link to nothing yet, with the best
    suggestion for each (a goal; for applications a capability)."""

    @org_view()
    @require_GET
    def view(request):
        rows = suggest.unlinked(request.org, kind, limit=UNLINKED_SHOWN)
        for _item, s in rows:
            if s is not None:
                s.url = target_url(request.org, s)
        return render_htmx(
            request,
            "links/unlinked_page.html",
            "links/partials/unlinked.html",
            {
                "kind": SOURCES[kind],
                "target": suggest.TARGETS[next(iter(SOURCES[kind].links))],
                "rows": rows,
                "accept": f"links:{kind}_accept",
                "list_url": list_url(request.org, kind),
            },
        )

    view.__name__ = view.__qualname__ = f"{kind}_unlinked"
    view.__doc__ = unlinked.__doc__
    return view
