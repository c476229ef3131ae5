"""The public, read-only JSON API: payloads, filters shared with the pages, sync, errors."""

import datetime
import json
import re
from urllib.parse import urlencode

import pytest
import yaml
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from actors.filters import ActorFilter, TalkFilter
from actors.models import Actor, Alias, Talk, TalkParticipant, TalkReport, TalkTopic
from articles.filters import ArticleFilter
from articles.models import Article, ArticleActor, Outlet, PublicationStatus, Topic
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db

SEED_URL = (
    "http://www.israel-actualites.tv/benjamin-netanyahu-affirme-a-anthony-blinken-"
    "quisrael-fera-tout-pour-se-defendre-face-a-liran/"
)
SEED_ACTORS = {
    "benjamin-netanyahu": ["subject", "quoted"],
    "antony-blinken": ["subject"],
    "matthew-miller": ["quoted"],
    "israel": ["subject"],
    "united-states": ["subject"],
    "iran": ["mentioned"],
    "saudi-arabia": ["mentioned"],
    "us-department-of-state": ["mentioned"],
    "israel-hayom": ["cited_outlet"],
    "aqaba": ["mentioned"],
    "sharm-el-sheikh": ["mentioned"],
    "middle-east": ["mentioned"],
}
SEED_TALK = "2023-06-08-israel-united-states-phone-call"
LISTS = ["/api/articles/", "/api/actors/", "/api/talks/", "/api/topics/", "/api/outlets/"]
OLD = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def seed_article():
    return Article.objects.get(source_url=SEED_URL)


@pytest.fixture
def seed_talk():
    return Talk.objects.get(slug=SEED_TALK)


@pytest.fixture
def archive(seed_talk):
    """A small archive beside the seed article: drafts, unconfirmed links, more talks."""
    a = make_article(
        title="Sanctions talk",
        body="Washington weighs new sanctions on Tehran.",
        published_on=datetime.date(2024, 5, 2),
        outlet=Outlet.objects.get(slug="times-of-israel"),
        kind=Article.Kind.ANALYSIS,
    )
    a.topics.add(Topic.objects.get(slug="sanctions-on-iran"))
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
    draft = make_article(title="Draft only", status=PublicationStatus.DRAFT)
    link(draft, "antony-blinken")
    TalkReport.objects.create(talk=seed_talk, article=draft)
    suggested = make_article(title="Suggested only")
    link(suggested, "antony-blinken", status=ArticleActor.Status.SUGGESTED)
    link(suggested, "iran", status=ArticleActor.Status.REJECTED)
    iran, usa = Actor.objects.get(slug="iran"), Actor.objects.get(slug="united-states")
    visit = Talk.objects.create(
        slug="2024-03-01-iran-united-states-visit",
        kind=Talk.Kind.VISIT,
        state_a=iran,
        state_b=usa,
        date=datetime.date(2024, 3, 1),
        date_precision=Talk.DatePrecision.MONTH,
        status=PublicationStatus.PUBLISHED,
    )
    TalkReport.objects.create(talk=visit, article=a)
    draft_talk = Talk.objects.create(
        slug="draft-talk",
        kind=Talk.Kind.MEETING,
        state_a=iran,
        state_b=usa,
        date=datetime.date(2024, 4, 1),
        status=PublicationStatus.DRAFT,
    )
    TalkReport.objects.create(talk=draft_talk, article=a)
    return {"a": a, "b": b, "draft": draft, "suggested": suggested, "draft_talk": draft_talk}


def every_result(client, url, params=None):
    """Every result of a list, page after page."""
    response = client.get(url, {**(params or {}), "page_size": 100})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        results += response.json()["results"]
    return results


def query(params) -> QueryDict:
    """``params`` as the FilterSet of a page receives them (``request.GET``)."""
    return QueryDict(urlencode(params, doseq=True))


# --- Payloads ----------------------------------------------------------------------------------


