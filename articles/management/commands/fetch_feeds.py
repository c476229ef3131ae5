"""Fetch the RSS/Atom feeds of outlets and import their entries."""

from django.core.management.base import BaseCommand, CommandError

from articles.importing import fetch_outlet_feed
from articles.models import Outlet


class Command(BaseCommand):
    help = (
        "Fetch the feed_url of outlets over HTTP(S) and import each entry as an article of "
        "that outlet, with the same rules as import_articles (no duplicates; updates keep "
        "the status editors gave). A failing outlet is reported and the next one fetched; "
        "the exit status is non-zero when any outlet failed or any entry was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--outlet",
            action="append",
            metavar="SLUG",
            dest="outlets",
            help="Only this outlet (repeatable). Default: every outlet with a feed URL.",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the articles created (default: draft).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=20.0,
            help="Seconds to wait for each feed (default: 20).",
        )

    def handle(self, *args, outlets, publish, timeout, **options):
        if outlets:
            selected = list(Outlet.objects.filter(slug__in=outlets).order_by("slug"))
            unknown = sorted(set(outlets) - {outlet.slug for outlet in selected})
            if unknown:
                raise CommandError(f"Unknown outlet(s): {', '.join(unknown)}.")
        else:
            selected = list(Outlet.objects.exclude(feed_url="").order_by("slug"))
            if not selected:
                self.stdout.write("No outlet has a feed URL.")
                return
        failed, rejected = [], 0
        for outlet in selected:
            report = fetch_outlet_feed(
                outlet, publish=publish, timeout=timeout, notify=self.stderr.write
            )
            if report.errors:
                failed.append(outlet.slug)
                for error in report.errors:
                    self.stderr.write(f"{outlet.slug}: failed: {error}")
                continue
            rejected += report.rejected
            self.stdout.write(f"{outlet.slug}: {report.summary()}")
        if failed or rejected:
            problems = []
            if failed:
                problems.append(f"{len(failed)} outlet(s) failed ({', '.join(failed)})")
            if rejected:
                problems.append(f"{rejected} entr{'y' if rejected == 1 else 'ies'} rejected")
            raise CommandError("; ".join(problems) + ".")
