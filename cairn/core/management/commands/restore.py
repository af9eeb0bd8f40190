"""``cairn restore``: put back a file written by ``cairn backup`` (cairn.core.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cairn.core import backups, restores


class Command(BaseCommand):
    help = (
        "Replace the whole database and the uploaded files with those of a file written by "
        "`cairn backup`. The file is checked first (manifest, checksums, database kind): a "
        "damaged or foreign file is refused and nothing is changed. Stop the app servers and "
        "workers before."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup file (.tar.gz).")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (scripts)."
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=backups.LOCK_WAIT,
            help="Seconds to wait for tables that another program (an app server left "
            "running) is using, then give up and change nothing (default: %(default)s).",
        )
        parser.add_argument(
            "--pg-bin",
            help="The folder of pg_restore, if it is not on PATH (PostgreSQL only).",
        )

    def handle(self, *args, file, yes, wait, pg_bin, **options):
        media = backups.media_root()
        # Unpacked beside the uploaded files when there are some: moved in, not copied.
        scratch = media.parent if media and media.parent.is_dir() else None
        try:
            with restores.read(file, scratch) as backup:
                restores.check_restorable(backup)
                if not yes:
                    self.confirm(backup)
                done = restores.restore(backup, pg_bin=pg_bin, wait=wait)
        except backups.BackupError as e:
            raise CommandError(str(e)) from None
        for line in done:
            self.stdout.write(self.style.SUCCESS(line))
        behind = restores.migrations_behind(backup)
        if behind:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup is from an older version of Cairn ({behind} migrations "
                    "behind this one): run `cairn migrate` now, before starting Cairn."
                )
            )

    def confirm(self, backup):
        manifest = backup.manifest
        self.stdout.write(
            f"This replaces {backups.describe_database()} and the uploaded files with the "
            f"backup made on {restores.when(backup)} by Cairn {manifest['cairn_version']}. "
            "Everything changed since then is lost."
        )
        try:
            answer = input("Type yes to restore: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            raise CommandError("Nothing was restored (confirm with yes, or --yes in scripts).")
