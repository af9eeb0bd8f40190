"""Decisions under uncertainty in the browser: what more budget buys (the frontier, its chart
and its knee) and how likely the dates are (milestone charts, the tornado), on the demo."""

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.portfolio.models import Scenario
from tests.browser.helpers import fits_without_violations
from tests.browser.test_csp import RECORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = "(id) => { const c = Chart.getChart(id); return !!c && c.data.datasets.length > 0; }"


def test_frontier_and_risk_pages(page, live_server, screenshot):
    demo.load()
    page.set_default_timeout(15_000)
    page.add_init_script(RECORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-editor")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    growth = Scenario.objects.get(name="Growth year")
    page.goto(f"{live_server.url}/o/summit/path/scenarios/{growth.pk}/")
    page.get_by_role("link", name="What more budget buys").click()
    expect(page.get_by_role("heading", name="What more budget buys")).to_be_visible()
    expect(page.get_by_text("Each extra €100,000")).to_be_visible()
    expect(page.get_by_text("The curve bends at")).to_be_visible()
    # In the demo money is the limit: the staff table says so rather than ranking teams.
    expect(page.get_by_text("No team's time holds this portfolio back")).to_be_visible()
    assert page.evaluate(DRAWN, "frontier-chart")
    fits_without_violations(page)
    screenshot("frontier")

    # Worked out again through the worker (immediate here): the page comes back with it.
    page.get_by_role("button", name="Work it out again").click()
    expect(page.get_by_text("Worked out.")).to_be_visible()
    assert page.evaluate(DRAWN, "frontier-chart")

    page.goto(f"{live_server.url}/o/summit/roadmap/")
    page.get_by_role("link", name="How likely the dates are").first.click()
    expect(page.get_by_role("heading", name="How likely the dates are")).to_be_visible()
    expect(page.locator(".h2", has_text="80% likely by")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Store returns refunded the same day")
    expect(row.get_by_text("60%")).to_be_visible()
    assert page.evaluate(DRAWN, "milestone-1")
    assert page.evaluate(DRAWN, "tornado-chart")
    fits_without_violations(page)
    screenshot("risk")
