"""Public pages are served whole from the cache to anonymous readers until the archive changes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 900


PAGES = [
    ("articles:home", []),
    ("articles:list", []),
    ("actors:list", []),
    ("actors:detail", ["iran"]),
    ("actors:talks", []),
    ("articles:topics", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_an_anonymous_reader_gets_the_page_from_the_cache(client, name, args):
    url = reverse(name, args=args)
    first = client.get(url)
    with CaptureQueriesContext(connection) as repeat:
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second.context is None  # not rendered again
    # At most the archive version, which each process reads once a second.
    assert len(repeat) <= 1


def test_a_change_to_the_archive_shows_at_once(client):
    url = reverse("articles:list")
    assert "Freshly filed" not in client.get(url).content.decode()
    link(make_article(title="Freshly filed on Iran"), "iran")
    assert "Freshly filed on Iran" in client.get(url).content.decode()
    Article.objects.filter(title="Freshly filed on Iran").delete()
    assert "Freshly filed" not in client.get(url).content.decode()


def test_each_query_string_and_language_has_its_own_page(client):
    url = reverse("articles:list")
    everything = client.get(url).content
    assert client.get(url, {"language": "fr"}).content != everything
    client.get(reverse("set_language"), {"language": "fr", "next": url})
    french = client.get(url).content.decode()
    assert '<html lang="fr">' in french
    client.cookies.clear()
    assert '<html lang="en">' in client.get(url).content.decode()


def test_a_signed_in_editor_never_gets_nor_leaves_a_cached_page(editor_client):
    url = reverse("articles:home")
    reader = Client()
    anonymous = reader.get(url).content.decode()
    assert "Curation" not in anonymous
    with CaptureQueriesContext(connection) as editor_queries:
        mine = editor_client.get(url).content.decode()
    assert "Curation" in mine
    assert len(editor_queries) > 2  # computed, not served from the anonymous copy
    assert "Curation" not in reader.get(url).content.decode()


def test_pages_carry_no_csrf_token_nor_cookie(client):
    response = client.get(reverse("articles:home"))
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies


def test_only_successful_pages_are_kept(client):
    missing = reverse("actors:detail", args=["no-such-actor"])
    assert client.get(missing).status_code == 404
    with CaptureQueriesContext(connection) as again:
        assert client.get(missing).status_code == 404
    assert len(again) >= 1


def test_the_language_switch_stays_on_this_site(client):
    response = client.get(reverse("set_language"), {"language": "fr", "next": "/articles/"})
    assert response.status_code == 302
    assert response["Location"] == "/articles/"
    assert response.cookies["django_language"].value == "fr"
    hostile = client.get(reverse("set_language"), {"language": "fr", "next": "https://evil.test/"})
    assert hostile["Location"] == "/"
    unknown = client.get(reverse("set_language"), {"language": "xx", "next": "/"})
    assert "django_language" not in unknown.cookies
    assert client.post(reverse("set_language"), {"language": "fr"}).status_code == 405


def test_the_api_answers_json_from_the_cache_and_html_to_browsers(client):
    url = "/api/articles/?page_size=5"
    first = client.get(url, HTTP_ACCEPT="application/json")
    with CaptureQueriesContext(connection) as repeat:
        second = client.get(url, HTTP_ACCEPT="application/json")
    assert second.json() == first.json()
    assert len(repeat) <= 1
    browsable = client.get(url, HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")


def test_the_page_cache_can_be_turned_off(client, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    url = reverse("articles:list")
    client.get(url)
    again = client.get(url)
    assert again.context is not None  # rendered from its template, not a kept copy


def test_a_page_built_from_stale_figures_is_not_kept(client, settings, monkeypatch):
    from articles import caching
    from articles.tests.test_caching import change_elsewhere

    settings.ARCHIVE_FIGURES_STALE_SECONDS = 300
    monkeypatch.setattr(caching, "VERSION_MEMO_SECONDS", 0.0)
    url = reverse("articles:list")
    client.get(url)  # facet counts counted, the page kept
    change_elsewhere()
    assert client.get(url).context is not None  # computed, with the facet counts as they were
    assert client.get(url).context is not None  # and not kept: computed again
