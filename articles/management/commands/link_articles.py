"""Run the entity linker over a set of articles and record its suggestions."""

from itertools import islice

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from actors.linking import get_linker
from articles.models import Article
from articles.suggestions import suggest_many

#: Articles whose new links are written together.
BATCH = 100


class Command(BaseCommand):
    help = (
        "Suggest the actors and talks that articles mention. Never changes what an editor "
        "confirmed or rejected. Choose the articles by id, by status, by date of change, "
        "or --all."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Article ids.")
        parser.add_argument("--all", action="store_true", help="Every article.")
        parser.add_argument("--status", choices=["draft", "review", "published"])
        parser.add_argument("--since", help="Articles changed on or after this date (YYYY-MM-DD).")

    def handle(self, *args, ids, all, status, since, **options):
        articles = Article.objects.order_by("pk")
        if ids:
            articles = articles.filter(pk__in=ids)
        if status:
            articles = articles.filter(status=status)
        if since:
            date = parse_date(since)
            if date is None:
                raise CommandError(f"--since takes a date (YYYY-MM-DD), not {since!r}.")
            articles = articles.filter(updated_at__date__gte=date)
        if not (ids or all or status or since):
            raise CommandError("Name the articles: ids, --status, --since or --all.")
        linker = get_linker()
        totals = {"articles": 0, "suggested": 0, "kept": 0, "removed": 0, "talks": 0}
        remaining = articles.iterator(chunk_size=500)
        while batch := list(islice(remaining, BATCH)):
            report = suggest_many(batch, linker)
            totals["articles"] += len(batch)
            for key in ("suggested", "kept", "removed", "talks"):
                totals[key] += getattr(report, key)
        self.stdout.write(
            "{articles} articles: {suggested} new actor suggestions, {kept} kept, "
            "{removed} withdrawn, {talks} new talk suggestions.".format(**totals)
        )
