"""The reader's journey, in headless Chromium, on a desktop screen and on a phone.

Home page; filter by an actor, a state and dates; search a phrase and see it marked; open
the article; follow an entity to its actor; open a talk; open the relation and its timeline;
a topic of the relation; French and back; a page of results and a facet; the RSS feed.
axe-core checks each page.
"""

import datetime
import re

import feedparser
import pytest
from playwright.sync_api import expect

from actors.models import Actor, Talk, TalkParticipant
from articles.models import Article, Outlet, PublicationStatus, Topic
from articles.tests.factories import link, make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED_TITLE = (
    "Benjamin Netanyahu affirme à Anthony Blinken qu’Israël « fera tout pour se défendre » "
    "face à l’Iran"
)
SEED_CALL = "2023-06-08-israel-united-states-phone-call"
MORE_ARTICLES = 25


@pytest.fixture
def reader_archive(site):
    """Beside the seeds: 25 published articles about Israel over two years, so that the lists
    have pages and facets and the charts have months; and two more Israel–US talks."""
    outlets = list(Outlet.objects.order_by("slug")[:3])
    topics = list(Topic.objects.filter(slug__in=["gaza", "hostages", "normalization"]))
    for number in range(MORE_ARTICLES):
        article = make_article(
            title=f"Israel briefing {number + 1}",
            body=f"Jerusalem and Washington discussed regional security, briefing {number + 1}.",
            published_on=datetime.date(2023, 3, 1) + datetime.timedelta(days=29 * number),
            language="fr" if number % 4 == 0 else "en",
            outlet=outlets[number % len(outlets)],
        )
        article.topics.add(topics[number % len(topics)])
        link(article, "israel")
        if number % 2:
            link(article, "united-states")
        if number % 3 == 0:
            link(article, "benjamin-netanyahu")
    israel, usa = Actor.objects.get(slug="israel"), Actor.objects.get(slug="united-states")
    for slug, kind, day, person, side in [
        ("browser-visit", Talk.Kind.VISIT, datetime.date(2024, 3, 11), "antony-blinken", usa),
        ("browser-meeting", Talk.Kind.MEETING, datetime.date(2024, 9, 25), None, None),
    ]:
        talk = Talk.objects.create(
            slug=slug,
            kind=kind,
            state_a=usa if kind == Talk.Kind.VISIT else israel,
            state_b=israel if kind == Talk.Kind.VISIT else usa,
            date=day,
            status=PublicationStatus.PUBLISHED,
        )
        if person:
            TalkParticipant.objects.create(
                talk=talk, person=Actor.objects.get(slug=person), represents=side
            )
    return Talk.objects.get(slug=SEED_CALL)


