"""Data in and out: every kind imports and exports in the same columns, all rows or none,
matched on what names a row; the whole workbook round-trips; the web import previews before
it writes."""

from __future__ import annotations

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from cairn.core.models import AuditEvent, ImportJob, Organization
from cairn.core.tabular import ImportRefused
from cairn.exchange import books
from cairn.exchange.kinds import BY_SLUG, KINDS
from cairn.goals.models import BusinessGoal
from cairn.kpis.models import Kpi
from cairn.portfolio.models import CriterionScore, Initiative, TeamEffort
from tests.base import CairnTestCase


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def book(sheets: dict[str, list[list]]) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        sheet = wb.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def sheets_of(content: bytes) -> dict[str, list[list]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in wb.worksheets}


def problems(refused) -> list[tuple[str, int, str, str]]:
    return [(e.table, e.row, e.column, e.problem) for e in refused.exception.report.errors]


class KindImportTests(CairnTestCase):
    def run_kind(self, slug, file, name="file.csv", **kw):
        return books.import_kind(self.org, BY_SLUG[slug], file, name, actor=self.editor, **kw)

    def counts(self, outcomes):
        return [(o.slug, len(o.added), len(o.changed), o.unchanged) for o in outcomes]

    def state(self):
        return (
            list(Initiative.objects.order_by("pk").values_list("title", "version")),
            BusinessGoal.objects.count(),
            TeamEffort.objects.count(),
            AuditEvent.objects.count(),
        )

    def test_initiatives_with_links_pairs_and_a_dependency_further_down(self):
        # The terrain of the base class has a team "Sales ops" and an application
        # "Spreadsheet pricing".
        goal = BusinessGoal.objects.filter(organization=self.org).first()
        from cairn.portfolio.models import Criterion

        Criterion.objects.create(organization=self.org, name="Customer value")
        text = (
            "title,one_off_cost,status,goals,depends_on,applications,team_effort,scores\n"
            f"Online quoting,120000,proposed,{goal.title},Price engine,Spreadsheet pricing,"
            '"Sales ops: 6",Customer value: 4\n'
            "Price engine,40000,idea,,,,Sales ops: 1.5,\n"
        )
        self.assertEqual(
            self.counts(self.run_kind("initiatives", csv(text))), [("initiatives", 2, 0, 0)]
        )
        quoting = Initiative.objects.get(organization=self.org, title="Online quoting")
        self.assertEqual(quoting.one_off_cost, 120000)
        self.assertEqual([i.title for i in quoting.depends_on.all()], ["Price engine"])
        self.assertEqual([g.pk for g in quoting.goals.all()], [goal.pk])
        self.assertEqual(quoting.efforts.get().months, 6)
        self.assertEqual(CriterionScore.objects.get(initiative=quoting).value, 4)
        event = AuditEvent.objects.get(object_type="portfolio.initiative", object_id=quoting.pk)
        self.assertEqual(event.actor, self.editor)
        self.assertEqual(event.after["team_effort"], {str(self.terrain["team"].pk): "6"})
        # The same file again: nothing written, nothing audited.
        before = self.state()
        self.assertEqual(
            self.counts(self.run_kind("initiatives", csv(text))), [("initiatives", 0, 0, 2)]
        )
        self.assertEqual(self.state(), before)
        # One change, matched on the title: updated, never copied; a column the file leaves
        # out keeps its stored value.
        changed = "title,status\nOnline quoting,approved\n"
        outcome = self.run_kind("initiatives", csv(changed))
        self.assertEqual(outcome[0].changed, [("Online quoting", ["status"])])
        quoting.refresh_from_db()
        self.assertEqual(
            (quoting.status, quoting.one_off_cost, quoting.version), ("approved", 120000, 2)
        )
        self.assertEqual(quoting.depends_on.count(), 1)

    def test_every_bad_row_is_reported_and_nothing_is_written(self):
        before = self.state()
        text = (
            "title,impact,urgency,one_off_cost,depends_on,team_effort,goals\n"
            "A,huge,3,10,B,,\n"  # a choice that does not exist
            "B,high,9,10,C,Sales ops: x,\n"  # urgency out of range, a bad number
            "C,high,3,-5,A,Nobody: 2,No such goal\n"  # a negative cost, unknown team and goal
            "A,low,3,10,,,\n"  # the same title twice
            + "D,"
            + "x" * 10
            + ",3,10,D,Sales ops 2,\n"  # linked to itself, a pair without ":"
        )
        with self.assertRaises(ImportRefused) as refused:
            self.run_kind("initiatives", csv(text))
        found = problems(refused)
        where = {(row, column) for _t, row, column, _p in found}
        for expected in [
            (2, "impact"),
            (3, "urgency"),
            (3, "team_effort"),
            (4, "one_off_cost"),
            (4, "team_effort"),
            (4, "goals"),
            (5, "title"),
            (6, "depends_on"),
        ]:
            self.assertIn(expected, where)
        text_of = {(row, column): p for _t, row, column, p in found}
        self.assertIn("already on row 2", text_of[(5, "title")])
        self.assertIn("there is no team “Nobody”", text_of[(4, "team_effort")])
        self.assertIn("there is no goal “No such goal”", text_of[(4, "goals")])
        circles = [p for _t, _r, c, p in found if "circle" in p]
        self.assertEqual(len(circles), 1)  # A → B → C → A, named once
        self.assertIn("A → B → C → A", circles[0])
        self.assertEqual(self.state(), before)

    def test_a_circle_through_stored_dependencies_is_refused_by_name(self):
        paths = self.path  # "Automate quoting" depends on "Data platform"
        text = f"title,depends_on\n{paths['base'].title},{paths['initiative'].title}\n"
        with self.assertRaises(ImportRefused) as refused:
            self.run_kind("initiatives", csv(text))
        (problem,) = [p for _t, _r, _c, p in problems(refused)]
        self.assertIn("Data platform → Automate quoting → Data platform", problem)

    def test_excludes_are_kept_when_either_side_lists_them(self):
        text = "title,excludes\nCloud ERP,On-site ERP\nOn-site ERP,\n"
        self.run_kind("initiatives", csv(text))
        cloud = Initiative.objects.get(organization=self.org, title="Cloud ERP")
        onsite = Initiative.objects.get(organization=self.org, title="On-site ERP")
        self.assertEqual(list(cloud.excludes.all()), [onsite])
        self.assertEqual(list(onsite.excludes.all()), [cloud])
        self.assertEqual(
            self.counts(self.run_kind("initiatives", csv(text))), [("initiatives", 0, 0, 2)]
        )

    def test_kpi_formulas_by_name_within_the_file(self):
        text = (
            "name,direction,formula\n"
            "Cost per order,down,{IT cost} / {Orders}\n"
            "IT cost,down,\n"
            "Orders,up,\n"
        )
        self.run_kind("kpis", csv(text))
        derived = Kpi.objects.get(organization=self.org, name="Cost per order")
        self.assertEqual(sorted(k.name for k in derived.inputs.all()), ["IT cost", "Orders"])
        bad = (
            "name,formula\n"
            "Loop,{Loop} * 2\n"
            "Twice,{Cost per order} * 2\n"
            "Ghost,{Nowhere}\n"
            "Broken,{IT cost} +\n"
        )
        with self.assertRaises(ImportRefused) as refused:
            self.run_kind("kpis", csv(bad))
        messages = [p for _t, _r, _c, p in problems(refused)]
        self.assertIn("a KPI cannot use itself ({Loop})", messages)
        self.assertIn("“Cost per order” is itself calculated; use measured KPIs only", messages)
        self.assertIn("there is no KPI named “Nowhere”", messages)
        self.assertTrue(any(m.startswith("formula: ") for m in messages))

    def test_the_models_rules_hold_as_in_the_forms(self):
        with self.assertRaises(ImportRefused) as refused:
            self.run_kind(
                "goals", csv("title,target_date,priority\n" + "x" * 201 + ",2027-01-01,5\n")
            )
        found = {(c, p) for _t, _r, c, p in problems(refused)}
        self.assertIn(("title", "title is longer than 200 characters"), found)
        self.assertIn(("priority", "priority must be between 1 and 3"), found)

    def test_amounts_in_another_currency_are_refused(self):
        other = "EUR" if self.org.currency != "EUR" else "USD"
        text = f"title,one_off_cost ({other})\nOnline quoting,1000\n"
        with self.assertRaises(ImportRefused) as refused:
            self.run_kind("initiatives", csv(text))
        (problem,) = [p for _t, _r, _c, p in problems(refused)]
        self.assertIn(f"are in {other}; {self.org} counts in {self.org.currency}", problem)
        ok = f"title,one_off_cost ({self.org.currency})\nOnline quoting,1000\n"
        self.assertEqual(
            self.counts(self.run_kind("initiatives", csv(ok))), [("initiatives", 1, 0, 0)]
        )

    def test_a_dry_run_counts_exactly_and_writes_nothing(self):
        before = self.state()
        text = "title,status\nOnline quoting,idea\nPrice engine,idea\n"
        dry = self.run_kind("initiatives", csv(text), dry_run=True)
        self.assertEqual(self.state(), before)
        real = self.run_kind("initiatives", csv(text))
        self.assertEqual(self.counts(dry), self.counts(real))

    def test_decisions_are_exported_never_imported(self):
        with self.assertRaises(ImportRefused) as refused:
            self.run_kind("decisions", csv("title,decided_on\nX,2026-01-01\n"))
        self.assertIn("cannot be imported", problems(refused)[0][3])

    def test_every_templates_example_imports_as_one_workbook(self):
        """The examples of all templates name each other: together they import cleanly."""
        org = Organization.objects.create(name="Fresh", slug="fresh", currency="EUR")
        sheets = {}
        for kind in KINDS:
            if kind.read_only:
                continue
            template = sheets_of(books.template(kind, org, "xlsx"))
            self.assertEqual(list(template), [kind.label, "Columns"])
            header, *rest = template["Columns"]
            self.assertEqual(header, ["column", "required", "what it holds", "accepts"])
            self.assertEqual([r[0] for r in rest], kind.headers_for(org))
            sheets[kind.label] = template[kind.label]
        try:
            outcomes = books.import_workbook(org, book(sheets), "all.xlsx", actor=self.owner)
        except ImportRefused as e:
            self.fail(e.report.errors)
        self.assertTrue(all(len(o.added) == 1 for o in outcomes), self.counts(outcomes))


