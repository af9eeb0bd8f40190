from django.conf import settings
from django.core.management.base import BaseCommand

from cairn import demo


class Command(BaseCommand):
    help = "Load the demo organisation, Summit Outfitters (safe to run again: changes nothing)."

    def handle(self, *args, **options):
        org = demo.load()
        self.stdout.write(
            self.style.SUCCESS(f"Demo organisation ready: {org.name} (/o/{org.slug}/)")
        )
        self.stdout.write(f"Sign in as one of (password: {demo.DEMO_PASSWORD}):")
        for username, first, last, role, title in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role.label.lower():<7} {first} {last}, {title}")
        if getattr(settings, "EMAIL_FILE_PATH", None):
            self.stdout.write(f"Mails Cairn sends are written to {settings.EMAIL_FILE_PATH}/")
