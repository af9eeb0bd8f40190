"""The gap analysis: where technology is failing the goals, as plain rules.

Each rule is one function with a one-sentence docstring; the gap page shows
that sentence beside what the rule finds. Everything is counted in the
database: the page costs the same number of queries for 10 or 20,000
applications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from cairn.assessment.models import (
    GOOD,
    Application,
    Automation,
    Capability,
    Disposition,
    Lifecycle,
    Process,
    SwotItem,
    SwotKind,
)
from cairn.core.models import Organization
from cairn.goals.models import BusinessGoal, Priority

LIST_LIMIT = 10  # items shown per list on the page; the count says how many in all
IN_USE = ~Q(application__lifecycle=Lifecycle.RETIRED)


def goals_without_capability(org: Organization) -> QuerySet[BusinessGoal]:
    """Goals that no business capability serves."""
    return BusinessGoal.objects.filter(organization=org, capabilities__isnull=True)


def weak_capabilities(org: Organization) -> QuerySet[Capability]:
    """Capabilities at the bottom of the tree with no application in use, or whose applications in
    use all have health or fit below 3."""
    in_use = ~Q(applications__lifecycle=Lifecycle.RETIRED)
    good = Q(applications__health__gte=GOOD, applications__fit__gte=GOOD) & in_use
    return (
        Capability.objects.filter(organization=org, children__isnull=True)
        .annotate(
            in_use=Count("applications", filter=in_use & Q(applications__isnull=False)),
            good=Count("applications", filter=good),
        )
        .filter(good=0)
        .order_by("in_use", "name")
    )


def unhealthy_apps_on_priority_goals(org: Organization) -> QuerySet[Application]:
    """Applications in use with technical health below 3 that support a capability serving a
    high-priority goal."""
    return (
        Application.objects.filter(organization=org, health__lt=GOOD)
        .in_use()
        .filter(capabilities__goals__priority=Priority.HIGH)
        .distinct()
        .order_by("health", "-annual_cost", "name")
    )


def painful_manual_processes(org: Organization) -> QuerySet[Process]:
    """Manual processes that hurt (pain 4 or 5) and support a capability that serves a goal."""
    return (
        Process.objects.filter(
            organization=org,
            automation=Automation.MANUAL,
            pain__gte=4,
            capabilities__goals__isnull=False,
        )
        .distinct()
        .order_by("-pain", "name")
    )


def spend_to_retire(org: Organization) -> QuerySet[Application]:
    """Applications in use whose disposition (suggested or chosen) is Eliminate or Migrate, by
    annual cost."""
    return (
        Application.objects.filter(organization=org)
        .in_use()
        .with_disposition()
        .filter(effective_disposition__in=[Disposition.ELIMINATE, Disposition.MIGRATE])
        .order_by("-annual_cost", "name")
    )


def unanswered_questions(org: Organization) -> QuerySet[SwotItem]:
    """Weaknesses and threats whose IT question nobody has answered yet."""
    return (
        SwotItem.objects.filter(
            organization=org, kind__in=[SwotKind.WEAKNESS, SwotKind.THREAT], it_answer=""
        )
        .exclude(it_question="")
        .order_by("kind", "rank", "id")
    )


# --- How well each capability is supported


AUTOMATION_POINTS = Case(
    When(process__automation=Automation.MANUAL, then=Value(1)),
    When(process__automation=Automation.PARTLY, then=Value(3)),
    default=Value(5),
    output_field=IntegerField(),
)


def support_score(health: float | None, fit: float | None, automation: float | None) -> int | None:
    """0–100: the average health and fit of the applications in use (70%) and how automated the
    processes are (30%); a capability with no application in use has no score."""
    if health is None or fit is None:
        return None
    apps = ((health + fit) / 2 - 1) / 4 * 100
    if automation is None:
        return round(apps)
    return round(0.7 * apps + 0.3 * (automation - 1) / 4 * 100)


def band(score: int | None) -> tuple[str, str]:
    """A word and a colour for a support score (None: nothing supports the capability)."""
    if score is None:
        return "None", "red"
    if score >= 70:
        return "Strong", "green"
    if score >= 40:
        return "Adequate", "yellow"
    return "Weak", "orange"


def capability_support(org: Organization) -> dict[int, int | None]:
    """Support score of every capability, aggregated in the database (three queries).

    A capability with no application of its own takes the average score of the capabilities
    under it that have one.
    """
    apps = (
        Application.capabilities.through.objects.filter(capability__organization=org)
        .filter(IN_USE)
        .values("capability_id")
        .annotate(health=Avg("application__health"), fit=Avg("application__fit"))
    )
    automation = dict(
        Process.capabilities.through.objects.filter(capability__organization=org)
        .values("capability_id")
        .annotate(points=Avg(AUTOMATION_POINTS))
        .values_list("capability_id", "points")
    )
    own = {
        a["capability_id"]: support_score(a["health"], a["fit"], automation.get(a["capability_id"]))
        for a in apps
    }
    parents = dict(Capability.objects.filter(organization=org).values_list("pk", "parent_id"))
    children: dict[int, list[int]] = {}
    for cid, parent in parents.items():
        if parent:
            children.setdefault(parent, []).append(cid)

    def rolled(cid: int, depth: int = 0) -> int | None:
        if cid in own or depth > 5:
            return own.get(cid)
        below = [
            s for child in children.get(cid, []) if (s := rolled(child, depth + 1)) is not None
        ]
        return round(sum(below) / len(below)) if below else None

    return {cid: rolled(cid) for cid in parents}


def tree_order(capabilities: list[Capability]) -> list[Capability]:
    """Capabilities parent first, children indented under it (sets ``level``)."""
    by_parent: dict[int | None, list[Capability]] = {}
    ids = {c.pk for c in capabilities}
    for c in capabilities:
        by_parent.setdefault(c.parent_id if c.parent_id in ids else None, []).append(c)
    ordered: list[Capability] = []

    def walk(parent_id: int | None, level: int) -> None:
        for c in by_parent.get(parent_id, []):
            c.level = level
            ordered.append(c)
            walk(c.pk, level + 1)

    walk(None, 0)
    return ordered


@dataclass
class Heatmap:
    goals: list[BusinessGoal]
    capabilities: list[Capability]
    links: set[tuple[int, int]] = field(default_factory=set)  # (capability, goal)
    support: dict[int, int | None] = field(default_factory=dict)

    def rows(self):
        """Per capability: it, and per goal (score, word, colour), or None where it serves not."""
        for capability in self.capabilities:
            score = self.support.get(capability.pk)
            cell = (score, *band(score))
            yield (
                capability,
                [cell if (capability.pk, goal.pk) in self.links else None for goal in self.goals],
            )


def heatmap(org: Organization) -> Heatmap:
    """The capabilities that serve a goal × the goals, each cell the capability's support."""
    links = set(
        Capability.goals.through.objects.filter(capability__organization=org).values_list(
            "capability_id", "businessgoal_id"
        )
    )
    used = {c for c, _ in links}
    goals = list(BusinessGoal.objects.filter(organization=org))
    capabilities = tree_order(
        [c for c in Capability.objects.filter(organization=org) if c.pk in used]
    )
    return Heatmap(goals, capabilities, links, capability_support(org) if links else {})


