"""Pages of the guideposts: the committee, meetings and their agendas, decisions, roadblocks,
RACI, accountability, buy-in, reviews and the calendar."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core import services as core
from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import form_page, model_views
from cairn.core.forms import parse_id
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.goals.models import Interview, PainPoint
from cairn.governance import rules, services
from cairn.governance.forms import (
    ActionForm,
    AgendaItemForm,
    ApproveScenarioForm,
    CommitteeForm,
    CommitteeMemberForm,
    DecisionForm,
    MeetingForm,
    QuickDecisionForm,
    RaciForm,
    ReviewForm,
    RoadblockForm,
    VisitForm,
    parse_grid,
)
from cairn.governance.models import (
    Action,
    AgendaItem,
    CommitteeMember,
    Decision,
    Meeting,
    Raci,
    Review,
    Roadblock,
    Visit,
)
from cairn.portfolio.models import Initiative, Scenario


def _url(request, name: str, *args) -> str:
    return reverse(f"governance:{name}", args=[request.org.slug, *args])


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
    context = {"meeting": meeting, "pdf": fmt == "pdf"}
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


# --- Decisions


@org_view()
@require_GET
def decision_list(request):
    decisions = (
        Decision.objects.filter(organization=request.org)
        .select_related("meeting", "taken_by")
        .prefetch_related("initiatives", "racis")
    )
    return render(request, "governance/decision_list.html", {"decisions": decisions})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def decision_create(request):
    initial = {"decided_on": timezone.localdate()}
    ids = [n for raw in request.GET.getlist("initiative")[:100] if (n := parse_id(raw))]
    if ids:
        initial["initiatives"] = ids
    if meeting_id := parse_id(request.GET.get("meeting", "")):
        initial["meeting"] = meeting_id
    # Opened from "Approve, defer or reject" (or after proposing a portfolio): pre-set the move.
    change = request.GET.get("change", "")
    if change in rules.CHANGE_TO_STATUS:
        initial["change"] = change
        named = Initiative.objects.filter(organization=request.org, pk__in=ids).order_by("title")
        titles = [i.title for i in named[:3]]
        if titles:
            more = len(ids) - len(titles)
            initial["title"] = (
                f"{services.CHANGE_DONE[change]}: {', '.join(titles)}"
                + (f" and {more} more" if more > 0 else "")
            )[:200]
    form = DecisionForm(request.POST or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide(
                request.org,
                title=data["title"],
                outcome=data["outcome"],
                change=data["change"],
                initiatives=data["initiatives"],
                meeting=data["meeting"],
                context=data["context"],
                options=data["options"],
                decided_on=data["decided_on"],
                actor=request.user,
            )
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Decision recorded: {data['title']}")
            return redirect(_url(request, "decision_list"))
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": "Record a decision", "cancel_url": _url(request, "decision_list")},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def scenario_approve(request, scenario_id: int):
    """Approve what a scenario chose as one committee decision, then schedule the roadmap."""
    from cairn.portfolio.services import chosen_initiatives
    from cairn.roadmap.models import RunState

    scenario = get_object_for_member(request, Scenario, scenario_id)
    back = reverse("portfolio:scenario_detail", args=[request.org.slug, scenario.pk])
    try:
        chosen, refused = list(chosen_initiatives(scenario).order_by("title")), ""
    except ServiceError as e:  # not run, or out of date: say so, with the way back
        chosen, refused = [], str(e)
    form = ApproveScenarioForm(request.POST or None, organization=request.org)
    if refused and request.method == "POST":
        messages.error(request, refused)
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        try:
            decision, plan = services.approve_and_schedule(
                scenario,
                meeting=form.cleaned_data["meeting"],
                outcome=form.cleaned_data["outcome"],
                actor=request.user,
            )
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            approved = decision.initiatives.count() if decision else 0
            done = (
                f"{approved} initiative{pluralize(approved)} approved. "
                if decision
                else "Every chosen initiative was approved already. "
            )
            placed = {
                RunState.DONE: "The roadmap places the work from the current period on.",
                RunState.RUNNING: "The roadmap is being scheduled in the background.",
                RunState.INFEASIBLE: "The work does not fit the teams' capacity: see why below.",
            }
            messages.success(request, done + placed.get(plan.state, ""))
            return redirect(reverse("roadmap:gantt", args=[request.org.slug]))
    return render(
        request,
        "governance/scenario_approve.html",
        {
            "scenario": scenario,
            "chosen": chosen,
            "refused": refused,
            "form": form,
            "cancel_url": back,
        },
    )


_, decision_edit, decision_delete = model_views(
    Decision,
    DecisionForm,
    id_kwarg="decision_id",
    list_url=lambda r: _url(r, "decision_list"),
    consequences="The initiatives it changed keep their status; the change stays in the "
    "activity log.",
)


# --- Roadblocks


@org_view()
@require_GET
def roadblock_list(request):
    roadblocks = Roadblock.objects.filter(organization=request.org).select_related("initiative")
    return render(request, "governance/roadblock_list.html", {"roadblocks": roadblocks})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def roadblock_create(request):
    initial = {"since": timezone.localdate()}
    raw = request.GET.get("initiative", "")
    if raw.isdigit() and len(raw) < 19:
        initial["initiative"] = int(raw)
    return form_page(
        request,
        RoadblockForm,
        title="Raise a roadblock",
        cancel_url=_url(request, "roadblock_list"),
        success_url=lambda obj: _url(request, "roadblock_list"),
        initial=initial,
    )


_, roadblock_edit, roadblock_delete = model_views(
    Roadblock, RoadblockForm, id_kwarg="roadblock_id", list_url=lambda r: _url(r, "roadblock_list")
)


@org_view(Role.EDITOR)
@require_POST
def roadblock_remove(request, roadblock_id: int):
    roadblock = get_object_for_member(request, Roadblock, roadblock_id)
    try:
        services.remove_roadblock(roadblock, request.POST.get("how", ""), actor=request.user)
    except ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Roadblock removed: {roadblock}")
    return redirect(_url(request, "roadblock_list"))


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
