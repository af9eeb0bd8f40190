"""An owner makes a read-only token kept to one organisation, then exports the audit trail
with the account events, as they would in a browser."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.core.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_token_and_the_audit_export(page, live_server, screenshot):
    demo.load()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-owner")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#inbox-bell")).to_be_visible()

    page.goto(f"{live_server.url}/profile/")
    page.get_by_label("Name").first.fill("Finance KPI feed")
    page.get_by_label("It may").select_option("read")
    page.get_by_label("It works for").select_option("30")
    page.get_by_label("In", exact=True).select_option(label="Summit Outfitters")
    page.get_by_role("button", name="Make a token").click()
    expect(page.get_by_text("Copy it now: it is shown only once.")).to_be_visible()
    expect(page.get_by_text("Summit Outfitters only")).to_be_visible()
    screenshot("profile-token")
    token = ApiToken.objects.get(name="Finance KPI feed")
    assert (token.scope, token.organization.slug) == ("read", "summit")

    page.goto(f"{live_server.url}/o/summit/activity/")
    page.get_by_role("link", name="Export the audit trail").click()
    expect(page.get_by_role("heading", name="Export the audit trail")).to_be_visible()
    page.get_by_label("What").select_option("security")
    screenshot("audit-export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("when,who,what,kind")
    assert "Signed in" in text
    assert "API token made" in text

    # A bad range is said beside the field, and no file comes.
    page.goto(f"{live_server.url}/o/summit/activity/export/")
    page.get_by_label("From").fill("2026-12-01")
    page.get_by_label("To").fill("2026-11-01")
    page.get_by_role("button", name="Download CSV").click()
    expect(page.get_by_text("The last day comes before the first.")).to_be_visible()
    screenshot("audit-export-error")