def test_seed_article_payload(client, seed_article, seed_talk):
    data = client.get(f"/api/articles/{seed_article.pk}/").json()
    assert set(data) >= {
        "id",
        "url",
        "source_url",
        "title",
        "body",
        "kind",
        "outlet",
        "byline",
        "published",
        "language",
        "updated_at",
        "actors",
        "topics",
        "talks",
    }
    assert data["id"] == seed_article.pk
    assert data["url"] == "http://testserver" + seed_article.get_absolute_url()
    assert data["source_url"] == SEED_URL
    assert data["title"] == seed_article.title
    assert data["body"] == seed_article.body
    assert data["kind"] == "report"
    assert data["outlet"] == {"name": "Israel Actualités", "slug": "israel-actualites"}
    assert data["byline"] == "Eliran Cohen"
    assert data["published"] == "2023-06-09"
    assert data["language"] == "fr"
    assert datetime.datetime.fromisoformat(data["updated_at"]) == seed_article.updated_at

    actors = {actor["slug"]: actor for actor in data["actors"]}
    assert len(data["actors"]) == 12
    assert {slug: actor["roles"] for slug, actor in actors.items()} == SEED_ACTORS
    assert [actor["name"] for actor in data["actors"]] == sorted(
        actor["name"] for actor in data["actors"]
    )
    netanyahu = actors["benjamin-netanyahu"]
    assert set(netanyahu) == {"name", "slug", "kind", "wikidata", "aliases", "roles"}
    assert netanyahu["name"] == "Benjamin Netanyahu"
    assert netanyahu["kind"] == "person"
    assert netanyahu["wikidata"] == "Q43723"
    assert "Nétanyahou" in netanyahu["aliases"]
    assert "Anthony Blinken" in actors["antony-blinken"]["aliases"]
    assert actors["israel"]["kind"] == "state"
    assert all(
        actor["wikidata"] is None or actor["wikidata"].startswith("Q") for actor in actors.values()
    )

    assert {topic["slug"] for topic in data["topics"]} == {
        "iran-nuclear-programme",
        "iran-nuclear-deal",
        "military-cooperation",
        "artificial-intelligence",
        "normalization",
        "two-state-solution",
    }
    assert all(set(topic) == {"name", "slug"} for topic in data["topics"])
    assert data["talks"] == [
        {
            "id": seed_talk.pk,
            "kind": "phone_call",
            "date": "2023-06-08",
            "date_precision": "day",
            "states": ["israel", "united-states"],
            "participants": [
                {"person": "benjamin-netanyahu", "represents": "israel"},
                {"person": "antony-blinken", "represents": "united-states"},
            ],
        }
    ]
    # The list shows the same payload.
    listed = every_result(client, "/api/articles/")
    assert next(item for item in listed if item["id"] == seed_article.pk) == data


def test_actor_payload(client):
    data = client.get("/api/actors/antony-blinken/").json()
    assert set(data) == {
        "name",
        "slug",
        "kind",
        "description",
        "wikidata",
        "state",
        "aliases",
        "roles",
        "url",
        "updated_at",
    }
    assert data["name"] == "Antony Blinken"
    assert data["kind"] == "person"
    assert data["state"] == "united-states"
    assert data["url"] == "http://testserver/actors/antony-blinken/"
    assert {"name": "Anthony Blinken", "language": "", "kind": "variant"} in data["aliases"]
    assert {
        "position": "foreign_minister",
        "title": "Secretary of State",
        "organization": "united-states",
        "start": "2021-01-26",
        "end": "2025-01-20",
    } in data["roles"]
    israel = client.get("/api/actors/israel/").json()
    assert israel["state"] is None
    assert israel["wikidata"] == "Q801"
    assert client.get("/api/actors/nobody-at-all/").status_code == 404


def test_talk_payload(client, seed_article, seed_talk):
    data = client.get(f"/api/talks/{seed_talk.pk}/").json()
    assert set(data) == {
        "id",
        "slug",
        "kind",
        "cameo_code",
        "date",
        "date_precision",
        "states",
        "place",
        "participants",
        "topics",
        "summary",
        "articles",
        "url",
        "updated_at",
    }
    assert data["slug"] == SEED_TALK
    assert data["cameo_code"] == "041"
    assert data["states"] == ["israel", "united-states"]
    assert data["place"] is None
    assert {"person": "antony-blinken", "represents": "united-states"} in data["participants"]
    assert {"topic": "artificial-intelligence", "side": "israel"} in data["topics"]
    assert {"topic": "two-state-solution", "side": "united-states"} in data["topics"]
    assert data["articles"] == [seed_article.pk]
    assert data["url"] == "http://testserver" + seed_talk.get_absolute_url()
    assert data["summary"].startswith("Telephone call")


