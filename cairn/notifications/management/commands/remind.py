"""``cairn remind``: work out what is due now and write the reminders (inbox and mail)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cairn.core.models import Organization
from cairn.notifications import mail, services


class Command(BaseCommand):
    help = (
        "Write the reminders that are due now: an inbox line for each person told and a mail "
        "for those who chose e-mail, then send the mails. Running it again writes nothing new. "
        "The worker runs it by itself every CAIRN_REMIND_EVERY_MINUTES (15)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print who would be told what; write nothing"
        )
        parser.add_argument("--org", action="append", help="Only this organisation (its slug)")
        parser.add_argument(
            "--at", help="Act as if it were this time (ISO 8601, e.g. 2026-12-07T08:00:00Z)"
        )
        parser.add_argument(
            "--no-send", action="store_true", help="Write the mails; leave sending to the worker"
        )

    def handle(self, *, dry_run, org, at, no_send, **options):
        now = timezone.now()
        if at:
            now = parse_datetime(at)
            if now is None:
                raise CommandError(f"--at {at!r} is not a date and time like 2026-12-07T08:00Z")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        organizations = None
        if org:
            organizations = list(Organization.objects.filter(slug__in=org).order_by("id"))
            missing = set(org) - {o.slug for o in organizations}
            if missing:
                raise CommandError(f"No organisation with the slug {', '.join(sorted(missing))}")
        report = services.remind(now, organizations=organizations, dry_run=dry_run)
        if dry_run:
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write(f"{len(report.planned)} would be told (dry run: nothing written).")
            return
        self.stdout.write(f"{report.notified} inbox line(s) and {report.queued} mail(s) written.")
        if report.queued and not no_send:
            sent = mail.send_due()
            self.stdout.write(", ".join(f"{n} {state}" for state, n in sent.items()) or "")
