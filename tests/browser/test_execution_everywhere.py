"""Execution where people already look, in the demo, on a laptop and a phone: the roadmap's
bars and their health, the dashboard's execution card, an initiative's 'How it is going'."""

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.portfolio.models import Initiative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_execution_on_the_roadmap_dashboard_and_initiative_page(page, live_server, screenshot):
    demo.load()
    backups = Initiative.objects.get(title="Backups tested every quarter")
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-owner")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pages = [
        ("execution-roadmap", "/o/summit/roadmap/", ".gantt-name .status-dot.status-red"),
        ("execution-board", "/o/summit/roadmap/board/", ".board-grid .status-dot.status-red"),
        ("execution-dashboard", "/o/summit/", "#execution"),
        ("execution-initiative", f"/o/summit/path/initiatives/{backups.pk}/", "#how-it-is-going"),
    ]
    for name, path, shown in pages:
        for width, height in [(390, 844), (1366, 860)]:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(live_server.url + path)
            expect(page.locator(shown).first).to_be_visible()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide}px wide on a {width}px screen"
        screenshot(name)
    page.goto(f"{live_server.url}/o/summit/")
    card = page.locator("#execution")
    expect(card).to_contain_text("in trouble")
    expect(card).to_contain_text("Benefits realised")
    expect(card.get_by_role("link", name="Backups tested every quarter")).to_be_visible()
    page.goto(f"{live_server.url}/o/summit/path/initiatives/{backups.pk}/")
    expect(page.locator("#how-it-is-going")).to_contain_text("In trouble")
