"""The Content Security Policy, enforced: every page of the demo loads, draws and reacts
without the browser refusing a script, a style or anything else.

The pages are found from the URL configuration (as tests/test_isolation.py finds them), so a
page added later is visited too; its ids come from the demo's rows. A violation is caught two
ways: the console's "Content Security Policy" messages, and the page's own
``securitypolicyviolation`` events, recorded into ``window.__csp`` before any script runs.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from cairn import demo
from cairn.core import services
from cairn.core.models import ImportJob, ImportState, Role, TrashEntry
from tests.source_files import stored_jira
from tests.test_isolation import web_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push({
  directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
  source: e.sourceFile, line: e.lineNumber, column: e.columnNumber,
}), true);
"""
# What is still inline in a page although no one has run it yet: an onclick= waits for its
# click before the browser refuses it, so the page's markup is read for it too.
LATENT = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push(`${el.tagName.toLowerCase()} ${a.name}="${a.value}"`);
    }
  }
  for (const s of document.querySelectorAll("script:not([src])")) {
    if (s.type !== "application/json") found.push(`inline <script>: ${s.textContent.slice(0, 60)}`);
  }
  for (const a of document.querySelectorAll("a[href^='javascript:' i]")) {
    found.push(`href=${a.href}`);
  }
  return found;
}"""

# URL keyword → the model whose demo row fills it (the first of Summit Outfitters').
MODELS = {
    "entry_id": "core.TrashEntry", "job_id": "core.ImportJob", "member_id": "core.Membership",
    "invitation_id": "core.Invitation", "goal_id": "goals.BusinessGoal",
    "mission_id": "goals.ITMission", "interview_id": "goals.Interview",
    "painpoint_id": "goals.PainPoint", "swot_id": "assessment.SwotItem",
    "capability_id": "assessment.Capability", "team_id": "assessment.Team",
    "process_id": "assessment.Process", "application_id": "assessment.Application",
    "initiative_id": "portfolio.Initiative", "criterion_id": "portfolio.Criterion",
    "scenario_id": "portfolio.Scenario", "budget_id": "roadmap.BudgetLine",
    "item_id": "roadmap.RoadmapItem", "milestone_id": "roadmap.Milestone", "kpi_id": "kpis.Kpi",
    "win_id": "kpis.Win", "seat_id": "governance.CommitteeMember",
    "meeting_id": "governance.Meeting", "action_id": "governance.Action",
    "decision_id": "governance.Decision", "roadblock_id": "governance.Roadblock",
    "raci_id": "governance.Raci", "review_id": "governance.Review",
    "visit_id": "governance.Visit", "term_id": "language.GlossaryTerm",
    "rule_id": "language.JargonRule", "usecase_id": "aigov.AiUseCase",
    "policy_id": "aigov.AiPolicy", "document_id": "documents.StrategyDocument",
    "report_id": "execution.StatusReport", "actual_id": "execution.Actual",
    "benefit_id": "execution.Benefit", "mail_id": "notifications.OutgoingMail",
    "webhook_id": "webhooks.Webhook", "upload_id": "exchange.ForeignFile",
}  # fmt: skip
# Rows that hang from another one: taken from the parent chosen above, so the pair matches.
CHILDREN = {
    "measurement_id": ("kpis.Measurement", "kpi", "kpi_id"),
    "point_id": ("governance.AgendaItem", "meeting", "meeting_id"),
}
# Files, not pages (exports, calendars, PDFs), and pages outside an organisation that are no
# page for a signed-in person or need a key from a mail.
NOT_PAGES = re.compile(r"\.[a-z<]|<slug:kind>|<str:into>|<str:ext>|<str:fmt>|<slug:fmt>")
SIGNED_OUT = ["/accounts/login/", "/accounts/password-reset/", "/accounts/password-reset/sent/"]
# Outside an organisation, not opened: what would sign the test out, the set-up page, the
# load balancers' probe, and single sign-on's hand-overs to a provider (none is configured).
NOT_VISITED = {"accounts/logout/", "accounts/sessions/end/", "setup/", "healthz"}
NOT_VISITED_PREFIX = "accounts/oidc/"
# A few pages that look different with a question asked.
EXTRA = [
    "/o/summit/roadmap/?group=team",
    "/o/summit/guideposts/accountable/?person=COO",
    "/o/summit/guideposts/reviews/{review_id}/compare/?with=today",
    "/o/summit/terrain/swot/?goal={goal_id}",
]


def demo_ids(org) -> dict[str, int]:
    """Each URL keyword's id in the demo organisation (None where the demo has no such row)."""
    ids = {}
    for key, label in MODELS.items():
        rows = apps.get_model(label).objects.filter(organization=org).order_by("pk")
        ids[key] = rows.values_list("pk", flat=True).first()
    # The KPI and the meeting are then those of the first measurement and agenda point: a
    # chart and a briefing with something in them.
    for key, (label, parent, parent_key) in CHILDREN.items():
        child = apps.get_model(label).objects.filter(**{f"{parent}__organization": org})
        child = child.order_by("pk").first()
        ids[key] = child and child.pk
        if child:
            ids[parent_key] = getattr(child, f"{parent}_id")
    # The KPI fed by the demo's connector: its connector's pages too have something to show.
    from cairn.kpis.connector_models import KpiConnector

    fed = KpiConnector.objects.filter(kpi__organization=org).order_by("pk").first()
    if fed:
        ids["kpi_id"] = fed.kpi_id
    return ids


