import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cairn.core.models import AuditVia
from cairn.core.services import org_by_slug
from cairn.core.tabular import ImportRefused
from cairn.exchange import books
from cairn.exchange.kinds import KINDS
from cairn.exchange.tasks import WORKBOOK

STREAMED = ("measurements", "actuals")


class Rollback(Exception):
    """Undoes a dry run's writes."""


class Command(BaseCommand):
    help = (
        "Import a .csv or .xlsx file of one kind of rows (goals, initiatives, KPIs, teams, "
        "applications…), a whole workbook exported by Cairn (every kind, one sheet each), KPI "
        "measurements or actual spend (the finance system's export). All rows or none: a bad "
        "file prints every problem and changes nothing. --dry-run says what the import would "
        "add and change, and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check the file, print what it would change, write nothing.",
        )
        kinds = [k.slug for k in KINDS if not k.read_only]
        parser.add_argument("kind", choices=[WORKBOOK, *kinds, *STREAMED])
        parser.add_argument("file", type=Path)

    def handle(self, *args, org, kind, file, dry_run, **options):
        organization = org_by_slug(org)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        progress = self.progress_bar(file) if sys.stderr.isatty() else None
        if kind in STREAMED:
            return self.streamed(organization, file, progress, kind, dry_run)
        common = {"actor": None, "via": AuditVia.CLI, "dry_run": dry_run, "progress": progress}
        with file.open("rb") as handle:
            try:
                if kind == WORKBOOK:
                    outcomes = books.import_workbook(organization, handle, file.name, **common)
                else:
                    spec = books.kind_for(kind)
                    outcomes = books.import_kind(organization, spec, handle, file.name, **common)
            except ImportRefused as e:
                self.refused(e.report)
        if progress:
            self.stderr.write("")
        verb = ("would add", "would change") if dry_run else ("added", "changed")
        for o in outcomes:
            self.stdout.write(
                f"{o.label}: {len(o.added):,} {verb[0]}, {len(o.changed):,} {verb[1]}, "
                f"{o.unchanged:,} unchanged."
            )
        done = "Nothing was written (a dry run)." if dry_run else "Imported."
        self.stdout.write(self.style.SUCCESS(done))

    def streamed(self, organization, file: Path, progress, kind: str, dry_run: bool) -> None:
        """Measurements or actuals: each import returns (added, updated or replaced)."""
        from cairn.execution import imports as actuals
        from cairn.kpis import services

        importer = actuals.import_file if kind == "actuals" else services.import_file
        started = time.monotonic()
        with file.open("rb") as handle:
            try:
                with transaction.atomic():
                    added, updated = importer(
                        organization,
                        handle,
                        file.name,
                        actor=None,
                        via=AuditVia.CLI,
                        progress=progress,
                    )
                    if dry_run:
                        raise Rollback
            except Rollback:
                pass
            except ImportRefused as e:
                if progress:
                    self.stderr.write("")
                self.refused(e.report)
        if progress:
            self.stderr.write("")
        seconds = time.monotonic() - started
        would = "would be " if dry_run else ""
        counts = (
            f"Spend: {added:,} {would}added, replacing {updated:,} recorded before"
            if kind == "actuals"
            else f"Measurements: {added:,} {would}added, {updated:,} {would}updated"
        )
        end = " Nothing was written (a dry run)." if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{counts} in {seconds:.1f} s.{end}"))

    def refused(self, report) -> None:
        self.stderr.write(f"Nothing was imported: {report.summary()}.")
        self.stderr.write(f"{'row':>6}  {'sheet':<16} {'column':<20} problem")
        for error in report.errors:
            row = str(error.row) if error.row else "file"
            sheet = error.table or "-"
            self.stderr.write(f"{row:>6}  {sheet:<16} {error.column or '-':<20} {error.problem}")
        if report.more:
            self.stderr.write(f"… and {report.more:,} more problems.")
        raise CommandError("The file was refused.") from None

    def progress_bar(self, file: Path):
        """A one-line progress bar on the terminal, by rows read (estimated from the size)."""
        size = max(file.stat().st_size, 1)

        def show(rows: int) -> None:
            self.stderr.write(f"\r  read {rows:,} rows of ~{size // 60:,}", ending="")

        return show
