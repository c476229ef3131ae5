"""Print the linker's precision, recall and F1 on a labeled set."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from actors.evaluation import evaluate
from actors.linking import build_linker


class Command(BaseCommand):
    help = (
        "Evaluate the entity linker on a labeled JSON Lines file (article fields plus "
        "gold_actors and optional gold_talks): precision, recall and F1 per actor kind and "
        "overall, the share of gold names the database does not know, misses and false hits."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--details", type=int, default=50, help="Misses and hits to list.")

    def handle(self, *args, file, details, **options):
        if not file.exists():
            raise CommandError(f"No such file: {file}")
        try:
            result = evaluate(file, build_linker())
        except (ValueError, KeyError) as error:
            raise CommandError(f"Cannot evaluate {file}: {error}") from error
        write = self.stdout.write
        write(f"{result.passages} passages, {result.gold_names} gold names")
        write(f"{'kind':<14}{'precision':>10}{'recall':>8}{'F1':>7}{'tp':>6}{'fp':>5}{'fn':>5}")
        for kind, score in [*sorted(result.by_kind.items()), ("overall", result.overall)]:
            write(
                f"{kind:<14}{score.precision:>10.3f}{score.recall:>8.3f}{score.f1:>7.3f}"
                f"{score.true:>6}{score.false:>5}{score.missed:>5}"
            )
        write(f"unknown to the database: {result.unknown_share:.1%} of gold names")
        talks = result.talks
        write(
            f"talks: precision {talks.precision:.3f}, recall {talks.recall:.3f} "
            f"({talks.true} found, {talks.false} unexpected, {talks.missed} missed)"
        )
        for title, rows in [
            ("misses", [f"{i}: {name}" for i, name in result.misses]),
            (
                "false hits",
                [f"{i}: {name} ({surface!r})" for i, name, surface in result.false_hits],
            ),
            ("unknown names", result.unknown_names),
            ("talks", result.talk_notes),
        ]:
            if rows:
                write(f"{title}:")
                for row in rows[:details]:
                    write(f"  {row}")
