"""An editor downloads the import template, imports it, and sees the gap page change."""

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook
from playwright.sync_api import expect

from cairn.core import services

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_template_updates_the_gap_page(page, live_server, screenshot, tmp_path):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/terrain/gaps/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    spend = page.locator("#gap-spend")
    expect(spend.get_by_text("Nothing found.")).to_be_visible()
    screenshot("gaps-empty")

    page.goto(f"{live_server.url}/o/summit/data/")
    screenshot("import")
    with page.expect_download() as download:
        page.locator("a[href$='/data/applications/template.xlsx']").click()
    template = tmp_path / "applications.xlsx"
    download.value.save_as(template)
    assert load_workbook(template).sheetnames == ["Applications", "Columns"]

    # A bad file first: the problems are listed and nothing is imported.
    bad = tmp_path / "bad.csv"
    bad.write_text("name,health\nFax server,9\n,3\n")
    page.get_by_label("The file contains").select_option("applications")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    problems = page.locator("#import-problems")
    expect(problems.get_by_text("health must be between 1 and 5")).to_be_visible()
    expect(problems.get_by_text("name is required")).to_be_visible()
    screenshot("import-problems")

    good = tmp_path / "applications.csv"
    good.write_text(
        "name,vendor,annual_cost,health,fit\nLegacy fax server,Acme Telecom,12000,1,1\n"
    )
    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("The file contains").select_option("applications")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import it").click()
    expect(page.get_by_text("1 added, 0 changed, 0 left alone")).to_be_visible()

    page.goto(f"{live_server.url}/o/summit/terrain/gaps/")
    spend = page.locator("#gap-spend")
    expect(spend.get_by_text("Legacy fax server")).to_be_visible()
    expect(spend.get_by_text("$12,000 a year")).to_be_visible()
    screenshot("gaps-after-import")


def test_swot_add_in_place(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/terrain/swot/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    threats = page.locator("#quadrant-threat")
    threats.get_by_role("link", name="Add a threat").click()
    threats.get_by_label("Statement").fill("New cybersecurity rules could bring heavy fines.")
    threats.get_by_label("IT question").fill("Where are we exposed, and how do we fix it?")
    threats.get_by_role("button", name="Save").click()
    threats = page.locator("#quadrant-threat")
    expect(threats.get_by_text("New cybersecurity rules could bring heavy fines.")).to_be_visible()
    expect(threats.get_by_text("Not answered yet")).to_be_visible()
    screenshot("swot")
