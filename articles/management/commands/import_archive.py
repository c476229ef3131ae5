"""Restore the curated archive from a file written by export_archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = (
        "Restore the curated archive from FILE (written by export_archive, plain or gzip) "
        "into a database whose curated tables are empty, in one transaction: on any error "
        "nothing is written. Reviewers are matched to existing users by username. "
        "See docs/archive.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The archive to restore.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "Delete the curated rows already in the database first, in the same "
                "transaction (history, users and seed bookkeeping are kept)."
            ),
        )

    def handle(self, *args, file, replace, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            counts = import_archive(file, replace=replace)
        except ArchiveError as error:
            raise CommandError(f"Nothing was imported. {error}") from error
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        if counts.missing_reviewers:
            self.stdout.write(
                self.style.WARNING(
                    "No user has these reviewers' usernames; their links were restored "
                    f"without a reviewer: {', '.join(sorted(counts.missing_reviewers))}."
                )
            )
        if counts.seed_ledger_empty:
            self.stdout.write(
                self.style.WARNING(
                    "The seed ledger is empty: the next load_seeds (make run runs it) would "
                    "apply every seed entry again and undo editors' corrections to seed data. "
                    "See docs/archive.md."
                )
            )
        self.stdout.write(self.style.SUCCESS(f"Archive restored from {file}."))
