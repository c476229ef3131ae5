import pytest
from django.urls import reverse

from actors.models import Actor, Talk
from articles.models import Article, ArticleActor, PublicationStatus
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db

SEED_ENTITIES = [
    "benjamin-netanyahu",
    "antony-blinken",
    "matthew-miller",
    "israel",
    "united-states",
    "iran",
    "saudi-arabia",
    "us-department-of-state",
    "israel-hayom",
    "aqaba",
    "sharm-el-sheikh",
    "middle-east",
]
SEED_URL = (
    "http://www.israel-actualites.tv/benjamin-netanyahu-affirme-a-anthony-blinken-"
    "quisrael-fera-tout-pour-se-defendre-face-a-liran/"
)


@pytest.fixture
def seed_article():
    return Article.objects.get(source_url=SEED_URL)


def test_seed_article_record(seed_article):
    assert seed_article.title.startswith("Benjamin Netanyahu affirme à Anthony Blinken")
    assert seed_article.outlet.name == "Israel Actualités"
    assert seed_article.byline == "Eliran Cohen"
    assert seed_article.language == "fr"
    assert seed_article.published_on.isoformat() == "2023-06-09"
    assert seed_article.status == PublicationStatus.PUBLISHED
    assert "Eliran COHEN pour Israel Actualités" in seed_article.body
    assert set(seed_article.actors.values_list("slug", flat=True)) == set(SEED_ENTITIES)
    assert seed_article.actor_links.get(actor__slug="israel-hayom").role == "cited_outlet"


def test_seed_talk_record(seed_article):
    talk = seed_article.talks.get()
    assert talk.kind == Talk.Kind.PHONE_CALL
    assert talk.date.isoformat() == "2023-06-08"
    assert talk.date_precision == Talk.DatePrecision.DAY
    assert talk.cameo_code == "041"
    assert {talk.state_a.slug, talk.state_b.slug} == {"israel", "united-states"}
    assert {(p.person.slug, p.represents.slug) for p in talk.participations.all()} == {
        ("benjamin-netanyahu", "israel"),
        ("antony-blinken", "united-states"),
    }
    israeli = set(
        talk.talk_topics.filter(side__slug="israel").values_list("topic__slug", flat=True)
    )
    american = set(
        talk.talk_topics.filter(side__slug="united-states").values_list("topic__slug", flat=True)
    )
    assert {"iran-nuclear-deal", "military-cooperation", "artificial-intelligence"} <= israeli
    assert {"normalization", "two-state-solution"} <= american
    speakers = set(seed_article.quotes.values_list("speaker__slug", flat=True))
    assert speakers == {"benjamin-netanyahu", "matthew-miller"}


def test_seed_article_page_links_every_entity(client, seed_article):
    response = client.get(seed_article.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    for slug in SEED_ENTITIES:
        assert f'href="{reverse("actors:detail", args=[slug])}"' in page, slug
    talk = seed_article.talks.get()
    assert f'href="{talk.get_absolute_url()}"' in page
    assert "fera tout pour se défendre" in page
    assert "Eliran Cohen" in page


def test_article_url_without_or_with_wrong_slug_redirects(client, seed_article):
    for url in [
        reverse("articles:detail-short", args=[seed_article.pk]),
        reverse("articles:detail", args=[seed_article.pk, "wrong-slug"]),
    ]:
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == seed_article.get_absolute_url()


@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.REVIEW])
def test_anonymous_visitor_never_sees_an_unpublished_article(client, status):
    article = make_article(title="Secret draft", status=status)
    link(article, "israel")

    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get(reverse("articles:home")).content.decode()
    actor_page = client.get(reverse("actors:detail", args=["israel"])).content.decode()
    assert "Secret draft" not in actor_page


def test_editor_previews_a_draft_with_a_warning(editor_client):
    article = make_article(title="Draft to check", status=PublicationStatus.DRAFT)
    response = editor_client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "not public" in response.content.decode()


def test_suggested_and_rejected_links_are_not_shown_to_the_public(client):
    article = make_article()
    link(article, "iran", status=ArticleActor.Status.SUGGESTED)
    link(article, "qatar", status=ArticleActor.Status.REJECTED)
    link(article, "oman")
    page = client.get(article.get_absolute_url()).content.decode()
    assert reverse("actors:detail", args=["oman"]) in page
    assert reverse("actors:detail", args=["iran"]) not in page
    assert reverse("actors:detail", args=["qatar"]) not in page


def test_actor_page_shows_roles_aliases_talks_and_articles(client, seed_article):
    response = client.get(reverse("actors:detail", args=["antony-blinken"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Secretary of State" in page
    assert "Anthony Blinken" in page
    assert seed_article.talks.get().get_absolute_url() in page
    assert seed_article.get_absolute_url() in page


def test_unknown_actor_is_404(client):
    assert client.get(reverse("actors:detail", args=["no-such-actor"])).status_code == 404


def test_talk_page_shows_each_sides_account(client, seed_article):
    talk = seed_article.talks.get()
    page = client.get(talk.get_absolute_url()).content.decode()
    assert "Artificial intelligence" in page
    assert "Two-state solution" in page
    assert "Benjamin Netanyahu" in page
    assert seed_article.get_absolute_url() in page
    assert page.index("Artificial intelligence") < page.index("Two-state solution")


def test_unpublished_talk_is_404_for_the_public(client):
    talk = Talk.objects.create(
        slug="draft-talk",
        kind=Talk.Kind.MEETING,
        state_a=Actor.objects.get(slug="israel"),
        state_b=Actor.objects.get(slug="iran"),
        date="2024-01-01",
    )
    assert client.get(talk.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("page", ["-1", "0", "999999", "abc", "1' OR 1=1--", "<script>"])
def test_home_tolerates_odd_page_numbers(client, page):
    assert client.get(reverse("articles:home"), {"page": page}).status_code == 200


def test_article_text_is_escaped(client):
    article = make_article(
        title="<script>alert(1)</script>", body='<img src=x onerror="alert(2)">\n\nText'
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_javascript_source_url_is_not_linked(client):
    article = make_article(source_url="javascript:alert(1)")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "javascript:alert" not in page
