"""The one test base: two organisations and the personas owner, editor, viewer, outsider."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from cairn.assessment.models import Application, Capability, Process, SwotItem, Team
from cairn.core.models import AuditEvent, Membership, Organization, Role
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint

PASSWORD = "correct horse battery"


def make_goal(org, title="Grow market share", **kw) -> BusinessGoal:
    kw.setdefault("target_date", date(date.today().year + 4, 12, 31))
    return BusinessGoal.objects.create(organization=org, title=title, **kw)


def make_mission(org, goals, statement="IT gives sales a single view of customers") -> ITMission:
    mission = ITMission.objects.create(organization=org, statement=statement)
    mission.goals.set(goals)
    return mission


def make_interview(org, name="Dana", role="CFO", **kw) -> Interview:
    kw.setdefault("held_on", date(2026, 10, 1))
    return Interview.objects.create(
        organization=org, stakeholder_name=name, stakeholder_role=role, **kw
    )


def make_pain(org, title="Quotes are slow", goals=(), interview=None) -> PainPoint:
    pain = PainPoint.objects.create(organization=org, title=title, interview=interview)
    pain.goals.set(goals)
    return pain


def make_terrain(org, prefix: str = "") -> dict:
    """One row of each kind of the terrain, linked together and to the first goal."""
    goal = BusinessGoal.objects.filter(organization=org).first()
    swot = SwotItem.objects.create(
        organization=org,
        kind="weakness",
        statement=f"{prefix}Quoting is manual",
        it_question="How can we automate quoting?",
    )
    capability = Capability.objects.create(organization=org, name=f"{prefix}Quote to cash")
    capability.goals.set([goal])
    team = Team.objects.create(organization=org, name=f"{prefix}Sales ops", headcount=4)
    process = Process.objects.create(
        organization=org, name=f"{prefix}Quoting", team=team, automation="manual", pain=5
    )
    process.capabilities.set([capability])
    application = Application.objects.create(
        organization=org, name=f"{prefix}Spreadsheet pricing", health=2, fit=2, annual_cost=9000
    )
    application.capabilities.set([capability])
    return {
        "swot": swot,
        "capability": capability,
        "team": team,
        "process": process,
        "application": application,
    }


def make_path(org, prefix: str = "") -> dict:
    """Two initiatives (one depending on the other), a criterion and a scenario."""
    from cairn.portfolio.models import Criterion, Initiative, Scenario

    goal = BusinessGoal.objects.filter(organization=org).first()
    base = Initiative.objects.create(
        organization=org,
        title=f"{prefix}Data platform",
        impact="medium",
        feasibility="hard",
        one_off_cost=100,
        effort_months=4,
    )
    initiative = Initiative.objects.create(
        organization=org,
        title=f"{prefix}Automate quoting",
        impact="high",
        feasibility="easy",
        one_off_cost=50,
        running_cost=10,
        effort_months=2,
    )
    initiative.goals.set([goal])
    initiative.depends_on.set([base])
    criterion = Criterion.objects.create(
        organization=org, name=f"{prefix}Impact", source="impact", weight=2
    )
    scenario = Scenario.objects.create(
        organization=org, name=f"{prefix}Lean", one_off_budget=120, time_limit_s=1
    )
    return {"initiative": initiative, "base": base, "criterion": criterion, "scenario": scenario}


def make_roadmap(org, prefix: str = "") -> dict:
    """Two initiatives under way on the roadmap (one after the other), a budget line, a
    milestone. Under way, so that scenarios (which choose among ideas) leave them alone."""
    from cairn.portfolio.models import Initiative
    from cairn.roadmap.models import BudgetLine, Milestone, Plan, RoadmapItem

    first = Initiative.objects.create(
        organization=org,
        title=f"{prefix}Clean the data",
        status="in_progress",
        one_off_cost=200,
        duration_months=3,
    )
    second = Initiative.objects.create(
        organization=org,
        title=f"{prefix}New CRM",
        status="in_progress",
        one_off_cost=400,
        impact="high",
    )
    second.depends_on.set([first])
    Plan.objects.create(organization=org, starts_on=date(2026, 10, 1))
    line = BudgetLine.objects.create(organization=org, name=f"{prefix}Projects", per_period=300)
    # Initiatives under way are on the roadmap from the moment they are saved.
    RoadmapItem.objects.filter(initiative=first).update(duration=1, budget_line=line)
    RoadmapItem.objects.filter(initiative=second).update(duration=2, budget_line=line)
    item = RoadmapItem.objects.get(initiative=second)
    milestone = Milestone.objects.create(
        organization=org, initiative=second, title=f"{prefix}Pilot live", due=date(2027, 3, 1)
    )
    return {"budget": line, "item": item, "milestone": milestone, "first": first, "second": second}


def make_ascent(org, goal, prefix: str = "") -> dict:
    """Two measured KPIs for ``goal`` (one with three monthly values), a KPI calculated from
    them, and a win."""
    from cairn.kpis import services
    from cairn.kpis.models import Kpi, Measurement, Win

    orders = Kpi.objects.create(
        organization=org,
        name=f"{prefix}Orders",
        baseline_value=100,
        baseline_date=date(2025, 1, 1),
        target_value=200,
        target_date=date(2028, 1, 1),
    )
    orders.goals.set([goal])
    cost = Kpi.objects.create(organization=org, name=f"{prefix}IT cost", direction="down")
    Measurement.objects.bulk_create(
        [
            Measurement(kpi=orders, date=date(2025, 1, 31), value=100),
            Measurement(kpi=orders, date=date(2025, 2, 28), value=110),
            Measurement(kpi=orders, date=date(2025, 3, 31), value=120),
            Measurement(kpi=cost, date=date(2025, 3, 31), value=600),
        ]
    )
    per_order = Kpi.objects.create(
        organization=org,
        name=f"{prefix}Cost per order",
        direction="down",
        formula=f"{{{prefix}IT cost}} / {{{prefix}Orders}}",
    )
    services.set_formula_inputs(per_order, {cost.name: cost.pk, orders.name: orders.pk})
    services.refresh([orders.pk, cost.pk])
    win = Win.objects.create(
        organization=org, title=f"{prefix}First win", achieved_on=date(2025, 6, 1), goal=goal
    )
    measurement = Measurement.objects.get(kpi=orders, date=date(2025, 3, 31))
    return {
        "kpi": orders,
        "cost": cost,
        "derived": per_order,
        "win": win,
        "measurement": measurement,
    }


def make_guideposts(org, initiative, prefix: str = "") -> dict:
    """A committee with a business chair and an IT member, a meeting with an agenda point, an
    action and a decision, a roadblock, the ERP RACI, and a completed annual review."""
    from cairn.governance import rules, services
    from cairn.governance.models import (
        Action,
        AgendaItem,
        Committee,
        CommitteeMember,
        Decision,
        Meeting,
        Raci,
        Review,
        Roadblock,
        Visit,
    )

    committee = Committee.objects.create(organization=org)
    chair = CommitteeMember.objects.create(
        organization=org, committee=committee, name=f"{prefix}Grace", role="COO", is_chair=True
    )
    CommitteeMember.objects.create(
        organization=org, committee=committee, name=f"{prefix}Raj", role="IT director", side="it"
    )
    meeting = Meeting.objects.create(
        organization=org, committee=committee, title=f"{prefix}Q1 meeting", held_on=date(2026, 1, 6)
    )
    meeting.attendees.set([chair])
    point = AgendaItem.objects.create(meeting=meeting, title=f"{prefix}Budget", position=1)
    action = Action.objects.create(
        organization=org,
        meeting=meeting,
        description=f"{prefix}Send the numbers",
        owner="Raj",
        due=date(2026, 2, 1),
    )
    decision = Decision.objects.create(
        organization=org, title=f"{prefix}Keep the CRM", outcome="Kept.", meeting=meeting
    )
    roadblock = Roadblock.objects.create(
        organization=org, initiative=initiative, description=f"{prefix}No vendor contract"
    )
    raci = Raci.objects.create(
        organization=org,
        title=f"{prefix}ERP selection",
        decision=decision,
        people=rules.ERP_PRESET["people"],
        rows=rules.ERP_PRESET["rows"],
    )
    review = Review.objects.create(
        organization=org,
        kind="annual",
        title=f"{prefix}Annual review",
        due=date(2026, 3, 31),
        completed_on=date(2026, 3, 20),
        summary="On course.",
        snapshot=services.snapshot(org),
    )
    return {
        "meeting": meeting,
        "point": point,
        "action": action,
        "decision": decision,
        "roadblock": roadblock,
        "raci": raci,
        "review": review,
        "seat": chair,
        "visit": Visit.objects.create(
            organization=org,
            person="Raj",
            direction="it_to_business",
            meeting=f"{prefix}Weekly sales review",
            on=date(2026, 2, 3),
            learned="Reps retype every quote into the CRM. It takes an hour a day.",
        ),
    }


def make_execution(org, initiative, kpi, prefix: str = "") -> dict:
    """A status report and an actual on an initiative under way, and a benefit it promises."""
    from cairn.execution.models import Actual, Benefit, StatusReport

    report = StatusReport.objects.create(
        organization=org,
        initiative=initiative,
        reported_on=date(2026, 11, 20),
        health="amber",
        scope_health="green",
        schedule_health="amber",
        cost_health="green",
        percent_complete=40,
        progress=f"{prefix}The data is half clean.",
        needs="A decision on the archive.",
    )
    actual = Actual.objects.create(
        organization=org, initiative=initiative, month=date(2026, 11, 1), amount=120
    )
    benefit = Benefit.objects.create(
        organization=org, initiative=initiative, kpi=kpi, change=5, due=date(2027, 12, 31)
    )
    return {"report": report, "actual": actual, "benefit": benefit}


def make_language(org, prefix: str = "") -> dict:
    """A glossary term and a word the organisation avoids."""
    from cairn.language.models import GlossaryTerm, JargonRule

    term = GlossaryTerm.objects.create(
        organization=org, term=f"{prefix}SLA", meaning="Response times a supplier promises"
    )
    rule = JargonRule.objects.create(
        organization=org, phrase=f"{prefix.lower()}circle the wagons", alternative="defend"
    )
    return {"term": term, "rule": rule}


def make_aigov(org, goal, prefix: str = "") -> dict:
    """A high-risk use case (screening job applicants) and a policy."""
    from cairn.aigov.models import AiPolicy, AiUseCase

    policy = AiPolicy.objects.create(
        organization=org, area="ethics", title=f"{prefix}People decide about people", text="x"
    )
    usecase = AiUseCase.objects.create(
        organization=org,
        title=f"{prefix}CV screening",
        description="Ranks applicants",
        purpose="employment",
    )
    usecase.goals.set([goal])
    return {"usecase": usecase, "policy": policy}


# The queries every signed-in page reads besides its own: the session, the user, the
# membership with its organisation, the organisations of the switcher, the inbox's unread count.
PAGE = 5


class CairnTestCase(TestCase):
    """Organisation ``acme`` with an owner, an editor and a viewer; ``globex`` with the outsider.

    Each organisation has one goal, mission, interview and pain point, so that
    tests can reach across the boundary and be refused.
    """

    @classmethod
    def setUpTestData(cls):
        cls.org = Organization.objects.create(name="Acme", slug="acme")
        cls.other_org = Organization.objects.create(name="Globex", slug="globex")
        cls.users = {}
        for name, org, role in [
            ("owner", cls.org, Role.OWNER),
            ("editor", cls.org, Role.EDITOR),
            ("viewer", cls.org, Role.VIEWER),
            ("outsider", cls.other_org, Role.OWNER),
        ]:
            user = User.objects.create_user(name, password=PASSWORD)
            Membership.objects.create(user=user, organization=org, role=role)
            cls.users[name] = user
        cls.owner, cls.editor = cls.users["owner"], cls.users["editor"]
        cls.viewer, cls.outsider = cls.users["viewer"], cls.users["outsider"]
        cls.goal = make_goal(cls.org)
        cls.mission = make_mission(cls.org, [cls.goal])
        cls.interview = make_interview(cls.org)
        cls.pain = make_pain(cls.org, goals=[cls.goal], interview=cls.interview)
        cls.other_goal = make_goal(cls.other_org, "Globex secret goal")
        cls.other_mission = make_mission(cls.other_org, [cls.other_goal], "Globex secret mission")
        cls.other_interview = make_interview(cls.other_org, "Globex CFO")
        cls.other_pain = make_pain(cls.other_org, "Globex secret pain", [cls.other_goal])
        cls.terrain = make_terrain(cls.org)
        cls.other_terrain = make_terrain(cls.other_org, "Globex secret ")
        cls.path = make_path(cls.org)
        cls.other_path = make_path(cls.other_org, "Globex secret ")
        cls.roadmap = make_roadmap(cls.org)
        cls.other_roadmap = make_roadmap(cls.other_org, "Globex secret ")
        cls.ascent = make_ascent(cls.org, cls.goal)
        cls.other_ascent = make_ascent(cls.other_org, cls.other_goal, "Globex secret ")
        cls.aigov = make_aigov(cls.org, cls.goal)
        cls.other_aigov = make_aigov(cls.other_org, cls.other_goal, "Globex ")
        cls.language = make_language(cls.org)
        from cairn.documents.services import make as make_document

        cls.document = make_document(cls.org, actor=None)
        cls.other_document = make_document(cls.other_org, actor=None)
        cls.other_language = make_language(cls.other_org, "Globex ")
        cls.execution = make_execution(cls.org, cls.roadmap["first"], cls.ascent["kpi"])
        cls.other_execution = make_execution(
            cls.other_org, cls.other_roadmap["first"], cls.other_ascent["kpi"], "Globex secret "
        )
        cls.guideposts = make_guideposts(cls.org, cls.path["initiative"])
        cls.other_guideposts = make_guideposts(
            cls.other_org, cls.other_path["initiative"], "Globex secret "
        )

    def login(self, persona: str = "owner") -> User:
        user = self.users[persona]
        self.client.force_login(user)
        return user

    def url(self, name: str, *args) -> str:
        from django.urls import reverse

        return reverse(name, args=[self.org.slug, *args])

    def audit_count(self) -> int:
        return AuditEvent.objects.count()

    def assertQueryCount(self, expected: int, func, *args, **kwargs):
        """Like assertNumQueries, but prints every SQL statement when the count is wrong."""
        with CaptureQueriesContext(connection) as ctx:
            result = func(*args, **kwargs)
        if len(ctx.captured_queries) != expected:
            sql = "\n".join(f"{i + 1}. {q['sql']}" for i, q in enumerate(ctx.captured_queries))
            self.fail(f"{len(ctx.captured_queries)} queries, expected {expected}:\n{sql}")
        return result
