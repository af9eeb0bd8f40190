"""The committee: its page, members, the year of meetings and reviews."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import org_view
from cairn.core.crud import form_page, model_views
from cairn.core.models import Role
from cairn.governance import services
from cairn.governance.forms import (
    CommitteeForm,
    CommitteeMemberForm,
)
from cairn.governance.models import (
    CommitteeMember,
    Decision,
    Meeting,
    Review,
    Roadblock,
)
from cairn.governance.views.common import _url


@org_view()
@require_GET
def overview(request):
    """The committee, its meetings and reviews, open roadblocks and recent decisions."""
    org = request.org
    committee = services.committee_for(org)
    members = list(committee.members.all()) if committee.pk else []
    meetings = (
        list(
            Meeting.objects.filter(committee=committee).annotate(
                points=Count("agenda", distinct=True),
                open_actions=Count("actions", filter=Q(actions__done=False), distinct=True),
            )
        )
        if committee.pk
        else []
    )
    today = timezone.localdate()
    return render(
        request,
        "governance/overview.html",
        {
            "committee": committee,
            "members": members,
            "warnings": services.warnings(members) if committee.pk else [],
            "upcoming": [m for m in meetings if m.held_on >= today],
            "past": [m for m in meetings if m.held_on < today][::-1],
            "reviews": list(Review.objects.filter(organization=org)),
            "roadblocks": list(
                Roadblock.objects.filter(organization=org, removed_on=None).select_related(
                    "initiative"
                )
            ),
            "decisions": list(Decision.objects.filter(organization=org)[:5]),
            "feed": _has_feed(org),
            "new_feed_key": request.session.pop("calendar_key", None),
        },
    )


def _has_feed(org) -> bool:
    from cairn.governance.models import CalendarFeed

    return CalendarFeed.objects.filter(organization=org).exists()


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def committee_edit(request):
    committee = services.committee_for(request.org)
    return form_page(
        request,
        CommitteeForm,
        instance=committee if committee.pk else None,
        title="The steering committee",
        cancel_url=_url(request, "overview"),
        success_url=lambda obj: _url(request, "overview"),
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def member_create(request):
    return form_page(
        request,
        CommitteeMemberForm,
        title="Add a committee member",
        cancel_url=_url(request, "overview"),
        success_url=lambda obj: _url(request, "overview"),
    )


_, member_edit, member_delete = model_views(
    CommitteeMember,
    CommitteeMemberForm,
    id_kwarg="seat_id",
    list_url=lambda r: _url(r, "overview"),
)


@org_view(Role.EDITOR)
@require_POST
def plan_year(request):
    created = services.plan_year(request.org, actor=request.user)
    if created:
        messages.success(
            request,
            f"Planned {len(created)} meetings: "
            + ", ".join(f"{m.held_on:%d %b %Y}" for m in created)
            + ".",
        )
    else:
        messages.info(request, "The next four meetings are already planned.")
    return redirect(_url(request, "overview"))


@org_view(Role.EDITOR)
@require_POST
def plan_reviews(request):
    created = services.plan_reviews(request.org, actor=request.user)
    if created:
        messages.success(request, f"Planned {len(created)} reviews for the coming year.")
    else:
        messages.info(request, "The coming year's reviews are already planned.")
    return redirect(_url(request, "overview"))
