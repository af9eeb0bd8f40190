"""``cairn suggest-eval [SLUG]``: how often suggested links find a hidden link again."""

import json

from django.core.management.base import BaseCommand, CommandError

from cairn.core.models import Organization
from cairn.links import evaluate


class Command(BaseCommand):
    help = (
        "Hide each link of an organisation's rows (initiative → goal, KPI → goal, …) in turn and "
        "report how often the hidden row is the first suggestion and among the first three."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", default="summit", help="default: the demo's")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, slug, **options):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation “{slug}”: run `cairn demo` for the demo's.")
        rows = evaluate.hidden_links(org).rows()
        self.stdout.write(json.dumps(rows, indent=2) if options["json"] else evaluate.table(rows))
