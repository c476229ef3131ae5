import datetime
import io
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from actors.models import Actor, Alias, Role, Talk, TalkParticipant, TalkReport, TalkTopic
from articles.models import (
    Article,
    ArticleActor,
    Outlet,
    PublicationStatus,
    Quote,
    TalkSuggestion,
    Topic,
)
from articles.permissions import EDITORS_GROUP
from articles.tests.factories import link, make_article
from newsarchive.pagination import CappedPaginator

pytestmark = pytest.mark.django_db

CURATED = [
    Actor, Alias, Role, Talk, TalkParticipant, TalkTopic, TalkReport,
    Outlet, Topic, Article, ArticleActor, Quote,
]  # fmt: skip


def admin_url(model, action="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_editors_group_has_exactly_the_curation_permissions():
    group = Group.objects.get(name=EDITORS_GROUP)
    labels = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert labels == {"actors", "articles"}
    for model in CURATED:
        for action in ["add", "change", "delete", "view"]:
            codename = f"{action}_{model._meta.model_name}"
            assert group.permissions.filter(codename=codename).exists(), codename
    assert not group.permissions.filter(content_type__app_label__in=["auth", "admin"]).exists()
    assert not group.permissions.filter(codename__endswith="seedentry").exists()


def test_editor_can_change_an_article_but_not_a_user(editor_client, editor):
    article = make_article(title="Before")
    assert editor_client.get(admin_url(Article, "change", article.pk)).status_code == 200
    other = get_user_model().objects.create_user("someone")
    assert editor_client.get(admin_url(get_user_model(), "change", other.pk)).status_code == 403
    assert editor_client.get(admin_url(get_user_model())).status_code == 403
    assert editor_client.get(admin_url(Group)).status_code == 403
    response = editor_client.post(
        admin_url(get_user_model(), "change", editor.pk),
        {"username": "ed", "is_superuser": "on", "is_staff": "on"},
    )
    assert response.status_code == 403
    editor.refresh_from_db()
    assert not editor.is_superuser


def test_editor_tags_an_article_in_the_admin_and_history_records_it(editor_client, editor):
    article = make_article(title="To tag", status=PublicationStatus.DRAFT)
    topic = Topic.objects.get(slug="sanctions-on-iran")
    iran = Actor.objects.get(slug="iran")
    prefix_links, prefix_reports, prefix_quotes = "actor_links", "talk_reports", "quotes"
    data = {
        "title": "To tag",
        "slug": article.slug,
        "kind": "report",
        "status": "published",
        "body": article.body,
        "language": "en",
        "topics": [topic.pk],
        f"{prefix_links}-TOTAL_FORMS": "1",
        f"{prefix_links}-INITIAL_FORMS": "0",
        f"{prefix_links}-0-actor": iran.pk,
        f"{prefix_links}-0-role": "subject",
        f"{prefix_links}-0-status": "confirmed",
        f"{prefix_reports}-TOTAL_FORMS": "0",
        f"{prefix_reports}-INITIAL_FORMS": "0",
        f"{prefix_quotes}-TOTAL_FORMS": "0",
        f"{prefix_quotes}-INITIAL_FORMS": "0",
        "talk_suggestions-TOTAL_FORMS": "0",
        "talk_suggestions-INITIAL_FORMS": "0",
    }
    response = editor_client.post(admin_url(Article, "change", article.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    article.refresh_from_db()
    assert article.status == PublicationStatus.PUBLISHED
    assert list(article.topics.all()) == [topic]
    new_link = article.actor_links.get()
    assert (new_link.actor, new_link.origin, new_link.reviewed_by) == (iran, "editor", editor)
    assert new_link.reviewed_at is not None

    latest = article.history.first()
    assert latest.history_user == editor
    assert latest.status == PublicationStatus.PUBLISHED
    assert new_link.history.first().history_user == editor

    history_page = editor_client.get(admin_url(Article, "history", article.pk))
    assert history_page.status_code == 200
    assert "ed" in history_page.content.decode()


def test_staff_without_editors_group_cannot_curate(client, staff_without_group):
    client.force_login(staff_without_group)
    article = make_article()
    assert client.get(admin_url(Article, "change", article.pk)).status_code == 403
    assert client.get(admin_url(Actor)).status_code == 403


def test_publish_action_records_who_published(editor_client, editor):
    drafts = [make_article(status=PublicationStatus.DRAFT) for _ in range(3)]
    response = editor_client.post(
        admin_url(Article),
        {"action": "publish", "_selected_action": [a.pk for a in drafts]},
    )
    assert response.status_code == 302
    for article in drafts:
        article.refresh_from_db()
        assert article.status == PublicationStatus.PUBLISHED
        assert article.history.first().history_user == editor


def test_confirm_action_reviews_suggestions(editor_client, editor):
    article = make_article()
    suggestion = link(
        article, "iran", status=ArticleActor.Status.SUGGESTED, origin=ArticleActor.Origin.LINKER
    )
    editor_client.post(
        admin_url(ArticleActor), {"action": "confirm", "_selected_action": [suggestion.pk]}
    )
    suggestion.refresh_from_db()
    assert suggestion.status == ArticleActor.Status.CONFIRMED
    assert suggestion.reviewed_by == editor
    assert suggestion.origin == ArticleActor.Origin.LINKER


def test_revert_from_history(editor_client):
    actor = Actor.objects.get(slug="oman")
    original = actor.description
    actor.description = "Vandalised"
    actor.save()
    previous = actor.history.all()[1]
    url = admin_url(Actor, "simple_history", actor.pk, previous.history_id)
    form = editor_client.get(url)
    assert form.status_code == 200
    response = editor_client.post(
        url,
        {
            "kind": actor.kind,
            "name": actor.name,
            "slug": actor.slug,
            "description": original,
            "state": "",
            "wikidata_id": actor.wikidata_id,
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    actor.refresh_from_db()
    assert actor.description == original


REGISTERED = [model for model in CURATED if admin.site.is_registered(model)]


def test_models_without_their_own_admin_are_edited_inline():
    assert set(CURATED) - set(REGISTERED) == {TalkParticipant, TalkTopic, TalkReport}


@pytest.mark.parametrize("model", REGISTERED)
def test_every_admin_page_renders_for_an_editor(editor_client, model):
    assert editor_client.get(admin_url(model)).status_code == 200
    assert editor_client.get(admin_url(model, "add")).status_code == 200
    instance = model.objects.first()
    assert instance is not None, f"the seeds hold no {model.__name__}"
    assert editor_client.get(admin_url(model, "change", instance.pk)).status_code == 200
    assert editor_client.get(admin_url(model, "history", instance.pk)).status_code == 200


@pytest.mark.parametrize("model", [Article, Actor, Talk, ArticleActor, Alias, Role, Quote])
def test_admin_changelists_run_bounded_queries(
    superuser, client, model, django_assert_max_num_queries
):
    client.force_login(superuser)
    with django_assert_max_num_queries(15):
        response = client.get(admin_url(model), {"q": "a"})
    assert response.status_code == 200


def test_autocomplete_finds_actors_by_alias(editor_client):
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Nétanyahou",
            "app_label": "articles",
            "model_name": "articleactor",
            "field_name": "actor",
        },
    )
    assert response.status_code == 200
    names = [result["text"] for result in response.json()["results"]]
    assert "Benjamin Netanyahu" in names


def test_demo_editor_command(monkeypatch, rf):
    from django.contrib.auth import authenticate
    from django.core.management import call_command

    monkeypatch.setenv("DEMO_EDITOR_PASSWORD", "demo-pass-123")
    call_command("create_demo_editor", stdout=io.StringIO())
    user = authenticate(rf.post("/admin/login/"), username="editor", password="demo-pass-123")
    assert user is not None and user.is_staff and not user.is_superuser
    assert user.groups.filter(name=EDITORS_GROUP).exists()
    assert user.has_perm("articles.change_article")
    assert not user.has_perm("auth.change_user")


def test_a_search_in_the_article_changelist_skips_the_date_drill_down(editor_client):
    browsing = editor_client.get("/admin/articles/article/")
    assert browsing.context["cl"].date_hierarchy == "published_on"
    assert 'class="toplinks"' in browsing.content.decode()  # the drill-down is shown
    searching = editor_client.get("/admin/articles/article/", {"q": "Netanyahu"})
    assert searching.status_code == 200
    assert searching.context["cl"].date_hierarchy is None
    assert 'class="toplinks"' not in searching.content.decode()
    assert searching.context["cl"].result_count >= 1


@pytest.mark.parametrize("recent", [20_000, 2])
def test_an_admin_search_lists_its_newest_matches_newest_first(editor_client, monkeypatch, recent):
    """On PostgreSQL, the newest ADMIN_SEARCH_MATCHES matches, found among the newest
    articles or (too few there: a rare word) through the full-text index; on SQLite, which
    searches with Django's own lookups, every match."""
    from articles import admin as article_admin

    monkeypatch.setattr(article_admin, "ADMIN_SEARCH_MATCHES", 3)
    monkeypatch.setattr(article_admin, "ADMIN_SEARCH_RECENT", recent)
    for day in (3, 1, 2):
        make_article(title=f"Zanzibarian envoy, day {day}", published_on=f"2024-05-0{day}")
    make_article(title="Nothing of the kind")
    make_article(title="Zanzibarian envoy, older", published_on="2023-01-01")
    response = editor_client.get("/admin/articles/article/", {"q": "Zanzibarian"})
    listed = [article.title for article in response.context["cl"].result_list]
    newest = [f"Zanzibarian envoy, day {day}" for day in (3, 2, 1)]
    if connection.vendor == "postgresql":
        assert listed == newest
    else:
        assert listed == [*newest, "Zanzibarian envoy, older"]


def test_a_pasted_link_finds_its_article_in_the_admin(editor_client):
    article = make_article(
        title="Linked from elsewhere", source_url="https://News.example/story?id=7&utm_source=x"
    )
    response = editor_client.get(
        "/admin/articles/article/", {"q": " http://news.example/story?id=7 "}
    )
    assert [a.pk for a in response.context["cl"].result_list] == [article.pk]


@pytest.mark.parametrize("model", [Article, Actor, Talk])
def test_the_changelist_checkboxes_are_djangos_own_markup(model):
    model_admin = admin.site._registry[model]
    record = model.objects.first()
    if model is Article:
        record = make_article(title='"<Tom & Jerry>" l\'an 2024')
    # The stock column, which renders the widget through its template.
    stock = admin.ModelAdmin.action_checkbox(model_admin, record)
    assert model_admin.action_checkbox(record) == stock
    assert 'class="action-select"' in stock and f'value="{record.pk}"' in stock


def test_the_article_changelist_names_each_language(editor_client):
    make_article(title="Un article", language="fr")
    page = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert '<td class="field-language_name">French</td>' in page


def test_the_article_changelist_filters_by_the_languages_the_archive_holds(editor_client):
    make_article(title="Un article", language="fr")
    make_article(title="מאמר", language="he")
    url = reverse("admin:articles_article_changelist")
    page = editor_client.get(url).content.decode()
    held = set(Article.objects.values_list("language", flat=True))
    for code, name in [("fr", "French"), ("he", "Hebrew"), ("en", "English")]:
        assert (f'href="?language={code}"' in page) == (code in held), code
        assert (f">{name}</a>" in page) == (code in held), name
    assert 'href="?language=zu"' not in page  # a language the field accepts, no article is in
    french = editor_client.get(url, {"language": "fr"}).context["cl"].result_list
    assert {article.language for article in french} == {"fr"}
    assert "Un article" in {article.title for article in french}


YEAR_LINK = r'href="\?published_on__year=\d+"'


def test_the_article_changelist_date_drill_down_is_read_once_per_archive_version(
    editor_client,
):
    make_article(title="Old news", published_on=datetime.date(1999, 5, 1))
    url = reverse("admin:articles_article_changelist")
    page = editor_client.get(url).content.decode()
    assert 'href="?published_on__year=1999"' in page
    with CaptureQueriesContext(connection) as queries:
        again = editor_client.get(url).content.decode()
    assert re.findall(YEAR_LINK, again) == re.findall(YEAR_LINK, page)
    assert not [query for query in queries if "DISTINCT" in query["sql"]]
    make_article(title="Older news", published_on=datetime.date(1998, 5, 1))
    assert 'href="?published_on__year=1998"' in editor_client.get(url).content.decode()


def test_the_review_queue_counts_links_up_to_the_cap_and_says_so(superuser, client, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "count_cap", 3)
    client.force_login(superuser)
    assert ArticleActor.objects.count() > 3
    with CaptureQueriesContext(connection) as queries:
        page = client.get(admin_url(ArticleActor)).content.decode()
    # Never every link of the archive counted, on any view of the queue.
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"]]
    assert counts and all("LIMIT 3" in sql for sql in counts)
    assert "3 or more actor links" in page
    page = client.get(admin_url(ArticleActor), {"q": "a"}).content.decode()
    assert "3 or more results" in page
    page = client.get(admin_url(ArticleActor), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "3 liens vers des acteurs ou plus" in page


def test_an_articles_talks_cost_no_query_a_row(superuser, client):
    client.force_login(superuser)
    article = make_article(title="Talks everywhere")
    israel, iran = Actor.objects.get(slug="israel"), Actor.objects.get(slug="iran")
    talks = Talk.objects.bulk_create(
        Talk(
            slug=f"admin-talk-{number}",
            kind=Talk.Kind.MEETING,
            state_a=israel,
            state_b=iran,
            date=datetime.date(2024, 1, 1 + number),
        )
        for number in range(4)
    )

    def queries(count: int) -> int:
        TalkSuggestion.objects.filter(article=article).delete()
        TalkReport.objects.filter(article=article).delete()
        for talk in talks[:count]:
            TalkSuggestion.objects.create(article=article, talk=talk)
            TalkReport.objects.create(article=article, talk=talk)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(admin_url(Article, "change", article.pk)).status_code == 200
        return len(captured)

    # Suggested and reported talks are named, and shown in their widgets, from their rows.
    assert queries(4) == queries(1)


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def _selected(actor) -> str:
    return f'<option value="{actor.pk}" selected>{escape(actor.name)}</option>'


def test_article_change_page_reads_its_rows_objects_with_the_rows(superuser, client):
    client.force_login(superuser)
    article = make_article()
    talks = list(Talk.objects.select_related("state_a", "state_b")[:1])
    assert talks, "the seeds hold a talk"
    people = list(Actor.objects.filter(kind=Actor.Kind.PERSON).order_by("pk")[:9])

    def add_rows(chosen):
        for person in chosen:
            ArticleActor.objects.create(
                article=article, actor=person, status="confirmed", reviewed_by=superuser
            )
            Quote.objects.create(article=article, speaker=person, talk=talks[0], text="Words.")

    add_rows(people[:1])
    TalkReport.objects.create(talk=talks[0], article=article)
    TalkSuggestion.objects.create(talk=talks[0], article=article, reviewed_by=superuser)
    url = admin_url(Article, "change", article.pk)
    few, _page = _queries(client, url)
    add_rows(people[1:])
    many, page = _queries(client, url)

    assert many == few
    for person in people:  # each row's widget shows its actor and its quote's speaker
        assert page.count(_selected(person)) == 2
    assert page.count(f"selected>{escape(talks[0])}</option>") == len(people) + 1  # and report


def test_actor_and_talk_change_pages_read_their_rows_objects_with_the_rows(superuser, client):
    client.force_login(superuser)
    person = Actor.objects.create(kind=Actor.Kind.PERSON, name="Test Person", slug="test-person")
    states = list(Actor.objects.filter(kind=Actor.Kind.STATE).order_by("pk")[:8])
    talk = Talk.objects.create(
        slug="test-talk", kind="meeting", state_a=states[0], state_b=states[1],
        date=datetime.date(2024, 1, 1),
    )  # fmt: skip
    people = list(Actor.objects.filter(kind=Actor.Kind.PERSON).order_by("pk")[:8])
    topics = list(Topic.objects.order_by("pk")[:8])

    def add_rows(count):
        for _ in range(count):
            index = Role.objects.filter(person=person).count()
            Role.objects.create(
                person=person, position="envoy", organization=states[index],
                start_date=datetime.date(2000 + index, 1, 1),
            )  # fmt: skip
            TalkParticipant.objects.create(talk=talk, person=people[index], represents=states[0])
            TalkTopic.objects.create(talk=talk, topic=topics[index])
            TalkReport.objects.create(talk=talk, article=make_article())

    add_rows(1)
    actor_few, _page = _queries(client, admin_url(Actor, "change", person.pk))
    talk_few, _page = _queries(client, admin_url(Talk, "change", talk.pk))
    add_rows(7)
    actor_many, actor_page = _queries(client, admin_url(Actor, "change", person.pk))
    talk_many, talk_page = _queries(client, admin_url(Talk, "change", talk.pk))

    assert (actor_many, talk_many) == (actor_few, talk_few)
    assert all(_selected(state) in actor_page for state in states)
    assert all(_selected(someone) in talk_page for someone in people)
    for report in talk.reports.select_related("article"):
        assert f"selected>{escape(report.article.title)}</option>" in talk_page


def test_a_row_sent_back_with_errors_shows_the_actor_the_editor_chose(editor_client):
    article = make_article()
    before, chosen = Actor.objects.filter(kind=Actor.Kind.PERSON).order_by("pk")[:2]
    row = ArticleActor.objects.create(article=article, actor=before, status="confirmed")
    data = {
        "title": article.title,
        "slug": article.slug,
        "kind": "report",
        "status": "published",
        "body": article.body,
        "language": "en",
        "actor_links-TOTAL_FORMS": "1",
        "actor_links-INITIAL_FORMS": "1",
        "actor_links-0-id": row.pk,
        "actor_links-0-article": article.pk,
        "actor_links-0-actor": chosen.pk,
        "actor_links-0-role": "no-such-role",
        "actor_links-0-status": "confirmed",
    }
    for prefix in ["talk_reports", "quotes", "talk_suggestions"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = editor_client.post(admin_url(Article, "change", article.pk), data)

    assert response.status_code == 200  # sent back with the error
    page = response.content.decode()
    assert _selected(chosen) in page
    assert _selected(before) not in page
    row.refresh_from_db()
    assert row.actor == before
