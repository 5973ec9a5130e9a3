"""Back up the database and the private files into one timestamped folder with a manifest (备份)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mayor_award.core.backup import BackupError, backup_create, default_backup_root, summary


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump -Fc; SQLite: a copy) and the private files (tar.gz) into a new "
        "timestamped folder with manifest.json (row counts, SHA-256 of every file)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--into",
            type=Path,
            default=None,
            help=f"The folder in which the timestamped backup folder is made (default: {default_backup_root()}).",
        )

    def handle(self, *args, into=None, **options):
        try:
            outcome = backup_create(into=into)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for line in summary(outcome):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Backup written to {outcome.folder}"))
