import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cairn.assessment import importers
from cairn.core.models import AuditVia
from cairn.core.services import org_by_slug


class Command(BaseCommand):
    help = (
        "Import teams, capabilities, processes or applications from a .csv or .xlsx file. "
        "All rows or none: a bad file prints every problem and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("kind", choices=sorted(importers.KINDS))
        parser.add_argument("file", type=Path)

    def handle(self, *args, org, kind, file, **options):
        organization = org_by_slug(org)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        spec = importers.KINDS[kind]
        progress = self.progress_bar(file) if sys.stderr.isatty() else None
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
                self.stderr.write(f"Nothing was imported: {len(e.report.errors)} problem(s).")
                self.stderr.write(f"{'row':>6}  {'column':<20} problem")
                for error in e.report.errors:
                    row = str(error.row) if error.row else "file"
                    self.stderr.write(f"{row:>6}  {error.column or '-':<20} {error.problem}")
                raise CommandError("The file was refused.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{spec.label}: {created} added, {updated} updated, {unchanged} unchanged."
            )
        )

    def progress_bar(self, file: Path):
        """A one-line progress bar on the terminal, by rows read (estimated from the size)."""
        size = max(file.stat().st_size, 1)

        def show(rows: int) -> None:
            self.stderr.write(f"\r  read {rows:,} rows of ~{size // 60:,}", ending="")

        return show
