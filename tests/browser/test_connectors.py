"""An owner feeds a KPI from a CSV file on a server with a token: adds the connector, tests
it (nothing recorded), runs it, and finds the token never shown again. Screenshots of the
connector's pages at laptop and phone widths."""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from playwright.sync_api import expect

from cairn.core import services
from cairn.kpis.models import Kpi, Measurement
from tests.browser.helpers import fits_without_violations, sign_in
from tests.browser.test_csp import RECORD
from tests.test_connectors import TOKEN, LoopbackServer

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_test_and_run_a_connector(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    kpi = Kpi.objects.create(organization=org, name="Web shop orders", unit="orders")
    page.add_init_script(RECORD)
    page.set_default_timeout(15_000)
    with LoopbackServer() as source, override_settings(CAIRN_CONNECTORS_ALLOW_PRIVATE=True):
        sign_in(page, live_server.url, "morgan", PASSWORD, f"/o/summit/ascent/kpis/{kpi.pk}/")
        page.get_by_role("link", name="add a connector").click()
        page.get_by_label("Where the values come from").select_option("csv_url")
        page.get_by_label("Web address (file or JSON)").fill(source.base + "/secured.csv")
        page.get_by_label("Header for a token (optional)").fill("X-Api-Key")
        page.get_by_label("Token", exact=True).fill(TOKEN)
        screenshot("connector-form")
        fits_without_violations(page)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Connector saved.")).to_be_visible()

        page.get_by_role("button", name="Test now").click()
        expect(page.locator("#preview-result")).to_contain_text("3 new")
        assert Measurement.objects.count() == 0
        screenshot("connector-test-now")
        fits_without_violations(page)

        # The tests' queue runs jobs at once: "Run now" has run by the time the page is back.
        page.get_by_role("button", name="Run now").click()
        expect(page.get_by_text("Worked")).to_be_visible()
        assert Measurement.objects.count() == 3
        screenshot("connector-runs")
        fits_without_violations(page)

        page.get_by_role("link", name="Change").click()
        expect(page.get_by_text("Saved — type a new one to replace it.")).to_be_visible()
        assert TOKEN not in page.content()
        page.goto(f"{live_server.url}/o/summit/ascent/kpis/{kpi.pk}/")
        expect(page.get_by_text("last run")).to_be_visible()
        screenshot("kpi-fed-by-connector")
