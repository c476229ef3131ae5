"""Load the curated reference data and the seed articles from ``seeds/``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from actors.seeds import SeedError
from articles.permissions import ensure_editors_group
from articles.seeds import SEEDS_DIR, load_seeds


class Command(BaseCommand):
    help = (
        "Load actors, aliases, roles, topics, outlets, talks and seed articles from the "
        "YAML files under seeds/. Idempotent: entries whose text did not change since the "
        "last load are left as they are, so editors' corrections survive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory", type=Path, default=SEEDS_DIR, help="Seed folder (default: seeds/)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Apply every entry again, even those unchanged since the last load.",
        )

    def handle(self, *args, directory, force, **options):
        try:
            ledger = load_seeds(directory, force=force)
        except SeedError as error:
            raise CommandError(f"Nothing was loaded: {error}") from error
        ensure_editors_group()
        for label, count in sorted(ledger.counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(self.style.SUCCESS("Seeds loaded."))
