"""The public browse: the article FilterSet, search, facets, feeds and odd parameters."""

import datetime

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor, Talk, TalkReport
from articles import filters
from articles.filters import ArticleFilter
from articles.models import Article, ArticleActor, Outlet, PublicationStatus, Topic
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming needs PostgreSQL full-text search"
)


def found(params, queryset=None):
    queryset = queryset if queryset is not None else Article.objects.published()
    return set(ArticleFilter(params, queryset=queryset).qs.values_list("title", flat=True))


@pytest.fixture
def archive():
    """A small archive beside the seed article, with known links."""
    outlet = Outlet.objects.get(slug="times-of-israel")
    topic = Topic.objects.get(slug="sanctions-on-iran")
    a = make_article(
        title="Sanctions talk",
        body="Washington weighs new sanctions on Tehran.",
        published_on=datetime.date(2024, 5, 2),
        outlet=outlet,
        kind=Article.Kind.ANALYSIS,
    )
    a.topics.add(topic)
    link(a, "antony-blinken")
    link(a, "iran")
    b = make_article(
        title="Un entretien",
        body="Les négociations nucléaires reprennent avec d’Iran des émissaires.",
        language="fr",
        published_on=datetime.date(2022, 1, 10),
    )
    link(b, "benjamin-netanyahu")
    link(b, "idf")
    c = make_article(title="Draft only", body="Secret sanctions.", status=PublicationStatus.DRAFT)
    link(c, "antony-blinken")
    d = make_article(title="Suggested only", body="Nothing here.")
    link(d, "antony-blinken", status=ArticleActor.Status.SUGGESTED)
    return {"a": a, "b": b, "c": c, "d": d}


SEED = (
    "Benjamin Netanyahu affirme à Anthony Blinken qu’Israël « fera tout pour se défendre » "
    "face à l’Iran"
)


def test_actor_by_slug_or_alias_and_mode(archive):
    assert found({"actor": "antony-blinken"}) == {"Sanctions talk", SEED}
    assert found({"actor": "Nétanyahou"}) == {"Un entretien", SEED}
    both = {"actor": ["antony-blinken", "benjamin-netanyahu"]}
    assert found(both) == {SEED}
    assert found({**both, "actor_mode": "any"}) == {"Sanctions talk", "Un entretien", SEED}


def test_state_includes_actors_that_belong_to_it(archive):
    # The IDF belongs to Israel: the article linking only the IDF counts for Israel.
    assert "Un entretien" in found({"state": "israel"})
    assert "Sanctions talk" not in found({"state": "israel"})


def test_simple_filters(archive):
    assert found({"kind": "organization"}) == {"Un entretien", SEED}
    assert found({"type": "analysis"}) == {"Sanctions talk"}
    assert found({"topic": "sanctions-on-iran"}) == {"Sanctions talk"}
    assert found({"outlet": "times-of-israel"}) == {"Sanctions talk"}
    assert found({"language": "fr"}) == {"Un entretien", SEED}
    assert found({"date_after": "2023-06-01", "date_before": "2023-06-30"}) == {SEED}
    assert found({"date_after": "2024-01-01"}) == {"Sanctions talk"}
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    assert found({"talk": str(talk.pk)}) == {SEED}


def test_filters_combine(archive):
    params = {"actor": "Netanyahu", "date_after": "2023-06-01", "date_before": "2023-06-30"}
    assert found(params) == {SEED}
    assert found({**params, "language": "en"}) == set()


def test_sort(archive):
    titles = lambda params: list(  # noqa: E731
        ArticleFilter(params, queryset=Article.objects.published()).qs.values_list(
            "title", flat=True
        )
    )
    newest = titles({})
    assert newest.index("Sanctions talk") < newest.index(SEED) < newest.index("Un entretien")
    oldest = titles({"sort": "oldest"})
    assert oldest.index("Un entretien") < oldest.index(SEED)


def test_invalid_values_are_ignored_and_reported(archive):
    filterset = ArticleFilter(
        {"date_after": "2023-13-45", "actor": "nobody-at-all", "language": "en"},
        queryset=Article.objects.published(),
    )
    titles = set(filterset.qs.values_list("title", flat=True))
    assert titles == {"Sanctions talk", "Suggested only"}
    notices = " ".join(str(n) for n in filterset.notices)
    assert "From" in notices and "nobody-at-all" in notices


