"""Pages of the destination: goals, IT missions, interviews and pain points."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import delete_page, form_page
from cairn.core.forms import parse_id
from cairn.core.models import Role
from cairn.goals import services
from cairn.goals.forms import BusinessGoalForm, InterviewForm, ITMissionForm, PainPointForm
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint

# Suggestions for the interviewee's role; any other role may be typed.
ROLE_LIST = {
    "id": "executive-roles",
    "values": [
        "CEO",
        "CFO",
        "CMO",
        "COO",
        "CIO",
        "Head of Sales",
        "Head of HR",
        "Head of Operations",
    ],
}


INTERVIEW_NEXT = (
    "What the executive said, in their words. Next, on the interview's page, you turn what "
    "they named into pain points, each linked to the goals it puts at risk."
)


def _url(request, name: str, *args) -> str:
    return reverse(f"goals:{name}", args=[request.org.slug, *args])


def goals_with_links(org):
    """Goals of an organisation with missions and pain points prefetched (three queries)."""
    return BusinessGoal.objects.filter(organization=org).prefetch_related(
        "missions", Prefetch("pain_points", queryset=PainPoint.objects.select_related("interview"))
    )


@org_view()
@require_GET
def destination(request):
    """Each goal with its IT missions and pain points, in priority order."""
    goals = list(goals_with_links(request.org))
    stats = {
        "goals": len(goals),
        "without_mission": sum(1 for g in goals if not g.missions.all()),
        "interviews": Interview.objects.filter(organization=request.org).count(),
        "unlinked_pains": PainPoint.objects.filter(
            organization=request.org, goals__isnull=True
        ).count(),
    }
    return render(request, "goals/destination.html", {"goals": goals, "stats": stats})


def destination_stats(org) -> dict:
    """The destination's four figures, counted in the database (three queries)."""
    goals = BusinessGoal.objects.filter(organization=org).aggregate(
        goals=Count("pk", distinct=True),
        with_mission=Count("pk", distinct=True, filter=Q(missions__isnull=False)),
    )
    return {
        "goals": goals["goals"],
        "without_mission": goals["goals"] - goals["with_mission"],
        "interviews": Interview.objects.filter(organization=org).count(),
        "unlinked_pains": PainPoint.objects.filter(organization=org, goals__isnull=True).count(),
    }


def _goal_card(request, goal_id: int):
    """The refreshed card of one goal, swapped in place of the card on the page."""
    goal = goals_with_links(request.org).filter(pk=goal_id).first()
    if goal is None:  # the mission was saved for other goals: show the whole page again
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _url(request, "destination")
        return response
    # The card, and the page's figures swapped out of band (a mission changes
    # "goals without an IT mission").
    response = render(
        request,
        "goals/partials/goal_card_and_stats.html",
        {"goal": goal, "stats": destination_stats(request.org), "oob": True},
    )
    response["HX-Retarget"] = f"#goal-{goal_id}"
    response["HX-Reswap"] = "outerHTML"
    return response


