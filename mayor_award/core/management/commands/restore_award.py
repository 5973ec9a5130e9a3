"""Restore a backup made by backup_award into an empty database and an empty private folder (恢复)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mayor_award.core.backup import BackupError, restore, summary


class Command(BaseCommand):
    help = (
        "Restore a backup folder (made by backup_award) into the configured database and PRIVATE_FILES_ROOT, both "
        "of which must be empty, then check row counts and file checksums against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="The backup folder (it holds manifest.json).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Drop every table of the database and delete every private file first. Destroys the current data.",
        )

    def handle(self, *args, folder, force=False, **options):
        try:
            outcome = restore(folder, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for line in summary(outcome):
            self.stdout.write(line)
        if outcome.problems:
            for problem in outcome.problems:
                self.stderr.write(problem)
            raise CommandError(f"The restore does not match the backup's manifest: {len(outcome.problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS("Restored; every table's row count and every file's SHA-256 match."))
