"""The trash on the Activity page, and the delete-organisation page, at laptop and phone width."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.goals.models import BusinessGoal

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_restore_from_activity_and_the_delete_organisation_page(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    goal = BusinessGoal.objects.create(
        organization=org, title="Win the outdoor market", target_date=date(2030, 6, 30)
    )
    services.delete_object(goal, actor=owner)
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/activity/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Deleted recently")).to_be_visible()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot("trash-activity")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Restored:")).to_be_visible()
    assert BusinessGoal.objects.filter(title="Win the outdoor market").exists()
    page.goto(f"{live_server.url}/o/summit/settings/delete/")
    expect(page.get_by_role("link", name="download everything (JSON)")).to_be_visible()
    screenshot("organization-delete")