def test_topic_and_outlet_payloads(client):
    topic = client.get("/api/topics/normalization/").json()
    assert set(topic) == {"name", "slug", "description", "url", "updated_at"}
    assert topic["url"] == "http://testserver/topics/normalization/"
    outlet = client.get("/api/outlets/israel-actualites/").json()
    assert set(outlet) >= {"name", "slug", "kind", "home_url", "country", "languages", "actor"}
    assert outlet["name"] == "Israel Actualités"
    assert outlet["country"] is None  # the seed data does not say where it is based
    assert client.get("/api/outlets/times-of-israel/").json()["country"] == "israel"
    assert outlet["languages"] == Outlet.objects.get(slug="israel-actualites").language_list
    assert isinstance(outlet["languages"], list)
    pmo = Outlet.objects.filter(actor__isnull=False).first()
    assert client.get(f"/api/outlets/{pmo.slug}/").json()["actor"] == pmo.actor.slug


def test_only_web_addresses_leave_through_the_api(client, seed_article):
    """A URL stored before validation refused other schemes never reaches API clients."""
    outlet = Outlet.objects.get(slug="israel-actualites")
    assert client.get(f"/api/outlets/{outlet.slug}/").json()["home_url"] == outlet.home_url
    assert client.get(f"/api/articles/{seed_article.pk}/").json()["source_url"] == SEED_URL
    Outlet.objects.filter(pk=outlet.pk).update(home_url="javascript:alert(1)")
    Article.objects.filter(pk=seed_article.pk).update(source_url="data:text/html,<b>x</b>")
    assert client.get(f"/api/outlets/{outlet.slug}/").json()["home_url"] == ""
    assert client.get(f"/api/articles/{seed_article.pk}/").json()["source_url"] == ""


# --- Only what the public may see -------------------------------------------------------------


def test_drafts_and_unconfirmed_links_never_appear(client, editor_client, archive, seed_article):
    ids = {item["id"] for item in every_result(client, "/api/articles/")}
    assert archive["draft"].pk not in ids
    assert {archive["a"].pk, archive["suggested"].pk, seed_article.pk} <= ids
    assert client.get(f"/api/articles/{archive['draft'].pk}/").status_code == 404
    # The API is the public's view whoever asks: an editor's session changes nothing.
    assert editor_client.get(f"/api/articles/{archive['draft'].pk}/").status_code == 404

    # Suggested and rejected links never show.
    assert client.get(f"/api/articles/{archive['suggested'].pk}/").json()["actors"] == []
    link(seed_article, "qatar", status=ArticleActor.Status.SUGGESTED)
    link(seed_article, "gaza-strip", status=ArticleActor.Status.REJECTED)
    link(seed_article, "iran", role=ArticleActor.Role.QUOTED, status=ArticleActor.Status.REJECTED)
    actors = client.get(f"/api/articles/{seed_article.pk}/").json()["actors"]
    assert {actor["slug"]: actor["roles"] for actor in actors} == SEED_ACTORS
    # ...and do not count for the filters.
    listed = {item["id"] for item in every_result(client, "/api/articles/", {"actor": "qatar"})}
    assert seed_article.pk not in listed

    # Draft talks: not listed, 404, not in an article's talks; draft reports not in a talk.
    talk_ids = {item["id"] for item in every_result(client, "/api/talks/")}
    assert archive["draft_talk"].pk not in talk_ids
    assert client.get(f"/api/talks/{archive['draft_talk'].pk}/").status_code == 404
    talks = client.get(f"/api/articles/{archive['a'].pk}/").json()["talks"]
    assert [talk["kind"] for talk in talks] == ["visit"]
    seed_talk = Talk.objects.get(slug=SEED_TALK)
    assert client.get(f"/api/talks/{seed_talk.pk}/").json()["articles"] == [seed_article.pk]


# --- The same filters as the pages -------------------------------------------------------------


ARTICLE_PARAMETERS = [
    {},
    {"actor": "antony-blinken"},
    {"actor": "Nétanyahou"},
    {"actor": ["antony-blinken", "benjamin-netanyahu"]},
    {"actor": ["antony-blinken", "benjamin-netanyahu"], "actor_mode": "any"},
    {"state": "israel"},
    {"kind": "organization"},
    {"type": "analysis"},
    {"topic": "sanctions-on-iran"},
    {"outlet": "times-of-israel"},
    {"language": "fr"},
    {"date_after": "2023-06-01", "date_before": "2023-06-30"},
    {"actor": "Netanyahu", "date_after": "2023-06-01", "language": "fr", "sort": "oldest"},
    {"sort": "oldest"},
    {"sort": "relevance"},
    {"q": "sanctions"},
    {"q": "accord nucléaire", "sort": "newest"},
]


