"""An import's page: the rows read while the worker imports, then the outcome, found again
from the import page."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from cairn.core import services
from cairn.core.models import ImportJob, ImportState

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_progress_then_the_outcome(page, live_server, screenshot, tmp_path):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    # What the worker leaves in the database part-way through a million rows.
    job = ImportJob.objects.create(
        organization=org, kind="measurements", label="Measurements",
        filename="kpi-values-2020-to-2026.csv", size=38_000_000, total_rows=1_000_000,
        rows_read=420_000, state=ImportState.RUNNING, created_by=owner,
        started=timezone.now(),
    )  # fmt: skip
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/imports/{job.pk}/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_text("Importing… 420,000 of about 1,000,000 rows read")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "42")
    expect(page.get_by_text("other changes may be slower")).to_be_visible()
    screenshot("import-job-running")

    # The page polls: when the worker records the end, it shows without a reload.
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.DONE, rows_read=1_000_000, finished=timezone.now(),
        result={"added": 998_000, "updated": 2_000},
    )  # fmt: skip
    done = page.locator("#import-job")
    expect(done.get_by_text("998,000 added, 2,000 updated")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)
    screenshot("import-job-done")

    # A refused file: the same table of problems as ever, and nothing written.
    done.get_by_role("link", name="Import another file").click()
    bad = tmp_path / "values.csv"
    bad.write_text("kpi,date,value\nNo such KPI,2025-01-31,3\nNo such KPI,31/01/2025,x\n")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    problems = page.locator("#import-problems")
    expect(problems.get_by_text("Nothing was imported")).to_be_visible()
    expect(problems.get_by_text("unknown KPI “No such KPI”").first).to_be_visible()
    screenshot("import-job-refused")

    # Both imports are listed on the import page, linked to their pages.
    page.get_by_role("link", name="Import another file").click()
    recent = page.locator("#recent-imports")
    expect(recent.get_by_text("Refused")).to_be_visible()
    expect(recent.get_by_text("Imported")).to_be_visible()
    screenshot("kpi-import-recent")
