"""Execution as the committee and an initiative's lead see it: write a status report,
record spend, see the overview and the benefits register change."""

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.execution.models import StatusReport
from cairn.portfolio.models import Initiative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.wait_for_timeout(300)  # charts redraw at the new width on their next frame
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_report_spend_and_benefits(page, live_server, screenshot):
    demo.load()
    helpdesk = Initiative.objects.get(title="Help-desk knowledge base for agents")
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-editor")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/o/summit/execution/")
    expect(page.get_by_role("heading", name="How the roadmap is going")).to_be_visible()
    row = page.locator("tr", has_text="Help-desk knowledge base")
    expect(row.get_by_text("No report")).to_be_visible()
    expect(page.locator("tr", has_text="Backups tested").get_by_text("In trouble")).to_be_visible()
    fits(page, 390)
    screenshot("execution-overview")

    row.get_by_role("link", name="Help-desk knowledge base for agents").click()
    page.get_by_role("link", name="Write the first report").click()
    page.get_by_label("Overall").select_option("amber")
    page.get_by_label("Scope").select_option("green")
    page.get_by_label("Schedule").select_option("amber")
    page.get_by_label("Cost").select_option("green")
    page.get_by_label("Percent complete").fill("35")
    page.get_by_label("What happened").fill("First 120 answers written; search is slow.")
    page.get_by_label("What we need from the committee").fill("Nothing this month.")
    screenshot("execution-report-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("First 120 answers written; search is slow.")).to_be_visible()
    assert StatusReport.objects.filter(initiative=helpdesk).count() == 1
    fits(page, 390)
    screenshot("execution-initiative")

    page.goto(f"{live_server.url}/o/summit/execution/")
    row = page.locator("tr", has_text="Help-desk knowledge base")
    expect(row.get_by_text("Needs attention")).to_be_visible()
    expect(row.get_by_text("35%")).to_be_visible()

    patching = Initiative.objects.get(title="Keep current systems patched")
    page.goto(f"{live_server.url}/o/summit/execution/initiatives/{patching.pk}/")
    expect(page.locator("canvas[id^=benefit-]").first).to_be_visible()
    fits(page, 390)
    screenshot("execution-benefit-charts")

    page.goto(f"{live_server.url}/o/summit/execution/spend/")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Keep current systems patched")  # the one overspend
    fits(page, 390)
    screenshot("execution-spend")

    page.goto(f"{live_server.url}/o/summit/execution/benefits/")
    for state in ["Realised", "On the way", "Behind", "Missed"]:
        expect(page.get_by_text(state, exact=True).first).to_be_visible()
    fits(page, 390)
    screenshot("execution-benefits")