def test_search_ignores_case_and_accents(archive):
    assert SEED in found({"q": "accord nucléaire"})
    assert SEED in found({"q": "ACCORD NUCLEAIRE"})
    assert "Un entretien" in found({"q": "négociation nucléaire"})
    assert "Un entretien" in found({"q": "Iran"})
    assert SEED in found({"q": "Iran"})


def test_search_by_an_alias_finds_linked_articles(archive):
    # "Netanyahou" is not in the text of "Un entretien", but the article is linked to him.
    assert found({"q": "Netanyahou"}) >= {"Un entretien", SEED}


def test_search_skips_drafts():
    make_article(title="Hidden", body="zanzibarian secret", status=PublicationStatus.DRAFT)
    assert found({"q": "zanzibarian"}) == set()


@on_postgresql
def test_postgresql_stems_in_the_articles_language():
    make_article(title="Negotiations", body="The negotiators negotiated for days.", language="en")
    make_article(title="Accords", body="Des accords nucléaires ont été signés.", language="fr")
    assert "Negotiations" in found({"q": "negotiate"})
    assert "Accords" in found({"q": "accord nucléaire"})
    assert "Accords" in found({"q": '"accords nucleaires"'})


def test_search_ranks_title_matches_first():
    make_article(title="Zebra news", body="Nothing.")
    make_article(title="Other", body="A zebra was seen.")
    ranked = list(ArticleFilter({"q": "zebra"}, queryset=Article.objects.published()).qs)
    assert [article.title for article in ranked] == ["Zebra news", "Other"]


