from django.core.management.base import BaseCommand

from cairn.webhooks import services


class Command(BaseCommand):
    help = (
        "Send every webhook delivery whose time has come. The worker does this by itself; "
        "run it from cron only where jobs run without a worker (TASKS_BACKEND=immediate), "
        "so that retries go out."
    )

    def handle(self, *args, **options):
        sent = services.deliver_due()
        self.stdout.write(self.style.SUCCESS(f"Sent {sent} webhook deliveries."))
