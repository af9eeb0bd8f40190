"""Initiatives from Jira, Azure DevOps and MS Project exports: the mapping step, remembered
per organisation, and the whole way through the ordinary preview to imported rows."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase
from django.utils import timezone

from cairn.core.models import AuditEvent, ImportJob, ImportState
from cairn.exchange import mapping as maps
from cairn.exchange.cells import amount, date_of, months_of, references
from cairn.exchange.models import ForeignFile, SourceMapping
from cairn.portfolio.models import Initiative
from tests.base import CairnTestCase
from tests.source_files import (
    ADO_HEADER,
    ADO_ROWS,
    JIRA_HEADER,
    JIRA_ROWS,
    MSP_HEADER,
    MSP_ROWS,
    csv_bytes,
    jira_file,
    jira_row,
    xlsx_bytes,
)


class CellTests(SimpleTestCase):
    def test_durations_as_whole_months_of_twenty_working_days(self):
        cases = {
            "20 days": 1, "21 days": 2, "60 days?": 3, "4 wks": 1, "5 weeks": 2, "3 mons": 3,
            "0 days": 1, "5.5d": 1, "160 hrs": 1, "1 yr": 12, "28 edays": 1, "45": 3,
        }  # fmt: skip
        for raw, months in cases.items():
            with self.subTest(raw=raw):
                self.assertEqual(months_of(raw), months)
        for bad in ("soon", "3 fortnights", "-2 days"):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "not a duration"):
                months_of(bad)

    def test_amounts_the_way_tools_write_them(self):
        cases = {
            "$120,000.00": "120000.00", "1.234,56 €": "1234.56", "15000": "15000.00",
            "12,5": "12.50", "CHF 3'000": "3000.00",
        }  # fmt: skip
        for raw, value in cases.items():
            with self.subTest(raw=raw):
                self.assertEqual(amount(raw), Decimal(value))
        self.assertEqual(amount(9500.5), Decimal("9500.50"))
        for bad in ("lots", "-5", "1e40"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                amount(bad)

    def test_dates_and_references(self):
        self.assertEqual(str(date_of("05/Jan/26 10:00 AM")), "2026-01-05")
        self.assertEqual(str(date_of("6/30/2026 12:00:00 AM")), "2026-06-30")
        self.assertEqual(str(date_of("Mon 1/5/26")), "2026-01-05")
        self.assertEqual(references(["1FS+2 days;5", "7SS"]), ["1", "5", "7"])
        self.assertEqual(references(["CRM-3", "ABC-12, ABC-13"]), ["CRM-3", "ABC-12", "ABC-13"])

    def test_statuses_guessed_from_the_tools_words_and_percentages(self):
        cases = {
            "To Do": "proposed", "In Progress": "in_progress", "Done": "done", "New": "proposed",
            "Active": "in_progress", "Closed": "done", "Removed": "rejected", "0%": "proposed",
            "45%": "in_progress", "100%": "done", "Blocked": "",
        }  # fmt: skip
        for value, status in cases.items():
            with self.subTest(value=value):
                self.assertEqual(maps.guess_status(value), status)

    def test_row_limits(self):
        from unittest import mock

        plan = xlsx_bytes(MSP_HEADER, MSP_ROWS)
        with mock.patch.object(maps, "MAX_XLSX_ROWS", 2):
            with self.assertRaisesRegex(maps.SurveyProblem, "more than 2 rows; .* save it as CSV"):
                maps.survey(io.BytesIO(plan), "plan.xlsx")
            self.assertEqual(
                maps.survey(io.BytesIO(csv_bytes(MSP_HEADER, MSP_ROWS)), "p.csv").rows, 3
            )
        too_many = self.assertRaisesRegex(maps.SurveyProblem, "more than 3 rows; export fewer")
        with mock.patch.object(maps, "MAX_ROWS", 3), too_many:
            maps.survey(io.BytesIO(csv_bytes(JIRA_HEADER, JIRA_ROWS)), "jira.csv")

    def test_a_survey_keeps_repeated_columns_once(self):
        found = maps.survey(io.BytesIO(csv_bytes(JIRA_HEADER, JIRA_ROWS)), "x.csv")
        self.assertEqual(found.repeats["Labels"], 3)
        self.assertEqual(found.columns.count("Labels"), 1)
        self.assertEqual(found.values["Status"], ["In Progress", "Done", "To Do"])
        self.assertEqual(found.rows, 4)


class FromToolTests(CairnTestCase):
    def upload(self, upload, source="jira"):
        response = self.client.post(
            self.url("exchange:from_tool"), {"source": source, "file": upload}
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])
        return ForeignFile.objects.filter(organization=self.org).first()  # the newest

    def form(self, foreign, **changes) -> dict:
        """The mapping form as the page shows it, with ``changes``."""
        page = self.client.get(self.url("exchange:from_tool_map", foreign.pk))
        self.assertEqual(page.status_code, 200)
        context = page.context
        data = {f"col-{t.name}": chosen for t, chosen in context["targets"]}
        data.update(status_of=context["status_of"], only_of=context["only_of"])
        data["effort_per_month"] = context["mapping"].effort_per_month
        data.update({f"status-{i}": chosen for i, _v, chosen in context["statuses"]})
        data.update({f"only-{i}": "1" for i, _v, checked in context["only"] if checked})
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    def map(self, foreign, **changes):
        return self.client.post(
            self.url("exchange:from_tool_map", foreign.pk), self.form(foreign, **changes)
        )

    def test_jira_epics_through_the_preview_to_initiatives(self):
        self.login("editor")
        foreign = self.upload(jira_file())
        page = self.client.get(self.url("exchange:from_tool_map", foreign.pk))
        self.assertContains(page, "Labels (3 columns)")
        self.assertContains(page, '<option value="Summary" selected>', html=False)
        # Only epics by default: the story under an epic is not an initiative.
        self.assertEqual(
            [(v, c) for _i, v, c in page.context["only"]], [("Epic", True), ("Story", False)]
        )
        self.assertEqual(
            page.context["mapping"].statuses,
            {"In Progress": "in_progress", "Done": "done", "To Do": "proposed"},
        )
        before = self.audit_count()
        response = self.map(
            foreign,
            **{"col-effort": "Custom field (Story Points)", "effort_per_month": "10"},
        )
        job = ImportJob.objects.get(organization=self.org)
        self.assertRedirects(
            response,
            f"/imports/{job.pk}/".replace("/imports", "/o/acme/imports"),
            fetch_redirect_response=False,
        )
        self.assertEqual(job.state, ImportState.PREVIEW)
        self.assertEqual(job.result["added"], 3)
        self.assertFalse(Initiative.objects.filter(title="Online quoting").exists())
        self.assertFalse(ForeignFile.objects.exists())
        preview = self.client.get(response["Location"])
        # The link to the story (filtered out) is left out, and the page says so.
        self.assertContains(preview, "left out: CRM-3")
        self.assertContains(preview, "1 row was left out by the filter on “Issue Type”.")
        self.client.post(self.url("exchange:confirm", job.pk))
        job.refresh_from_db()
        self.assertEqual(job.state, ImportState.DONE, job.result)
        quoting = Initiative.objects.get(organization=self.org, title="Online quoting")
        self.assertEqual(quoting.status, "in_progress")
        self.assertEqual(quoting.owner, "Maria Keller")
        self.assertEqual(quoting.description, "Customers build quotes themselves")
        self.assertEqual(quoting.one_off_cost, Decimal("120000"))
        self.assertEqual(quoting.effort_months, Decimal("4.0"))
        self.assertEqual([d.title for d in quoting.depends_on.all()], ["Customer data cleanup"])
        portal = Initiative.objects.get(organization=self.org, title="Partner portal")
        self.assertEqual(
            (portal.status, portal.owner, portal.depends_on.count()), ("proposed", "", 0)
        )
        self.assertEqual(Initiative.objects.get(title="Customer data cleanup").status, "done")
        self.assertFalse(Initiative.objects.filter(title="Quote PDF layout").exists())
        # The mapping is remembered, audited once.
        saved = SourceMapping.objects.get(organization=self.org, source="jira")
        self.assertEqual(saved.mapping["columns"]["effort"], "Custom field (Story Points)")
        self.assertEqual(AuditEvent.objects.filter(object_type="exchange.sourcemapping").count(), 1)
        self.assertGreater(self.audit_count(), before)

    def test_jira_issues_as_initiatives_each_depending_on_its_epic(self):
        self.login("editor")
        foreign = self.upload(jira_file())
        self.map(foreign, **{"col-depends_on": "Parent summary", "only-1": "1"})
        job = ImportJob.objects.get()
        self.assertEqual(job.result["added"], 4, job.result)
        self.client.post(self.url("exchange:confirm", job.pk))
        story = Initiative.objects.get(organization=self.org, title="Quote PDF layout")
        self.assertEqual([d.title for d in story.depends_on.all()], ["Online quoting"])
        self.assertEqual(Initiative.objects.get(title="Online quoting").depends_on.count(), 0)

    def test_the_mapping_is_remembered_for_the_next_file_of_that_tool(self):
        self.login("editor")
        first = self.upload(jira_file())
        self.map(
            first,
            **{
                "col-owner": "Reporter",
                "col-only": "",
                "status-2": "idea",
                "col-effort": "Custom field (Story Points)",
                "effort_per_month": "8",
            },
        )
        # The next export has a status the first did not; the rest is as chosen last time.
        rows = [*JIRA_ROWS, jira_row("Chatbot", "CRM-5", status="Blocked")]
        second = self.upload(jira_file(rows))
        page = self.client.get(self.url("exchange:from_tool_map", second.pk))
        chosen = {t.name: c for t, c in page.context["targets"]}
        self.assertEqual(
            (chosen["owner"], chosen["only"], chosen["effort"]),
            ("Reporter", "", "Custom field (Story Points)"),
        )
        self.assertEqual(page.context["mapping"].effort_per_month, "8")
        statuses = {v: c for _i, v, c in page.context["statuses"]}
        self.assertEqual(
            statuses, {"In Progress": "in_progress", "Done": "done", "To Do": "idea", "Blocked": ""}
        )
        # Another tool's mapping is its own.
        ado = self.upload(
            SimpleUploadedFile("ado.csv", csv_bytes(ADO_HEADER, ADO_ROWS)), "azure_devops"
        )
        page = self.client.get(self.url("exchange:from_tool_map", ado.pk))
        self.assertEqual({t.name: c for t, c in page.context["targets"]}["owner"], "Assigned To")

    def assertNothingWritten(self, response, *texts):
        self.assertEqual(response.status_code, 200)
        for text in texts:
            self.assertContains(response, text)
        self.assertFalse(ImportJob.objects.exists())
        self.assertFalse(
            Initiative.objects.filter(title__in=["Online quoting", "Partner portal"]).exists()
        )
        self.assertTrue(ForeignFile.objects.exists())  # kept, to map again
        self.assertFalse(SourceMapping.objects.exists())

    def test_a_mapped_column_missing_from_the_file(self):
        self.login("editor")
        foreign = self.upload(jira_file())
        response = self.map(foreign, **{"col-title": "Name", "col-owner": "Custom field (Owner)"})
        self.assertNothingWritten(
            response,
            "Title: the file has no column “Name”",
            "Owner: the file has no column “Custom field (Owner)”",
        )
        response = self.map(foreign, **{"col-title": ""})
        self.assertNothingWritten(response, "Choose the column that holds each initiative")

    def test_a_status_not_mapped(self):
        self.login("editor")
        foreign = self.upload(
            jira_file([*JIRA_ROWS, jira_row("Chatbot", "CRM-5", status="Blocked")])
        )
        self.assertNothingWritten(self.map(foreign), "Choose the Cairn status for “Blocked”.")

    def test_a_changed_status_column_is_shown_again_before_anything_is_read(self):
        self.login("editor")
        foreign = self.upload(jira_file())
        response = self.map(foreign, **{"col-status": "Priority"})
        self.assertNothingWritten(response, "The status column changed")
        self.assertEqual([v for _i, v, _c in response.context["statuses"]], ["Medium"])

    def test_bad_cells_are_listed_by_row_and_nothing_is_written(self):
        self.login("editor")
        rows = [
            jira_row("Online quoting", "CRM-1", cost="lots"),
            jira_row("Partner portal", "CRM-4", points="many"),
            jira_row("Online quoting", "CRM-6"),
        ]
        foreign = self.upload(jira_file(rows))
        response = self.map(
            foreign, **{"col-effort": "Custom field (Story Points)", "effort_per_month": "10"}
        )
        self.assertNothingWritten(
            response,
            "Custom field (Cost): “lots” is not an amount",
            "Custom field (Story Points): “many” is not a number",
            "is also the title of row 2",
        )
        errors = [(e.row, e.column) for e in response.context["report"].errors]
        self.assertEqual(
            errors, [(2, "Custom field (Cost)"), (3, "Custom field (Story Points)"), (4, "Summary")]
        )
        response = self.map(
            foreign, **{"col-effort": "Custom field (Story Points)", "effort_per_month": "none"}
        )
        self.assertNothingWritten(response, "how many of its units make one FTE-month")

    def test_bad_uploads_are_refused_and_nothing_is_kept(self):
        self.login("editor")
        cases = [
            (SimpleUploadedFile("notes.pdf", b"%PDF-1.4"), "Upload a .csv or .xlsx file."),
            (SimpleUploadedFile("empty.csv", b""), "The file is empty"),
            (SimpleUploadedFile("head.csv", b"Summary,Status\n"), "header row but no rows"),
            (SimpleUploadedFile("bad.xlsx", b"not a zip"), "not a valid Excel"),
            (SimpleUploadedFile("latin.csv", "Summary\nCaf\xe9\n".encode("latin-1")), "not UTF-8"),
        ]
        for upload, message in cases:
            with self.subTest(message=message):
                response = self.client.post(
                    self.url("exchange:from_tool"), {"source": "jira", "file": upload}, follow=True
                )
                self.assertContains(response, message)
        response = self.client.post(
            self.url("exchange:from_tool"), {"source": "trello", "file": jira_file()}, follow=True
        )
        self.assertContains(response, "Choose the tool the file comes from.")
        self.assertFalse(ForeignFile.objects.exists())

    def test_azure_devops_epics_with_effort_and_duration_from_dates(self):
        self.login("editor")
        foreign = self.upload(
            SimpleUploadedFile("Query.csv", csv_bytes(ADO_HEADER, ADO_ROWS)), "azure_devops"
        )
        page = self.client.get(self.url("exchange:from_tool_map", foreign.pk))
        self.assertEqual(
            [(v, c) for _i, v, c in page.context["only"]], [("Epic", True), ("Feature", False)]
        )
        response = self.map(foreign, **{"col-effort": "Effort", "effort_per_month": "20"})
        job = ImportJob.objects.get()
        self.assertEqual(job.result["added"], 2, response)
        self.client.post(self.url("exchange:confirm", job.pk))
        billing = Initiative.objects.get(organization=self.org, title="Self-service billing")
        self.assertEqual(
            (billing.status, billing.owner, billing.effort_months),
            ("in_progress", "Ana Lopez", Decimal("1.5")),
        )
        fax = Initiative.objects.get(organization=self.org, title="Retire the fax server")
        self.assertEqual((fax.status, fax.effort_months), ("proposed", Decimal("0.2")))

    def test_ms_project_tasks_with_predecessors_durations_and_costs(self):
        self.login("editor")
        upload = SimpleUploadedFile("Plan.xlsx", xlsx_bytes(MSP_HEADER, MSP_ROWS))
        foreign = self.upload(upload, "planning")
        page = self.client.get(self.url("exchange:from_tool_map", foreign.pk))
        chosen = {t.name: c for t, c in page.context["targets"]}
        self.assertEqual(
            (chosen["title"], chosen["duration"], chosen["depends_on"], chosen["id"]),
            ("Name", "Duration", "Predecessors", "ID"),
        )
        self.assertEqual(
            page.context["mapping"].statuses,
            {"25%": "in_progress", "0%": "proposed", "100%": "done"},
        )
        self.map(foreign)
        job = ImportJob.objects.get()
        self.assertEqual(job.state, ImportState.PREVIEW, job.result)
        self.client.post(self.url("exchange:confirm", job.pk))
        erp, scanners, support = (
            Initiative.objects.get(organization=self.org, title=t)
            for t in ("ERP upgrade", "Warehouse scanners", "Go-live support")
        )
        self.assertEqual(
            (erp.duration_months, erp.one_off_cost, erp.owner, erp.status),
            (3, Decimal("48000"), "Anna Berg, Tom Li", "in_progress"),
        )
        self.assertEqual(
            (scanners.duration_months, scanners.one_off_cost, scanners.status),
            (1, Decimal("9500"), "proposed"),
        )
        self.assertEqual((support.duration_months, support.status), (3, "done"))
        self.assertEqual([d.title for d in scanners.depends_on.all()], ["ERP upgrade"])
        self.assertEqual(
            sorted(d.title for d in support.depends_on.all()), ["ERP upgrade", "Warehouse scanners"]
        )

    def test_duration_from_start_and_finish_when_no_duration_is_mapped(self):
        self.login("editor")
        foreign = self.upload(
            SimpleUploadedFile("Plan.xlsx", xlsx_bytes(MSP_HEADER, MSP_ROWS)), "planning"
        )
        self.map(foreign, **{"col-duration": ""})
        self.client.post(self.url("exchange:confirm", ImportJob.objects.get().pk))
        # 5 Jan to 27 Mar: 82 days, three months; 30 Mar to 24 Apr: 26 days, one.
        months = dict(
            Initiative.objects.filter(
                organization=self.org, title__in=["ERP upgrade", "Warehouse scanners"]
            ).values_list("title", "duration_months")
        )
        self.assertEqual(months, {"ERP upgrade": 3, "Warehouse scanners": 1})

    def test_the_mapping_page_costs_a_fixed_number_of_queries(self):
        self.login("editor")
        small = self.upload(jira_file())
        url = self.url("exchange:from_tool_map", small.pk)
        # session, user, membership + organisation, the upload (without its bytes), the
        # remembered mapping; base.html's organisations (with reviews due) and unread count.
        self.assertQueryCount(QUERIES, self.client.get, url)
        rows = [
            jira_row(f"Epic {n}", f"CRM-{n}", status=("To Do", "Done")[n % 2])
            for n in range(1, 2001)
        ]
        big = self.upload(jira_file(rows))
        ForeignFile.objects.exclude(pk=big.pk).delete()
        self.assertQueryCount(QUERIES, self.client.get, self.url("exchange:from_tool_map", big.pk))

    def test_uploads_belong_to_their_organisation_and_are_purged(self):
        self.login("editor")
        ours = self.upload(jira_file())
        from cairn.exchange import from_tools

        theirs = from_tools.store(self.other_org, jira_file(), "jira", actor=self.outsider)
        for name in ("exchange:from_tool_map", "exchange:from_tool_discard"):
            with self.subTest(name=name):
                get = self.client.get(self.url(name, theirs.pk)).status_code
                self.assertEqual(get, 405 if name.endswith("discard") else 404)  # POST only
                self.assertEqual(
                    self.client.post(self.url(name, theirs.pk), self.form(ours)).status_code, 404
                )
        self.assertTrue(ForeignFile.objects.filter(pk=theirs.pk).exists())
        self.login("viewer")
        self.assertEqual(self.client.get(self.url("exchange:from_tool")).status_code, 403)
        self.assertEqual(
            self.client.post(self.url("exchange:from_tool_map", ours.pk), {}).status_code, 403
        )
        # A day old: gone from the page, and deleted by the next upload.
        ForeignFile.objects.filter(pk=ours.pk).update(created=timezone.now() - timedelta(hours=25))
        self.login("editor")
        self.assertEqual(
            self.client.get(self.url("exchange:from_tool_map", ours.pk)).status_code, 404
        )
        self.upload(jira_file())
        self.assertFalse(ForeignFile.objects.filter(pk=ours.pk).exists())
        self.assertFalse(
            ForeignFile.objects.filter(
                pk=theirs.pk, created__lt=timezone.now() - timedelta(hours=24)
            ).exists()
        )

    def test_discarding_an_upload(self):
        self.login("editor")
        foreign = self.upload(jira_file())
        response = self.client.post(self.url("exchange:from_tool_discard", foreign.pk), follow=True)
        self.assertContains(response, "The file is deleted; nothing was imported.")
        self.assertFalse(ForeignFile.objects.exists())

    def test_a_second_click_imports_nothing_more(self):
        self.login("editor")
        foreign = self.upload(jira_file())
        from cairn.exchange import from_tools

        mapping = maps.guess(maps.TOOLS["jira"], maps.Survey.from_json(foreign.survey))
        from_tools.start_import(foreign, mapping, actor=self.editor)
        with self.assertRaisesRegex(from_tools.MappingRefused, "imported or deleted meanwhile"):
            from_tools.start_import(foreign, mapping, actor=self.editor)
        self.assertEqual(ImportJob.objects.count(), 1)
        response = self.client.post(self.url("exchange:from_tool_map", foreign.pk), {})
        self.assertEqual(response.status_code, 404)

    def test_a_filter_on_a_column_of_many_values_is_refused(self):
        self.login("editor")
        rows = [jira_row(f"Epic {n}", f"CRM-{n}") for n in range(1, 41)]
        foreign = self.upload(jira_file(rows))
        response = self.map(foreign, **{"col-only": "Summary", "only_of": "Summary", "only-0": "1"})
        self.assertNothingWritten(response, "“Summary” has more than 30 different values")

    def test_the_upload_page_costs_a_fixed_number_of_queries(self):
        self.login("editor")
        url = self.url("exchange:from_tool")
        self.upload(jira_file())
        # session, user, membership + organisation, the uploads waiting (with who made
        # them); base.html's organisations and unread count.
        self.assertQueryCount(6, self.client.get, url)
        for _ in range(5):
            self.upload(jira_file())
        page = self.assertQueryCount(6, self.client.get, url)
        self.assertContains(page, "Jira.csv", count=6)


QUERIES = 7
