"""Web imports run in the background worker: the upload is stored, the page answers at once,
the job's page shows the rows read and then the outcome; all rows or none, as before.

A file of the data page (``exchange:index``) is checked first, in a preview that writes
nothing and says what the import would do; the import itself runs once it is confirmed
(``exchange:confirm``)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from cairn.assessment.models import Team
from cairn.core import imports
from cairn.core.models import (
    AuditEvent,
    ImportChunk,
    ImportJob,
    ImportState,
    Membership,
    Organization,
    Role,
)
from cairn.kpis.models import Measurement
from tests.base import PAGE, CairnTestCase

TEAMS = "name,headcount,lead\n" + "".join(f"Team {i},{i % 9 + 1},Lead {i}\n" for i in range(2500))
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def upload(text: str, name: str = "teams.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode())


class ImportJobTests(CairnTestCase):
    def post(self, text, name="teams.csv", kind="teams", follow=True):
        return self.client.post(
            self.url("exchange:index"), {"kind": kind, "file": upload(text, name)}, follow=follow
        )

    def confirm(self, job, follow=True):
        return self.client.post(self.url("exchange:confirm", job.pk), follow=follow)

    def test_an_upload_becomes_a_job_whose_page_says_the_counts(self):
        self.login("editor")
        before = AuditEvent.objects.count()
        response = self.post(TEAMS, follow=False)
        job = ImportJob.objects.get()
        self.assertRedirects(response, self.url("import_job", job.pk))
        # The immediate backend of the tests has checked it; the worker does the same (below).
        # A preview: the counts the import would give, the file kept for it, nothing written.
        self.assertEqual((job.state, job.kind, job.label), (ImportState.PREVIEW, "teams", "Teams"))
        self.assertEqual((job.total_rows, job.rows_read, job.created_by), (2500, 2500, self.editor))
        self.assertTrue(job.dry_run)
        self.assertEqual(
            {k: job.result[k] for k in ("added", "updated", "unchanged")},
            {"added": 2500, "updated": 0, "unchanged": 0},
        )
        self.assertEqual(job.size, len(TEAMS.encode()))
        self.assertTrue(ImportChunk.objects.filter(job=job).exists())  # kept for the import
        self.assertEqual(Team.objects.filter(organization=self.org).count(), 1)
        self.assertEqual(AuditEvent.objects.count(), before)
        page = self.client.get(self.url("import_job", job.pk))
        self.assertContains(page, "Teams from teams.csv: ready to import")
        self.assertContains(page, "<strong>add 2,500</strong> rows")
        self.assertContains(page, self.url("exchange:confirm", job.pk))
        self.assertNotContains(page, "hx-trigger")  # nothing to poll while it waits for you
        # Confirmed: the import itself.
        response = self.confirm(job, follow=False)
        self.assertRedirects(response, self.url("import_job", job.pk))
        job.refresh_from_db()
        self.assertEqual((job.state, job.rows_read, job.dry_run), (ImportState.DONE, 2500, False))
        self.assertEqual(
            {k: job.result[k] for k in ("added", "updated", "unchanged")},
            {"added": 2500, "updated": 0, "unchanged": 0},
        )
        self.assertFalse(ImportChunk.objects.exists())  # the file is gone once the job ends
        self.assertEqual(Team.objects.filter(organization=self.org).count(), 2501)
        self.assertEqual(AuditEvent.objects.count(), before + 2500)
        page = self.client.get(self.url("import_job", job.pk))
        self.assertContains(page, "Teams imported:</strong> 2,500 added, 0 changed, 0 left alone")
        self.assertContains(page, "2,500 rows read in")  # the last thousand after the last report
        self.assertNotContains(page, "hx-trigger")  # nothing left to poll
        self.assertNotContains(page, self.url("exchange:confirm", job.pk))
        # Confirmed twice, it is not imported twice.
        again = self.confirm(job)
        self.assertContains(again, "This file is no longer waiting to be confirmed.")
        self.assertEqual(Team.objects.filter(organization=self.org).count(), 2501)
        # The data page lists it, linked.
        self.assertContains(
            self.client.get(self.url("exchange:index")), self.url("import_job", job.pk)
        )

    def test_a_second_import_of_the_same_file_changes_nothing(self):
        self.login("editor")
        self.confirm(self.post(TEAMS).context["job"])
        before = AuditEvent.objects.count()
        changed = TEAMS.replace("Team 3,4,Lead 3", "Team 3,4,Someone else")
        response = self.post(changed)
        self.assertContains(response, "<strong>add 0</strong> rows, <strong>change 1</strong>")
        self.assertContains(response, 'Team 3 <span class="text-muted">(lead)</span>')
        response = self.confirm(ImportJob.objects.latest("pk"))
        self.assertContains(
            response, "Teams imported:</strong> 0 added, 1 changed, 2,499 left alone"
        )
        self.assertEqual(AuditEvent.objects.count(), before + 1)  # only the changed row
        self.assertEqual(Team.objects.get(name="Team 3").lead, "Someone else")

    def test_a_preview_cancelled_imports_nothing(self):
        self.login("editor")
        job = self.post(TEAMS).context["job"]
        response = self.client.post(self.url("exchange:cancel", job.pk), follow=True)
        self.assertRedirects(response, self.url("exchange:index"))
        self.assertContains(response, "Nothing was imported; the file is deleted.")
        job.refresh_from_db()
        self.assertEqual(job.state, ImportState.CANCELLED)
        self.assertFalse(ImportChunk.objects.exists())
        self.assertContains(self.confirm(job), "This file is no longer waiting to be confirmed.")
        self.assertEqual(Team.objects.filter(organization=self.org).count(), 1)
        # A viewer may follow a preview, never confirm it.
        other = self.post(TEAMS).context["job"]
        self.login("viewer")
        self.assertNotContains(
            self.client.get(self.url("import_job", other.pk)),
            self.url("exchange:confirm", other.pk),
        )
        self.assertEqual(self.confirm(other).status_code, 403)
        self.assertEqual(self.client.post(self.url("exchange:cancel", other.pk)).status_code, 403)
        other.refresh_from_db()
        self.assertEqual(other.state, ImportState.PREVIEW)

    def test_a_refused_file_shows_every_problem_and_writes_nothing(self):
        self.login("editor")
        before = Team.objects.count(), AuditEvent.objects.count()
        bad = TEAMS + "Team 7,3,Again\n,2,Nobody\nLast,-1,Someone\n"
        response = self.post(bad)
        job = ImportJob.objects.get()
        # Refused at the preview already: every problem listed, nothing to confirm.
        self.assertEqual(job.state, ImportState.REFUSED)
        self.assertContains(response, "Nothing was imported: the file has 3 problems")
        self.assertContains(response, "<td>2503</td><td>name</td>")
        self.assertContains(response, "<td>2504</td><td>headcount</td>")
        self.assertContains(response, "“Team 7” is already on row 9")
        self.assertNotContains(response, self.url("exchange:confirm", job.pk))
        self.assertContains(self.confirm(job), "This file is no longer waiting to be confirmed.")
        self.assertEqual((Team.objects.count(), AuditEvent.objects.count()), before)
        self.assertFalse(ImportChunk.objects.exists())
        where = [(e["row"], e["column"]) for e in job.result["errors"]]
        self.assertEqual(sorted(where), [(2502, "name"), (2503, "name"), (2504, "headcount")])

    def test_measurements_go_through_the_same_worker(self):
        self.login("editor")
        kpi = self.ascent["cost"]  # no baseline: a value of any date is plain
        text = "kpi,date,value\n" + "".join(
            f"{kpi.name},{(timezone.localdate() - timedelta(days=d)).isoformat()},{600 + d % 7}\n"
            for d in range(1, 1201)
        )
        response = self.client.post(
            self.url("kpis:import"), {"file": upload(text, "orders.csv")}, follow=True
        )
        job = ImportJob.objects.get()
        self.assertEqual((job.kind, job.state, job.rows_read), ("measurements", "done", 1200))
        self.assertContains(response, "Measurements imported:</strong> 1,199 added, 1 updated")
        self.assertContains(response, "See the dashboard")
        # 2025-03-31 was recorded already.
        self.assertEqual(Measurement.objects.filter(kpi=kpi).count(), 1200)
        self.assertContains(self.client.get(self.url("kpis:import")), "Recent imports")

    def test_the_page_while_waiting_and_running(self):
        self.login("viewer")  # any member may follow an import
        job = ImportJob.objects.create(
            organization=self.org, kind="measurements", label="Measurements",
            filename="orders.csv", total_rows=1_000_000, rows_read=420_000,
            state=ImportState.RUNNING, created_by=self.editor,
        )  # fmt: skip
        url = self.url("import_job", job.pk)
        # Session, user, membership with organisation, the organisation switcher; the job.
        page = self.assertQueryCount(PAGE + 1, self.client.get, url)
        self.assertContains(page, "Importing… 420,000 of about 1,000,000 rows read")
        self.assertContains(page, 'aria-valuenow="42"')
        self.assertContains(page, "other changes may be slower")
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertNotContains(page, "Import another file")  # not while it runs
        # htmx polls the part that changes, not the whole page.
        part = self.assertQueryCount(3 + 1, self.client.get, url, headers={"HX-Request": "true"})
        self.assertContains(part, 'id="import-job"')
        self.assertNotContains(part, "<html")
        # An Excel file has no cheap total: rows read, no bar.
        ImportJob.objects.filter(pk=job.pk).update(filename="orders.xlsx", total_rows=None)
        page = self.client.get(url)
        self.assertContains(page, "Importing… 420,000 rows read")
        self.assertNotContains(page, "aria-valuenow")
        # Waiting long for a worker says what to check.
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.WAITING, created=timezone.now() - timedelta(minutes=2)
        )
        self.assertContains(self.client.get(url), "cairn worker</code> is running")

    def test_only_members_see_a_job_and_viewers_cannot_start_one(self):
        theirs = ImportJob.objects.create(
            organization=self.other_org, kind="teams", label="Teams", filename="secret.csv"
        )
        self.login("owner")
        self.assertEqual(self.client.get(self.url("import_job", theirs.pk)).status_code, 404)
        self.login("outsider")
        self.assertContains(self.client.get(f"/o/globex/imports/{theirs.pk}/"), "secret.csv")
        self.login("viewer")
        # A viewer may not import: 403, as on every page a member may not change.
        self.assertEqual(self.post(TEAMS).status_code, 403)
        self.assertEqual(ImportJob.objects.filter(organization=self.org).count(), 0)

    def test_a_file_over_the_limit_is_refused_before_it_is_stored(self):
        self.login("editor")
        limit, imports.MAX_BYTES = imports.MAX_BYTES, 1000
        try:
            response = self.post(TEAMS)
        finally:
            imports.MAX_BYTES = limit
        self.assertContains(response, "an import takes at most 0 MB")
        self.assertFalse(ImportJob.objects.exists())

    def test_old_jobs_are_purged_when_a_new_one_starts(self):
        self.login("editor")
        old, recent = (
            ImportJob.objects.create(
                organization=self.org, kind="teams", label="Teams", filename=f"{days}.csv",
                created=timezone.now() - timedelta(days=days),
            )
            for days in (8, 6)
        )  # fmt: skip
        ImportChunk.objects.create(job=old, number=0, data=b"left behind")
        new = self.post(TEAMS).context["job"]
        self.assertFalse(ImportJob.objects.filter(pk=old.pk).exists())
        # Only the new preview's file is left, kept until it is confirmed or cancelled.
        self.assertEqual(set(ImportChunk.objects.values_list("job", flat=True)), {new.pk})
        self.assertTrue(ImportJob.objects.filter(pk=recent.pk).exists())

    def test_a_crash_is_shown_and_a_job_is_run_once(self):
        job = ImportJob.objects.create(
            organization=self.org, kind="teams", label="Teams", filename="t.csv"
        )
        ImportChunk.objects.create(job=job, number=0, data=b"name\nX\n")

        def crash(job, file, progress):
            raise RuntimeError("disk on fire")

        with self.assertRaises(RuntimeError):
            imports.run(job.pk, crash)
        job.refresh_from_db()
        self.assertEqual(job.state, ImportState.FAILED)
        self.assertFalse(ImportChunk.objects.filter(job=job).exists())
        self.login("editor")
        page = self.client.get(self.url("import_job", job.pk))
        self.assertContains(page, "Nothing was imported:</strong> The import stopped unexpectedly")
        self.assertContains(page, "Import another file")
        # Finished jobs are left alone; one still running (its worker died) runs again.
        imports.run(job.pk, crash)  # no error: not run
        ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING)
        ImportChunk.objects.create(job=job, number=0, data=b"name\nX\n")
        imports.run(job.pk, lambda job, file, progress: {"added": len(file.read()), "updated": 0})
        job.refresh_from_db()
        self.assertEqual((job.state, job.result["added"]), (ImportState.DONE, 7))

    def test_excel_files_and_a_file_of_another_kind(self):
        from cairn.core.tabular import write_table

        self.login("editor")
        book = write_table(["name", "headcount"], [["Excel team", 3]], "xlsx")
        response = self.post_bytes(book, "teams.xlsx")
        job = ImportJob.objects.get()
        self.assertEqual((job.total_rows, job.state), (None, ImportState.PREVIEW))
        self.assertContains(response, "<strong>add 1</strong> row,")
        response = self.confirm(job)
        self.assertContains(response, "Teams imported:</strong> 1 added")
        self.assertTrue(Team.objects.filter(organization=self.org, name="Excel team").exists())
        response = self.post_bytes(b"%PDF-1.4", "teams.pdf")
        self.assertContains(response, "Upload a .csv or .xlsx file.")

    def post_bytes(self, content: bytes, name: str):
        return self.client.post(
            self.url("exchange:index"),
            {"kind": "teams", "file": SimpleUploadedFile(name, content)},
            follow=True,
        )


class WorkerTests(TransactionTestCase):
    """The real queue: the request only stores the file; ``cairn worker`` checks it, and
    once it is confirmed imports it; the page sees its progress during the import's one
    transaction."""

    def setUp(self):
        self.org = Organization.objects.create(name="Acme", slug="acme")
        self.editor = User.objects.create_user("editor")
        Membership.objects.create(user=self.editor, organization=self.org, role=Role.EDITOR)
        self.client.force_login(self.editor)

    def test_the_request_stores_the_file_and_the_worker_imports_it(self):
        with override_settings(TASKS=DATABASE_QUEUE):
            response = self.client.post(
                "/o/acme/data/", {"kind": "teams", "file": upload(TEAMS)}, follow=True
            )
            job = ImportJob.objects.get()
            self.assertEqual(job.state, ImportState.WAITING)
            self.assertContains(response, "Waiting for the background worker")
            self.assertEqual(ImportChunk.objects.filter(job=job).count(), 1)
            call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
            job.refresh_from_db()
            self.assertEqual((job.state, job.rows_read), (ImportState.PREVIEW, 2500))
            self.assertEqual(Team.objects.count(), 0)  # checked, not written
            self.assertContains(self.client.get(f"/o/acme/imports/{job.pk}/"), "ready to import")
            response = self.client.post(f"/o/acme/data/imports/{job.pk}/confirm/", follow=True)
            job.refresh_from_db()
            self.assertEqual(job.state, ImportState.WAITING)
            self.assertContains(response, "Waiting for the background worker")
            self.assertEqual(Team.objects.count(), 0)
            call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
        job.refresh_from_db()
        self.assertEqual((job.state, job.rows_read), (ImportState.DONE, 2500))
        self.assertEqual(Team.objects.count(), 2500)
        self.assertFalse(ImportChunk.objects.exists())
        self.assertContains(self.client.get(f"/o/acme/imports/{job.pk}/"), "2,500 added")

    def test_progress_is_seen_while_the_import_holds_its_transaction(self):
        job = ImportJob.objects.create(
            organization=self.org, kind="teams", label="Teams", filename="t.csv", total_rows=2000
        )
        ImportChunk.objects.create(job=job, number=0, data=b"name\nX\n")
        seen = []

        def importer(job, file, progress):
            with transaction.atomic():
                Team.objects.create(organization=self.org, name="Written, not yet committed")
                progress(1000)
                # What a web server sees now: on SQLite the progress file (the import holds
                # the write lock), elsewhere the row a second connection committed.
                seen.append(self.client.get(f"/o/acme/imports/{job.pk}/").content.decode())
            return {"added": 1, "updated": 0}

        imports.run(job.pk, importer)
        self.assertIn("Importing… 1,000 of about 2,000 rows read", seen[0])
        self.assertIn('aria-valuenow="50"', seen[0])
        job.refresh_from_db()
        self.assertEqual((job.state, job.rows_read), (ImportState.DONE, 1000))
        self.assertFalse(list(imports._progress_dir().glob(f"{job.key}*")))
