"""Import articles from JSON Lines, JSON, CSV, text, HTML and RSS/Atom files."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.importing import EXTENSIONS, import_paths
from articles.models import Outlet


class Command(BaseCommand):
    help = (
        "Import articles from files or directories (JSON Lines, JSON, CSV, plain text, HTML, "
        "RSS/Atom). Records already in the archive (same canonical URL, or same text) are "
        "updated or skipped, never duplicated. Rejected records are reported on stderr with "
        "their position; the exit status is non-zero when any record was rejected or a file "
        "could not be read. See docs/importing.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            metavar="PATH",
            help=f"Files or directories (supported: {' '.join(sorted(EXTENSIONS))}).",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the articles created (default: draft). Updates keep their status.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and report what would happen; write nothing.",
        )
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="All or nothing: if any record is rejected or any file unreadable, write nothing.",
        )
        parser.add_argument(
            "--outlet",
            metavar="SLUG",
            help="Attribute every imported article to this outlet, whatever the records say.",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Print a progress line every 1,000 records (the default when stderr is a TTY).",
        )

    def handle(self, *args, paths, publish, dry_run, atomic, outlet, progress, **options):
        forced_outlet = None
        if outlet:
            forced_outlet = Outlet.objects.filter(slug=outlet).first()
            if forced_outlet is None:
                raise CommandError(f"Unknown outlet '{outlet}'.")
        show_progress = progress or sys.stderr.isatty()
        report = import_paths(
            paths,
            publish=publish,
            dry_run=dry_run,
            atomic=atomic,
            outlet=forced_outlet,
            progress=self.show_progress if show_progress else None,
            notify=self.stderr.write,
        )
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        for summary in report.files:
            self.stdout.write(f"  {summary}")
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {report.summary()}.")
        elif report.rolled_back:
            self.stdout.write(f"Atomic import rolled back, nothing written: {report.summary()}.")
        else:
            self.stdout.write(f"Imported: {report.summary()}.")
        if report.failed:
            problems = []
            if report.rejected:
                problems.append(f"{report.rejected} record(s) rejected")
            if report.errors:
                problems.append(f"{len(report.errors)} source(s) could not be read")
            raise CommandError("; ".join(problems) + " (details above).")

    def show_progress(self, count: int, seconds: float) -> None:
        rate = count / seconds if seconds > 0 else 0.0
        self.stderr.write(f"… {count:,} records ({rate:,.0f}/s)")
