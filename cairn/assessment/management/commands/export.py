from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cairn.assessment import importers
from cairn.core.services import org_by_slug
from cairn.core.tabular import write_table


class Command(BaseCommand):
    help = "Export teams, capabilities, processes or applications to a .csv or .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("kind", choices=sorted(importers.KINDS))
        parser.add_argument("file", type=Path, help="Ends in .csv or .xlsx.")

    def handle(self, *args, org, kind, file, **options):
        organization = org_by_slug(org)
        fmt = file.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError("The file name must end in .csv or .xlsx.")
        spec = importers.KINDS[kind]
        rows = spec.export(organization)
        file.write_bytes(write_table(spec.headers_for(organization), rows, fmt))
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} {kind} written to {file}."))