def add_missing_rows(org) -> None:
    """What the demo lacks for some pages: an invitation, an import, something in the bin."""
    owner = org.memberships.get(user__username="demo-owner").user
    services.create_invitation(org, role=Role.VIEWER, label="A colleague", actor=owner)
    ImportJob.objects.create(
        organization=org, kind="teams", label="Teams", filename="teams.csv",
        state=ImportState.DONE, result={"added": 1, "updated": 0, "unchanged": 0},
    )  # fmt: skip
    TrashEntry.objects.create(
        organization=org, label="Gone", model="x.y", object_id=1,
        payload={"rows": [], "set_null": []},
    )  # fmt: skip
    stored_jira(org, owner)  # a Jira export waiting to be mapped


def outside_pages() -> list[str]:
    """The signed-in person's pages outside an organisation that need no id or key."""
    return [
        "/" + route
        for route, _name, _view in web_patterns()
        if not route.startswith("o/")
        and "<" not in route
        and not NOT_PAGES.search(route)
        and route not in NOT_VISITED
        and not route.startswith(NOT_VISITED_PREFIX)
        and "/" + route not in SIGNED_OUT
    ]


def org_pages(ids: dict[str, int]) -> tuple[list[str], list[str]]:
    """Every page under /o/summit/ the demo can fill, and the routes it cannot."""
    pages, unfilled = [], []
    for route, _name, _view in web_patterns():
        if not route.startswith("o/<slug:org_slug>/") or NOT_PAGES.search(route):
            continue
        path, missing = "/" + route.replace("<slug:org_slug>", "summit"), []
        for converter, key in re.findall(r"<(\w+):(\w+)>", path):
            if ids.get(key) is None:
                missing.append(key)
            else:
                path = path.replace(f"<{converter}:{key}>", str(ids[key]))
        (unfilled if missing else pages).append(path)
    return pages, unfilled