@pytest.mark.parametrize("params", ARTICLE_PARAMETERS)
def test_article_list_gives_the_pages_result(client, archive, params):
    expected = list(
        ArticleFilter(query(params), queryset=Article.objects.published()).qs.values_list(
            "pk", flat=True
        )
    )
    assert expected
    assert [item["id"] for item in every_result(client, "/api/articles/", params)] == expected


def test_article_filters_select(client, archive, seed_article, seed_talk):
    def ids(params):
        return {item["id"] for item in every_result(client, "/api/articles/", params)}

    assert ids({"actor": "antony-blinken"}) == {archive["a"].pk, seed_article.pk}
    assert ids({"talk": str(seed_talk.pk)}) == {seed_article.pk}
    assert ids({"outlet": "times-of-israel", "type": "analysis"}) == {archive["a"].pk}
    assert ids({"state": "israel"}) >= {archive["b"].pk, seed_article.pk}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"name": "blinken"},
        {"name": "Nétanyahou"},
        {"kind": "state"},
        {"state": "israel", "kind": "organization"},
        {"kind": "state", "name": "iran"},
    ],
)
def test_actor_list_gives_the_pages_result(client, params):
    expected = list(
        ActorFilter(query(params), queryset=Actor.objects.all())
        .qs.order_by("name", "pk")
        .values_list("slug", flat=True)
    )
    assert expected
    assert [item["slug"] for item in every_result(client, "/api/actors/", params)] == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": ["united-states", "israel"]},
        {"state": "iran"},
        {"kind": "phone_call", "topic": "artificial-intelligence"},
        {"participant": "antony-blinken", "date_after": "2023-06-08"},
        {"date_after": "2023-06-09"},
        {"date_before": "2024-12-31", "kind": "visit"},
    ],
)
def test_talk_list_gives_the_pages_result(client, archive, params):
    expected = list(
        TalkFilter(query(params), queryset=Talk.objects.published()).qs.values_list("pk", flat=True)
    )
    assert expected
    assert [item["id"] for item in every_result(client, "/api/talks/", params)] == expected


def test_topic_and_outlet_filters(client):
    names = [item["name"] for item in every_result(client, "/api/topics/", {"name": "IRAN"})]
    assert names == sorted(
        Topic.objects.filter(name__icontains="iran").values_list("name", flat=True)
    )
    assert names

    def outlets(params):
        return {item["slug"] for item in every_result(client, "/api/outlets/", params)}

    Outlet.objects.create(name="Tokens", slug="tokens", languages="en fra")
    Outlet.objects.create(name="Frisian", slug="frisian", languages="fy")
    french = outlets({"language": "fr"})
    assert french == {
        outlet.slug for outlet in Outlet.objects.all() if "fr" in outlet.language_list
    }
    assert "tokens" not in french and "frisian" not in french
    assert "tokens" in outlets({"language": "en"})
    israeli = outlets({"country": "israel"})
    assert israeli == set(
        Outlet.objects.filter(country__slug="israel").values_list("slug", flat=True)
    )
    assert "times-of-israel" in israeli
    government = outlets({"kind": "government"})
    assert government == set(
        Outlet.objects.filter(kind="government").values_list("slug", flat=True)
    )
    assert government


# --- modified_since ----------------------------------------------------------------------------


