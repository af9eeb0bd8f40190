"""Suggested links in the browser: an initiative written, its page shows the goals it may
serve with the words that matched, one click links it; the dashboard's unlinked initiatives
show their best goal."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.goals.models import BusinessGoal
from cairn.portfolio.models import Initiative
from tests.base import PASSWORD
from tests.browser.helpers import fits_without_violations, sign_in
from tests.browser.test_csp import RECORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GOALS = [
    ("Cut operating costs by 20%", "Spend less on suppliers, invoices and month-end work."),
    ("Lead the industry in customer service", "An answer in one contact, by phone or chat."),
    ("Launch a gear rental and repair service", "Rent tents and skis, with bookings and deposits."),
]


def test_an_initiative_written_shows_its_suggestions_and_links_in_one_click(
    page, live_server, screenshot
):
    editor = User.objects.create_user("priya", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=editor, slug="summit")
    for title, description in GOALS:
        BusinessGoal.objects.create(
            organization=org, title=title, description=description, target_date=date(2030, 12, 31)
        )
    Initiative.objects.create(
        organization=org, title="Automatic supplier-invoice matching", one_off_cost=40000
    )
    page.set_default_timeout(15_000)
    page.add_init_script(RECORD)
    sign_in(page, live_server.url, "priya", next_url="/o/summit/path/initiatives/new/")
    page.get_by_label("Title").fill("Rental booking and deposits")
    page.get_by_label("Description").fill("Book tents and skis online; take the deposit in store.")
    page.get_by_role("button", name="Save").click()

    # It lands on the list of initiatives: the newest serving no goal, each with its best.
    landed = page.locator("#suggested-links")
    expect(landed.get_by_text("Perhaps: Launch a gear rental and repair service")).to_be_visible()
    fits_without_violations(page)
    screenshot("suggested-links-after-save")

    page.get_by_role("link", name="Rental booking and deposits").first.click()
    card = page.locator("#suggested-links")
    expect(card.get_by_text("Launch a gear rental and repair service")).to_be_visible()
    expect(card.get_by_text("Shared words:").first).to_be_visible()
    expect(card.get_by_text("rental").first).to_be_visible()
    fits_without_violations(page)
    screenshot("suggested-links-initiative")

    card.get_by_role("button", name="Link to Launch a gear rental and repair service").click()
    expect(page.get_by_text("Linked “Rental booking and deposits”")).to_be_visible()
    initiative = Initiative.objects.get(title="Rental booking and deposits")
    assert [g.title for g in initiative.goals.all()] == [GOALS[2][0]]
    expect(page.locator("#suggested-links")).not_to_contain_text(GOALS[2][0])

    page.goto(f"{live_server.url}/o/summit/")
    unlinked = page.locator("#unlinked-initiatives")
    expect(unlinked.get_by_text("Automatic supplier-invoice matching")).to_be_visible()
    expect(unlinked.get_by_text("Perhaps: Cut operating costs by 20%")).to_be_visible()
    fits_without_violations(page)
    screenshot("suggested-links-dashboard")
    unlinked.get_by_role("button", name="Link Automatic supplier-invoice matching to").click()
    expect(page.locator("#unlinked-initiatives")).to_have_count(0)
    assert Initiative.objects.filter(goals__title=GOALS[0][0]).exists()
    assert page.evaluate("window.__csp") == []
