"""Cached page figures live until public data changes, in this process and in others."""

import pytest
from django.db import connection

from actors.models import Actor
from articles import caching
from articles.caching import archive_changed, archive_version, cached
from articles.models import Article, ArticleActor, PublicationStatus, Topic
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db


class Counter:
    """A computation that counts how often it really ran."""

    def __init__(self):
        self.runs = 0

    def __call__(self):
        self.runs += 1
        return self.runs


def test_a_value_is_computed_once_per_version_and_parts():
    compute = Counter()
    assert cached("figure", ("a",), compute) == 1
    assert cached("figure", ("a",), compute) == 1
    assert cached("figure", ("b",), compute) == 2  # other parts, another entry
    assert cached("other", ("a",), compute) == 3  # another name too
    assert compute.runs == 3


def test_none_is_cached_like_any_value():
    runs = []
    assert cached("nothing", (), lambda: runs.append(1)) is None
    assert cached("nothing", (), lambda: runs.append(1)) is None
    assert runs == [1]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda article: article.save(), id="article saved"),
        pytest.param(lambda article: link(article, "iran"), id="link added"),
        pytest.param(
            lambda article: article.topics.add(Topic.objects.first()), id="topic added (m2m)"
        ),
        pytest.param(lambda article: article.delete(), id="article deleted"),
        pytest.param(
            lambda article: Actor.objects.get(slug="iran").aliases.first().save(),
            id="alias of an actor saved",
        ),
    ],
)
def test_any_change_to_public_data_retires_cached_values(change):
    article = make_article(title="Cached", body="A body.")
    compute = Counter()
    cached("figure", (), compute)
    change(article)
    assert cached("figure", (), compute) == 2


def test_publishing_from_the_admin_retires_cached_values(editor_client):
    draft = make_article(title="Draft", body="Text.", status=PublicationStatus.DRAFT)
    compute = Counter()
    cached("figure", (), compute)
    response = editor_client.post(
        "/admin/articles/article/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.PUBLISHED  # through bulk_update, no post_save
    assert cached("figure", (), compute) == 2


def test_the_version_grows_once_per_committed_transaction(django_capture_on_commit_callbacks):
    before = archive_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article = make_article(title="Many writes", body="Body.")
        for slug in ["iran", "israel", "united-states"]:
            link(article, slug, status=ArticleActor.Status.CONFIRMED)
        # Other processes must not see uncommitted writes: the version waits for the commit.
        assert archive_version() == before
    # However many rows the transaction wrote, it is one bump, at its commit.
    assert [callback.__name__ for callback in callbacks].count("_bump") == 1
    assert archive_version() > before


def test_the_writer_sees_its_own_uncommitted_changes_others_do_not_share_them():
    compute = Counter()
    shared_key_value = cached("figure", (), compute)
    make_article(title="Uncommitted", body="Body.")
    # This process recomputes at once ...
    assert cached("figure", (), compute) == shared_key_value + 1
    # ... under a key no other process would read.
    assert cached("figure", (), compute) == shared_key_value + 1
    assert caching._key_version() != str(archive_version())


def test_another_process_sees_the_new_version(monkeypatch):
    """What another app server bumps is seen here once the memo expires."""
    monkeypatch.setattr(caching, "VERSION_MEMO_SECONDS", 0.0)
    compute = Counter()
    cached("figure", (), compute)
    change_elsewhere()
    assert cached("figure", (), compute) == 2


def change_elsewhere():
    """A change committed by another process (the memo of the version must be off)."""
    if connection.vendor == "postgresql":
        # Another process: its own connection, outside this test's transaction.
        import psycopg

        settings = connection.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            autocommit=True,
        ) as other:
            other.execute(f"SELECT nextval('{caching.SEQUENCE}')")
    else:
        # One process on SQLite: the version lives in the shared cache.
        from django.core.cache import cache

        cache.incr(caching.VERSION_KEY)


def test_a_slow_figure_may_be_served_stale_for_a_while(monkeypatch, settings):
    settings.ARCHIVE_FIGURES_STALE_SECONDS = 300
    monkeypatch.setattr(caching, "VERSION_MEMO_SECONDS", 0.0)
    slow, exact = Counter(), Counter()
    cached("slow", (), slow, stale_ok=True)
    cached("exact", (), exact)
    change_elsewhere()
    assert cached("slow", (), slow, stale_ok=True) == 1  # counted 0 s ago: still shown
    assert cached("exact", (), exact) == 2
    later = caching.time.time() + 301
    monkeypatch.setattr(caching.time, "time", lambda: later)
    assert cached("slow", (), slow, stale_ok=True) == 2  # past the window: counted again


def test_the_writer_never_gets_a_stale_figure_of_its_own_change(settings):
    settings.ARCHIVE_FIGURES_STALE_SECONDS = 300
    slow = Counter()
    cached("slow", (), slow, stale_ok=True)
    make_article(title="Mine")  # not committed: this process alone sees it
    assert cached("slow", (), slow, stale_ok=True) == 2


def test_bulk_paths_say_so_themselves():
    compute = Counter()
    cached("figure", (), compute)
    Article.objects.filter(title="nothing").update(title="x")  # sends no signal
    assert cached("figure", (), compute) == 1
    archive_changed()
    assert cached("figure", (), compute) == 2


def test_emptying_the_cache_keeps_one_version_until_the_next_change(monkeypatch):
    """On SQLite the version lives in the cache: emptying it must not leave this process
    naming entries after a version the next read no longer finds."""
    archive_version()  # remembered for the next second
    caching.clear_cache()
    compute = Counter()
    cached("figure", (), compute)
    monkeypatch.setattr(caching, "VERSION_MEMO_SECONDS", 0.0)  # the memo expires
    assert cached("figure", (), compute) == 1
