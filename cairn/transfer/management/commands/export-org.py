import json
from pathlib import Path

from django.core.management.base import BaseCommand

from cairn.core.services import org_by_slug
from cairn.transfer import orgfile


class Command(BaseCommand):
    help = "Write a whole organisation (its strategy, not its people) to one JSON file."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("file", type=Path)

    def handle(self, *args, org, file, **options):
        data = orgfile.export(org_by_slug(org))
        file.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        rows = sum(len(t) for t in data["tables"].values())
        self.stdout.write(self.style.SUCCESS(f"Wrote {rows:,} rows to {file}."))
