"""A synthetic archive at scale: actors, outlets, topics, talks and articles with their links.

``generate_archive(articles=N)`` adds to the curated seeds (loaded first when absent)
generated actors up to ``actors`` in all, outlets, topics and talks, then N articles in
several languages over fifteen years, each naming its linked actors by their aliases.
See docs/scale.md for the options, the rules on an archive that already holds articles,
and the figures measured.
"""

import multiprocessing
import os
import random
import sys
import time
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, connections, transaction

from actors.linking import invalidate_linker
from actors.models import Actor, Alias
from articles.caching import archive_changed
from articles.models import Article, Outlet, SeedEntry, Topic

from . import bulk
from .cast import Cast
from .generator import ArticleGenerator
from .loading import ARTICLE_TABLE, copy_rows, create_rows
from .reference import (
    OUTLET_DOMAIN,
    ensure_outlets,
    ensure_topics,
    insert_actors,
    insert_talks,
    plan_actors,
)

ARTICLES_PER_TALK = 250
PARALLEL_FROM = 20_000  # articles: fewer are written in this process
REBUILD_FROM = 50_000  # articles, and at least as many as already there
REPORTS_PER_TALK = 8


class GenerationError(Exception):
    """The archive is not in a state the generator can work on; nothing was written."""


@dataclass
class Report:
    articles: int = 0
    links: int = 0
    actors_created: int = 0
    talks_created: int = 0
    first_id: int = 0
    loaded_seconds: float = 0.0  # until the rows were in, before rebuilding indexes
    seconds: float = 0.0


def generated_articles():
    return Article.objects.filter(canonical_url__contains=f"{OUTLET_DOMAIN}/")


def check_archive(append: bool) -> int:
    """How many articles were generated before; refuse when others than the seeds exist."""
    seeded = SeedEntry.objects.filter(key__startswith="article:").count()
    existing = Article.objects.count()
    if existing > seeded and not append:
        raise GenerationError(
            f"The archive already holds {existing:,} articles ({seeded:,} from the curated "
            "seeds). generate_archive fills a fresh archive; pass --append to add the "
            "generated articles after the ones already there."
        )
    return generated_articles().count() if existing > seeded else 0


def prepare_reference(seed: str, actors: int, articles: int, generated_before: int):
    """Seeds, generated actors, outlets, topics and talks, committed; the cast to generate with."""
    from articles.seeds import load_seeds

    report = Report()
    if not SeedEntry.objects.filter(key__startswith="actor:").exists():
        load_seeds()
    with transaction.atomic():
        missing = actors - Actor.objects.count()
        if missing > 0:
            by_slug = {actor.slug: actor for actor in Actor.objects.all()}
            states = {slug: actor.name for slug, actor in by_slug.items() if actor.kind == "state"}
            taken = [*Actor.objects.values_list("name", flat=True)]
            taken += Alias.objects.values_list("name", flat=True)
            rng = random.Random(f"{seed}:actors:{len(by_slug)}")
            plans = plan_actors(rng, missing, states, taken, by_slug)
            insert_actors(plans, by_slug)
            report.actors_created = len(plans)
        states = {actor.slug: actor for actor in Actor.objects.states()}
        ensure_outlets(random.Random(f"{seed}:outlets"), states)
        ensure_topics()
        cast = Cast(seed)
        talk_count = max(3, articles // ARTICLES_PER_TALK)
        rng = random.Random(f"{seed}:talks:{generated_before}")
        cast.talks = insert_talks(rng, talk_count, cast)
        report.talks_created = len(cast.talks)
    invalidate_linker()
    return cast, report


def reserve_ids(count: int) -> int:
    """The first of ``count`` consecutive article ids nobody else will be given."""
    last = Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [ARTICLE_TABLE])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            value, called = cursor.fetchone()
            last = max(last, value if called else value - 1)
            cursor.execute("SELECT setval(%s, %s)", [sequence, last + count])
    return last + 1


# What a forked worker inherits: set by the parent just before the pool starts.
_job: dict = {}


def _write_chunk(task):
    first_ordinal, count, first_id = task
    rows = _job["generator"].chunk(first_ordinal, count, first_id)
    with transaction.atomic():
        if _job["copy"]:
            copy_rows(rows)
        else:
            create_rows(rows, _job["batch_size"])
    return len(rows.articles), len(rows.links)


def _start_worker():
    with connection.cursor() as cursor:
        # A lost batch at a crash is regenerated with --append; no need to wait for fsync.
        cursor.execute("SET synchronous_commit = off")