@org_view()
@require_GET
def goal_detail(request, goal_id: int):
    goal = get_object_for_member(request, goals_with_links(request.org), goal_id)
    return render(request, "goals/goal_detail.html", {"goal": goal})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def goal_create(request):
    return form_page(
        request,
        BusinessGoalForm,
        title="Add a business goal",
        cancel_url=_url(request, "destination"),
        success_url=lambda g: _url(request, "destination") + f"#goal-{g.pk}",
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def goal_edit(request, goal_id: int):
    goal = get_object_for_member(request, BusinessGoal, goal_id)
    return form_page(
        request,
        BusinessGoalForm,
        instance=goal,
        title=f"Change the goal “{goal}”",
        cancel_url=_url(request, "goal_detail", goal.pk),
        success_url=lambda g: _url(request, "destination") + f"#goal-{g.pk}",
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def goal_delete(request, goal_id: int):
    goal = get_object_for_member(request, BusinessGoal, goal_id)
    return delete_page(
        request,
        goal,
        success_url=_url(request, "destination"),
        consequences="Its IT missions and pain points stay, but lose their link to this goal.",
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def mission_create(request):
    goal_id = parse_id(request.GET.get("goal", ""))
    initial = {"goals": [goal_id]} if goal_id else None
    return form_page(
        request,
        ITMissionForm,
        title="Write an IT mission",
        initial=initial,
        cancel_url=_url(request, "destination"),
        success_url=lambda m: _url(request, "destination"),
        on_htmx_success=(lambda m: _goal_card(request, goal_id)) if initial else None,
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def mission_edit(request, mission_id: int):
    mission = get_object_for_member(request, ITMission, mission_id)
    return form_page(
        request,
        ITMissionForm,
        instance=mission,
        title="Change the IT mission",
        cancel_url=_url(request, "destination"),
        success_url=lambda m: _url(request, "destination"),
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def mission_delete(request, mission_id: int):
    mission = get_object_for_member(request, ITMission, mission_id)
    return delete_page(request, mission, success_url=_url(request, "destination"))


@org_view()
@require_GET
def interview_list(request):
    interviews = Interview.objects.filter(organization=request.org).annotate(
        pain_count=Count("pain_points")
    )
    return render(request, "goals/interview_list.html", {"interviews": interviews})


@org_view()
@require_GET
def interview_detail(request, interview_id: int):
    interview = get_object_for_member(
        request,
        Interview.objects.prefetch_related(
            Prefetch("pain_points", queryset=PainPoint.objects.prefetch_related("goals"))
        ),
        interview_id,
    )
    return render(request, "goals/interview_detail.html", {"interview": interview})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def interview_create(request):
    return form_page(
        request,
        InterviewForm,
        title="Record an interview",
        cancel_url=_url(request, "interview_list"),
        success_url=lambda i: _url(request, "interview_detail", i.pk),
        context={"datalist": ROLE_LIST, "lead": INTERVIEW_NEXT},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def interview_edit(request, interview_id: int):
    interview = get_object_for_member(request, Interview, interview_id)
    return form_page(
        request,
        InterviewForm,
        instance=interview,
        title=f"Change the interview with {interview.stakeholder_name}",
        cancel_url=_url(request, "interview_detail", interview.pk),
        success_url=lambda i: _url(request, "interview_detail", i.pk),
        context={"datalist": ROLE_LIST},
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def interview_delete(request, interview_id: int):
    interview = get_object_for_member(request, Interview, interview_id)
    return delete_page(
        request,
        interview,
        success_url=_url(request, "interview_list"),
        consequences="Pain points drawn from it stay, without the link to the interview.",
    )


@org_view()
@require_GET
def painpoint_list(request):
    pains = (
        PainPoint.objects.filter(organization=request.org)
        .select_related("interview")
        .prefetch_related("goals")
    )
    return render(request, "goals/painpoint_list.html", {"pains": pains})


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def painpoint_create(request):
    interview_id = parse_id(request.GET.get("interview", ""))
    initial = {"interview": interview_id} if interview_id else None
    return form_page(
        request,
        PainPointForm,
        title="Add a pain point",
        initial=initial,
        cancel_url=_url(request, "painpoint_list"),
        success_url=lambda p: (
            _url(request, "interview_detail", p.interview_id)
            if p.interview_id
            else _url(request, "painpoint_list")
        ),
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def painpoint_edit(request, painpoint_id: int):
    pain = get_object_for_member(request, PainPoint, painpoint_id)
    return form_page(
        request,
        PainPointForm,
        instance=pain,
        title="Change the pain point",
        cancel_url=_url(request, "painpoint_list"),
        success_url=lambda p: _url(request, "painpoint_list"),
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def painpoint_delete(request, painpoint_id: int):
    pain = get_object_for_member(request, PainPoint, painpoint_id)
    return delete_page(request, pain, success_url=_url(request, "painpoint_list"))


@org_view(Role.EDITOR)
@require_POST
def painpoint_make_goal(request, painpoint_id: int):
    """Make a business goal of a pain point in one step; then open it to reword it."""
    pain = get_object_for_member(request, PainPoint, painpoint_id)
    goal = services.goal_from_pain_point(pain, actor=request.user)
    messages.success(
        request, f"“{goal}” is now a business goal, linked to the pain point: reword it freely."
    )
    return redirect(_url(request, "goal_edit", goal.pk))
