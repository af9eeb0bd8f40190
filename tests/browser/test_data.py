"""Data in and out in the browser: the page, a workbook refused with its problems by sheet,
then a file previewed and imported on confirmation."""

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.portfolio.models import Initiative
from tests.browser.helpers import fits_without_violations
from tests.browser.test_csp import RECORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_then_import(page, live_server, screenshot, tmp_path):
    demo.load()
    page.set_default_timeout(15_000)
    page.add_init_script(RECORD)  # every content-security-policy violation, into window.__csp
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-editor")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/o/summit/data/")
    expect(page.get_by_role("heading", name="Data in and out")).to_be_visible()
    expect(page.get_by_role("cell", name="Initiatives", exact=True)).to_be_visible()
    fits_without_violations(page)
    screenshot("data")

    bad = tmp_path / "initiatives.csv"
    bad.write_text(
        "title,status,depends_on,team_effort\n"
        "Self-service returns,proposed,Returns portal,Customer support: 2\n"
        "Returns portal,idea,Self-service returns,Nobody: 1\n"
    )
    page.get_by_label("The file contains").select_option("initiatives")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    problems = page.locator("#import-problems")
    expect(problems.get_by_text("there is no team “Nobody”")).to_be_visible()
    expect(
        problems.get_by_text("in a circle: Self-service returns → Returns portal")
    ).to_be_visible()
    fits_without_violations(page)
    screenshot("data-refused")

    good = tmp_path / "initiatives-fixed.csv"
    good.write_text(
        "title,status,depends_on,team_effort\n"
        "Self-service returns,proposed,Returns portal,Customer support: 2\n"
        "Returns portal,idea,,IT operations: 1\n"
        "Keep current systems patched,approved,,\n"
    )
    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("The file contains").select_option("initiatives")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(
        page.get_by_text("Initiatives from initiatives-fixed.csv: ready to import")
    ).to_be_visible()
    expect(page.get_by_text("Adds: Self-service returns; Returns portal")).to_be_visible()
    # The empty team_effort cell clears that initiative's effort: the preview says so.
    expect(
        page.get_by_text("Changes: Keep current systems patched (status, team_effort)")
    ).to_be_visible()
    assert not Initiative.objects.filter(title="Returns portal").exists()
    fits_without_violations(page)
    screenshot("data-preview")

    page.get_by_role("button", name="Import it").click()
    expect(page.get_by_text("Initiatives imported:")).to_be_visible()
    returns = Initiative.objects.get(title="Self-service returns")
    assert [i.title for i in returns.depends_on.all()] == ["Returns portal"]
    fits_without_violations(page)
    screenshot("data-done")
