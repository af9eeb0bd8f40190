"""An editor imports a month of KPI values from a CSV and sees the dashboard change."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.core.tabular import write_table
from cairn.goals.models import BusinessGoal
from cairn.kpis.models import Kpi
from cairn.kpis.services import refresh

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_a_csv_and_see_the_dashboard_change(page, live_server, screenshot, tmp_path):
    from datetime import date

    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    goal = BusinessGoal.objects.create(
        organization=org, title="Leader in customer service", target_date=date(2030, 12, 31)
    )
    kpi = Kpi.objects.create(
        organization=org,
        name="Questions answered on first contact",
        unit="%",
        baseline_value=50,
        baseline_date=date(2025, 1, 1),
        target_value=80,
        target_date=date(2027, 1, 1),
    )
    kpi.goals.set([goal])
    refresh([kpi.pk])

    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    card = page.locator(f"#goal-{goal.pk}")
    expect(card.get_by_text("Not measured yet").first).to_be_visible()

    # A file with one bad row is refused whole, with the row and the reason.
    bad = tmp_path / "bad.csv"
    rows = [
        ["Questions answered on first contact", "2025-03-31", "55", "CRM", ""],
        ["Questions answered on first contact", "2025-06-30", "lots", "CRM", ""],
    ]
    bad.write_bytes(write_table(["kpi", "date", "value", "source", "note"], rows, "csv"))
    page.get_by_role("link", name="Import measurements").first.click()
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    problems = page.locator("#import-problems")
    expect(problems.get_by_text("“lots” is not a number")).to_be_visible()
    screenshot("kpi-import-refused")

    good = tmp_path / "good.csv"
    rows = [
        ["Questions answered on first contact", f"2025-{m:02}-28", str(50 + 2 * m), "CRM", ""]
        for m in range(1, 13)
    ]
    good.write_bytes(write_table(["kpi", "date", "value", "source", "note"], rows, "csv"))
    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("12 added, 0 updated")).to_be_visible()

    page.get_by_role("link", name="See the dashboard").click()
    card = page.locator(f"#goal-{goal.pk}")
    expect(card.get_by_text("74%")).to_be_visible()  # the latest value, December 2025
    expect(card.locator("svg.sparkline")).to_be_visible()
    expect(card.get_by_text("Not measured yet")).to_have_count(0)
    screenshot("dashboard-after-import")

    card.get_by_role("link", name="Questions answered on first contact").click()
    expect(page.locator("canvas#kpi-chart")).to_be_visible()
    expect(page.get_by_text("At this pace", exact=True)).to_be_visible()
    screenshot("kpi-detail")

    # A percentage over 100 is asked about, beside the field, with what was typed kept.
    page.get_by_label("Date", exact=True).fill("2026-01-31")
    page.get_by_label("Value", exact=True).fill("140")
    page.get_by_label("Source", exact=True).fill("typed by hand")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("140% is outside 0–100%")).to_be_visible()
    expect(page.get_by_label("Value", exact=True)).to_have_value("140")
    expect(page.get_by_label("Source", exact=True)).to_have_value("typed by hand")
    screenshot("kpi-value-questioned")
    page.get_by_label("Yes, keep this value").check()
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Recorded 140 on 2026-01-31.")).to_be_visible()


def test_a_formula_is_checked_as_it_is_typed(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    Kpi.objects.create(organization=org, name="IT cost")
    Kpi.objects.create(organization=org, name="Orders")
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/ascent/kpis/new/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    field = page.get_by_label("Formula")
    field.fill("{IT cost} / {Order}")
    expect(page.get_by_text("there is no KPI named “Order”")).to_be_visible()
    field.fill("{IT cost} / {Orders}")
    expect(page.get_by_text("✓ Uses IT cost, Orders.")).to_be_visible()
    page.get_by_label("Name").fill("IT cost per order")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("KPI saved: IT cost per order")).to_be_visible()
    assert Kpi.objects.get(name="IT cost per order").inputs.count() == 2