def test_modified_since_finds_what_changed(client, seed_article):
    other = make_article(title="Unchanged")
    Article.objects.update(updated_at=OLD)  # 2024-01-01 12:00 UTC
    everything = set(Article.objects.published().values_list("pk", flat=True))
    cutoff = timezone.now()
    link(seed_article, "qatar")  # confirming a link is a change of the article

    def ids(since):
        response = client.get("/api/articles/", {"modified_since": since, "page_size": 100})
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["results"]}

    assert ids(cutoff.isoformat()) == {seed_article.pk}
    assert ids(cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")) == {seed_article.pk}
    assert ids(cutoff.date().isoformat()) == {seed_article.pk}  # a bare date: from 00:00 UTC
    assert ids("2024-01-02") == {seed_article.pk}
    assert ids("2024-01-01") == everything >= {seed_article.pk, other.pk}
    assert ids("2024-01-01T12:00:00Z") == everything  # the boundary is included
    assert ids("2024-01-01T13:00:00+01:00") == everything  # the same instant
    assert ids("2024-01-01T12:00:00.000001Z") == {seed_article.pk}
    assert ids((timezone.now() + datetime.timedelta(days=1)).date().isoformat()) == set()


def touch_actor():
    # A new alias is a change of its actor.
    Alias.objects.create(actor=Actor.objects.get(slug="qatar"), name="Dawlat Qatar")


def touch_talk():
    # A new topic is a change of its talk.
    TalkTopic.objects.create(
        talk=Talk.objects.get(slug=SEED_TALK), topic=Topic.objects.get(slug="gaza")
    )


TOUCHES = {
    "/api/actors/": (Actor.objects.all, touch_actor),
    "/api/talks/": (Talk.objects.published, touch_talk),
    "/api/topics/": (Topic.objects.all, lambda: Topic.objects.get(slug="gaza").save()),
    "/api/outlets/": (Outlet.objects.all, lambda: Outlet.objects.get(slug="afp").save()),
}


@pytest.mark.parametrize("url", TOUCHES)
def test_modified_since_on_every_list(client, url):
    records, touch = TOUCHES[url]
    records().update(updated_at=OLD)
    cutoff = timezone.now()
    touch()

    def count(since):
        return len(every_result(client, url, {"modified_since": since}))

    assert count(cutoff.isoformat()) == 1
    assert count(cutoff.date().isoformat()) == 1
    assert count("2024-01-01") == records().count()
    assert count("2024-01-02") == 1


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,params,bad",
    [
        ("/api/articles/", {"modified_since": "yesterday"}, "modified_since"),
        ("/api/articles/", {"date_after": "2023-02-30"}, "date_after"),
        ("/api/articles/", {"actor": "no-such-actor"}, "actor"),
        ("/api/articles/", {"actor": [f"a{n}" for n in range(11)]}, "actor"),
        ("/api/articles/", {"state": "atlantis", "language": "fr"}, "state"),
        ("/api/articles/", {"talk": "abc"}, "talk"),
        ("/api/articles/", {"language": "xx"}, "language"),
        ("/api/articles/", {"type": "<script>"}, "type"),
        ("/api/articles/", {"sort": "random"}, "sort"),
        ("/api/actors/", {"kind": "dragon"}, "kind"),
        ("/api/actors/", {"state": "idf"}, "state"),
        ("/api/actors/", {"modified_since": "2024-13-01"}, "modified_since"),
        ("/api/talks/", {"state": ["israel", "iran", "qatar"]}, "state"),
        ("/api/talks/", {"participant": "nobody"}, "participant"),
        ("/api/talks/", {"date_before": "yesterday"}, "date_before"),
        ("/api/topics/", {"modified_since": "soon"}, "modified_since"),
        ("/api/outlets/", {"kind": "blog"}, "kind"),
        ("/api/outlets/", {"country": "atlantis"}, "country"),
        ("/api/outlets/", {"language": "xx"}, "language"),
        # PostgreSQL cannot compare text holding NUL: never let one reach it.
        ("/api/articles/", {"actor": "iran\x00"}, "actor"),
        ("/api/talks/", {"state": ["israel", "\x00"]}, "state"),
        ("/api/actors/", {"name": "\x00"}, "name"),
    ],
)
def test_invalid_filter_is_a_400_naming_it(client, url, params, bad):
    response = client.get(url, query(params))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()) == [bad]


def test_draft_talk_is_an_invalid_talk_filter(client, archive):
    response = client.get("/api/articles/", {"talk": archive["draft_talk"].pk})
    assert response.status_code == 400 and "talk" in response.json()


