"""List, search, facet and API-list paths stay bounded on a large archive (issue #8).

The caps are lowered here so that a few articles reach them.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import facets
from articles.models import Article, Outlet, Topic
from articles.search import among_newest_matches, search_articles
from articles.tests.factories import link, make_article
from newsarchive.pagination import CappedPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_items():
    """Ten published articles about Iran, one a day, the newest last."""
    outlet = Outlet.objects.first()
    topic = Topic.objects.get(slug="sanctions-on-iran")
    articles = []
    for number in range(10):
        article = make_article(
            title=f"Item {number} on sanctions",
            body="Tehran answers Washington on sanctions.",
            outlet=outlet,
            published_on=datetime.date(2021, 3, 1) + datetime.timedelta(days=number),
        )
        article.topics.add(topic)
        link(article, "iran")
        link(article, "antony-blinken")
        articles.append(article)
    return articles


@pytest.fixture
def count_cap_of_four(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "count_cap", 4)


def test_a_count_at_the_cap_says_or_more_and_pages_only_within_it(
    client, ten_items, count_cap_of_four
):
    response = client.get(reverse("articles:list"), {"actor": "iran", "per_page": "10"})
    page = response.content.decode()
    assert "4 or more articles" in page
    assert response.context["page"].paginator.count_is_capped

    # Two articles a page: two pages within the cap, and a page past it lands on the last.
    response = client.get(reverse("articles:list"), {"q": "sanctions", "sort": "newest"})
    assert response.context["page"].paginator.num_pages == 1  # 20 a page, 4 counted
    last = client.get(reverse("articles:list"), {"actor": "iran", "per_page": "10", "page": "99"})
    assert last.context["page"].number == 1
    assert len(last.context["page"].object_list) == 4


def test_a_capped_list_says_how_to_reach_the_rest(client, ten_items, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "count_cap", 11)  # the seed article and ten
    first = client.get(reverse("articles:list"), {"per_page": "10"}).content.decode()
    assert "Page 1 of the first 2" in first
    last = client.get(reverse("articles:list"), {"per_page": "10", "page": "2"}).content.decode()
    assert "Only the first 11 results can be paged through" in last
    assert "Page 2 of the first 2" in last


def test_a_count_under_the_cap_is_exact(client, ten_items):
    page = client.get(reverse("articles:list"), {"actor": "antony-blinken"}).content.decode()
    assert "11 articles" in page and "or more" not in page  # with the seed article


def test_the_api_says_when_its_count_is_capped(client, ten_items, count_cap_of_four):
    body = client.get("/api/articles/", {"actor": "iran", "page_size": "2"}).json()
    assert body["count"] == 4 and body["count_is_capped"] is True
    assert list(body) == ["count", "count_is_capped", "next", "previous", "results"]
    assert client.get("/api/articles/", {"page_size": "2", "page": "2"}).status_code == 200
    # Past the counted records: a 404, as past the end of any list.
    assert client.get("/api/articles/", {"page_size": "2", "page": "3"}).status_code == 404
    exact = client.get("/api/articles/", {"actor": "no-one-at-all"}).json()
    assert exact.get("count_is_capped", False) is False


def test_relevance_ranks_only_the_newest_matches(ten_items):
    matches = search_articles(Article.objects.published(), "sanctions")
    newest = among_newest_matches(matches, limit=3)
    assert {a.title for a in newest} == {f"Item {n} on sanctions" for n in (7, 8, 9)}


def test_facets_of_a_broad_set_count_its_newest_articles_and_say_so(client, ten_items, monkeypatch):
    monkeypatch.setattr(facets, "FACET_SAMPLE", 3)
    response = client.get(reverse("articles:list"), {"actor": "iran"})
    listed = response.context["facets"]
    assert listed.sample_size == 3
    counts = {facet.parameter: facet for facet in listed}
    assert {item.label: item.count for item in counts["actor"].items}["Antony Blinken"] == 3
    assert "Counted among the newest 3 of these articles." in response.content.decode()

    narrow = client.get(reverse("articles:list"), {"actor": "iran", "date_after": "2021-03-10"})
    assert narrow.context["facets"].sample_size is None


def test_facet_counts_are_cached_until_the_archive_changes(client, ten_items):
    params = {"actor": "iran", "language": "en"}
    with CaptureQueriesContext(connection) as cold:
        first = client.get(reverse("articles:list"), params)
    years = {f.parameter: f for f in first.context["facets"]}["year"].items
    assert [(item.label, item.count) for item in years] == [("2021", 10)]

    # Another page of the same selection: the same counts, not recounted.
    with CaptureQueriesContext(connection) as warm:
        client.get(reverse("articles:list"), {**params, "page": "2"})
    assert len(warm) <= len(cold) - 4

    link(make_article(title="A new one", published_on=datetime.date(2022, 1, 1)), "iran")
    response = client.get(reverse("articles:list"), params)
    years = {f.parameter: f for f in response.context["facets"]}["year"].items
    assert [(item.label, item.count) for item in years] == [("2022", 1), ("2021", 10)]


LIST_FAMILIES = [
    {},
    {"actor": "iran"},
    {"actor": ["iran", "antony-blinken"], "actor_mode": "all"},
    {"state": "iran", "date_after": "2021-01-01", "date_before": "2021-06-30"},
    {"topic": "sanctions-on-iran", "language": "en"},
    {"q": "sanctions"},
    {"q": "Iran"},
    {"q": '"answers Washington"'},
    {"language": "en", "per_page": "100"},
    {"type": "report", "date_after": "2021-01-01", "outlet": "times-of-israel"},
]


@pytest.mark.parametrize("params", LIST_FAMILIES)
def test_a_list_page_runs_at_most_ten_queries(
    client, ten_items, params, django_assert_max_num_queries
):
    # Nothing cached yet: the counts, facets and filter form are all computed.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("articles:list"), params)
    assert response.status_code == 200
    # Any other page or order of the same selection: what a reader paging through sees.
    with django_assert_max_num_queries(10):
        client.get(reverse("articles:list"), {**params, "page": "2", "per_page": "10"})


@pytest.mark.parametrize(
    "name,args", [("articles:home", []), ("articles:topic", ["sanctions-on-iran"])]
)
def test_home_and_topic_run_at_most_ten_queries(
    client, ten_items, name, args, django_assert_max_num_queries
):
    # Nothing cached yet: the archive-wide figures are counted.
    with django_assert_max_num_queries(10):
        client.get(reverse(name, args=args))
    with django_assert_max_num_queries(10):
        response = client.get(reverse(name, args=args), {"per_page": "100"})
    assert response.status_code == 200


def test_the_api_list_runs_a_bounded_number_of_queries(
    client, ten_items, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = client.get("/api/articles/", {"actor": "iran", "page_size": "100"})
    assert response.json()["count"] == 11  # with the seed article


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ts_headline is PostgreSQL's")
def test_headlines_are_made_for_the_rows_of_the_page_only(client, ten_items):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("articles:list"), {"q": "sanctions", "per_page": "10"})
    headlines = [q["sql"] for q in queries if "ts_headline" in q["sql"]]
    assert len(headlines) == 1
    assert '"articles_article"."id" IN (' in headlines[0]
    assert "LIMIT" not in headlines[0]  # the page's ids, not a search of its own
