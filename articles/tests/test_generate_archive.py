"""The synthetic archive: ``generate_archive`` on a small scale, on SQLite and PostgreSQL."""

import datetime
import io
import statistics
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from actors.linking import build_linker
from actors.models import Actor, Alias, Role, Talk, TalkReport
from articles.models import Article, ArticleActor
from articles.normalize import canonical_url, content_hash, slug_for
from articles.search import search_articles
from articles.synthetic import bulk, generate_archive

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: search vectors and COPY"
)


def generate(articles, actors=400, seed="7", **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "generate_archive",
        articles=articles,
        actors=actors,
        seed=seed,
        stdout=out,
        stderr=err,
        **options,
    )
    return out.getvalue(), err.getvalue()


def generated():
    return Article.objects.filter(canonical_url__contains=".example/")


def names_of(actor):
    return [actor.name, *(alias.name for alias in actor.aliases.all())]


def test_a_small_archive_looks_like_news():
    curated = Actor.objects.count()
    before = Article.objects.count()
    out, err = generate(200)

    assert "200 articles" in out
    assert "articles/s" in err and "links/s" in err
    articles = list(generated().prefetch_related("actor_links__actor__aliases"))
    assert len(articles) == 200 == Article.objects.count() - before
    assert Actor.objects.count() == 400
    new_actors = Actor.objects.filter(description__startswith="Synthetic ")
    assert new_actors.count() == 400 - curated
    # Generated names are written in several scripts, and people hold roles over time.
    scripts = set(Alias.objects.filter(actor__in=new_actors).values_list("language", flat=True))
    assert {"", "fr", "de", "ru", "he", "ar", "fa"} <= scripts
    assert Role.objects.filter(person__in=new_actors).count() > 20

    links = ArticleActor.objects.filter(article__in=generated())
    per_article = Counter(links.values_list("article_id", flat=True))
    assert len(per_article) == 200
    assert 7 <= statistics.mean(per_article.values()) <= 13
    assert links.filter(status="confirmed").count() > 0.9 * links.count()
    assert {"linker", "editor"} == set(links.values_list("origin", flat=True))

    # A few actors (the three states first) are in most articles, the median one in few.
    mentions = Counter(links.values_list("actor_id", flat=True))
    top = Actor.objects.get(pk=mentions.most_common(1)[0][0])
    assert top.slug in {"israel", "united-states", "iran"}
    assert mentions.most_common(1)[0][1] > 100
    counts = [mentions.get(pk, 0) for pk in Actor.objects.values_list("pk", flat=True)]
    assert statistics.median(counts) <= 5

    assert len({article.language for article in articles}) >= 8
    dates = [article.published_on for article in articles if article.published_on]
    assert datetime.date(2011, 1, 1) <= min(dates) and max(dates) <= datetime.date(2025, 12, 31)
    assert len({date.year for date in dates}) >= 10
    assert {"published", "draft"} <= {article.status for article in articles}

    for article in articles:
        assert article.content_hash == content_hash(article.title, article.body)
        assert article.slug == slug_for(article.title)
        assert article.canonical_url == canonical_url(article.source_url)
        assert 120 <= len(article.body.split()) <= 1800
        text = f"{article.title}\n{article.body}"
        for link in article.actor_links.all():
            assert any(name in text for name in names_of(link.actor)), (article.pk, link)
            if link.origin == "linker":
                mention = link.evidence[0]
                assert article.body[mention["start"] : mention["end"]] == mention["surface"]
                assert mention["surface"] in mention["sentence"]

    # Talks have a person on each side, and the articles that report them name both.
    reports = TalkReport.objects.filter(article__in=generated()).select_related("talk")
    assert Talk.objects.filter(participations__isnull=False).count() >= 1
    for report in reports:
        text = report.article.body
        for participation in report.talk.participations.select_related("person"):
            assert any(name in text for name in names_of(participation.person))

    # The linker finds in a generated text the actors it is linked to.
    linker = build_linker()
    found = []
    for article in articles[:40]:
        mentions = linker.link(f"{article.title}\n\n{article.body}", article.published_on)
        named = {mention.actor_id for mention in mentions}
        found += [link.actor_id in named for link in article.actor_links.all()]
    assert sum(found) / len(found) > 0.95

    if connection.vendor == "postgresql":
        # Full-text search finds an article by a word of its body.
        article = next(article for article in articles if article.language == "en")
        word = max(article.body.split(), key=len).strip(".,")
        assert article in search_articles(Article.objects.all(), word)

    # Ids came from the sequence: the next article gets the next id.
    latest = Article.objects.create(title="After", body="Text.", language="en")
    assert latest.pk > max(article.pk for article in articles)


def snapshot():
    return sorted(
        (
            article.title,
            article.body,
            article.language,
            article.published_on,
            article.status,
            tuple(
                sorted(article.actor_links.values_list("actor__slug", "role", "status", "origin"))
            ),
        )
        for article in generated()
    )


def test_the_same_seed_makes_the_same_archive():
    class Again(Exception):
        pass

    with pytest.raises(Again), transaction.atomic():
        generate(30, seed="same")
        first = snapshot()
        raise Again
    generate(30, seed="same")
    assert snapshot() == first
    assert len(first) == 30


def test_an_archive_with_articles_is_refused_unless_appending():
    generate(20)
    last = generated().order_by("-pk").first().pk
    with pytest.raises(CommandError, match="--append"):
        generate(20)
    assert generated().count() == 20
    generate(20, append=True)
    assert generated().count() == 40
    assert generated().order_by("pk")[20].pk > last
    # The appended articles are new ones, not the first twenty again.
    bodies = list(generated().order_by("pk").values_list("body", flat=True))
    assert len(set(bodies)) == 40


@on_postgresql
def test_a_load_with_the_schema_set_aside_ends_with_the_same_schema(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "pending_file", lambda: tmp_path / "schema.json")
    before = sorted(map(repr, bulk.secondary_schema()))

    report = generate_archive(articles=40, actors=400, set_aside=True, progress=None)
    assert report.articles == 40
    assert sorted(map(repr, bulk.secondary_schema())) == before
    assert not (tmp_path / "schema.json").exists()
    # The search trigger filled every vector.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE search_vector = "
            "newsarchive_article_vector(language, title, body)) FROM articles_article "
            "WHERE canonical_url LIKE %s",
            ["%.example/%"],
        )
        assert cursor.fetchone() == (40, 40)


@on_postgresql
def test_what_a_killed_run_set_aside_is_restored_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "pending_file", lambda: tmp_path / "schema.json")
    before = bulk.secondary_schema()
    dropped = bulk.set_aside()
    assert {definition.kind for definition in dropped} == {"index", "unique", "foreign key"}
    assert (tmp_path / "schema.json").exists()
    assert len(bulk.secondary_schema()) < len(before)

    assert bulk.restore_pending()
    assert sorted(map(repr, bulk.secondary_schema())) == sorted(map(repr, before))
    assert not (tmp_path / "schema.json").exists()
    assert not bulk.restore_pending()


def test_the_tables_the_planner_sizes_joins_by_are_analyzed_too():
    from articles.synthetic import reference_tables

    tables = set(reference_tables())
    assert {"actors_actor", "actors_alias", "actors_role", "articles_outlet"} <= tables
    assert {"actors_talk", "actors_talkparticipant", "articles_topic"} <= tables
    assert not {table for table in tables if "historical" in table}
    assert not tables & set(bulk.TABLES)  # analyzed with the articles already
