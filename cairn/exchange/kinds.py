"""Every kind of row Cairn imports and exports as a table, in the order a workbook lists
them: each kind comes after the kinds its columns name."""

from __future__ import annotations

from cairn.aigov.models import DATA_KINDS
from cairn.core.tabular import clip
from cairn.exchange.checking import Checked, Names
from cairn.exchange.columns import Choices, Field, Kind, Links, Pairs, Ref, Target

LIST = "References separated by “;”."


def _committee(org, actor, via):
    """New members and meetings belong to the organisation's committee, set up if need be."""
    from cairn.governance.services.committee import saved_committee

    return {"committee": saved_committee(org, actor=actor, via=via)}


# --- The capability tree: at most MAX_DEPTH levels, no circle


def check_tree(checked: Checked, names: Names) -> None:
    """Each capability's parent chain, with the file's parents over the stored ones, ends
    within ``MAX_DEPTH`` levels."""
    from cairn.assessment.models import MAX_DEPTH, Capability

    stored = Capability.objects.filter(organization=checked.org).values_list("name", "parent__name")
    parents = dict(stored)
    for row in checked.rows:
        if "parent" in row.refs:
            parents[row.ref] = row.refs["parent"]
    for row in checked.rows:
        name, depth, trail = row.ref, 1, {row.ref}
        while (name := parents.get(name)) and depth <= MAX_DEPTH:
            if name in trail:
                depth = MAX_DEPTH + 1
                break
            trail.add(name)
            depth += 1
        if depth > MAX_DEPTH:
            checked.add(
                row.number,
                "parent",
                f"capabilities go at most {MAX_DEPTH} levels deep, and never in a circle",
            )


# --- KPI formulas: by KPI name, measured KPIs only


def check_formulas(checked: Checked, names: Names) -> None:
    """A formula names KPIs of the file or of Cairn, never itself, never a calculated KPI."""
    from cairn.kpis import formula as formulas
    from cairn.kpis.models import Kpi

    calculated = set(
        Kpi.objects.filter(organization=checked.org)
        .exclude(formula="")
        .values_list("name", flat=True)
    )
    in_file = {r.ref: r for r in checked.rows}
    for row in checked.rows:
        if "formula" in row.values:
            if row.values["formula"]:
                calculated.add(row.ref)
            else:
                calculated.discard(row.ref)
    for row in checked.rows:
        text = row.values.get("formula")
        if not text:
            continue
        try:
            parsed = formulas.parse(text)
        except formulas.FormulaError as e:
            checked.add(row.number, "formula", f"formula: {e}")
            continue
        for name in parsed.references:
            if name == row.ref:
                checked.add(
                    row.number, "formula", f"a KPI cannot use itself ({{{clip(name, 60)}}})"
                )
            elif name not in names.of("kpis") and name not in in_file:
                checked.add(row.number, "formula", f"there is no KPI named “{clip(name, 60)}”")
            elif name in calculated:
                checked.add(
                    row.number,
                    "formula",
                    f"“{clip(name, 60)}” is itself calculated; use measured KPIs only",
                )


def prepare_kpis(new) -> None:
    """A KPI just added has no measurements: its status follows from its plan alone."""
    for kpi in new:
        kpi.set_status()


def after_kpis(org, touched, values) -> None:
    """Link calculated KPIs to their inputs and compute them; refresh the status of the KPIs
    that were there before (added ones got theirs in ``prepare_kpis``)."""
    from cairn.kpis import services
    from cairn.kpis.models import Kpi

    names = dict(Kpi.objects.filter(organization=org).values_list("name", "pk"))
    derived = set()
    for kpi in touched:
        if "formula" in values.get(kpi.pk, {}) and (kpi.formula or kpi.version > 1):
            services.set_formula_inputs(kpi, names)  # refreshes it
            derived.add(kpi.pk)
    services.refresh([k.pk for k in touched if k.version > 1 and k.pk not in derived])


TARGETS_ONLY: list[Target] = []

