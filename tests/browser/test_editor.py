"""The editor's journey, in headless Chromium: from the linker's suggestions to the public page.

A member of Editors logs in to the admin, confirms the suggestions of a new article, adds a
topic and an actor through the autocomplete widgets, attaches the article to a talk,
publishes, logs out; the public page shows the new links, and the history says who changed
what.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from actors.models import Actor, Talk, TalkParticipant
from articles.models import Article, ArticleActor, PublicationStatus
from articles.suggestions import suggest
from articles.tests.factories import make_article

from .conftest import EDITOR_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Araghchi and Witkoff meet in Muscat"
TALK_LABEL = "Negotiation round, Iran – United States, 2025-04-12"


@pytest.fixture
def article_to_curate(site):
    """A draft as the importer leaves it: the linker has suggested its actors and a talk. The
    archive already has the curated talk it reports, with its participants."""
    iran, usa = Actor.objects.get(slug="iran"), Actor.objects.get(slug="united-states")
    talk = Talk.objects.create(
        slug="2025-04-12-iran-united-states-negotiation-round",
        kind=Talk.Kind.NEGOTIATION_ROUND,
        state_a=iran,
        state_b=usa,
        date=datetime.date(2025, 4, 12),
        place=Actor.objects.get(slug="muscat"),
        summary="Indirect talks in Muscat, with Oman passing messages between the delegations.",
        status=PublicationStatus.PUBLISHED,
    )
    for slug, side in [("abbas-araghchi", iran), ("steve-witkoff", usa)]:
        TalkParticipant.objects.create(
            talk=talk, person=Actor.objects.get(slug=slug), represents=side
        )
    article = make_article(
        title=TITLE,
        body="Abbas Araghchi met Steve Witkoff in Muscat on Saturday.",
        status=PublicationStatus.DRAFT,
        published_on=datetime.date(2025, 4, 13),
    )
    report = suggest(article)
    assert report.suggested == 3, report
    return article


def select2(page, container, search: str, choice: str):
    """Choose ``choice`` in the autocomplete widget inside ``container`` as a person does:
    open it, type, click the option."""
    container.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.get_by_role("option", name=choice, exact=True).click()


def log_in(page, username: str):
    page.fill("#id_username", username)
    page.fill("#id_password", EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(username.upper(), ignore_case=True)


def test_editor_journey(browse, editor_account, article_to_curate):
    visit = browse("desktop")
    page = visit.page
    username = editor_account.username

    # Log in, find the new article in the list.
    visit.go("/admin/")
    log_in(page, username)
    page.locator("tr.model-article th a").click()
    page.fill("#searchbar", TITLE)
    page.locator("#changelist-search input[type=submit]").click()
    row = page.locator("#result_list tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)

    # Confirm every suggestion of the article with the list's action.
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "confirm_suggestions")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Confirmed 3 actor links and 1 talks")

    # Open it: a topic and an actor through the autocompletes, the curated talk it reports.
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(page.locator("h1")).to_have_text("Change article")
    topics = page.locator(".form-row.field-topics")
    select2(page, topics, "nuclear", "Iran's nuclear programme")
    expect(topics.locator(".select2-selection__choice")).to_contain_text("nuclear programme")
    new_link = page.locator(
        "#actor_links-group tr.form-row:not(.has_original):not(.empty-form)"
    ).first
    select2(page, new_link, "Oman", "Oman")
    new_link.locator("select[name$='-role']").select_option("mentioned")
    new_link.locator("select[name$='-status']").select_option("confirmed")
    new_report = page.locator(
        "#talk_reports-group tr.form-row:not(.has_original):not(.empty-form)"
    ).first
    select2(page, new_report, "Muscat", TALK_LABEL)

    # Publish and save.
    page.select_option("#id_status", "published")
    visit.screenshot("form")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # Log out (a POST form in Django's admin).
    page.locator("#logout-form button").click()
    expect(page.locator("h1")).to_contain_text("Logged out")

    # The public page, as anyone sees it: the confirmed actors, the topic, the curated talk.
    article = Article.objects.get(pk=article_to_curate.pk)
    assert article.status == PublicationStatus.PUBLISHED
    visit.go(article.get_absolute_url())
    expect(page.locator(".notice")).to_have_count(0)  # public, not a preview
    entities = page.locator(".entities")
    for name in ["Abbas Araghchi", "Steve Witkoff", "Muscat", "Oman"]:
        expect(entities.get_by_role("link", name=name, exact=True)).to_be_visible()
    talks = page.locator("section[aria-labelledby='talks']")
    talk = Talk.objects.get(slug="2025-04-12-iran-united-states-negotiation-round")
    expect(talks.locator(f"a[href='{talk.get_absolute_url()}']")).to_have_count(1)
    # The draft talk the linker created stays invisible to the public.
    expect(talks.locator("li")).to_have_count(1)
    expect(page.locator("section[aria-labelledby='topics']")).to_contain_text(
        "Iran's nuclear programme"
    )
    # Mentions in the text link to their actors.
    expect(page.locator("article a.mention[href='/actors/abbas-araghchi/']").first).to_be_visible()
    visit.check_accessibility("article")
    visit.screenshot("public")
    oman = ArticleActor.objects.get(article=article, actor__slug="oman")
    assert (oman.status, oman.origin, oman.reviewed_by) == (
        ArticleActor.Status.CONFIRMED,
        ArticleActor.Origin.EDITOR,
        editor_account,
    )

    # The history, for editors: who changed what.
    visit.go(f"/admin/articles/article/{article.pk}/history/")
    log_in(page, username)
    expect(page).to_have_url(re.compile(rf"/admin/articles/article/{article.pk}/history/$"))
    history = page.locator("#change-history")
    expect(history).to_contain_text(username)
    expect(history).to_contain_text(re.compile(r"Status:\s*draft\s*→\s*published"))
    expect(history).to_contain_text("Iran's nuclear programme")

    assert not visit.failed_responses, visit.failed_responses
