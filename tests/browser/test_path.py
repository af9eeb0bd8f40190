"""An editor runs a scenario and sees the chosen set, the gain over ranking and the reasons."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.portfolio.models import Initiative, Scenario

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_a_scenario_and_read_why_not(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    for title, value_impact, cost in [
        ("Big platform", "high", 60),
        ("Quote tool", "high", 50),
        ("Portal", "high", 50),
        ("Small fix", "low", 10),
    ]:
        Initiative.objects.create(
            organization=org,
            title=title,
            impact=value_impact,
            feasibility="easy",
            one_off_cost=cost,
        )
    scenario = Scenario.objects.create(
        organization=org, name="Lean year", one_off_budget=100, time_limit_s=2
    )
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/path/scenarios/{scenario.pk}/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Not run yet")).to_be_visible()
    page.get_by_role("button", name="Run the optimiser").click()

    expect(page.get_by_text("Proven the best possible")).to_be_visible()
    expect(page.get_by_role("heading", name="Chosen: 2 initiatives")).to_be_visible()
    not_now = page.locator("#not-now")
    expect(not_now.get_by_text("Big platform")).to_be_visible()
    expect(not_now.get_by_text("One-off budget: needs 60, only 0 of 100 left")).to_be_visible()
    screenshot("scenario")

    page.get_by_role("button", name="Propose to the committee first").click()
    expect(page.get_by_text("2 initiatives marked proposed")).to_be_visible()
    assert Initiative.objects.filter(status="proposed").count() == 2
    # The committee's decision is the next step: its form is open, set to approve both.
    expect(page.get_by_label("What it does to the initiatives")).to_have_value("approve")
    expect(page.get_by_label("Title")).to_have_value("Approved: Portal, Quote tool")

    page.goto(f"{live_server.url}/o/summit/path/")
    expect(page.locator("canvas#matrix")).to_be_visible()
    screenshot("matrix")
