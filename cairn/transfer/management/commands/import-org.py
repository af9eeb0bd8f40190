from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cairn.core.models import AuditVia
from cairn.transfer import orgfile


class Command(BaseCommand):
    help = (
        "Create a new organisation from a file written by export-org (on this install or "
        "another), owned by an existing user. All or nothing: a file with problems prints "
        "each of them and creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", required=True, help="The new organisation's name.")
        parser.add_argument("--owner", required=True, help="Username of its first owner.")
        parser.add_argument(
            "--max-mb",
            type=int,
            default=orgfile.MAX_MB,
            help=f"The largest file to read, in MB (default {orgfile.MAX_MB}).",
        )

    def handle(self, *args, file, name, owner, max_mb, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user named {owner!r}.")
        try:
            with file.open("rb") as handle:
                data = orgfile.load(handle, max_mb=max_mb)
            org = orgfile.import_organization(data, name=name, actor=user, via=AuditVia.CLI)
        except OSError as e:
            raise CommandError(f"Cannot read {file}: {e.strerror}") from None
        except orgfile.TransferRefused as e:
            report = e.report
            self.stderr.write(f"Nothing was imported: {report.summary()}.")
            self.stderr.write(f"{'table':<26} {'row id':>8}  {'field':<20} problem")
            for error in report.errors:
                row = str(error.row) if error.row else "-"
                self.stderr.write(
                    f"{error.table or '-':<26} {row:>8}  {error.column or '-':<20} {error.problem}"
                )
            raise CommandError("The file was refused.") from None
        except orgfile.TransferError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(self.style.SUCCESS(f"Imported as {org.name} (/o/{org.slug}/)."))