ODD_PARAMETERS = [
    {"page": "-1"},
    {"page": "999999"},
    {"page": "x"},
    {"page_size": "100000"},
    {"page_size": "-3"},
    {"per_page": "100000"},
    {"actor": ["x"] * 50},
    {"talk": "99999999999999999999"},
    {"topic": "' OR 1=1 --"},
    {"kind": "'; DROP TABLE articles_article; --"},
    {"q": "x" * 10_000},
    {"q": '"unterminated phrase'},
    {"q": "a & b | !c <-> (d"},
    {"q": "\x00\x01"},
    {"name": "\x00"},
    {"actor": "\x00"},
    {"state": "\x00"},
    {"participant": "\x00"},
    {"country": "\x00"},
    {"talk": "\x00"},
    {"unknown": "value"},
    {"name": "<img src=x onerror=alert(1)>"},
    {"modified_since": "9999-12-31T23:59:59"},
    {"modified_since": "0001-01-01"},
    {"format": "xml"},
]


@pytest.mark.parametrize("url", LISTS)
def test_odd_parameters_never_break_a_list(client, url):
    for params in ODD_PARAMETERS:
        response = client.get(url, params)
        assert response.status_code in (200, 400, 404), (url, params, response.status_code)
        if "format" not in params:
            assert isinstance(json.loads(response.content), dict)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "superuser"])
def test_writes_are_not_allowed_for_anyone(client, superuser, seed_article, seed_talk, logged_in):
    if logged_in:
        client.force_login(superuser)
    urls = [
        *LISTS,
        f"/api/articles/{seed_article.pk}/",
        "/api/actors/iran/",
        f"/api/talks/{seed_talk.pk}/",
        "/api/topics/gaza/",
        "/api/outlets/afp/",
    ]
    for url in urls:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, {"title": "x"}, content_type="application/json")
            assert response.status_code == 405, (url, method, response.status_code)
            assert "detail" in response.json()
        for method in ("get", "head", "options"):
            assert getattr(client, method)(url).status_code == 200, (url, method)
    assert Article.objects.get(pk=seed_article.pk).title != "x"
    assert Actor.objects.filter(slug="iran").exists()


# --- Pagination --------------------------------------------------------------------------------


def test_pagination_and_page_size_clamp(client):
    for number in range(110):
        make_article(title=f"Bulk {number}", published_on=datetime.date(2020, 1, 1))
    total = Article.objects.published().count()
    first = client.get("/api/articles/").json()
    assert first["count"] == total
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert second["previous"] and len(second["results"]) == 20
    assert not {item["id"] for item in first["results"]} & {
        item["id"] for item in second["results"]
    }
    for size, expected in [
        ("10", 10),
        ("100", 100),
        ("1000", 100),
        ("0", 20),
        ("-5", 20),
        ("x", 20),
        ("", 20),
    ]:
        for name in ("page_size", "per_page"):  # per_page: the pages' name
            results = client.get("/api/articles/", {name: size}).json()["results"]
            assert len(results) == expected, (name, size)
    both = client.get("/api/articles/", {"page_size": 10, "per_page": 50}).json()["results"]
    assert len(both) == 10
    last = client.get("/api/articles/", {"page_size": 100, "page": 2}).json()
    assert len(last["results"]) == total - 100 and last["next"] is None
    response = client.get("/api/articles/", {"page": 999})
    assert response.status_code == 404 and "detail" in response.json()


# --- Bounded queries ---------------------------------------------------------------------------


