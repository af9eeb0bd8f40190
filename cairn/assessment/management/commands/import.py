import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cairn.assessment import importers
from cairn.core.models import AuditVia
from cairn.core.services import org_by_slug


class Command(BaseCommand):
    help = (
        "Import teams, capabilities, processes, applications, KPI measurements or actual spend "
        "(the finance system's export) from a .csv or .xlsx file. All rows or none: a bad file "
        "prints every problem and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("kind", choices=[*sorted(importers.KINDS), "measurements", "actuals"])
        parser.add_argument("file", type=Path)

    def handle(self, *args, org, kind, file, **options):
        organization = org_by_slug(org)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        progress = self.progress_bar(file) if sys.stderr.isatty() else None
        if kind in ("measurements", "actuals"):
            return self.streamed(organization, file, progress, kind)
        spec = importers.KINDS[kind]
        with file.open("rb") as handle:
            try:
                created, updated, unchanged = importers.import_file(
                    organization,
                    spec,
                    handle,
                    file.name,
                    actor=None,
                    via=AuditVia.CLI,
                    progress=progress,
                )
            except importers.ImportRefused as e:
                self.refused(e.report)
        self.stdout.write(
            self.style.SUCCESS(
                f"{spec.label}: {created} added, {updated} updated, {unchanged} unchanged."
            )
        )

    def streamed(self, organization, file: Path, progress, kind: str) -> None:
        """Measurements or actuals: each import returns (added, updated or replaced)."""
        from cairn.execution import imports as actuals
        from cairn.kpis import services

        importer = actuals.import_file if kind == "actuals" else services.import_file
        started = time.monotonic()
        with file.open("rb") as handle:
            try:
                added, updated = importer(
                    organization,
                    handle,
                    file.name,
                    actor=None,
                    via=AuditVia.CLI,
                    progress=progress,
                )
            except importers.ImportRefused as e:
                if progress:
                    self.stderr.write("")
                self.refused(e.report)
        if progress:
            self.stderr.write("")
        seconds = time.monotonic() - started
        counts = (
            f"Spend: {added:,} added, replacing {updated:,} recorded before"
            if kind == "actuals"
            else f"Measurements: {added:,} added, {updated:,} updated"
        )
        self.stdout.write(self.style.SUCCESS(f"{counts} in {seconds:.1f} s."))

    def refused(self, report) -> None:
        self.stderr.write(f"Nothing was imported: {report.summary()}.")
        self.stderr.write(f"{'row':>6}  {'column':<20} problem")
        for error in report.errors:
            row = str(error.row) if error.row else "file"
            self.stderr.write(f"{row:>6}  {error.column or '-':<20} {error.problem}")
        raise CommandError("The file was refused.") from None

    def progress_bar(self, file: Path):
        """A one-line progress bar on the terminal, by rows read (estimated from the size)."""
        size = max(file.stat().st_size, 1)

        def show(rows: int) -> None:
            self.stderr.write(f"\r  read {rows:,} rows of ~{size // 60:,}", ending="")

        return show
