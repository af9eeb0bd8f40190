"""Money in the organisation's currency everywhere, numbers without meaningless decimals,
and the same plain words for a number out of bounds in a form, an import and the API."""

import csv
import io
import json
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cairn.assessment.models import Application
from cairn.core import services
from cairn.core.models import AuditEvent, Membership, Organization, Role
from cairn.core.money import format_money, format_number
from cairn.documents import render
from cairn.documents import services as documents
from cairn.portfolio.models import Initiative
from tests.base import CairnTestCase

TOO_LARGE = "Enter a number no more than 100,000,000,000."


class FormatTests(CairnTestCase):
    def test_one_formatter(self):
        self.assertEqual(format_money(Decimal("1250000"), "USD"), "$1,250,000")
        self.assertEqual(format_money(1250000, "EUR", short=True), "€1.25M")
        self.assertEqual(format_money(Decimal("-3400.40"), "GBP"), "−£3,400")
        self.assertEqual(format_money(999, "CHF", short=True), "CHF 999")
        self.assertEqual(format_money(None, "EUR"), "—")
        self.assertEqual(format_money(5, ""), "5")  # a document made before currencies
        self.assertEqual(format_number(1064.0), "1,064")
        self.assertEqual(format_number(Decimal("3.250")), "3.25")

    def test_a_new_organisation_is_in_dollars_unless_set(self):
        self.login("editor")
        settings = {
            "fiscal_year_start": 1,
            "planning_horizon_years": 3,
            "change_target_percent": 30,
        }
        self.client.post(reverse("organization_create"), {"name": "Initech", **settings})
        self.assertEqual(Organization.objects.get(name="Initech").currency, "USD")
        self.client.post(
            reverse("organization_create"), {"name": "Umbrella", "currency": "JPY", **settings}
        )
        self.assertEqual(Organization.objects.get(name="Umbrella").currency, "JPY")

    def test_a_template_counts_in_the_new_organisations_currency(self):
        from cairn.kpis.models import Kpi

        self.login("editor")
        self.client.post(
            reverse("organization_create"),
            {
                "name": "Tokyo Works",
                "currency": "JPY",
                "fiscal_year_start": 1,
                "planning_horizon_years": 3,
                "change_target_percent": 30,
                "start_from": "builtin:manufacturing",
            },
        )
        org = Organization.objects.get(name="Tokyo Works")
        self.assertEqual(org.currency, "JPY")
        kpi = Kpi.objects.get(organization=org, name="IT cost per order shipped")
        self.assertEqual(kpi.unit, "¥")

    def test_settings_change_the_currency_audited(self):
        self.login("owner")
        response = self.client.post(
            self.url("organization_settings"),
            {
                "name": "Acme",
                "currency": "GBP",
                "fiscal_year_start": 1,
                "planning_horizon_years": 3,
                "change_target_percent": 30,
            },
        )
        self.assertEqual(response.status_code, 302)
        self.org.refresh_from_db()
        self.assertEqual(self.org.currency, "GBP")
        event = AuditEvent.objects.filter(organization=self.org).latest("pk")
        self.assertEqual(event.after["currency"], "GBP")

    def test_an_unknown_currency_is_refused(self):
        self.login("owner")
        response = self.client.post(
            self.url("organization_settings"),
            {
                "name": "Acme",
                "currency": "XXX",
                "fiscal_year_start": 1,
                "planning_horizon_years": 3,
                "change_target_percent": 30,
            },
        )
        self.assertEqual(list(response.context["form"].errors), ["currency"])
        self.org.refresh_from_db()
        self.assertEqual(self.org.currency, "USD")


