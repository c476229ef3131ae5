"""The public change log of corrections and its feed."""

import feedparser
import pytest
from django.urls import reverse

from actors.models import Actor
from articles.models import Article, PublicationStatus, Topic
from articles.tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_a_correction_to_a_published_article_is_listed_with_its_fields(client):
    article = make_article(title="Original title")
    article.title = "Corrected title"
    article.save()
    page = client.get(reverse("articles:changes")).content.decode()
    assert "Corrected title" in page
    assert "title" in page
    assert article.get_absolute_url() in page


def test_drafts_and_their_changes_stay_private(client):
    draft = make_article(title="Private draft", status=PublicationStatus.DRAFT)
    draft.body = "Edited."
    draft.save()
    assert "Private draft" not in client.get(reverse("articles:changes")).content.decode()


def test_actor_corrections_and_the_feed(client):
    actor = Actor.objects.get(slug="oman")
    actor.description = "Sultanate on the Arabian Peninsula."
    actor.save()
    feed = feedparser.parse(client.get(reverse("articles:changes-feed")).content)
    assert not feed.bozo
    entry = next(entry for entry in feed.entries if "Oman" in entry.title)
    assert "description" in entry.summary


@pytest.mark.parametrize(
    "before", ["yesterday", "2023-13-45T99:00", "x" * 5000, "2024-01-01T00:00:00"]
)
def test_odd_before_values(client, before):
    assert client.get(reverse("articles:changes"), {"before": before}).status_code == 200


def test_change_log_pages_back_in_time(client, django_assert_max_num_queries):
    article = make_article(title="Often corrected")
    for number in range(60):
        article.body = f"Version {number}"
        article.save()
    with django_assert_max_num_queries(12):
        response = client.get(reverse("articles:changes"))
    assert len(response.context["changes"]) == 50
    older = client.get(reverse("articles:changes") + response.context["older_url"])
    assert older.status_code == 200
    first_page = {c.when for c in response.context["changes"]}
    assert not first_page & {c.when for c in older.context["changes"]}
    assert Article.objects.filter(pk=article.pk).exists()


def test_the_history_of_an_article_keeps_its_topics_from_the_first_change_on():
    article = make_article(title="Topics over time")
    first = article.history.earliest()
    assert first.history_type == "+" and not first.topics.exists()

    topic = Topic.objects.get(slug="sanctions-on-iran")
    article.topics.add(topic)
    article.title = "Topics over time, retitled"
    article.save()
    latest = article.history.latest()
    assert latest.history_type == "~"
    assert list(latest.topics.values_list("topic__slug", flat=True)) == ["sanctions-on-iran"]