# --- The page


@dataclass
class GapList:
    key: str
    title: str
    rule: str
    items: list
    count: int
    total_cost: Decimal | None = None


def rule_sentence(func) -> str:
    return " ".join(func.__doc__.split())


def gap_lists(org: Organization) -> list[GapList]:
    """Every list on the gap page, first items and counts (two queries per list)."""
    out = []
    for key, title, func in [
        ("goals", "Goals no capability serves", goals_without_capability),
        ("capabilities", "Capabilities without good applications", weak_capabilities),
        (
            "unhealthy",
            "Weak applications behind high-priority goals",
            unhealthy_apps_on_priority_goals,
        ),
        ("processes", "Manual, painful processes on a goal's path", painful_manual_processes),
        ("spend", "Spend on applications to eliminate or migrate", spend_to_retire),
        ("questions", "IT questions nobody has answered", unanswered_questions),
    ]:
        queryset = func(org)
        gap = GapList(key, title, rule_sentence(func), list(queryset[:LIST_LIMIT]), 0)
        if key == "spend":
            totals = queryset.aggregate(count=Count("id"), total=Sum("annual_cost"))
            gap.count, gap.total_cost = totals["count"], totals["total"] or Decimal(0)
        else:
            gap.count = queryset.count()
        out.append(gap)
    return out
