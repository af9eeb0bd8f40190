"""Every page of the demo organisation, as its users see it on a laptop and a phone."""

import pytest
from playwright.sync_api import expect

from cairn.core import demo
from cairn.goals.models import Interview
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
    ("capacity-demo", "/o/summit/roadmap/capacity/", "Capacity, period by period"),
    ("board", "/o/summit/roadmap/board/", "The roadmap on one page"),
    ("resources", "/o/summit/roadmap/resources/", "Teams and budget, period by period"),
    ("milestones", "/o/summit/roadmap/milestones/", "Milestones"),
    ("profile", "/profile/", "demo-owner"),
    ("organisations", "/", "Your organisations"),
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
        screenshot(name)
