"""The actor, talk and relation pages at scale: bounded queries, figures cached until the
archive changes, and the same figures as counted afresh."""

import datetime

import pytest
from django.urls import reverse

from actors import views
from actors.models import Actor, Role, Talk, TalkReport
from actors.relations import Relation, with_counts
from actors.views import co_mentioned
from articles import filters
from articles.models import ArticleActor, PublicationStatus, Topic
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10
SLUGS = ["israel", "united-states", "iran", "qatar", "benjamin-netanyahu", "antony-blinken"]


@pytest.fixture
def many_rows():
    """80 articles about both Israel and the United States, with talks, topics and roles."""
    actors = Actor.objects.in_bulk(SLUGS, field_name="slug")
    israel, usa = actors["israel"], actors["united-states"]
    topics = list(Topic.objects.all()[:3])
    talks = Talk.objects.bulk_create(
        Talk(
            slug=f"bulk-{number}",
            kind=list(Talk.Kind)[number % len(Talk.Kind)],
            state_a=israel,
            state_b=usa,
            date=datetime.date(2020 + number % 5, 1 + number % 12, 1),
            status=PublicationStatus.PUBLISHED,
        )
        for number in range(60)
    )
    articles = []
    for number in range(80):
        article = make_article(
            title=f"Bulk {number}",
            published_on=datetime.date(2020 + number % 5, 1 + number % 12, 1),
        )
        article.topics.add(*topics)
        articles.append(article)
    ArticleActor.objects.bulk_create(
        ArticleActor(article=article, actor=actors[slug])
        for number, article in enumerate(articles)
        for slug in SLUGS[: 2 + number % 5]
    )
    TalkReport.objects.bulk_create(
        TalkReport(talk=talk, article=article)
        for talk, article in zip(talks, articles[:60], strict=True)
    )
    Role.objects.bulk_create(
        Role(
            person=actors["benjamin-netanyahu"],
            position=Role.Position.ENVOY,
            organization=israel,
            start_date=datetime.date(1990 + number, 1, 1),
            end_date=datetime.date(1990 + number, 6, 1),
        )
        for number in range(20)
    )
    return talks


@pytest.mark.parametrize(
    "url",
    [
        reverse("actors:detail", args=["israel"]),
        reverse("actors:detail", args=["benjamin-netanyahu"]),
        reverse("actors:relation", args=["israel", "united-states"]),
        reverse("actors:talk", args=[1]),
    ],
)
def test_detail_pages_run_bounded_queries(client, django_assert_max_num_queries, many_rows, url):
    url = url.replace("/1/", f"/{many_rows[0].pk}/")
    # Nothing cached yet: the figures are counted (once per archive version).
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200


def test_relation_page_lists_its_talks_and_counts_its_articles(client, many_rows):
    url = reverse("actors:relation", args=["israel", "united-states"])
    page = client.get(url).content.decode()
    for talk in many_rows:
        assert f'href="{talk.get_absolute_url()}"' in page
    relation = Relation(*Actor.objects.filter(slug__in=["israel", "united-states"]))
    assert with_counts([relation])[0].article_count == relation.articles().count() >= 80
    assert relation.talk_count == relation.talks().count() >= 60


@pytest.mark.parametrize("share", [0, 2], ids=["common states", "rare states"])
def test_a_relation_pages_the_articles_it_counts(many_rows, monkeypatch, share):
    # Common states are checked article by article (a CASE around each EXISTS), the
    # others joined: the same articles, in the same order, either way.
    monkeypatch.setattr(filters, "COMMON_SHARE", share)
    relation = Relation(*Actor.objects.filter(slug__in=["israel", "united-states"]))
    paged = relation.articles_to_page().order_by("-published_on", "-pk")
    assert list(paged) == list(relation.articles().order_by("-published_on", "-pk"))
    assert ("CASE WHEN EXISTS" in str(paged.query)) == (share == 0)
    iran = Relation(*Actor.objects.filter(slug__in=["israel", "iran"]))
    assert set(iran.articles_to_page()) == set(iran.articles())


