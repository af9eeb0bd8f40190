"""Typing jargon into a goal shows the plain alternative as you type; saving is not blocked."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.goals.models import BusinessGoal

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_jargon_is_flagged_as_you_type(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/goals/new/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Title").fill("Grow online sales")
    page.get_by_label("Description").fill(
        "We will leverage best-of-breed tools and an SLA with every supplier."
    )
    check = page.locator(".plain-check").first
    expect(check.get_by_text("“leverage” is jargon")).to_be_visible()
    expect(check.get_by_text("try “use”")).to_be_visible()
    expect(check.get_by_role("link", name="Define SLA")).to_be_visible()
    screenshot("plain-language-as-you-type")
    page.get_by_label("Target date").fill("2030-03-31")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Business goal saved: Grow online sales")).to_be_visible()
    assert BusinessGoal.objects.filter(title="Grow online sales").exists()
