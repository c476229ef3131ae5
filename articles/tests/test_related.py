"""Related articles: same talk first, then the rarest shared actors, then the newest; from a
bounded set of candidates, in a bounded number of queries."""

import datetime

import pytest
from django.utils.text import slugify

from actors.models import Actor, Talk, TalkReport
from articles import models as article_models
from articles.models import ActorFrequencies, ArticleActor, PublicationStatus
from articles.tests.factories import make_article

pytestmark = pytest.mark.django_db


def actor(name, kind=Actor.Kind.PERSON):
    return Actor.objects.create(name=name, slug=slugify(name), kind=kind)


def article(*actors, day=1, **fields):
    made = make_article(published_on=datetime.date(2024, 1, day), **fields)
    ArticleActor.objects.bulk_create(ArticleActor(article=made, actor=each) for each in actors)
    return made


def related_titles(source):
    return [other.title for other in source.related()[:8]]


@pytest.fixture
def people():
    return {name: actor(name) for name in ["Rare One", "Rare Two", "Common", "Other"]}


@pytest.fixture
def israel():
    return Actor.objects.get(slug="israel")


def test_more_shared_actors_first_then_newest(people):
    rare_one, rare_two = people["Rare One"], people["Rare Two"]
    source = article(rare_one, rare_two, title="Source")
    article(rare_one, day=5, title="One shared, newer")
    article(rare_one, day=3, title="One shared, older")
    article(rare_one, rare_two, day=2, title="Both shared")
    article(people["Other"], title="Nothing shared")
    assert related_titles(source) == ["Both shared", "One shared, newer", "One shared, older"]


def test_a_shared_rare_actor_outweighs_a_shared_frequent_one(people):
    rare, frequent = people["Rare One"], people["Common"]
    source = article(rare, frequent, title="Source")
    for day in range(2, 12):
        article(frequent, day=day, title=f"Frequent {day}")
    article(rare, day=1, title="Rare, oldest")
    titles = related_titles(source)
    assert titles[0] == "Rare, oldest"
    assert titles[1:] == [f"Frequent {day}" for day in range(11, 4, -1)]


def test_common_actors_and_states_relate_nothing(people, israel, monkeypatch):
    monkeypatch.setattr(article_models, "COMMON_ACTOR_MIN_ARTICLES", 3)
    common = people["Common"]
    source = article(common, israel, title="Source")
    for day in range(2, 8):
        article(common, israel, day=day, title=f"Common {day}")
    assert ActorFrequencies.current().is_common(common.pk)
    assert related_titles(source) == []


def test_same_talk_comes_first_even_without_shared_actors(people, israel):
    talk = Talk.objects.create(
        slug="a-call",
        kind=Talk.Kind.PHONE_CALL,
        state_a=israel,
        state_b=Actor.objects.get(slug="united-states"),
        date=datetime.date(2024, 1, 1),
        status=PublicationStatus.PUBLISHED,
    )
    rare_one, rare_two = people["Rare One"], people["Rare Two"]
    source = article(rare_one, rare_two, title="Source")
    article(rare_one, rare_two, day=9, title="Both shared")
    same_talk = article(people["Other"], day=2, title="Same talk")
    TalkReport.objects.create(talk=talk, article=source)
    TalkReport.objects.create(talk=talk, article=same_talk)
    assert related_titles(source) == ["Same talk", "Both shared"]


def test_only_published_others_and_confirmed_links(people):
    rare = people["Rare One"]
    source = article(rare, title="Source")
    article(rare, title="Draft", status=PublicationStatus.DRAFT)
    suggested = make_article(title="Suggested link only", published_on=datetime.date(2024, 1, 9))
    ArticleActor.objects.create(article=suggested, actor=rare, status=ArticleActor.Status.SUGGESTED)
    article(rare, day=2, title="Published")
    assert related_titles(source) == ["Published"]


def test_candidates_are_each_actors_latest_articles(people, monkeypatch):
    monkeypatch.setattr(article_models, "RELATED_PER_ACTOR", 2)
    rare = people["Rare One"]
    source = article(rare, title="Source")
    # The latest-archived articles propose themselves, whatever their publication date.
    for number in range(4):
        article(rare, day=10 - number, title=f"Archived {number}")
    assert related_titles(source) == ["Archived 2", "Archived 3"]


def test_links_made_after_a_first_ranking_count(people):
    rare = people["Rare One"]
    source = article(rare, title="Source")
    assert related_titles(source) == []
    later = article(day=3, title="Linked later")
    ArticleActor.objects.create(article=later, actor=rare)
    assert related_titles(source) == ["Linked later"]


def test_article_page_runs_bounded_queries(client, people, israel, django_assert_max_num_queries):
    others = [actor(f"Person {number}") for number in range(12)]
    source = article(people["Rare One"], israel, *others, title="Source")
    for number in range(60):
        article(people["Rare One"], israel, *others[: number % 12 + 1], day=1 + number % 28)
    client.get(source.get_absolute_url())  # counts the frequencies, once per archive version
    with django_assert_max_num_queries(10):
        response = client.get(source.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["related"]) == 8
    assert response.context["related"][0].shared_weight > 0
