"""Suggestions from the linker: created on import and save, confirmed by editors, never
overriding an editor's decision."""

import datetime
import io
import shutil

import pytest
from django.core.management import call_command
from django.urls import reverse

from actors.models import Actor, Talk
from articles.models import Article, ArticleActor, PublicationStatus, TalkSuggestion
from articles.suggestions import suggest, suggest_many
from articles.tests.factories import make_article

pytestmark = pytest.mark.django_db

SEED_FILE = "seeds/000_3ffe4a8996a89bd8.txt"
SEED_ENTITIES = {
    "benjamin-netanyahu", "antony-blinken", "matthew-miller", "israel", "united-states", "iran",
    "saudi-arabia", "us-department-of-state", "israel-hayom", "aqaba", "sharm-el-sheikh",
    "middle-east",
}  # fmt: skip


@pytest.fixture
def imported_seed(tmp_path, django_capture_on_commit_callbacks):
    """The seed article imported afresh into an archive that holds the actors but no links."""
    Article.objects.all().delete()
    Talk.objects.all().delete()
    copy = tmp_path / "seed.txt"
    shutil.copy(SEED_FILE, copy)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_articles",
            str(copy),
            "--outlet",
            "israel-actualites",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    article = Article.objects.get()
    article.published_on = datetime.date(2023, 6, 9)
    article.save()
    suggest(article)
    return article


def suggested_slugs(article):
    return set(
        article.actor_links.filter(status=ArticleActor.Status.SUGGESTED).values_list(
            "actor__slug", flat=True
        )
    )


def test_importing_the_seed_suggests_every_entity_and_the_talk(imported_seed):
    assert suggested_slugs(imported_seed) == SEED_ENTITIES
    talk = TalkSuggestion.objects.get(article=imported_seed).talk
    assert talk.kind == Talk.Kind.PHONE_CALL
    assert talk.date == datetime.date(2023, 6, 8)
    assert {talk.state_a.slug, talk.state_b.slug} == {"israel", "united-states"}
    assert set(talk.participants.values_list("slug", flat=True)) == {
        "benjamin-netanyahu",
        "antony-blinken",
    }
    assert talk.status == PublicationStatus.DRAFT


def test_suggestions_carry_roles_and_evidence(imported_seed):
    links = imported_seed.actor_links.all()
    netanyahu = {link.role for link in links if link.actor.slug == "benjamin-netanyahu"}
    assert {"subject", "quoted"} <= netanyahu
    assert "cited_outlet" in {link.role for link in links if link.actor.slug == "israel-hayom"}
    miller = next(link for link in links if link.actor.slug == "matthew-miller")
    for item in miller.evidence:
        text = imported_seed.body if item["field"] == "body" else imported_seed.title
        assert text[item["start"] : item["end"]] == item["surface"]
        assert item["surface"] in item["sentence"]
    assert {item["method"] for item in miller.evidence} >= {"name", "role"}


def test_an_editor_confirms_everything_in_one_action(client, editor, imported_seed):
    client.force_login(editor)
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "confirm_suggestions", "_selected_action": [imported_seed.pk]},
    )
    assert response.status_code == 302
    assert not imported_seed.actor_links.filter(status=ArticleActor.Status.SUGGESTED).exists()
    assert imported_seed.actor_links.filter(reviewed_by=editor).count() >= len(SEED_ENTITIES)
    assert imported_seed.talks.count() == 1
    assert TalkSuggestion.objects.get(article=imported_seed).status == "confirmed"


def test_rerunning_the_linker_changes_nothing_an_editor_decided(imported_seed, editor):
    iran = imported_seed.actor_links.get(actor__slug="iran")
    iran.review(ArticleActor.Status.REJECTED, editor)
    iran.save()
    israel = imported_seed.actor_links.filter(actor__slug="israel").first()
    israel.review(ArticleActor.Status.CONFIRMED, editor)
    israel.save()
    before = {
        (link.actor_id, link.role): (link.status, link.evidence)
        for link in imported_seed.actor_links.all()
    }

    report = suggest(imported_seed)

    after = {
        (link.actor_id, link.role): (link.status, link.evidence)
        for link in imported_seed.actor_links.all()
    }
    assert after == before
    assert report.suggested == 0 and report.removed == 0 and report.talks == 0
    assert not imported_seed.actor_links.filter(
        actor__slug="iran", status=ArticleActor.Status.SUGGESTED
    ).exists()


