"""Generate a synthetic archive at scale: see articles/synthetic/ and docs/scale.md."""

from django.core.management.base import BaseCommand, CommandError

from articles.synthetic import GenerationError, generate_archive


class Unterminated:
    """The command's stderr without its line ending: progress rewrites one line."""

    def __init__(self, output):
        self.output = output

    def write(self, text: str) -> None:
        self.output.write(text, ending="")

    def flush(self) -> None:
        self.output.flush()


class Command(BaseCommand):
    help = (
        "Add N generated articles (with generated actors, outlets, topics and talks) to the "
        "archive, for measuring the site at scale. Refuses an archive that already holds "
        "articles other than the curated seeds, unless --append."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, required=True, help="Articles to add.")
        parser.add_argument(
            "--actors",
            type=int,
            default=5000,
            help="Actors in all, curated ones included (default: 5000).",
        )
        parser.add_argument(
            "--links-per-article",
            type=float,
            default=10.0,
            help="Mean number of actor links per article (default: 10).",
        )
        parser.add_argument("--seed", default="1", help="Same seed, same archive (default: 1).")
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Articles per transaction (default: 2000)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="Processes generating and writing (default: 2 on PostgreSQL for 20,000 "
            "articles or more, else 1).",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add the articles after those already in the archive instead of refusing.",
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="On PostgreSQL, keep the indexes and foreign keys in place during a large "
            "load instead of building them after it.",
        )

    def handle(
        self,
        *args,
        articles,
        actors,
        links_per_article,
        seed,
        batch_size,
        workers,
        append,
        keep_indexes,
        **options,
    ):
        if articles < 1 or batch_size < 1 or (workers is not None and workers < 1):
            raise CommandError("--articles, --batch-size and --workers must be positive.")
        try:
            report = generate_archive(
                articles=articles,
                actors=actors,
                seed=seed,
                batch_size=batch_size,
                workers=workers,
                links_per_article=links_per_article,
                append=append,
                set_aside=False if keep_indexes else None,
                progress=Unterminated(self.stderr),
            )
        except GenerationError as error:
            raise CommandError(str(error)) from error
        seconds = max(report.seconds, 1e-9)
        self.stdout.write(
            f"{report.articles:,} articles (ids from {report.first_id:,}) and "
            f"{report.links:,} actor links in {report.seconds:,.1f} s: "
            f"{report.articles / seconds:,.0f} articles/s, {report.links / seconds:,.0f} links/s; "
            f"{report.actors_created:,} actors and {report.talks_created:,} talks created."
        )
