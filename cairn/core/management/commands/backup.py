"""``cairn backup``: the database and the uploaded files in one file (cairn.core.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cairn.core import backups


def size(n: int) -> str:
    """A size in bytes as people read it: 512 bytes, 3.4 MB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return ""  # not reached


class Command(BaseCommand):
    help = (
        "Back up the whole installation to one .tar.gz file: the database (pg_dump on "
        "PostgreSQL, SQLite's online backup otherwise), the uploaded files, and a manifest "
        "with checksums. Safe while Cairn runs. `cairn restore` puts it back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The file to write, or a folder to write it in (default: "
            "cairn-backup-YYYYmmdd-HHMMSS.tar.gz in the current folder).",
        )
        parser.add_argument(
            "--pg-bin",
            help="The folder of pg_dump, if it is not on PATH (PostgreSQL only).",
        )

    def handle(self, *args, output, pg_bin, **options):
        try:
            written = backups.create(output, pg_bin=pg_bin)
        except backups.BackupError as e:
            raise CommandError(str(e)) from None
        vendor = backups.VENDOR_NAME[written.vendor]
        self.stdout.write(self.style.SUCCESS(f"Wrote {written.path} ({size(written.size)})."))
        self.stdout.write(f"  database ({vendor}): {size(written.database_size)}")
        if written.media_files:
            self.stdout.write(
                f"  uploaded files: {written.media_files:,} ({size(written.media_size)})"
            )
        for note in written.notes:
            self.stdout.write(f"  {note}")
