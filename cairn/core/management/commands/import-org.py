import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cairn.core import transfer
from cairn.core.models import AuditVia


class Command(BaseCommand):
    help = (
        "Create a new organisation from a file written by export-org (on this install or "
        "another), owned by an existing user. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", required=True, help="The new organisation's name.")
        parser.add_argument("--owner", required=True, help="Username of its first owner.")

    def handle(self, *args, file, name, owner, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user named {owner!r}.")
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError) as e:
            raise CommandError(f"Cannot read {file}: {e}") from None
        try:
            org = transfer.import_organization(data, name=name, actor=user, via=AuditVia.CLI)
        except transfer.TransferError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(self.style.SUCCESS(f"Imported as {org.name} (/o/{org.slug}/)."))