@pytest.fixture
def many_rows():
    """65 more rows behind every list, each with links, aliases, roles, talks and topics."""
    actors = Actor.objects.in_bulk(
        ["israel", "united-states", "iran", "qatar", "benjamin-netanyahu", "antony-blinken"],
        field_name="slug",
    )
    israel, usa = actors["israel"], actors["united-states"]
    topics = list(Topic.objects.all()[:3])
    articles = []
    for number in range(65):
        article = make_article(
            title=f"Bulk {number}", published_on=datetime.date(2021, 1 + number % 12, 1)
        )
        article.topics.add(*topics)
        articles.append(article)
    talks = Talk.objects.bulk_create(
        Talk(
            slug=f"bulk-{number}",
            kind=Talk.Kind.PHONE_CALL,
            cameo_code=Talk.Cameo.DISCUSS_BY_TELEPHONE,
            state_a=israel,
            state_b=usa,
            date=datetime.date(2021, 1 + number % 12, 1),
            status=PublicationStatus.PUBLISHED,
        )
        for number in range(65)
    )
    confirmed, suggested = ArticleActor.Status.CONFIRMED, ArticleActor.Status.SUGGESTED
    ArticleActor.objects.bulk_create(
        ArticleActor(article=article, actor=actors[slug], role=role, status=status)
        for article in articles
        for slug, role, status in [
            ("antony-blinken", ArticleActor.Role.SUBJECT, confirmed),
            ("antony-blinken", ArticleActor.Role.QUOTED, confirmed),
            ("iran", ArticleActor.Role.MENTIONED, confirmed),
            ("qatar", ArticleActor.Role.MENTIONED, suggested),
        ]
    )
    TalkParticipant.objects.bulk_create(
        TalkParticipant(talk=talk, person=actors[person], represents=actors[state])
        for talk in talks
        for person, state in [("benjamin-netanyahu", "israel"), ("antony-blinken", "united-states")]
    )
    TalkTopic.objects.bulk_create(
        TalkTopic(talk=talk, topic=topics[0], side=israel) for talk in talks
    )
    TalkReport.objects.bulk_create(
        TalkReport(talk=talk, article=article)
        for talk, article in zip(talks, articles, strict=True)
    )
    Topic.objects.bulk_create(
        Topic(name=f"Bulk topic {number}", slug=f"bulk-topic-{number}") for number in range(65)
    )
    Outlet.objects.bulk_create(
        Outlet(name=f"Bulk {n}", slug=f"bulk-{n}", country=israel, languages="he en")
        for n in range(65)
    )
    return topics[0]


# Articles: count, page, actor links, their aliases, topics, talks, participants.
MAX_QUERIES = 8


@pytest.mark.parametrize("url", LISTS)
def test_lists_run_bounded_queries(client, django_assert_max_num_queries, many_rows, url):
    for page_size in (10, 100):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url, {"page_size": page_size})
        assert response.status_code == 200
        data = response.json()
        assert data["count"] > 60
        assert len(data["results"]) == min(page_size, data["count"])


def test_filtered_article_list_runs_bounded_queries(
    client, django_assert_max_num_queries, many_rows
):
    params = {
        "actor": ["antony-blinken", "Iran"],
        "state": "iran",
        "topic": many_rows.slug,
        "page_size": 100,
    }
    # The filters resolve their values first: an actor by slug, then by name or alias.
    with django_assert_max_num_queries(MAX_QUERIES + 5):
        response = client.get("/api/articles/", params)
    assert response.status_code == 200
    assert response.json()["count"] == 65


# --- Schema, root, browsable API ---------------------------------------------------------------


def test_schema_is_a_valid_openapi_document(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "newsarchive API"
    for url in LISTS:
        assert url in schema["paths"]
        parameters = {p["name"] for p in schema["paths"][url]["get"]["parameters"]}
        assert {"page", "page_size", "per_page", "modified_since"} <= parameters
        assert set(schema["paths"][url]) == {"get"}
    for url in [
        "/api/articles/{id}/",
        "/api/actors/{slug}/",
        "/api/talks/{id}/",
        "/api/topics/{slug}/",
        "/api/outlets/{slug}/",
    ]:
        assert url in schema["paths"]
    article_parameters = {p["name"] for p in schema["paths"]["/api/articles/"]["get"]["parameters"]}
    assert {
        "q",
        "actor",
        "actor_mode",
        "state",
        "kind",
        "type",
        "topic",
        "outlet",
        "language",
        "talk",
        "date_after",
        "date_before",
        "sort",
    } <= article_parameters
    by_accept = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert json.loads(by_accept.content)["paths"].keys() == schema["paths"].keys()
    as_yaml = yaml.safe_load(client.get("/api/schema/").content)
    assert as_yaml["paths"].keys() == schema["paths"].keys()


def test_api_root_and_browsable_api_need_no_cdn(client, seed_article):
    assert set(client.get("/api/").json()) == {"articles", "actors", "talks", "topics", "outlets"}
    response = client.get("/api/articles/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/static/") for asset in assets), assets
    for url in LISTS:
        params = {"actor": "antony-blinken", "state": "israel", "modified_since": "2020-01-01"}
        assert client.get(url, params, HTTP_ACCEPT="text/html").status_code == 200, url
    bad = client.get("/api/articles/", {"talk": "x"}, HTTP_ACCEPT="text/html")
    assert bad.status_code == 400
    # JSON stays the default.
    assert client.get("/api/articles/")["Content-Type"] == "application/json"
