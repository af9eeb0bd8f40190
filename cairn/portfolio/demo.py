"""Summit Outfitters' path: 30 initiatives across the quadrants, criteria and two scenarios."""

from decimal import Decimal

from cairn.assessment.models import Application, Team
from cairn.core.demo import ensure
from cairn.goals.models import BusinessGoal, PainPoint
from cairn.portfolio import frontier, services
from cairn.portfolio.demo_data import APPROVED, DEPENDS, EXCLUDES, INITIATIVES, LINKS
from cairn.portfolio.models import Criterion, Initiative, Scenario, TeamEffort, TeamLimit


def load(org, actor) -> None:
    """Add Summit Outfitters' path (only what is missing), and solve its scenarios once."""
    goals = {
        "share": "Double our market share in the Pacific Northwest",
        "service": "Become the outdoor industry's leader in customer service",
        "costs": "Cut operating costs by 20%",
        "rental": "Launch a gear rental and repair service",
    }
    goals = {k: BusinessGoal.objects.get(organization=org, title=t) for k, t in goals.items()}
    teams = {t.name: t for t in Team.objects.filter(organization=org)}
    pains = {p.title: p for p in PainPoint.objects.filter(organization=org)}
    apps = {a.name: a for a in Application.objects.filter(organization=org)}
    made: dict[str, Initiative] = {}
    for (
        title,
        impact,
        feasibility,
        kind,
        one_off,
        running,
        effort,
        months,
        status,
        urgency,
        risk,
        goal_keys,
        efforts,
    ) in INITIATIVES:
        pain_titles, app_names = LINKS.get(title, ([], []))
        initiative = ensure(
            Initiative,
            org,
            actor,
            lookup={"title": title},
            defaults={
                "impact": impact,
                "feasibility": feasibility,
                "kind": kind,
                "one_off_cost": one_off,
                "running_cost": max(running, 0),
                "effort_months": Decimal(str(effort)),
                "duration_months": months,
                "status": "approved" if title in APPROVED else status,
                "urgency": urgency,
                "risk": risk,
                "owner": "Morgan Reyes",
            },
            m2m={
                "goals": [goals[k] for k in goal_keys],
                "pain_points": [pains[p] for p in pain_titles if p in pains],
                "applications": [apps[a] for a in app_names if a in apps],
            },
        )
        for team, value in efforts.items():
            TeamEffort.objects.get_or_create(
                initiative=initiative, team=teams[team], defaults={"months": Decimal(str(value))}
            )
        made[title] = initiative
    for title, needs in DEPENDS.items():
        if not made[title].depends_on.exists():
            made[title].depends_on.set([made[n] for n in needs])
    for title, others in EXCLUDES.items():
        if not made[title].excludes.exists():
            made[title].excludes.set([made[n] for n in others])
    if not Criterion.objects.filter(organization=org).exists():
        services.add_standard_criteria(org, actor=actor)

    lean = ensure(
        Scenario,
        org,
        actor,
        lookup={"name": "Lean year"},
        defaults={
            "description": "Hold spending flat: no more than $325k of one-off cost.",
            "one_off_budget": 325000,
            "running_budget": 120000,
            "staff_months": 60,
            "min_change_percent": 50,
            "time_limit_s": 5,
        },
    )
    growth = ensure(
        Scenario,
        org,
        actor,
        lookup={"name": "Growth year"},
        defaults={
            "description": "Invest to win the North West: $900k, most of it on change.",
            "one_off_budget": 900000,
            "running_budget": 220000,
            "staff_months": 110,
            "min_change_percent": 70,
            "time_limit_s": 5,
        },
    )
    if not growth.mandatory.exists():
        growth.mandatory.set([made["One customer record across tills, web and help desk"]])
    for scenario, limits in [
        (lean, {"Business applications": 30, "IT operations": 14}),
        (growth, {"Business applications": 55, "IT operations": 20}),
    ]:
        for team, months in limits.items():
            TeamLimit.objects.get_or_create(
                scenario=scenario, team=teams[team], defaults={"months": months}
            )
        scenario.refresh_from_db()
        if scenario.result is None:
            scenario.result = services.compute(scenario, time_limit_s=scenario.time_limit_s)
            scenario.state = "done"
            scenario.save(update_fields=["result", "state"])
    # What more budget buys in the growth year: a curve with a clear bend near 1.1M.
    curve = frontier.saved(growth)
    if curve.result is None:
        frontier.work_out(curve.pk)