KINDS = [
    Kind(
        "goals",
        "Business goals",
        "goal",
        "goals.BusinessGoal",
        ("title",),
        (
            Field("title", example="Grow online sales by 20%"),
            Field("description", example="Half of new customers order online"),
            Field("target_date", example="2027-12-31"),
            Field("owner_name", example="Maria Keller"),
            Field("owner_role", example="Chief Sales Officer"),
            Field("priority", help="1 high, 2 medium, 3 low.", example=1),
        ),
    ),
    Kind(
        "missions",
        "IT missions",
        "IT mission",
        "goals.ITMission",
        ("statement",),
        (
            Field(
                "statement", example="Give every salesperson the customer's history in one place"
            ),
            Links("goals", "goals", help="Titles of the goals it serves. " + LIST),
        ),
    ),
    Kind(
        "interviews",
        "Interviews",
        "interview",
        "goals.Interview",
        ("stakeholder_name", "held_on"),
        (
            Field("stakeholder_name", example="Maria Keller"),
            Field("stakeholder_role", example="Chief Sales Officer"),
            Field("held_on", example="2026-09-14"),
            Field("keeps_up_at_night", example="Competitors quote in a day; we take a week"),
            Field("biggest_obstacle"),
            Field("magic_wand"),
            Field("notes"),
        ),
    ),
    Kind(
        "pain_points",
        "Pain points",
        "pain point",
        "goals.PainPoint",
        ("title",),
        (
            Field("title", example="Quotes take a week"),
            Field("description"),
            Field("severity", example=4),
            Ref(
                "interview",
                "interviews",
                help="The interview it came from: “name, date”.",
                example="Maria Keller, 2026-09-14",
            ),
            Links("goals", "goals", help="Titles of the goals it stands in the way of. " + LIST),
        ),
    ),
    Kind(
        "swot",
        "SWOT items",
        "SWOT item",
        "assessment.SwotItem",
        ("statement",),
        (
            Field("kind", example="weakness"),
            Field("statement", example="Orders are re-typed from e-mails"),
            Field("it_question"),
            Field("it_answer"),
            Field("rank", example=1),
            Links("goals", "goals", help="Titles of the goals it bears on. " + LIST),
        ),
    ),
    Kind(
        "teams",
        "Teams",
        "team",
        "assessment.Team",
        ("name",),
        (
            Field("name", example="Customer support"),
            Field("headcount", help="Full-time equivalents.", example=14),
            Field("lead", example="Ana Silva"),
            Field("skills", help="Comma-separated.", example="Phone support, returns"),
        ),
    ),
    Kind(
        "capabilities",
        "Capabilities",
        "capability",
        "assessment.Capability",
        ("name",),
        (
            Field("name", example="Quoting"),
            Ref("parent", "capabilities", help="Name of the broader capability, if any."),
            Field("description", example="Prepare and send price quotes"),
            Links("goals", "goals", help="Titles of the goals it serves. " + LIST),
        ),
        check=check_tree,
    ),
    Kind(
        "processes",
        "Processes",
        "process",
        "assessment.Process",
        ("name",),
        (
            Field("name", example="Month-end close"),
            Ref("team", "teams", help="Name of the owning team."),
            Field("automation", example="partly"),
            Field("pain", help="1 barely hurts, 5 hurts a lot.", example=4),
            Links("capabilities", "capabilities", help="Names of its capabilities. " + LIST),
            Field("description", example="Close the books each month"),
        ),
    ),
    Kind(
        "applications",
        "Applications",
        "application",
        "assessment.Application",
        ("name",),
        (
            Field("name", example="Shared drive"),
            Field("vendor", example="Microsoft"),
            Field("owner", example="IT operations"),
            Field(
                "annual_cost",
                money=True,
                help="Per year, without the currency's sign.",
                example=4800,
            ),
            Field("users", example=220),
            Field("lifecycle", example="active"),
            Field("health", help="Technical health, 1 to 5.", example=4),
            Field("fit", help="Business fit, 1 to 5.", example=2),
            Links("capabilities", "capabilities", help="Names of its capabilities. " + LIST),
            Links("processes", "processes", help="Names of the processes it supports. " + LIST),
            Field("disposition", help="Leave empty to follow Cairn's suggestion."),
            Field("disposition_reason"),
        ),
    ),
    Kind(
        "criteria",
        "Scoring criteria",
        "criterion",
        "portfolio.Criterion",
        ("name",),
        (
            Field("name", example="Customer value"),
            Field("source", example="manual"),
            Field("weight", example=2),
            Field("description"),
        ),
    ),
    Kind(
        "initiatives",
        "Initiatives",
        "initiative",
        "portfolio.Initiative",
        ("title",),
        (
            Field("title", example="Online quoting"),
            Field("description", example="Customers build and accept quotes themselves"),
            Field("owner", example="Maria Keller"),
            Field("impact", example="high"),
            Field("feasibility", example="medium"),
            Field("kind", example="change"),
            Field("one_off_cost", money=True, example=120000),
            Field("one_off_cost_best", money=True, example=100000),
            Field("one_off_cost_worst", money=True, example=180000),
            Field("running_cost", money=True, example=15000),
            Field("effort_months", example=18),
            Field("duration_months", example=6),
            Field("status", example="proposed"),
            Field("urgency", example=4),
            Field("risk", example=2),
            Links(
                "goals",
                "goals",
                help="Titles of the goals it serves. " + LIST,
                example="Grow online sales by 20%",
            ),
            Links(
                "pain_points", "pain_points", help="Titles of the pain points it answers. " + LIST
            ),
            Links("swot_items", "swot", help="Statements of the SWOT items it answers. " + LIST),
            Links(
                "applications", "applications", help="Names of the applications it touches. " + LIST
            ),
            Links(
                "depends_on",
                "initiatives",
                acyclic=True,
                help="Titles of the initiatives it can only be done with (in Cairn or in "
                "this file). " + LIST,
            ),
            Links(
                "excludes",
                "initiatives",
                help="Titles of the initiatives it cannot be done together with; a pair is "
                "kept when either of its initiatives lists the other. " + LIST,
            ),
            Pairs(
                "team_effort",
                "portfolio.TeamEffort",
                "initiative",
                "team",
                "teams",
                "months",
                help="FTE-months per team, as “Team: FTE-months” separated by “;”.",
                example="Customer support: 2",
            ),
            Pairs(
                "scores",
                "portfolio.CriterionScore",
                "initiative",
                "criterion",
                "criteria",
                "value",
                help="Scores 1 to 5 on criteria scored by hand, as “Criterion: score” "
                "separated by “;”.",
                example="Customer value: 4",
            ),
        ),
    ),
    Kind(
        "kpis",
        "KPIs",
        "KPI",
        "kpis.Kpi",
        ("name",),
        (
            Field("name", example="Orders shipped"),
            Field("description"),
            Field("unit", example="orders"),
            Field("direction", example="up"),
            Field("baseline_value", example=1200),
            Field("baseline_date", example="2026-01-31"),
            Field("target_value", example=1500),
            Field("target_date", example="2027-12-31"),
            Field("min_value"),
            Field("max_value"),
            Field("owner", example="Maria Keller"),
            Field("rhythm", example="monthly"),
            Field("tolerance_percent", example=10),
            Field("replaces"),
            Field(
                "formula",
                help="Leave empty for a KPI you measure. For a calculated one, the names of "
                "measured KPIs in braces: {IT operating cost} / {Orders shipped}.",
            ),
            Links(
                "goals",
                "goals",
                help="Titles of the goals it measures. " + LIST,
                example="Grow online sales by 20%",
            ),
            Links(
                "initiatives", "initiatives", help="Titles of the initiatives it follows. " + LIST
            ),
        ),
        check=check_formulas,
        prepare=prepare_kpis,
        after=after_kpis,
    ),
    Kind(
        "milestones",
        "Milestones",
        "milestone",
        "roadmap.Milestone",
        ("initiative", "title"),
        (
            Ref(
                "initiative",
                "initiatives",
                help="Title of its initiative.",
                example="Online quoting",
            ),
            Field("title", example="First customer quote online"),
            Field("due", example="2027-03-31"),
            Field("done", help="yes or no.", example="no"),
        ),
    ),
    Kind(
        "budget_lines",
        "Budget lines",
        "budget line",
        "roadmap.BudgetLine",
        ("name",),
        (
            Field("name", example="IT projects"),
            Field("per_period", money=True, example=250000),
        ),
    ),
    Kind(
        "committee_members",
        "Committee members",
        "committee member",
        "governance.CommitteeMember",
        ("name",),
        (
            Field("name", example="Maria Keller"),
            Field("role", example="Chief Sales Officer"),
            Field("side", example="business"),
            Field("is_chair", help="yes or no.", example="no"),
        ),
        defaults=_committee,
    ),
    Kind(
        "meetings",
        "Meetings",
        "meeting",
        "governance.Meeting",
        ("title", "held_on"),
        (
            Field("title", example="Quarterly committee"),
            Field("held_on", example="2027-01-20"),
            Field("minutes"),
        ),
        defaults=_committee,
    ),
    Kind(
        "actions",
        "Actions",
        "action",
        "governance.Action",
        ("meeting", "description"),
        (
            Ref(
                "meeting",
                "meetings",
                help="The meeting it came from: “title, date”.",
                example="Quarterly committee, 2027-01-20",
            ),
            Field("description", example="Ask three vendors for a quote"),
            Field("owner", example="Raj Patel"),
            Field("due", example="2027-02-15"),
            Field("done", help="yes or no.", example="no"),
        ),
    ),
    Kind(
        "decisions",
        "Decisions",
        "decision",
        "governance.Decision",
        ("title", "decided_on"),
        (
            Field("title"),
            Field("decided_on"),
            Field("context"),
            Field("options"),
            Field("outcome"),
            Ref("meeting", "meetings"),
            Field("change"),
            Links("initiatives", "initiatives"),
        ),
        read_only=True,
        help="Decisions are taken in the committee's meetings: exported, never imported.",
    ),
    Kind(
        "ai_policies",
        "AI policies",
        "AI policy",
        "aigov.AiPolicy",
        ("title",),
        (
            Field("area", example="data"),
            Field("title", example="Customer data stays in the EU"),
            Field("text", example="No customer data is sent to a model hosted outside the EU."),
            Field("owner"),
            Field("review_by"),
        ),
    ),
    Kind(
        "ai_use_cases",
        "AI use cases",
        "AI use case",
        "aigov.AiUseCase",
        ("title",),
        (
            Field("title", example="Invoice matching"),
            Field("description", example="Matches supplier invoices to orders"),
            Ref("initiative", "initiatives", help="Title of the initiative it belongs to."),
            Field("purpose", example="internal"),
            Field("automation", example="assists"),
            Choices(
                "data",
                tuple(key for key, _label in DATA_KINDS),
                help="The kinds of data it uses, separated by “;”.",
                example="financial",
            ),
            Field("model_or_vendor"),
            Field("owner"),
            Field("status", example="pilot"),
            Field("next_review"),
            Field("tier_override"),
            Field("override_reason"),
            Links("goals", "goals", help="Titles of the goals it serves. " + LIST),
            Links("policies", "ai_policies", help="Titles of the policies that apply. " + LIST),
        ),
    ),
    Kind(
        "glossary",
        "Glossary",
        "glossary term",
        "language.GlossaryTerm",
        ("term",),
        (
            Field("term", example="SLA"),
            Field("meaning", example="The response time we promise"),
        ),
    ),
]

BY_SLUG = {k.slug: k for k in KINDS}
TARGETS = {**{t.slug: t for t in TARGETS_ONLY}, **BY_SLUG}