def test_saving_in_the_admin_suggests(editor_client):
    article = make_article(
        title="Araghchi meets Witkoff in Muscat",
        body="Iran's foreign minister Abbas Araghchi met US envoy Steve Witkoff in Muscat.",
        published_on=datetime.date(2025, 4, 12),
        status=PublicationStatus.DRAFT,
    )
    data = {
        "title": article.title,
        "slug": article.slug,
        "kind": "report",
        "status": "draft",
        "body": article.body,
        "language": "en",
        "published_on": "2025-04-12",
    }
    for prefix in ["actor_links", "talk_reports", "quotes", "talk_suggestions"]:
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    response = editor_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302
    assert {"abbas-araghchi", "steve-witkoff", "muscat", "iran"} <= suggested_slugs(article)
    change_page = editor_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert "<mark>Abbas Araghchi</mark>" in change_page.content.decode()


def test_the_same_call_reported_in_another_language_points_to_one_talk(imported_seed):
    english = make_article(
        title="Netanyahu tells Blinken Israel will defend itself",
        body=(
            "Israeli Prime Minister Benjamin Netanyahu spoke by phone on Thursday with US "
            "Secretary of State Antony Blinken, his office said."
        ),
        published_on=datetime.date(2023, 6, 9),
    )
    suggest(english)
    original = TalkSuggestion.objects.get(article=imported_seed).talk
    assert TalkSuggestion.objects.get(article=english).talk == original
    assert Talk.objects.filter(kind="phone_call", date=datetime.date(2023, 6, 8)).count() == 1


def test_public_page_links_confirmed_mentions_with_their_provenance(client):
    seed = Article.objects.get(outlet__slug="israel-actualites", language="fr")
    page = client.get(seed.get_absolute_url()).content.decode()
    assert '<a class="mention" href="/actors/matthew-miller/"' in page
    assert "How this link was made" in page


def test_link_articles_command(imported_seed):
    out = io.StringIO()
    call_command("link_articles", "--all", stdout=out)
    assert "0 new actor suggestions" in out.getvalue()
    assert Actor.objects.exists()


def link_rows(articles):
    return sorted(
        ArticleActor.objects.filter(article__in=articles).values_list(
            "article__title", "actor__slug", "role", "status", "evidence"
        ),
        key=repr,
    )


def test_suggesting_for_a_batch_makes_the_links_one_by_one_would(imported_seed):
    texts = [
        ("One", "Benjamin Netanyahu spoke with Antony Blinken about Iran."),
        ("Two", "Israel and the United States discussed Saudi Arabia, said Matthew Miller."),
        ("Three", "Nothing to link here."),
    ]
    kept_by_editor = make_article(title="Kept", body="Iran and Israel.")
    ArticleActor.objects.create(
        article=kept_by_editor,
        actor=Actor.objects.get(slug="iran"),
        status=ArticleActor.Status.REJECTED,
    )
    batch = [make_article(title=t, body=b) for t, b in texts] + [kept_by_editor]
    report = suggest_many(batch)
    in_batch = link_rows(batch)

    ArticleActor.objects.filter(article__in=batch, status=ArticleActor.Status.SUGGESTED).delete()
    one_by_one = sum(suggest(article).suggested for article in batch)
    assert link_rows(batch) == in_batch
    assert report.suggested == one_by_one > 0
    # The editor's rejection stood in both.
    assert ("Kept", "iran", "mentioned", "rejected", []) in in_batch
    assert not [
        row for row in in_batch if row[0] == "Kept" and row[1] == "iran" and row[3] != "rejected"
    ]
