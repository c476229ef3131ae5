"""Write the published talks as a CAMEO-style event table (CSV)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from actors.models import Talk
from articles.archive import CAMEO_COLUMNS, write_cameo_csv


class Command(BaseCommand):
    help = (
        "Write the published talks to FILE as a CAMEO-style event table in CSV (UTF-8), "
        "one row per talk: " + ", ".join(CAMEO_COLUMNS) + ". See docs/archive.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file to write.")
        parser.add_argument(
            "--base-url",
            required=True,
            help="The public address of the archive, for the articles' URLs, "
            "e.g. https://archive.example.org",
        )

    def handle(self, *args, file, base_url, **options):
        if not base_url.startswith(("http://", "https://")):
            raise CommandError("--base-url must start with http:// or https://.")
        talks = Talk.objects.published().order_by("date", "pk")
        try:
            with open(file, "w", encoding="utf-8", newline="") as stream:
                count = write_cameo_csv(stream, talks, base_url)
        except OSError as error:
            raise CommandError(f"{file}: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"{count} published talks written to {file}."))