class TwoCurrenciesTests(CairnTestCase):
    """Acme counts in euros, Globex in dollars; the editor belongs to both."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.org.currency, cls.other_org.currency = "EUR", "USD"
        cls.org.save(update_fields=["currency"])
        cls.other_org.save(update_fields=["currency"])
        Membership.objects.create(user=cls.editor, organization=cls.other_org, role=Role.EDITOR)
        Application.objects.filter(organization__in=[cls.org, cls.other_org]).update(
            annual_cost=Decimal("1250000")
        )

    def test_pages(self):
        self.login("editor")
        acme = self.client.get(self.url("assessment:application_list"))
        globex = self.client.get(reverse("assessment:application_list", args=["globex"]))
        self.assertContains(acme, "€1,250,000")
        self.assertNotContains(acme, "$1,250,000")
        self.assertContains(globex, "$1,250,000")
        self.assertNotContains(globex, "€1,250,000")
        initiative = self.path["initiative"]
        Initiative.objects.filter(pk=initiative.pk).update(one_off_cost=Decimal("48000.50"))
        page = self.client.get(self.url("portfolio:initiative_detail", initiative.pk))
        self.assertContains(page, "€48,000")

    def test_exports_say_the_currency_and_import_back(self):
        self.login("editor")
        exports = {}
        for slug, code in (("acme", "EUR"), ("globex", "USD")):
            response = self.client.get(
                reverse("exchange:export", args=[slug, "applications", "csv"])
            )
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            self.assertIn(f"annual_cost ({code})", rows[0])
            self.assertIn("1250000", rows[1])  # normalised: no meaningless ".00"
            self.assertNotIn("1250000.00", rows[1])
            exports[slug] = response.content
        # The header with its currency is read back by the import.
        again = self.client.post(
            reverse("exchange:index", args=["globex"]),
            {"kind": "applications", "file": SimpleUploadedFile("apps.csv", exports["globex"])},
            follow=True,
        )
        self.assertContains(again, "ready to import")
        job = again.context["job"]
        done = self.client.post(reverse("exchange:confirm", args=["globex", job.pk]), follow=True)
        self.assertContains(done, "0 added, 0 changed, 1 left alone")
        # Dollars in a file for an organisation that counts in euros: refused, unchanged.
        before = AuditEvent.objects.count()
        refused = self.client.post(
            self.url("exchange:index"),
            {"kind": "applications", "file": SimpleUploadedFile("apps.csv", exports["globex"])},
            follow=True,
        )
        self.assertContains(refused, "Nothing was imported")
        self.assertContains(refused, "The amounts in “annual_cost (USD)” are in USD")
        self.assertContains(refused, "“annual_cost (EUR)”")
        self.assertEqual(AuditEvent.objects.count(), before)
        self.assertEqual(
            Application.objects.get(organization=self.org).annual_cost, Decimal("1250000")
        )

    def test_strategy_document_and_api(self):
        doc = documents.make(self.org, actor=self.editor)
        self.assertEqual(doc.data["currency"], "EUR")
        self.assertIn("Run €", render.markdown(doc.data))
        key = services.create_api_token(self.editor, "tests")[1]
        response = self.client.get("/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {key}")
        currencies = {o["slug"]: o["currency"] for o in response.json()}
        self.assertEqual(currencies, {"acme": "EUR", "globex": "USD"})


class PlainLimitTests(CairnTestCase):
    """The same limit gives the same words in the form, the import report and the API."""

    def test_form_import_and_api_say_the_same(self):
        self.login("editor")
        before = Application.objects.count(), AuditEvent.objects.count()
        form = self.client.post(
            self.url("assessment:application_create"),
            {"name": "Mainframe", "annual_cost": "10000000000000", "health": 3, "fit": 3},
        )
        self.assertEqual(form.context["form"].errors["annual_cost"], [TOO_LARGE])
        self.assertNotContains(form, "digits before the decimal point")

        upload = SimpleUploadedFile(
            "apps.csv", b"name,annual_cost,health,fit\nMainframe,10000000000000,3,3\n"
        )
        report = self.client.post(
            self.url("exchange:index"), {"kind": "applications", "file": upload}, follow=True
        )
        self.assertContains(report, f"<td>annual_cost</td><td>{TOO_LARGE}</td>")

        key = services.create_api_token(self.editor, "tests")[1]
        api = self.client.post(
            "/api/v1/orgs/acme/applications",
            data=json.dumps({"name": "Mainframe", "annual_cost": "10000000000000"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        self.assertEqual(api.status_code, 422)
        self.assertEqual([e["msg"] for e in api.json()["detail"]], [TOO_LARGE])
        self.assertEqual((Application.objects.count(), AuditEvent.objects.count()), before)

    def test_too_many_decimals_and_below_zero(self):
        self.login("editor")
        form = self.client.post(
            self.url("assessment:application_create"),
            {"name": "Mainframe", "annual_cost": "-1", "health": 3, "fit": 3},
        )
        self.assertEqual(
            form.context["form"].errors["annual_cost"], ["Enter a number of at least 0."]
        )
        upload = SimpleUploadedFile("apps.csv", b"name,annual_cost\nMainframe,1.234\n")
        report = self.client.post(
            self.url("exchange:index"), {"kind": "applications", "file": upload}, follow=True
        )
        self.assertContains(report, "Use at most 2 decimal places.")


class LibraryCurrencyTests(CairnTestCase):
    def test_a_money_kpi_from_the_library_counts_in_the_organisations_currency(self):
        from cairn.kpis.services import add_from_library

        self.org.currency = "GBP"
        self.org.save(update_fields=["currency"])
        kpi = add_from_library(self.org, "cost-per-order", actor=self.editor)
        self.assertEqual(kpi.unit, "£")
