"""create_with_history: COPY on PostgreSQL, bulk_create elsewhere; the same rows either way."""

import pytest
from django.db import IntegrityError, connection, transaction

from actors.models import Actor
from articles.copying import create_with_history
from articles.models import Article, ArticleActor, PublicationStatus

pytestmark = pytest.mark.django_db

# What COPY's text format escapes, and what it could mistake for its own syntax.
TRICKY = (
    'Tab\there, a backslash \\ and \\N, a "quote", \\t literally, émoji 🇮🇷, עברית, عربي'
    "\r\n\nSecond paragraph.\\"
)


def articles(count: int, **fields) -> list[Article]:
    made = []
    for number in range(count):
        article = Article(
            title=f"Tricky {number}",
            body=TRICKY,
            language="en",
            status=PublicationStatus.PUBLISHED,
            **fields,
        )
        article.derive_fields()
        made.append(article)
    return made


def test_rows_and_their_creation_records_read_back_as_given():
    written = articles(3)
    create_with_history(written, "a test")
    assert len({article.pk for article in written}) == 3
    for article in written:
        stored = Article.objects.get(pk=article.pk)
        assert (stored.title, stored.body, stored.slug) == (article.title, TRICKY, article.slug)
        assert stored.created_at is not None and stored.updated_at is not None
        (record,) = Article.history.filter(id=article.pk)
        assert (record.history_type, record.history_change_reason) == ("+", "a test")
        assert (record.body, record.created_at) == (TRICKY, stored.created_at)
        assert record.history_user is None

    evidence = [{"sentence": TRICKY, "surface": "\\N", "start": 0, "end": 3}]
    link = ArticleActor(
        article=written[0],
        actor=Actor.objects.get(slug="iran"),
        status=ArticleActor.Status.SUGGESTED,
        origin=ArticleActor.Origin.LINKER,
        evidence=evidence,
    )
    create_with_history([link])
    assert ArticleActor.objects.get(pk=link.pk).evidence == evidence
    (record,) = ArticleActor.history.filter(id=link.pk)
    assert (record.evidence, record.history_change_reason) == (evidence, None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search vector is PostgreSQL's")
def test_the_search_trigger_fills_rows_written_with_copy():
    (article,) = articles(1)
    create_with_history([article])
    assert Article.objects.filter(pk=article.pk, search_vector="paragraph").exists()


def test_a_refused_row_raises_djangos_error_and_writes_nothing():
    first, second = articles(2, source_url="https://copy.example/same")
    before = (Article.objects.count(), Article.history.count())
    with pytest.raises(IntegrityError), transaction.atomic():
        create_with_history([first, second])
    assert (Article.objects.count(), Article.history.count()) == before
