"""Reviews of the strategy, embedding the teams, and the calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import model_views
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.governance import rules, services
from cairn.governance.forms import (
    ReviewForm,
    VisitForm,
)
from cairn.governance.models import (
    Meeting,
    Review,
    Visit,
)
from cairn.governance.views.common import _url

# --- Reviews


_, review_edit, review_delete = model_views(
    Review, ReviewForm, id_kwarg="review_id", list_url=lambda r: _url(r, "overview")
)
review_create, _, _ = model_views(
    Review, ReviewForm, id_kwarg="review_id", list_url=lambda r: _url(r, "overview")
)


@org_view(Role.EDITOR)
@require_POST
def review_complete(request, review_id: int):
    review = get_object_for_member(request, Review, review_id)
    try:
        services.complete_review(review, request.POST.get("summary", ""), actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Review complete: the strategy's snapshot is kept.")
    return redirect(_url(request, "review_detail", review.pk))


@org_view()
@require_GET
def review_detail(request, review_id: int):
    review = get_object_for_member(
        request, Review.objects.select_related("completed_by"), review_id
    )
    others = (
        Review.objects.filter(organization=request.org).exclude(snapshot=None).exclude(pk=review.pk)
    )
    return render(
        request,
        "governance/review_detail.html",
        {"review": review, "others": others},
    )


@org_view()
@require_GET
def review_compare(request, review_id: int):
    """What changed since a review's snapshot: against another review's, or against today."""
    review = get_object_for_member(request, Review, review_id)
    if review.snapshot is None:
        raise Http404("This review has no snapshot yet.")
    other_id = request.GET.get("with", "today")
    if other_id == "today":
        other, label = services.snapshot(request.org), "today"
    else:
        if not other_id.isdigit() or len(other_id) > 18:
            raise Http404
        found = get_object_for_member(request, Review, int(other_id))
        if found.snapshot is None:
            raise Http404
        other, label = found.snapshot, found.title
    then, now = review.snapshot, other
    if other_id != "today" and other["taken_at"] < then["taken_at"]:
        then, now = other, review.snapshot
    changes = rules.compare(then, now)
    areas: dict[str, list[str]] = {}
    for area, sentence in changes:
        areas.setdefault(area, []).append(sentence)
    return render(
        request,
        "governance/review_compare.html",
        {"review": review, "label": label, "areas": areas, "then": then, "now": now},
    )


# --- Embedding the teams


@org_view()
@require_GET
def visit_list(request):
    """Who joins which meeting of the other side, and what they learned."""
    visits = Visit.objects.filter(organization=request.org)
    today = timezone.localdate()
    visits = list(visits)
    return render(
        request,
        "governance/visit_list.html",
        {
            "upcoming": [v for v in visits if v.on >= today][::-1],
            "past": [v for v in visits if v.on < today],
        },
    )


visit_create, visit_edit, visit_delete = model_views(
    Visit, VisitForm, id_kwarg="visit_id", list_url=lambda r: _url(r, "visit_list")
)


@org_view(Role.EDITOR)
@require_POST
def visit_convert(request, visit_id: int, into: str):
    """Make a visit's note a pain point or an initiative idea, in one step."""
    visit = get_object_for_member(request, Visit, visit_id)
    convert = {"pain-point": services.visit_to_pain_point, "idea": services.visit_to_initiative}
    if into not in convert:
        raise Http404
    try:
        made = convert[into](visit, actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        noun = "pain point" if into == "pain-point" else "initiative idea"
        messages.success(request, f"New {noun}: {made}")
    return redirect(_url(request, "visit_list"))


# --- Calendar


@org_view(Role.OWNER)
@require_POST
def calendar_new(request):
    request.session["calendar_key"] = services.new_calendar_feed(request.org, actor=request.user)
    messages.success(
        request, "A new private calendar address is ready; the old one stopped working."
    )
    return redirect(_url(request, "overview") + "#calendar")


@org_view(Role.OWNER)
@require_POST
def calendar_revoke(request):
    services.revoke_calendar_feed(request.org, actor=request.user)
    messages.success(request, "The calendar address no longer works.")
    return redirect(_url(request, "overview") + "#calendar")


@require_GET
def calendar_feed(request, key: str):
    """The organisation's meetings and reviews for a calendar app (no sign-in: the address
    is the secret)."""
    org = services.org_for_calendar_key(key)
    if org is None:
        raise Http404
    meetings = Meeting.objects.filter(organization=org).prefetch_related("agenda")
    reviews = Review.objects.filter(organization=org, completed_on=None)
    body = services.calendar(org, meetings, reviews, base_url=request.build_absolute_uri("/")[:-1])
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