def reader_journey(visit, call: Talk):
    page = visit.page

    # The home page: the relations, the latest articles, the activity of the archive.
    visit.go("/")
    visit.assert_styled()
    expect(page.locator("h1")).to_contain_text("Israel, the United States and Iran")
    expect(page.locator(".relation-list li")).to_have_count(3)
    expect(page.locator("svg.chart-activity")).to_be_visible()
    visit.check_accessibility("home")
    visit.screenshot("home")

    # Articles filtered by an actor, a state and a date range.
    page.locator(".site-header nav").get_by_role("link", name="Articles").click()
    expect(page.locator("#results")).to_contain_text(f"{MORE_ARTICLES + 1} articles")
    page.fill("#id_actor_add", "Antony Blinken")
    page.select_option("#id_state", "israel")
    page.fill("#id_date_after", "2023-06-01")
    page.fill("#id_date_before", "2023-06-30")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#results")).to_have_text("1 article")
    expect(page.locator(".card h3 a")).to_have_text(SEED_TITLE)
    expect(page.locator(".active-filters")).to_contain_text("Antony Blinken")
    expect(page).to_have_url(re.compile(r"date_after=2023-06-01.*date_before=2023-06-30"))

    # A phrase, marked in the title and the snippet.
    page.fill("#id_q", '"se défendre"')
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#results")).to_have_text("1 article")
    marks = page.locator(".card mark")
    expect(marks.first).to_be_visible()
    assert "défendre" in [text.lower() for text in marks.all_inner_texts()]
    visit.check_accessibility("articles")
    visit.screenshot("search")

    # The article, then an actor it mentions.
    page.locator(".card h3 a").first.click()
    expect(page.locator("article h1")).to_contain_text("Netanyahu")
    expect(page.locator(".entities").first).to_be_visible()
    visit.check_accessibility("article")
    page.locator(".entities").get_by_role("link", name="Antony Blinken", exact=True).click()
    expect(page).to_have_url(re.compile(r"/actors/antony-blinken/$"))
    expect(page.locator("h1")).to_have_text("Antony Blinken")
    expect(page.locator("svg.chart-ranked")).to_be_visible()
    expect(page.locator("svg.chart-ranked a[href='/actors/benjamin-netanyahu/']")).to_have_count(1)
    visit.check_accessibility("actor")
    visit.screenshot("actor")

    # One of the actor's talks, then the relation it belongs to.
    talks = page.locator("section[aria-labelledby='talks']")
    talks.get_by_role("link", name=re.compile(r"Phone call, Israel")).click()
    expect(page).to_have_url(re.compile(rf"{call.get_absolute_url()}$"))
    expect(page.locator("h1")).to_contain_text("Phone call")
    visit.check_accessibility("talk")
    page.get_by_role("link", name=re.compile(r"relation$")).click()
    expect(page).to_have_url(re.compile(r"/relations/israel/united-states/$"))
    relation_path = visit.path()

    # The timeline: the 8 June 2023 call is a point, coloured as a call, that leads to it.
    timeline = page.locator("svg.chart-timeline")
    expect(timeline).to_be_visible()
    point = timeline.locator(f"a[href='{call.get_absolute_url()}']")
    expect(point).to_have_count(1)
    expect(point).to_have_attribute("aria-label", re.compile(r"June 8, 2023"))
    expect(point.locator("circle")).to_have_class(re.compile(r"\bkind-phone_call\b"))
    expect(timeline.locator("circle.kind-visit")).to_have_count(2)  # the point and its legend
    expect(page.locator("svg.chart-activity")).to_be_visible()
    visit.check_accessibility("relation")
    visit.screenshot("relation")
    point.click()
    expect(page).to_have_url(re.compile(rf"{call.get_absolute_url()}$"))
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{relation_path}$"))

    # One of the relation's topics, with its own activity.
    page.locator("aside").get_by_role("link", name="Gaza", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/topics/gaza/$"))
    expect(page.locator("svg.chart-activity")).to_be_visible()
    visit.check_accessibility("topic")
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{relation_path}$"))

    # The interface in French, then back in English, on the same page.
    page.select_option("#interface-language", "fr")
    page.locator("form.language").get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".site-header nav")).to_contain_text("Acteurs")
    expect(page).to_have_url(re.compile(rf"{relation_path}$"))
    visit.screenshot("french")
    page.select_option("#interface-language", "en")
    page.locator("form.language").get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".site-header nav")).to_contain_text("Actors")

    # Every article about Israel: the second page, then a facet.
    page.locator(".site-header nav").get_by_role("link", name="Articles").click()
    page.select_option("#id_state", "israel")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#results")).to_have_text(f"{MORE_ARTICLES + 1} articles")
    pagination = page.locator("nav.pagination")
    expect(pagination).to_contain_text("Page 1 of 2")
    pagination.get_by_role("link", name="Next").click()
    expect(pagination).to_contain_text("Page 2 of 2")
    expect(page).to_have_url(re.compile(r"page=2"))
    french = page.locator("section.facet[aria-labelledby='facet-language'] a", has_text="French")
    french.click()
    expect(page).to_have_url(re.compile(r"language=fr"))
    french_count = Article.objects.published().filter(language="fr").count()
    expect(page.locator("#results")).to_have_text(f"{french_count} articles")
    expect(page.locator(".active-filters")).to_contain_text("French")
    visit.check_accessibility("facets")
    visit.screenshot("facets")
    titles = set(page.locator(".card h3 a").all_inner_texts())

    # The RSS feed of this selection, as the browser shows it.
    with page.expect_response(re.compile(r"/articles/feed/rss/")) as response_info:
        page.get_by_role("link", name="RSS feed of these articles").click()
    response = response_info.value
    assert response.ok and response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.bozo_exception
    assert {entry.title for entry in feed.entries} == titles
    expect(page.locator("body")).to_contain_text("<rss")

    assert not visit.failed_responses, visit.failed_responses


def test_reader_journey(browse, reader_archive):
    reader_journey(browse("desktop"), reader_archive)


def test_reader_journey_on_a_phone(browse, reader_archive):
    reader_journey(browse("phone"), reader_archive)
