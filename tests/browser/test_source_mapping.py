"""Initiatives from a Jira export in the browser: upload, the mapping page at laptop and
phone widths, a status to match, then the preview and the import."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.portfolio.models import Initiative
from tests.browser.helpers import fits_without_violations, sign_in
from tests.browser.test_csp import RECORD
from tests.source_files import JIRA_HEADER, JIRA_ROWS, csv_bytes, jira_row

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_jira_export_mapped_and_imported(page, live_server, screenshot, tmp_path):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    export = tmp_path / "Jira Export CSV (all fields) 2026-12-03.csv"
    rows = [*JIRA_ROWS, jira_row("Chatbot for the help desk", "CRM-5", status="Blocked")]
    export.write_bytes(csv_bytes(JIRA_HEADER, rows))
    page.add_init_script(RECORD)  # the policy violations, for fits_without_violations
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, "morgan", PASSWORD, "/o/summit/data/from/")

    expect(page.get_by_role("heading", name="Initiatives from another tool")).to_be_visible()
    fits_without_violations(page)
    screenshot("from-tool-upload")
    page.get_by_label("The file comes from").select_option("jira")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(export))
    page.get_by_role("button", name="Upload and map the columns").click()
    expect(page.get_by_role("heading", name="Map the columns of")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Summary")
    expect(page.get_by_label("Blocked")).to_have_value("")
    fits_without_violations(page)
    screenshot("from-tool-map")

    page.get_by_role("button", name="Check the file").click()
    problems = page.locator("#mapping-problems")
    expect(problems.get_by_text("Choose the Cairn status for “Blocked”.")).to_be_visible()
    screenshot("from-tool-map-problems")

    page.get_by_label("Blocked").select_option("deferred")
    page.get_by_label("Effort", exact=True).select_option("Custom field (Story Points)")
    page.get_by_label("Effort units per FTE-month").fill("10")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("ready to import")).to_be_visible()
    expect(page.get_by_text("left out: CRM-3")).to_be_visible()
    fits_without_violations(page)
    screenshot("from-tool-preview")
    page.get_by_role("button", name="Import it").click()
    expect(page.get_by_text("4 added")).to_be_visible()
    chatbot = Initiative.objects.get(organization=org, title="Chatbot for the help desk")
    assert chatbot.status == "deferred"
    assert Initiative.objects.get(organization=org, title="Online quoting").effort_months == 4