def test_list_page_highlights_the_query(client):
    response = client.get(reverse("articles:list"), {"q": "accord nucléaire"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<mark>accord</mark>" in page.lower() or "<mark>accord" in page.lower()
    assert SEED.split(" ")[0] in page


def test_highlighting_escapes_the_article_text(client):
    make_article(title="<b>bold zebra</b>", body="<script>alert('zebra')</script>")
    page = client.get(reverse("articles:list"), {"q": "zebra"}).content.decode()
    assert "<script>alert" not in page
    assert "<b>bold" not in page
    assert "<mark>zebra</mark>" in page


def test_a_stored_marker_character_never_becomes_markup(client):
    # Typed in the admin, the highlighter's own marker characters must not open a <mark>.
    make_article(title="Zebra \x02crossing", body="A zebra\x03 and a \x02lion.")
    page = client.get(reverse("articles:list"), {"q": "zebra"}).content.decode()
    assert page.count("<mark>") == page.count("</mark>") >= 1
    assert "\x02" not in page and "\x03" not in page
    assert "<mark>lion" not in page and "<mark>crossing" not in page


def test_facets_count_across_links_and_link_to_narrower_pages(client, archive):
    response = client.get(reverse("articles:list"), {"actor": "antony-blinken"})
    facets = {facet.parameter: facet for facet in response.context["facets"]}
    actor_counts = {item.label: item.count for item in facets["actor"].items}
    assert actor_counts["Antony Blinken"] == 2
    assert actor_counts["Benjamin Netanyahu"] == 1
    states = {item.label: item.count for item in facets["state"].items}
    assert states["Iran"] == 2
    netanyahu = next(i for i in facets["actor"].items if i.label == "Benjamin Netanyahu")
    assert "actor=antony-blinken" in netanyahu.url and "actor=benjamin-netanyahu" in netanyahu.url
    assert found({"actor": ["antony-blinken", "benjamin-netanyahu"]}) == {SEED}
    years = {item.label: item.count for item in facets["year"].items}
    assert years == {"2024": 1, "2023": 1}


@pytest.mark.parametrize("per_page", ["10", "50", "100"])
def test_article_list_queries_are_bounded(client, django_assert_max_num_queries, per_page):
    outlet = Outlet.objects.first()
    for number in range(60):
        article = make_article(
            title=f"Item {number}", outlet=outlet, published_on=datetime.date(2020, 1, 1)
        )
        link(article, "iran")
        link(article, "antony-blinken")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("articles:list"), {"per_page": per_page, "q": "item"})
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        client.get(reverse("articles:list"), {"per_page": per_page, "state": "iran"})


LIST_URLS = [
    ("articles:list", []),
    ("actors:list", []),
    ("actors:talks", []),
    ("articles:topics", []),
    ("articles:home", []),
    ("articles:topic", ["gaza"]),
    ("actors:detail", ["iran"]),
    ("actors:relation", ["israel", "iran"]),
    ("articles:feed-rss", []),
    ("articles:feed-atom", []),
    ("actors:feed", ["iran"]),
]
ODD_PARAMETERS = [
    {"page": "-1"},
    {"page": "999999"},
    {"page": "x"},
    {"per_page": "100000"},
    {"date_after": "2023-02-30"},
    {"date_before": "yesterday"},
    {"actor": "no-such-actor"},
    {"actor": ["x"] * 50},
    {"state": "atlantis"},
    {"state": ["israel", "iran", "qatar"]},
    {"talk": "abc"},
    {"talk": "99999999999999999999"},
    {"topic": "' OR 1=1 --"},
    {"language": "xx"},
    {"type": "<script>alert(1)</script>"},
    {"kind": "'; DROP TABLE articles_article; --"},
    {"sort": "random"},
    {"q": "x" * 10_000},
    {"q": '"unterminated phrase'},
    {"q": "a & b | !c <-> (d"},
    {"q": "\x00\x01"},
    {"unknown": "value"},
    {"name": "<img src=x onerror=alert(1)>"},
    {"participant": "nobody"},
    {"actor": "a\x00b"},
    {"state": "israel\x00"},
    {"q": "gaza\x00"},
    {"name": "\x00"},
]


@pytest.mark.parametrize("name,args", LIST_URLS)
def test_odd_parameters_never_break_a_list(client, name, args):
    url = reverse(name, args=args)
    for params in ODD_PARAMETERS:
        response = client.get(url, params)
        assert response.status_code in (200, 400), (url, params, response.status_code)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            page = response.content.decode()
            assert "<script>alert(1)</script>" not in page
            assert "<img src=x onerror" not in page


def test_ignored_filter_is_said_on_the_page(client):
    page = client.get(reverse("articles:list"), {"date_after": "2023-13-01"}).content.decode()
    assert "Ignored" in page


def test_rss_and_atom_list_the_filtered_items(client, archive):
    for name in ["articles:feed-rss", "articles:feed-atom"]:
        response = client.get(reverse(name), {"actor": "antony-blinken"})
        assert response.status_code == 200
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert {entry.title for entry in feed.entries} == {"Sanctions talk", SEED}


def test_actor_feed(client, archive):
    feed = feedparser.parse(client.get(reverse("actors:feed", args=["idf"])).content)
    assert [entry.title for entry in feed.entries] == ["Un entretien"]
    assert client.get(reverse("actors:feed", args=["nobody"])).status_code == 404


def test_sitemap_and_robots(client):
    sitemap = client.get("/sitemap.xml").content.decode()
    seed = Article.objects.get(title=SEED)
    assert seed.get_absolute_url() in sitemap
    assert "/actors/antony-blinken/" in sitemap
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.content.decode()


def test_relation_page_in_either_order(client):
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    for pair in [("israel", "united-states"), ("united-states", "israel")]:
        response = client.get(reverse("actors:relation", args=pair))
        assert response.status_code == 200
        assert talk.get_absolute_url() in response.content.decode()
    assert client.get(reverse("actors:relation", args=["israel", "israel"])).status_code == 404
    assert client.get(reverse("actors:relation", args=["israel", "idf"])).status_code == 404


def test_home_shows_the_three_relations(client):
    page = client.get(reverse("articles:home")).content.decode()
    for pair in [("israel", "united-states"), ("israel", "iran"), ("iran", "united-states")]:
        assert reverse("actors:relation", args=pair) in page


def test_talk_list_filters(client):
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    url = reverse("actors:talks")

    def listed(params):
        return talk in client.get(url, params).context["page"].object_list

    assert listed({"state": ["united-states", "israel"]})
    assert not listed({"state": ["iran", "israel"]})
    assert listed({"kind": "phone_call", "topic": "artificial-intelligence"})
    assert not listed({"kind": "visit"})
    assert listed(
        {"participant": "antony-blinken", "date_after": "2023-06-08", "date_before": "2023-06-08"}
    )
    assert not listed({"date_after": "2023-06-09"})


def test_actor_list_filters(client):
    url = reverse("actors:list")

    def names(params):
        return {
            actor.slug for actor in client.get(url, {**params, "per_page": "100"}).context["page"]
        }

    assert "benjamin-netanyahu" in names({"name": "Nétanyahou"})
    assert names({"kind": "state", "name": "iran"}) == {"iran"}
    members = names({"state": "israel", "kind": "organization"})
    assert {"idf", "mossad"} <= members and "irgc" not in members


@pytest.mark.parametrize(
    "name,args",
    [
        ("actors:list", []),
        ("actors:talks", []),
        ("actors:detail", ["iran"]),
        ("articles:topic", ["sanctions-on-iran"]),
        ("actors:relation", ["iran", "united-states"]),
        ("articles:home", []),
    ],
)
def test_list_pages_run_bounded_queries(client, django_assert_max_num_queries, name, args):
    iran, usa = Actor.objects.get(slug="iran"), Actor.objects.get(slug="united-states")
    topic = Topic.objects.get(slug="sanctions-on-iran")
    for number in range(40):
        article = make_article(
            title=f"Bulk {number}", published_on=datetime.date(2021, 1 + number % 12, 1)
        )
        article.topics.add(topic)
        link(article, "iran")
        link(article, "united-states")
        talk = Talk.objects.create(
            slug=f"bulk-{number}",
            kind=Talk.Kind.MEETING,
            state_a=iran,
            state_b=usa,
            date=datetime.date(2021, 1 + number % 12, 1),
            status=PublicationStatus.PUBLISHED,
        )
        TalkReport.objects.create(talk=talk, article=article)
    with django_assert_max_num_queries(20):
        response = client.get(reverse(name, args=args), {"per_page": "100"})
    assert response.status_code == 200


def test_french_interface(client):
    client.get(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get(reverse("articles:list")).content.decode()
    assert '<html lang="fr">' in page
    assert "Acteurs" in page
    client.get(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get(reverse("articles:list")).content.decode()


def test_the_filter_form_lists_states_topics_and_outlets_read_in_one_query():
    # Not bound to a page: the form alone, as the list templates render it.
    filterset = ArticleFilter({"outlet": "times-of-israel"}, queryset=Article.objects.all())
    assert filterset.is_valid()  # looks the outlet up
    with CaptureQueriesContext(connection) as queries:
        html = str(filterset.form)
    lists = [q["sql"] for q in queries if "articles_topic" in q["sql"]]
    assert len(lists) == 1 and "UNION" in lists[0].upper()
    assert "articles_outlet" in lists[0] and "actors_actor" in lists[0]
    assert '<option value="israel">Israel</option>' in html
    assert '<option value="sanctions-on-iran">' in html
    assert '<option value="times-of-israel" selected>' in html

    Outlet.objects.create(name="Al-Monitor", slug="al-monitor")
    refreshed = ArticleFilter({}, queryset=Article.objects.all())
    assert '<option value="al-monitor">Al-Monitor</option>' in str(refreshed.form)


def test_a_filter_value_is_still_validated_against_the_records():
    filterset = ArticleFilter({"outlet": "no-such-outlet"}, queryset=Article.objects.all())
    assert "outlet" in filterset.form.errors


def test_the_actors_and_states_most_articles_name_are_common(archive):
    common_actors, common_states = filters.common_actors_and_states()
    slugs = dict(Actor.objects.values_list("pk", "slug"))
    # The latest published articles with confirmed links: the seed, "Sanctions talk" and
    # "Un entretien" (a draft and an article with a suggestion only do not count).
    assert {slugs[pk] for pk in common_actors} >= {"antony-blinken", "benjamin-netanyahu"}
    assert "idf" not in {slugs[pk] for pk in common_actors}
    assert {slugs[pk] for pk in common_states} >= {"israel", "united-states"}
    assert "qatar" not in {slugs[pk] for pk in common_states}


@pytest.mark.parametrize("share", [0, 2], ids=["all common", "none common"])
def test_common_and_rare_actors_and_states_find_the_same_articles(archive, monkeypatch, share):
    # Common ones are checked article by article (a CASE around the EXISTS), the others
    # joined: the articles found do not depend on it.
    monkeypatch.setattr(filters, "COMMON_SHARE", share)
    for params, titles, named in [
        ({"actor": "antony-blinken"}, {"Sanctions talk", SEED}, True),
        ({"actor": ["antony-blinken", "benjamin-netanyahu"]}, {SEED}, True),
        (
            {"actor": ["antony-blinken", "benjamin-netanyahu"], "actor_mode": "any"},
            {"Sanctions talk", "Un entretien", SEED},
            True,
        ),
        ({"state": "israel"}, {"Un entretien", SEED}, True),
        ({"state": "qatar"}, set(), False),  # named nowhere: never common
    ]:
        queryset = ArticleFilter(params, queryset=Article.objects.published()).qs
        assert set(queryset.values_list("title", flat=True)) == titles, params
        assert ("CASE WHEN EXISTS" in str(queryset.query)) == (share == 0 and named), params