class WorkbookTests(CairnTestCase):
    def test_the_demo_round_trips_through_one_workbook(self):
        call_command("demo", stdout=io.StringIO())
        demo = Organization.objects.get(name="Summit Outfitters")
        first = books.export_workbook(demo)
        blank = Organization.objects.create(name="Copy", slug="copy", currency=demo.currency)
        outcomes = books.import_workbook(blank, io.BytesIO(first), "demo.xlsx", actor=self.owner)
        self.assertGreater(sum(len(o.added) for o in outcomes), 150)
        again = sheets_of(books.export_workbook(blank))
        before = sheets_of(first)
        read_only = {k.label for k in KINDS if k.read_only}
        for title, rows in before.items():
            if title not in read_only:
                self.assertEqual(again[title], rows, title)
        # A second import changes nothing and audits nothing.
        events = AuditEvent.objects.filter(organization=blank).count()
        outcomes = books.import_workbook(blank, io.BytesIO(first), "demo.xlsx", actor=self.owner)
        self.assertEqual(sum(len(o.added) + len(o.changed) for o in outcomes), 0)
        self.assertEqual(AuditEvent.objects.filter(organization=blank).count(), events)

    def test_a_later_sheet_may_name_rows_of_an_earlier_one_and_a_bad_one_refuses_all(self):
        sheets = {
            "Business goals": [["title", "target_date"], ["Grow online", "2028-12-31"]],
            "Initiatives": [["title", "goals"], ["Web shop", "Grow online"]],
            "Milestones": [["initiative", "title", "due"], ["Web shop", "Live", "2027-06-30"]],
        }
        outcomes = books.import_workbook(self.org, book(sheets), "b.xlsx", actor=self.editor)
        self.assertEqual([len(o.added) for o in outcomes], [1, 1, 1])
        shop = Initiative.objects.get(organization=self.org, title="Web shop")
        self.assertEqual(shop.milestones.get().due, date(2027, 6, 30))
        before = BusinessGoal.objects.count(), Initiative.objects.count()
        sheets["Business goals"].append(["Second goal", "2029-12-31"])
        sheets["Milestones"].append(["Nowhere", "Live", "not a date"])
        with self.assertRaises(ImportRefused) as refused:
            books.import_workbook(self.org, book(sheets), "b.xlsx", actor=self.editor)
        found = problems(refused)
        self.assertIn(("Milestones", 3, "initiative", "there is no initiative “Nowhere”"), found)
        self.assertTrue(any(t == "Milestones" and c == "due" for t, _r, c, _p in found))
        self.assertEqual((BusinessGoal.objects.count(), Initiative.objects.count()), before)

    def test_a_raci_matrix_per_sheet_is_held_to_the_rule(self):
        from cairn.governance.models import Raci

        sheet = [
            ["RACI matrix", "CRM choice"],
            ["initiative", self.path["initiative"].title],
            ["activity", "CIO", "Head of sales"],
            ["Shortlist", "A", "R"],
            ["Sign", "R", "c"],
        ]
        with self.assertRaises(ImportRefused) as refused:
            books.import_workbook(
                self.org, book({"RACI · CRM": sheet}), "r.xlsx", actor=self.editor
            )
        (problem,) = [p for _t, _r, _c, p in problems(refused)]
        self.assertEqual(problem, "“Sign” has no accountable (A); it needs exactly one.")
        self.assertFalse(Raci.objects.filter(title="CRM choice").exists())
        sheet[4] = ["Sign", "R", "a"]
        books.import_workbook(self.org, book({"RACI · CRM": sheet}), "r.xlsx", actor=self.editor)
        raci = Raci.objects.get(organization=self.org, title="CRM choice")
        self.assertEqual(raci.initiative, self.path["initiative"])
        self.assertEqual(
            raci.rows[1], {"activity": "Sign", "cells": {"CIO": "R", "Head of sales": "A"}}
        )
        exported = sheets_of(books.export_workbook(self.org))
        self.assertEqual(exported["RACI · CRM choice"], sheet[:4] + [["Sign", "R", "A"]])
        again = books.import_workbook(
            self.org, book({"RACI · CRM": sheet}), "r.xlsx", actor=self.editor
        )
        self.assertEqual([o.unchanged for o in again], [1])

    def test_an_unknown_sheet_is_refused(self):
        with self.assertRaises(ImportRefused) as refused:
            books.import_workbook(
                self.org, book({"Initiativs": [["title"], ["X"]]}), "b.xlsx", actor=self.editor
            )
        self.assertIn("Sheets Cairn does not know: Initiativs", problems(refused)[0][3])