def generate_archive(
    *,
    articles: int,
    actors: int = 5000,
    seed: str = "1",
    batch_size: int = 2000,
    workers: int | None = None,
    links_per_article: float = 10.0,
    append: bool = False,
    set_aside: bool | None = None,
    progress=sys.stderr,
) -> Report:
    """Add ``articles`` generated articles; see the module's docstring and docs/scale.md.

    ``set_aside``: on PostgreSQL, drop the secondary indexes and foreign keys during the
    load and build them after (``bulk.py``); by default for loads of ``REBUILD_FROM``
    articles or more that at least double the archive.
    """
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    if postgres and bulk.restore_pending():
        print("Restored the schema an interrupted run had set aside.", file=progress)
    generated_before = check_archive(append)
    cast, report = prepare_reference(seed, actors, articles, generated_before)
    talk_share = min(0.5, len(cast.talks) * REPORTS_PER_TALK / max(articles, 1))
    generator = ArticleGenerator(cast, seed, links_per_article, talk_share)
    first_id = reserve_ids(articles)
    report.first_id = first_id
    tasks = [
        (generated_before + start, min(batch_size, articles - start), first_id + start)
        for start in range(0, articles, batch_size)
    ]
    if workers is None:
        workers = (os.cpu_count() or 1) + 1 if postgres and articles >= PARALLEL_FROM else 1
    if set_aside is None:
        set_aside = postgres and articles >= max(REBUILD_FROM, Article.objects.count())
    definitions = bulk.set_aside() if set_aside else []
    _job.update(generator=generator, copy=postgres, batch_size=batch_size)
    meter = Progress(articles, progress)
    try:
        if workers > 1:
            # Children must open their own connections, not share the parent's socket.
            connections.close_all()
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_start_worker) as pool:
                for done, links in pool.imap_unordered(_write_chunk, tasks):
                    meter.add(done, links)
        else:
            for task in tasks:
                meter.add(*_write_chunk(task))
    finally:
        meter.finish()
        report.loaded_seconds = time.perf_counter() - started
        if definitions:
            meter.note(f"Building the {len(definitions)} indexes and constraints set aside...")
            bulk.restore(definitions)
    if postgres:
        # VACUUM sets the visibility map, without which no scan is index-only: counting an
        # actor's articles would read every row instead of the index. It cannot run in a
        # transaction (a test's, say), where ANALYZE alone has to do.
        maintenance = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        meter.note(f"{maintenance}...")
        with connection.cursor() as cursor:
            for table in (*bulk.TABLES, *reference_tables()):
                cursor.execute(f"{maintenance} {table}")
            # Searches read the GIN index's pending entries one by one: merge them now.
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "WHERE a.amname = 'gin' AND i.indrelid = ANY(%s::regclass[])",
                [list(bulk.TABLES)],
            )
    archive_changed()  # written with COPY and bulk_create, without signals
    report.articles, report.links = meter.articles, meter.links
    report.seconds = time.perf_counter() - started
    return report


def reference_tables() -> list[str]:
    """The tables of actors, talks, outlets and topics, written just before the articles.

    They have no statistics until autovacuum gets to them, and the planner sizes its joins
    by them: without, it took the 5,000 actors for 617 and read every confirmed link of
    each to count the facets of 5,000 articles (2 s instead of 0.3 s at a million)."""
    models = [*apps.get_app_config("actors").get_models(), Outlet, Topic]
    return [
        model._meta.db_table
        for model in models
        if not model._meta.model_name.startswith("historical")
        and model._meta.db_table not in bulk.TABLES
    ]


class Progress:
    """Articles and links written, and their rates, on one line of stderr."""

    def __init__(self, total: int, stream):
        self.total, self.stream = total, stream
        self.articles = self.links = 0
        self.started = self.shown = time.perf_counter()

    def add(self, articles: int, links: int) -> None:
        self.articles += articles
        self.links += links
        now = time.perf_counter()
        if now - self.shown >= 1 or self.articles == self.total:
            self.shown = now
            self.show(now)

    def show(self, now: float) -> None:
        if self.stream is None:
            return
        elapsed = max(now - self.started, 1e-9)
        rate = self.articles / elapsed
        left = (self.total - self.articles) / rate if rate else 0
        self.stream.write(
            f"\r  {self.articles:,}/{self.total:,} articles  {rate:,.0f} articles/s  "
            f"{self.links / elapsed:,.0f} links/s  {elapsed:,.0f} s, about {left:,.0f} s left "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")

    def note(self, text: str) -> None:
        """A step after the load, with the time since the load began."""
        if self.stream is not None:
            elapsed = time.perf_counter() - self.started
            self.stream.write(f"  {elapsed:,.0f} s: {text}\n")
            self.stream.flush()