class Watch:
    """The policy violations of one browser page, from the console and from the events."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD)
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.console.append(m.text),
        )

    def visit(self, url: str):
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        return response

    def problems(self, where: str) -> list[str]:
        """Every violation since the last call: console lines, events and latent inline code."""
        found = [f"{where}: console: {line}" for line in self.console]
        self.console.clear()
        events = self.page.evaluate("window.__csp || []")
        self.page.evaluate("window.__csp = []")
        found += [f"{where}: {e['directive']} refused {e['blocked']} {e['sample']!r} "
                  f"at {e['source']}:{e['line']}:{e['column']}" for e in events]  # fmt: skip
        found += [f"{where}: inline {code}" for code in self.page.evaluate(LATENT)]
        return found


def sign_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-owner")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Summit Outfitters").first).to_be_visible()


def test_every_demo_page_keeps_to_the_policy(page, live_server):
    org = demo.load()
    add_missing_rows(org)
    ids = demo_ids(org)
    pages, unfilled = org_pages(ids)
    # A page whose ids the demo cannot fill is named, never silently left out.
    assert not unfilled, f"add a row for these to add_missing_rows: {unfilled}"
    assert len(pages) > 150, pages
    page.set_default_timeout(15_000)
    watch = Watch(page)
    problems: list[str] = []

    response = watch.visit(live_server.url + SIGNED_OUT[0])
    # The policy as the browser got it: enforced, and no framing by any other site.
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "content-security-policy-report-only" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in response.headers["permissions-policy"]
    for path in SIGNED_OUT:
        watch.visit(live_server.url + path)
        problems += watch.problems(path)

    sign_in(page, live_server)
    visited = 0
    for path in outside_pages() + pages + [p.format(**ids) for p in EXTRA]:
        # Asked first without the page (same cookies): a form's target answers 405 to a GET,
        # which Chromium shows as an error page of its own.
        probe = page.request.get(live_server.url + path, max_redirects=0)
        if probe.status == 405:
            continue
        assert probe.status < 400, f"{path} answered {probe.status}"
        if "text/html" not in probe.headers.get("content-type", ""):
            continue
        watch.visit(live_server.url + path)
        visited += 1
        problems += watch.problems(path)
    assert visited > 120, visited
    # The API's documentation: django-ninja's Swagger UI, drawn from the schema it fetches
    # (590 KB: over 5 s to draw on a loaded machine).
    watch.visit(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    problems += watch.problems("/api/v1/docs")
    assert not problems, "\n".join(problems)


def test_dynamic_parts_keep_to_the_policy(page, live_server):
    """What runs after loading: charts, the Gantt chart, a menu, an HTMX form, a popup."""
    org = demo.load()
    ids = demo_ids(org)
    page.set_default_timeout(15_000)
    watch = Watch(page)
    sign_in(page, live_server)
    problems: list[str] = []
    base = f"{live_server.url}/o/summit"

    # A menu of the navigation bar opens (Bootstrap's dropdown, placed by Popper).
    watch.visit(f"{base}/")
    page.get_by_role("button", name="More").click()
    expect(page.get_by_role("link", name="The strategy document")).to_be_visible()
    problems += watch.problems("menu")

    # Every chart page draws its charts (Chart.js sets its sizes through the CSSOM).
    for path in ("/path/", "/path/balance/", f"/ascent/kpis/{ids['kpi_id']}/",
                 "/roadmap/capacity/", "/execution/spend/",
                 f"/execution/initiatives/{ids['initiative_id']}/"):  # fmt: skip
        watch.visit(base + path)
        drawn = page.evaluate(
            "[...document.querySelectorAll('canvas')].filter((c) => Chart.getChart(c)).length"
        )
        canvases = page.locator("canvas").count()
        assert drawn == canvases, f"{path}: {drawn} of {canvases} charts drawn"
        if path == "/path/":
            assert canvases == 1
            page.locator("canvas").hover(position={"x": 200, "y": 200})  # a tooltip may open
        problems += watch.problems(path)

    # The Gantt chart draws its bars and the names beside them; a bar's popup opens.
    watch.visit(f"{base}/roadmap/")
    expect(page.locator("#gantt .bar-wrapper").first).to_be_visible()
    assert page.locator(".gantt-names .gantt-name").count() > 3
    page.locator("#gantt .bar-wrapper:not(.bar-group) .bar-label").first.click()
    expect(page.locator(".popup-wrapper")).to_be_visible()
    # gantt.js's patch: the hatch pattern is there, without its style attribute.
    assert page.locator("#diagonalHatch path:not([style])").count() == 1
    # The page's script, from its data- attributes: the select sends its form at once.
    page.get_by_label("Group by").select_option("team")
    page.wait_for_url("**/roadmap/?group=team")
    expect(page.locator("#gantt .bar-wrapper").first).to_be_visible()
    problems += watch.problems("gantt")

    # HTMX: the SWOT's "Add" loads a form in place; saving it empty swaps in its errors.
    watch.visit(f"{base}/terrain/swot/")
    page.get_by_role("link", name="Add a strength").click()
    form = page.locator("#quadrant-strength-new form")
    expect(form).to_be_visible()
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".invalid-feedback").first).to_be_visible()
    problems += watch.problems("htmx form")

    # A confirmation asked by a data- attribute: Cancel sends nothing.
    watch.visit(f"{live_server.url}/o/summit/members/")
    page.once("dialog", lambda d: d.dismiss())
    page.get_by_role("button", name="Remove").first.click()
    expect(page).to_have_url(f"{live_server.url}/o/summit/members/")
    problems += watch.problems("confirm")
    assert not problems, "\n".join(problems)