class PageTests(CairnTestCase):
    def test_the_page_previews_then_imports_on_confirmation(self):
        self.login("editor")
        # The session, the person, the membership; one count per kind; the recent imports;
        # the navigation's two (the notifications bell and the checklist).
        page = self.assertQueryCount(len(KINDS) + 6, self.client.get, self.url("exchange:index"))
        self.assertContains(page, "Check the file")
        upload = SimpleUploadedFile("goals.csv", b"title,target_date\nGrow online,2028-12-31\n")
        preview = self.client.post(
            self.url("exchange:index"), {"kind": "goals", "file": upload}, follow=True
        )
        self.assertContains(preview, "Business goals from goals.csv: ready to import")
        self.assertContains(preview, "Grow online")
        self.assertFalse(BusinessGoal.objects.filter(title="Grow online").exists())
        job = ImportJob.objects.get(organization=self.org)
        done = self.client.post(self.url("exchange:confirm", job.pk), follow=True)
        self.assertContains(done, "Business goals imported:")
        self.assertTrue(
            BusinessGoal.objects.filter(organization=self.org, title="Grow online").exists()
        )
        # Confirming twice imports nothing twice.
        again = self.client.post(self.url("exchange:confirm", job.pk), follow=True)
        self.assertContains(again, "no longer waiting to be confirmed")
        self.assertEqual(BusinessGoal.objects.filter(title="Grow online").count(), 1)

    def test_a_cancelled_preview_writes_nothing_and_a_refused_file_lists_its_problems(self):
        self.login("editor")
        upload = SimpleUploadedFile("goals.csv", b"title,target_date\nGrow online,2028-12-31\n")
        self.client.post(self.url("exchange:index"), {"kind": "goals", "file": upload})
        job = ImportJob.objects.get(organization=self.org)
        self.client.post(self.url("exchange:cancel", job.pk))
        job.refresh_from_db()
        self.assertEqual(job.state, "cancelled")
        self.assertFalse(job.chunks.exists())
        self.assertFalse(BusinessGoal.objects.filter(title="Grow online").exists())
        bad = SimpleUploadedFile("goals.csv", b"title,target_date\nGrow online,someday\n")
        report = self.client.post(
            self.url("exchange:index"), {"kind": "goals", "file": bad}, follow=True
        )
        self.assertContains(report, "is not a date like 2026-01-31")
        self.assertNotContains(report, "Import it")

    def test_downloads(self):
        self.login("viewer")
        page = self.client.get(self.url("exchange:index"))
        self.assertNotContains(page, "Check the file")  # viewers download only
        export = self.client.get(self.url("exchange:export", "initiatives", "csv"))
        header = export.content.decode("utf-8-sig").splitlines()[0]
        self.assertIn(f"one_off_cost ({self.org.currency})", header)
        workbook = sheets_of(self.client.get(self.url("exchange:workbook")).content)
        # Every kind, then a sheet per RACI matrix (the base class's ERP selection).
        self.assertEqual(list(workbook), [k.label for k in KINDS] + ["RACI · ERP selection"])
        template = sheets_of(self.client.get(self.url("exchange:template", "kpis", "xlsx")).content)
        self.assertIn("Columns", template)
        self.assertEqual(
            self.client.get(self.url("exchange:export", "nope", "csv")).status_code, 404
        )
        self.assertEqual(
            self.client.get(self.url("exchange:export", "kpis", "pdf")).status_code, 404
        )
        upload = SimpleUploadedFile("goals.csv", b"title\nX\n")
        self.assertEqual(
            self.client.post(
                self.url("exchange:index"), {"kind": "goals", "file": upload}
            ).status_code,
            403,
        )


