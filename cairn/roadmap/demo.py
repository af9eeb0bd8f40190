"""Summit Outfitters' roadmap: capacity that binds in some quarters, a budget line,
milestones (one done, one slipped), scheduled once."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from cairn.assessment.models import Team
from cairn.core.demo import ensure
from cairn.portfolio.models import Initiative
from cairn.roadmap import risk, services
from cairn.roadmap.models import (
    BudgetCapacity,
    BudgetLine,
    Milestone,
    RoadmapItem,
    TeamCapacity,
)

# FTE each team can give to projects, per quarter, when it is not its headcount (the rest of
# the team runs the business): busy seasons bind the plan.
CAPACITY = {
    "Business applications": [1.5, 1.5, 2, 2, 2.5, 2.5, 2.5, 2.5],
    "IT operations": [1, 1, 2, 2, 2, 2, 1.5, 1.5],
    "Customer support": [1, 1, 1.5, 0.5, 1.5, 1.5, 1.5, 0.5],
    "Finance": [0.5, 1, 1, 1, 0.5, 1, 1, 1],
    "Sales operations": [0.5, 0.5, 1, 1, 1, 1, 1, 1],
}
MILESTONES = [
    # initiative, title, days from today, done
    ("Automatic supplier-invoice matching", "Invoice matching pilot with two suppliers", -20, True),
    (
        "Multi-factor sign-in for everyone",
        "Every manager signs in with a second factor",
        -10,
        False,
    ),
    ("Backups tested every quarter", "First full restore test passed", 45, False),
    ("Returns and exchanges in one process", "Store returns refunded the same day", 200, False),
    ("Faster month-end close with ERP workflows", "Close in five working days", 300, False),
    ("Help-desk knowledge base for agents", "New agents work alone after three weeks", 90, False),
]


# Best and worst case (periods, against the most likely) of the items whose length is least
# sure, and of their one-off cost (shares of the estimate): what the simulation plays out.
RANGES = {
    "Returns and exchanges in one process": (0, 3, 0.9, 1.4),
    "Faster month-end close with ERP workflows": (0, 2, 0.95, 1.3),
    "Help-desk knowledge base for agents": (0, 1, 0.9, 1.2),
    "One customer record across tills, web and help desk": (-1, 3, 0.9, 1.5),
    "Automatic supplier-invoice matching": (0, 1, 1, 1.15),
}


def estimates(org) -> None:
    """Give the least certain items a best and worst case (once)."""
    for item in RoadmapItem.objects.filter(
        organization=org, initiative__title__in=list(RANGES), duration_worst__isnull=True
    ).select_related("initiative"):
        shorter, longer, cheaper, dearer = RANGES[item.initiative.title]
        item.duration_best = max(1, item.duration + shorter)
        item.duration_worst = item.duration + longer
        item.save(update_fields=["duration_best", "duration_worst"])
        cost = item.initiative.one_off_cost
        Initiative.objects.filter(pk=item.initiative_id).update(
            one_off_cost_best=(cost * Decimal(str(cheaper))).quantize(Decimal(1)),
            one_off_cost_worst=(cost * Decimal(str(dearer))).quantize(Decimal(1)),
        )


def load(org, actor) -> None:
    """Add the roadmap (only what is missing) and schedule it the first time."""
    plan = services.saved_plan(org, actor=actor, via="cli")
    teams = {t.name: t for t in Team.objects.filter(organization=org)}
    for name, values in CAPACITY.items():
        for period, fte in enumerate(values):
            TeamCapacity.objects.get_or_create(
                team=teams[name], period=period, defaults={"fte": Decimal(str(fte))}
            )
    line = ensure(
        BudgetLine, org, actor, lookup={"name": "IT projects"}, defaults={"per_period": 140000}
    )
    # The year-end spending freeze: little project money in the second quarter.
    BudgetCapacity.objects.get_or_create(line=line, period=1, defaults={"amount": 60000})
    services.sync_items(org, plan, actor=actor)
    RoadmapItem.objects.filter(organization=org, budget_line__isnull=True).exclude(
        initiative__status="in_progress"
    ).update(budget_line=line)
    patching = RoadmapItem.objects.filter(
        organization=org, initiative__title="Keep current systems patched"
    ).first()
    if patching and not patching.pinned:  # under way since last quarter: kept where it is
        RoadmapItem.objects.filter(pk=patching.pk).update(start=0, pinned=True, duration=4)
    returns = RoadmapItem.objects.filter(
        organization=org, initiative__title="Returns and exchanges in one process"
    ).first()
    if returns and returns.deadline is None:  # before the holiday returns peak next year
        RoadmapItem.objects.filter(pk=returns.pk).update(deadline=5)
    today = timezone.localdate()
    titles = {i.title: i for i in Initiative.objects.filter(organization=org)}
    for initiative, title, days, done in MILESTONES:
        ensure(
            Milestone,
            org,
            actor,
            lookup={"title": title},
            defaults={
                "initiative": titles[initiative],
                "due": today + timedelta(days=days),
                "done": done,
            },
        )
    if plan.state == "never":
        services.run_schedule(org, actor=actor)
    estimates(org)
    simulation = risk.saved(org)
    if simulation.result is None:
        risk.work_out(simulation.pk)
