from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cairn.core.services import org_by_slug
from cairn.core.tabular import write_table
from cairn.exchange import books
from cairn.exchange.kinds import KINDS
from cairn.exchange.tasks import WORKBOOK


class Command(BaseCommand):
    help = (
        "Export one kind of rows (goals, initiatives, KPIs, teams, applications…) to a .csv "
        "or .xlsx file, or every kind to one workbook (.xlsx, one sheet each) that imports "
        "back as it was. --template writes the kind's empty template instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument(
            "--template", action="store_true", help="The columns and an example row only."
        )
        parser.add_argument("kind", choices=[WORKBOOK, *(k.slug for k in KINDS)])
        parser.add_argument("file", type=Path, help="Ends in .csv or .xlsx.")

    def handle(self, *args, org, kind, file, template, **options):
        organization = org_by_slug(org)
        fmt = file.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError("The file name must end in .csv or .xlsx.")
        if kind == WORKBOOK:
            if fmt != "xlsx" or template:
                raise CommandError("A whole workbook is an .xlsx file, and has no template.")
            file.write_bytes(books.export_workbook(organization))
            self.stdout.write(self.style.SUCCESS(f"Every kind written to {file}."))
            return
        spec = books.kind_for(kind)
        if template:
            file.write_bytes(books.template(spec, organization, fmt))
            self.stdout.write(
                self.style.SUCCESS(f"The {spec.label.lower()} template written to {file}.")
            )
            return
        rows = books.rows_of(spec, organization)
        file.write_bytes(write_table(spec.headers_for(organization), rows, fmt))
        self.stdout.write(
            self.style.SUCCESS(f"{len(rows):,} {spec.label.lower()} written to {file}.")
        )
