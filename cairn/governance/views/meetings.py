"""Meetings: agendas, actions, decisions taken in them, briefings and calendar files."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core import services as core
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import form_page, model_views
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.governance import services
from cairn.governance.forms import (
    ActionForm,
    AgendaItemForm,
    MeetingForm,
    QuickDecisionForm,
)
from cairn.governance.models import (
    Action,
    AgendaItem,
    Decision,
    Meeting,
)
from cairn.governance.views.common import _url

# --- Meetings


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    committee = services.committee_for(request.org)
    return form_page(
        request,
        MeetingForm,
        title="Add a meeting",
        cancel_url=_url(request, "overview"),
        success_url=lambda obj: _url(request, "meeting_detail", obj.pk),
        initial={"title": f"{committee.name}, {timezone.localdate():%B %Y}"},
    )


_, meeting_edit, meeting_delete = model_views(
    Meeting,
    MeetingForm,
    id_kwarg="meeting_id",
    list_url=lambda r: _url(r, "overview"),
    consequences="Its agenda and actions are deleted with it; its decisions are kept.",
)


def _meeting(request, meeting_id: int) -> Meeting:
    queryset = Meeting.objects.select_related("committee").prefetch_related(
        "agenda",
        "attendees",
        "actions",
        Prefetch("decisions", queryset=Decision.objects.prefetch_related("initiatives")),
    )
    return get_object_for_member(request, queryset, meeting_id)


@org_view()
@require_GET
def meeting_detail(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    return render(
        request,
        "governance/meeting_detail.html",
        {
            "meeting": meeting,
            "agenda_form": AgendaItemForm(),
            "action_form": _action_form(request, meeting),
            "decide_form": QuickDecisionForm(organization=request.org),
        },
    )


@org_view(Role.EDITOR)
@require_POST
def agenda_draft(request, meeting_id: int):
    meeting = get_object_for_member(request, Meeting, meeting_id)
    added = services.add_drafted_agenda(meeting, actor=request.user)
    if added:
        messages.success(request, f"Added {added} points from what needs the committee now.")
    else:
        messages.info(request, "Nothing new needs the committee: the agenda already covers it.")
    return redirect(_url(request, "meeting_detail", meeting.pk))


@org_view(Role.EDITOR)
@require_POST
def agenda_add(request, meeting_id: int):
    meeting = get_object_for_member(request, Meeting, meeting_id)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        services.add_agenda_point(meeting, form.save(commit=False), actor=request.user)
    else:
        messages.error(request, "An agenda point needs a title (at most 300 characters).")
    return redirect(_url(request, "meeting_detail", meeting.pk))


@org_view(Role.EDITOR)
@require_POST
def agenda_delete(request, meeting_id: int, point_id: int):
    meeting = get_object_for_member(request, Meeting, meeting_id)
    point = get_object_or_404(AgendaItem, meeting=meeting, pk=point_id)
    services.remove_agenda_point(point, actor=request.user)
    return redirect(_url(request, "meeting_detail", meeting.pk))


def _action_form(request, meeting: Meeting) -> ActionForm:
    from django import forms

    form = ActionForm(initial={"meeting": meeting.pk}, organization=request.org)
    form.fields["meeting"].widget = forms.HiddenInput()
    del form.fields["done"]  # a new action is not done yet
    return form


@org_view(Role.EDITOR)
@require_POST
def action_add(request, meeting_id: int):
    meeting = get_object_for_member(request, Meeting, meeting_id)
    form = ActionForm({**request.POST.dict(), "meeting": meeting.pk}, organization=request.org)
    if form.is_valid():
        core.save_form(form, actor=request.user)
        messages.success(request, "Action recorded.")
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
    return redirect(_url(request, "meeting_detail", meeting.pk))


@org_view(Role.EDITOR)
@require_POST
def action_done(request, action_id: int):
    action = get_object_for_member(request, Action, action_id)
    core.change_row(action, {"done": not action.done}, actor=request.user)
    return redirect(_url(request, "meeting_detail", action.meeting_id))


_, action_edit, action_delete = model_views(
    Action, ActionForm, id_kwarg="action_id", list_url=lambda r: _url(r, "overview")
)


@org_view(Role.EDITOR)
@require_POST
def meeting_decide(request, meeting_id: int):
    """Approve, defer or reject an initiative in a meeting: the decision and the status
    change are one step."""
    meeting = get_object_for_member(request, Meeting, meeting_id)
    form = QuickDecisionForm(request.POST, organization=request.org)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decision = services.decide_in_meeting(
                meeting, data["initiative"], data["change"], data["outcome"], actor=request.user
            )
        except ServiceError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, f"{decision.title}. The decision is recorded.")
    else:
        messages.error(request, "Choose an initiative and what to do, and say why.")
    return redirect(_url(request, "meeting_detail", meeting.pk))


@org_view()
@require_GET
def meeting_briefing(request, meeting_id: int, fmt: str = "html"):
    """The briefing pack: the agenda and the facts behind each point, to read beforehand."""
    meeting = _meeting(request, meeting_id)
    facts = services.briefing_facts(request.org, meeting)
    for item in meeting.agenda.all():  # the prefetched items, which the template reads
        item.facts = facts.get(item.pk, [])
    from cairn.roadmap import risk

    dates = risk.summary(request.org, risk.of(request.org))
    context = {"meeting": meeting, "pdf": fmt == "pdf", "dates": dates}
    if fmt == "pdf":
        from django.template.loader import render_to_string

        html = render_to_string("governance/briefing.html", context, request=request)
        try:
            from weasyprint import HTML
        except OSError:  # the server lacks Pango: say so rather than fail
            return HttpResponse(
                "PDF is not available on this server: it needs the Debian packages "
                "libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0 "
                "(scripts/test-services.sh pdf). "
                "The briefing pack's web page prints well too.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="briefing-{meeting.held_on}.pdf"'
        return response
    return render(request, "governance/briefing.html", context)


@org_view()
@require_GET
def meeting_ics(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    body = services.calendar(
        request.org, [meeting], [], base_url=request.build_absolute_uri("/")[:-1]
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.held_on}.ics"'
    return response
