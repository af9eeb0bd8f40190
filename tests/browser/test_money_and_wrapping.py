"""Long unbroken text wraps instead of widening the page; amounts show the currency."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.assessment.models import Application
from cairn.core import services
from cairn.goals.models import BusinessGoal
from cairn.portfolio.models import Initiative

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = (1366, 390)


def sign_in(page, live_server, next_url: str):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_3000_letter_word_wraps(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "/o/summit/goals/new/")
    page.get_by_label("Title").fill("T" * 200)
    page.get_by_label("Description").fill("W" * 3000)
    page.get_by_label("Target date").fill("2030-06-30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("T" * 200).first).to_be_visible()
    goal = BusinessGoal.objects.get()
    self_pages = ["/o/summit/destination/", f"/o/summit/goals/{goal.pk}/"]
    for url in self_pages:
        page.goto(f"{live_server.url}{url}")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert page_width(page) <= width, (url, width, page_width(page))
    screenshot("long-word-goal")


def test_amounts_in_the_organisation_currency(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    org.currency = "EUR"
    org.save(update_fields=["currency"])
    for name, cost in (("ERP", "1250000"), ("Fax server", "12000.40"), ("CRM", "86500")):
        Application.objects.create(organization=org, name=name, annual_cost=Decimal(cost))
    Initiative.objects.create(
        organization=org,
        title="Replace the ERP",
        one_off_cost=Decimal("2400000"),
        running_cost=Decimal("180000"),
        effort_months=Decimal("36.0"),
    )
    BusinessGoal.objects.create(organization=org, title="Grow", target_date=date(2030, 1, 1))
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "/o/summit/terrain/applications/")
    expect(page.get_by_text("€1,250,000", exact=True)).to_be_visible()
    expect(page.get_by_text("€12,000", exact=True)).to_be_visible()
    expect(page.get_by_text("€1,348,500 a year")).to_be_visible()
    screenshot("money-applications")
    page.goto(f"{live_server.url}/o/summit/path/initiatives/")
    expect(page.get_by_text("€2,580,000")).to_be_visible()
    expect(page.get_by_role("cell", name="36", exact=True)).to_be_visible()
    screenshot("money-initiatives")
