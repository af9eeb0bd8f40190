"""Every page of the demo organisation, as its users see it on a laptop and a phone."""

from datetime import date

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.aigov.models import AiUseCase
from cairn.goals.models import Interview
from cairn.governance.models import Meeting, Raci, Review
from cairn.kpis.models import Kpi
from cairn.portfolio.models import Initiative, Scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("org-home", "/o/summit/", "Summit Outfitters"),
    ("getting-started", "/o/summit/getting-started/", "Getting started"),
    ("kpis", "/o/summit/ascent/kpis/", "Business KPIs"),
    ("kpi-demo", "/o/summit/ascent/kpis/{kpi}/", "Customer questions answered on first contact"),
    ("kpi-derived", "/o/summit/ascent/kpis/{derived}/", "IT cost per order shipped"),
    ("kpi-library", "/o/summit/ascent/library/", "Report business results, not IT activity"),
    ("kpi-import", "/o/summit/ascent/import/", "Import measurements"),
    ("wins", "/o/summit/ascent/wins/", "Wins"),
    ("guideposts", "/o/summit/guideposts/", "Steering committee"),
    ("meeting", "/o/summit/guideposts/meetings/{next_meeting}/", "Steering committee, Q"),
    ("meeting-held", "/o/summit/guideposts/meetings/{held_meeting}/", "Steering committee, Q"),
    ("briefing", "/o/summit/guideposts/meetings/{next_meeting}/briefing/", "Steering committee, Q"),
    ("decisions", "/o/summit/guideposts/decisions/", "Decisions"),
    ("roadblocks", "/o/summit/guideposts/roadblocks/", "Roadblocks"),
    ("raci-list", "/o/summit/guideposts/raci/", "Who does what: RACI"),
    ("raci", "/o/summit/guideposts/raci/{raci}/", "ERP selection"),
    (
        "accountable",
        "/o/summit/guideposts/accountable/?person=COO",
        "What is someone accountable for?",
    ),
    ("buy-in-list", "/o/summit/guideposts/buy-in/", "What is in it for them"),
    ("buy-in", "/o/summit/guideposts/buy-in/{interview}/", "Dana Okafor, CFO"),
    ("review", "/o/summit/guideposts/reviews/{review}/", "Annual review of FY"),
    ("glossary", "/o/summit/glossary/", "Glossary"),
    ("strategy-documents", "/o/summit/strategy/", "The strategy document"),
    ("ai-register", "/o/summit/ai/", "AI and automation, governed"),
    ("ai-use-case", "/o/summit/ai/use-cases/{ai_case}/", "Screening applicants for store jobs"),
    ("ai-policies", "/o/summit/ai/policies/", "AI policies"),
    ("plain-language", "/o/summit/plain-language/", "The hardest texts first"),
    ("embedding", "/o/summit/guideposts/embedding/", "Embedding the teams"),
    ("review-compare", "/o/summit/guideposts/reviews/{review}/compare/?with=today", "What changed"),
    ("kpi-form", "/o/summit/ascent/kpis/{derived}/edit/", "Change the KPI"),
    ("win-form", "/o/summit/ascent/wins/new/?kpi={close}", "Record a win"),
    ("destination-demo", "/o/summit/destination/", "Where the business is going"),
    ("interviews", "/o/summit/interviews/", "Executive interviews"),
    ("interview", "/o/summit/interviews/{interview}/", "Dana Okafor, CFO"),
    ("pain-points", "/o/summit/pain-points/", "Pain points"),
    ("members", "/o/summit/members/", "People with access to Summit Outfitters"),
    ("activity-demo", "/o/summit/activity/", "Activity"),
    ("settings", "/o/summit/settings/", "Organisation settings"),
    ("gaps-demo", "/o/summit/terrain/gaps/", "Where technology holds the business back"),
    ("swot-demo", "/o/summit/terrain/swot/", "SWOT through a business lens"),
    ("capabilities", "/o/summit/terrain/capabilities/", "Business capabilities"),
    ("applications", "/o/summit/terrain/applications/", "Applications"),
    ("processes", "/o/summit/terrain/processes/", "Processes"),
    ("teams", "/o/summit/terrain/teams/", "Teams"),
    ("path-demo", "/o/summit/path/", "Impact and feasibility"),
    ("initiatives", "/o/summit/path/initiatives/", "Initiatives, ranked"),
    ("balance", "/o/summit/path/balance/", "Run the business, change the business"),
    ("criteria", "/o/summit/path/criteria/", "Scoring criteria"),
    ("scenarios", "/o/summit/path/scenarios/", "Scenarios: choose the portfolio"),
    ("scenario-demo", "/o/summit/path/scenarios/{lean}/", "Lean year"),
    ("initiative", "/o/summit/path/initiatives/{initiative}/", "Automate team-order quoting"),
    ("roadmap-demo", "/o/summit/roadmap/", "When the work happens"),
    ("roadmap-by-team", "/o/summit/roadmap/?group=team", "When the work happens"),
    ("capacity-demo", "/o/summit/roadmap/capacity/", "Demand against capacity"),
    ("board", "/o/summit/roadmap/board/", "The roadmap on one page"),
    ("resources", "/o/summit/roadmap/resources/", "Teams and budget by period"),
    ("milestones", "/o/summit/roadmap/milestones/", "Milestones"),
    ("profile", "/profile/", "demo-owner"),
    ("organisations", "/", "Your organisations"),
    ("organisation-new", "/orgs/new/", "Start an organisation"),
    ("organisation-import", "/orgs/import/", "Import an organisation"),
]


def test_demo_pages_fit_laptop_and_phone(page, live_server, screenshot):
    demo.load()
    interview = Interview.objects.get(stakeholder_role="CFO")
    ids = {
        "interview": interview.pk,
        "lean": Scenario.objects.get(name="Lean year").pk,
        "initiative": Initiative.objects.get(title="Automate team-order quoting").pk,
        "kpi": Kpi.objects.get(name="Customer questions answered on first contact").pk,
        "derived": Kpi.objects.get(name="IT cost per order shipped").pk,
        "close": Kpi.objects.get(name="Working days to close the books each month").pk,
        "ai_case": AiUseCase.objects.get(title="Screening applicants for store jobs").pk,
        "next_meeting": Meeting.objects.filter(held_on__gte=date.today()).first().pk,
        "held_meeting": Meeting.objects.filter(held_on__lt=date.today()).last().pk,
        "raci": Raci.objects.get(title="ERP selection").pk,
        "review": Review.objects.exclude(snapshot=None).first().pk,
    }
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-owner")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for name, path, heading in PAGES:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(live_server.url + path.format(**ids))
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        # Nothing may push the page wider than a phone's screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px phone"
        page.set_viewport_size({"width": 1366, "height": 860})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, f"{path} is {width}px wide on a 1366px laptop"
        screenshot(name)