def test_relation_page_draws_its_latest_talks_and_links_to_them_all(client, many_rows, monkeypatch):
    monkeypatch.setattr(views, "RELATION_TIMELINE_TALKS", 5)
    html = client.get(reverse("actors:relation", args=["israel", "united-states"])).content.decode()
    talks = Relation(*Actor.objects.filter(slug__in=["israel", "united-states"])).talks()
    latest = set(talks.order_by("-date", "-pk")[:5])
    assert {talk for talk in talks if f'href="{talk.get_absolute_url()}"' in html} == latest
    assert f"The latest 5 of {talks.count()} talks." in html
    assert f'href="{reverse("actors:talks")}?state=israel&amp;state=united-states"' in html


def test_cached_figures_follow_the_archive(client, many_rows):
    israel = Actor.objects.get(slug="israel")
    before = {row["actor__slug"]: row["count"] for row in co_mentioned(israel)["rows"]}
    article = make_article(published_on=datetime.date(2024, 5, 1))
    link(article, "israel")
    link(article, "qatar")
    after = {row["actor__slug"]: row["count"] for row in co_mentioned(israel)["rows"]}
    assert after["qatar"] == before["qatar"] + 1
    usa = Actor.objects.get(slug="united-states")
    counted = with_counts([Relation(israel, usa)])[0].article_count
    link(article, "united-states")
    assert with_counts([Relation(israel, usa)])[0].article_count == counted + 1
    page = client.get(reverse("actors:detail", args=["qatar"])).content.decode()
    assert article.title in page


def test_relation_topics_by_year_count_articles(many_rows):
    relation = Relation(*Actor.objects.states().filter(slug__in=["israel", "united-states"]))
    years = dict(relation.topics_by_year())
    assert list(years) == sorted(years, reverse=True)
    assert {2020, 2021, 2022, 2023, 2024} <= set(years)
    for year, topics in years.items():
        for row in topics:
            articles = relation.articles().filter(topics__slug=row["slug"], published_on__year=year)
            assert row["count"] == articles.count() > 0
            assert row["name"] == Topic.objects.get(slug=row["slug"]).name
        # Every topic of the year, most articles first.
        assert {row["slug"] for row in topics} == set(
            Topic.objects.filter(
                articles__in=relation.articles().filter(published_on__year=year)
            ).values_list("slug", flat=True)
        )
        assert [row["count"] for row in topics] == sorted(
            (row["count"] for row in topics), reverse=True
        )


def test_co_mentioned_actors_are_counted_in_the_latest_articles(many_rows, monkeypatch):
    monkeypatch.setattr(views, "CO_MENTIONED_SAMPLE", 5)
    qatar = Actor.objects.get(slug="qatar")
    for number in range(5):
        article = make_article(title=f"Latest {number}")
        link(article, "qatar")
        link(article, "iran" if number < 3 else "antony-blinken")
    # Named twice in its latest article: still five articles, the latest of which is read.
    link(article, "qatar", role=ArticleActor.Role.SUBJECT)
    together = co_mentioned(qatar)
    assert together["articles"] == 5
    assert [(row["actor__slug"], row["count"]) for row in together["rows"]] == [
        ("iran", 3),
        ("antony-blinken", 2),
    ]


def test_relations_counted_together_count_what_each_counts_alone(many_rows):
    states = Actor.objects.in_bulk(["israel", "united-states", "iran"], field_name="slug")
    israel, usa, iran = states["israel"], states["united-states"], states["iran"]
    before = Relation(israel, iran).articles().count()
    both_twice = make_article(published_on=datetime.date(2024, 6, 1))
    link(both_twice, "israel")
    link(both_twice, "israel", role=ArticleActor.Role.SUBJECT)  # one article, not two
    link(both_twice, "iran")
    draft = make_article(status=PublicationStatus.DRAFT)
    link(draft, "israel")
    link(draft, "iran")
    suggested = make_article()
    link(suggested, "israel")
    link(suggested, "iran", status=ArticleActor.Status.SUGGESTED)
    relations = [Relation(israel, usa), Relation(israel, iran), Relation(iran, usa)]

    together = [(r.talk_count, r.article_count) for r in with_counts(relations)]
    assert together == [(r.talks().count(), r.articles().count()) for r in relations]
    assert together[0][0] >= 60 and together[0][1] >= 80
    assert together[1][1] == before + 1