class CommandTests(CairnTestCase):
    def test_dry_run_then_import_from_the_command_line(self, tmp_path=None):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "goals.csv"
            path.write_text("title,target_date\nGrow online,2028-12-31\n")
            out = io.StringIO()
            call_command("import", "goals", str(path), org="acme", dry_run=True, stdout=out)
            self.assertIn("Business goals: 1 would add", out.getvalue())
            self.assertFalse(BusinessGoal.objects.filter(title="Grow online").exists())
            call_command("import", "goals", str(path), org="acme", stdout=io.StringIO())
            self.assertTrue(BusinessGoal.objects.filter(title="Grow online").exists())
            book_path = Path(tmp) / "all.xlsx"
            call_command("export", "workbook", str(book_path), org="acme", stdout=io.StringIO())
            self.assertIn("Business goals", sheets_of(book_path.read_bytes()))


class EstimateColumnsTests(CairnTestCase):
    def test_a_best_case_above_the_estimate_is_refused_and_nothing_written(self):
        text = (
            "title,one_off_cost,one_off_cost_best,one_off_cost_worst\n"
            "Self-service returns,80,60,140\n"
            "Online quoting,100,120,150\n"
        )
        with self.assertRaises(ImportRefused) as refused:
            books.import_kind(
                self.org,
                BY_SLUG["initiatives"],
                io.BytesIO(text.encode()),
                "initiatives.csv",
                actor=self.editor,
            )
        self.assertIn("cannot cost more than expected", str(refused.exception.report.errors))
        self.assertFalse(Initiative.objects.filter(title="Self-service returns").exists())
