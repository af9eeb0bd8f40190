"""Spend imported from the finance export: from the spend page to the import page, a file
refused with its problems, then imported, and the same export again counting once."""

from datetime import date

import pytest
from playwright.sync_api import expect

from cairn import demo
from cairn.execution.models import Actual
from cairn.portfolio.models import Initiative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_import_the_finance_export(page, live_server, screenshot, tmp_path):
    demo.load()
    patching = Initiative.objects.get(title="Keep current systems patched")
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-editor")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/o/summit/execution/spend/")
    page.get_by_role("link", name="Import from the finance export").click()
    expect(page.get_by_role("heading", name="Import spend from the finance export")).to_be_visible()
    expect(page.get_by_text("Importing again replaces, never adds twice.")).to_be_visible()
    fits(page, 390)
    screenshot("execution-import")

    bad = tmp_path / "finance.csv"
    bad.write_text(
        "Initiative,Period,Amount,Source\n"
        'Keep current systems patched,2026-11,"€1,200",INV-1\n'
        "Patch everything,2026-11,300,INV-2\n"
    )
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    problems = page.locator("#import-problems")
    expect(problems.get_by_text("Nothing was imported: the file has 2 problems")).to_be_visible()
    expect(problems.get_by_text("unknown initiative “Patch everything”")).to_be_visible()
    fits(page, 390)
    screenshot("execution-import-refused")

    good = tmp_path / "finance-november.csv"
    good.write_text(
        "Initiative,Period,Amount,Kind,Source\n"
        'keep current systems patched,2026-11,"1,200.00",one-off,INV-1\n'
        "Keep current systems patched,2026-11,-200,one-off,Credit note\n"
    )
    november = Actual.objects.filter(initiative=patching, month=date(2026, 11, 1))
    for _ in range(2):  # the same export twice: the spend counts once
        page.get_by_role("link", name="Import another file").click()
        page.get_by_label("File (.csv or .xlsx)").set_input_files(str(good))
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_text("Spend imported:")).to_be_visible()
        assert sorted(november.values_list("amount", flat=True)) == [-200, 1200]
    expect(page.get_by_text("2 added, replacing 2 recorded before (2 rows read")).to_be_visible()
    expect(page.get_by_role("link", name="Execution · Import spend")).to_be_visible()
    fits(page, 390)
    screenshot("execution-import-done")
    page.get_by_role("link", name="See spend against plan").click()
    expect(page.get_by_role("heading", name="Spend against plan")).to_be_visible()
