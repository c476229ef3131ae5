"""Write the whole curated archive to one portable file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.archive import ArchiveError, export_archive


class Command(BaseCommand):
    help = (
        "Write the whole curated archive (actors, aliases, roles, topics, outlets, articles "
        "of every status, actor links, talks, quotes) to FILE as JSON Lines, gzip-compressed "
        "when FILE ends with .gz. Primary keys and timestamps are kept; history, users and "
        "the seed loader's bookkeeping are not in the file. See docs/archive.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The archive to write, e.g. archive.jsonl.gz.")

    def handle(self, *args, file, **options):
        if not file.parent.is_dir():
            raise CommandError(f"{file.parent} is not a directory.")
        try:
            counts = export_archive(file)
        except (ArchiveError, OSError) as error:
            raise CommandError(f"No archive was written: {error}") from error
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Archive written to {file}."))
