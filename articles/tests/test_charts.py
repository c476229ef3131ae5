"""The server-rendered SVG charts: escaping, scale, links, accessibility; and their pages."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from actors.models import Actor, Talk
from articles.charts import (
    RankedBar,
    TimelinePoint,
    activity_chart,
    ranked_bar_chart,
    timeline_chart,
)
from articles.models import Article, PublicationStatus
from articles.stats import activity_context, by_year, monthly_activity
from articles.tests.factories import link, make_article

EVIL = "<script>alert(1)</script>"


def parse(markup) -> ET.Element:
    """The chart as XML: well-formed markup, or the test fails here."""
    return ET.fromstring(str(markup))


def month(year, number):
    return datetime.date(year, number, 1)


def rows(*counts):
    """Activity rows from (year, month, articles, talks)."""
    return [
        {"month": month(year, number), "articles": articles, "talks": talks}
        for year, number, articles, talks in counts
    ]


def bars_of(svg: ET.Element, kind: str):
    return [rect for rect in svg.iter("rect") if f"chart-bar chart-{kind}" in rect.get("class")]


# Accessibility and safety, every chart.


def every_chart(label=EVIL):
    return [
        activity_chart(rows((2023, 6, 1, 1)), chart_id="a", title=label),
        timeline_chart(
            [TimelinePoint(datetime.date(2023, 6, 8), "phone_call", label, label, "/talks/1/")],
            chart_id="t",
            title=label,
        ),
        ranked_bar_chart(
            [RankedBar(label, 3, "/actors/x/", "/articles/?actor=x", label)],
            chart_id="r",
            title=label,
            description=label,
        ),
    ]


def test_labels_are_escaped():
    for markup in every_chart():
        assert EVIL not in markup
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
        parse(markup)  # still well-formed


def test_quotes_in_labels_cannot_leave_an_attribute():
    label = '" onmouseover="alert(1)'
    for markup in every_chart(label):
        svg = parse(markup)
        for element in svg.iter():
            assert "onmouseover" not in element.attrib


def test_each_chart_has_a_role_a_title_and_a_description():
    for markup, chart_id in zip(every_chart("Chart"), ["a", "t", "r"], strict=True):
        svg = parse(markup)
        assert svg.get("role") in {"img", "group"}
        assert svg.get("id") == chart_id
        title, desc = svg.find("title"), svg.find("desc")
        assert title.text == "Chart" and title.get("id") == f"{chart_id}-title"
        assert desc.text and desc.get("id") == f"{chart_id}-desc"
        assert svg.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"


def test_no_inline_style_or_script():
    for markup in every_chart("Chart"):
        assert "style=" not in markup
        assert "<script" not in markup
        assert " on" not in markup.replace(" one", "")  # no event handler attributes


def test_empty_data_draws_nothing():
    assert activity_chart([], chart_id="a", title="t") == ""
    assert timeline_chart([], chart_id="t", title="t") == ""
    assert ranked_bar_chart([], chart_id="r", title="t", description="d") == ""


# Activity.


def test_activity_bars_scale_to_the_maximum():
    svg = parse(
        activity_chart(
            rows((2024, 1, 8, 2), (2024, 2, 4, 0), (2024, 3, 2, 8)), chart_id="a", title="t"
        )
    )
    heights = [float(rect.get("height")) for rect in bars_of(svg, "articles")]
    talks = [float(rect.get("height")) for rect in bars_of(svg, "talks")]
    peak = heights[0]
    assert peak > 100
    assert heights == [peak, peak / 2, peak / 4]
    assert talks == [peak / 4, 0, peak]
    # The bars stand on one baseline.
    assert len({float(r.get("y")) + float(r.get("height")) for r in bars_of(svg, "articles")}) == 1


def test_activity_fills_the_empty_months_and_says_what_it_shows():
    markup = activity_chart(rows((2023, 11, 3, 0), (2024, 2, 1, 1)), chart_id="a", title="t")
    svg = parse(markup)
    # November to February: four months, two of them empty.
    assert len(bars_of(svg, "articles")) == 4
    tooltips = [g.find("title").text for g in svg.iter("g") if g.find("title") is not None]
    assert tooltips[1] == "December 2023: 0 articles, 0 talks"
    assert tooltips[0] == "November 2023: 3 articles, 0 talks"
    desc = svg.find("desc").text
    assert "November 2023" in desc and "February 2024" in desc and "4 articles" in desc
    assert "1 talk in all" in desc
    # A year's first month is labelled with the year.
    assert "2024" in [text.text for text in svg.iter("text")]


def test_activity_without_talks_has_one_series():
    svg = parse(activity_chart(rows((2024, 1, 2, 5)), chart_id="a", title="t", with_talks=False))
    assert bars_of(svg, "talks") == []
    assert "talk" not in svg.find("desc").text


def test_activity_by_year():
    yearly = by_year(rows((2019, 3, 1, 0), (2019, 7, 2, 1), (2024, 1, 4, 0)))
    assert yearly == rows((2019, 1, 3, 1), (2024, 1, 4, 0))
    svg = parse(activity_chart(yearly, chart_id="a", title="t", period="year"))
    assert len(bars_of(svg, "articles")) == 6  # 2019 to 2024
    assert svg.find("desc").text.startswith("From 2019 to 2024")


@pytest.mark.django_db
def test_monthly_activity_keeps_the_last_months_with_data():
    for day in [datetime.date(2019, 5, 3), datetime.date(2024, 1, 9), datetime.date(2024, 3, 1)]:
        make_article(published_on=day)
    articles = Article.objects.published()
    everything = monthly_activity(articles)
    assert month(2019, 5) in [row["month"] for row in everything]
    recent = monthly_activity(articles, last_months=36)
    months = [row["month"] for row in recent]
    assert month(2019, 5) not in months
    assert months[-1] == month(2024, 3) and month(2024, 1) in months
    assert min(months) >= month(2021, 4)


@pytest.mark.django_db
def test_activity_context_draws_years_beyond_three_years_of_months():
    make_article(published_on=datetime.date(2015, 2, 1))
    make_article(published_on=datetime.date(2024, 3, 1))
    articles = Article.objects.published()
    context = activity_context(articles, Talk.objects.published())
    assert context["activity_period"] == "year"
    assert [row["month"].year for row in context["activity"]][:1] == [2015]
    assert 'class="chart chart-activity"' in context["activity_chart"]
    assert "per year" in context["activity_title"]
    # The home page's window keeps months: the last 36 that end with the latest.
    recent = activity_context(articles, Talk.objects.published(), last_months=36)
    assert recent["activity_period"] == "month"
    assert recent["activity"][0]["month"] >= month(2021, 4)


@pytest.mark.django_db
def test_activity_is_counted_again_once_the_archive_changes(django_assert_max_num_queries):
    make_article(published_on=datetime.date(2024, 3, 1))
    articles, talks = Article.objects.published(), Talk.objects.published()

    def march(context):
        return {row["month"]: row["articles"] for row in context["activity"]}[month(2024, 3)]

    first = activity_context(articles, talks)
    with django_assert_max_num_queries(1):  # at most, reading the archive version
        assert activity_context(articles, talks) == first
    make_article(published_on=datetime.date(2024, 3, 9))
    assert march(activity_context(articles, talks)) == march(first) + 1
    # Another set is another figure, never the cached one of the first.
    french = activity_context(articles.filter(language="fr"), talks)
    assert month(2024, 3) not in [row["month"] for row in french["activity"]]


# Timeline.


def point(day, kind, number):
    return TimelinePoint(day, kind, kind.replace("_", " "), f"Talk {number}", f"/talks/{number}/")


def test_timeline_points_link_to_their_talks_and_carry_their_kind():
    points = [
        point(datetime.date(2023, 6, 8), "phone_call", 1),
        point(datetime.date(2024, 2, 1), "meeting", 2),
        point(datetime.date(2025, 4, 12), "visit", 3),
    ]
    svg = parse(timeline_chart(points, chart_id="t", title="t", kinds=Talk.Kind.choices))
    links = list(svg.iter("a"))
    assert [a.get("href") for a in links] == ["/talks/1/", "/talks/2/", "/talks/3/"]
    for a, kind in zip(links, ["phone_call", "meeting", "visit"], strict=True):
        circle = a.find("circle")
        assert f"kind-{kind}" in circle.get("class").split()
        assert a.get("aria-label") == a.find("title").text
    # Later talks stand further right.
    xs = [float(a.find("circle").get("cx")) for a in links]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    # A legend: one entry per kind present, in the order of the kinds, with its colour.
    legend = [g for g in svg.iter("g") if g.get("class") == "chart-legend-item"]
    assert [g.find("text").text for g in legend] == ["Phone call", "Meeting", "Visit"]
    assert "kind-visit" in legend[2].find("circle").get("class")


def test_timeline_separates_talks_on_the_same_day():
    day = datetime.date(2023, 6, 8)
    svg = parse(
        timeline_chart(
            [point(day, "meeting", 1), point(day, "meeting", 2)], chart_id="t", title="t"
        )
    )
    circles = [a.find("circle") for a in svg.iter("a")]
    assert circles[0].get("cy") != circles[1].get("cy")


def test_timeline_axis_is_dated():
    svg = parse(
        timeline_chart(
            [
                point(datetime.date(2015, 7, 14), "meeting", 1),
                point(datetime.date(2025, 1, 1), "visit", 2),
            ],
            chart_id="t",
            title="t",
        )
    )
    labels = [text.text for text in svg.iter("text") if text.get("class") == "chart-axis"]
    assert labels[0] <= "2015" and labels[-1] >= "2025"
    assert len(labels) <= 7


# Ranked bars.


def test_ranked_bars_scale_to_the_maximum_and_link():
    bars = [
        RankedBar("Iran", 2, "/actors/iran/", "/articles/?actor=a&actor=iran"),
        RankedBar("Antony Blinken", 8, "/actors/antony-blinken/"),
        RankedBar("Mossad", 4, "/actors/mossad/"),
    ]
    svg = parse(ranked_bar_chart(bars, chart_id="r", title="t", description="d"))
    widths = [float(rect.get("width")) for rect in svg.iter("rect")]
    assert widths == [widths[0], widths[0] / 2, widths[0] / 4]  # longest first
    hrefs = [a.get("href") for a in svg.iter("a")]
    assert hrefs == [
        "/actors/antony-blinken/",
        "/actors/antony-blinken/",
        "/actors/mossad/",
        "/actors/mossad/",
        "/actors/iran/",
        "/articles/?actor=a&actor=iran",
    ]
    # Every link has a name: its text, or an aria-label.
    for a in svg.iter("a"):
        assert a.get("aria-label") or "".join(a.itertext()).strip()


# The pages.


@pytest.mark.django_db
def test_relation_page_shows_the_seed_call_on_its_timeline(client):
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    page = client.get(reverse("actors:relation", args=["israel", "united-states"])).content.decode()
    chart = page[page.index('<svg class="chart chart-timeline"') :]
    chart = chart[: chart.index("</svg>") + 6]
    svg = parse(chart)
    (a,) = svg.iter("a")
    assert a.get("href") == talk.get_absolute_url()
    assert "kind-phone_call" in a.find("circle").get("class")
    assert "June 8, 2023" in a.get("aria-label")
    # The list stays as the fallback.
    assert 'class="timeline"' in page


@pytest.mark.django_db
def test_pages_draw_their_charts(client):
    iran, usa = Actor.objects.get(slug="iran"), Actor.objects.get(slug="united-states")
    article = make_article(title="Chart", published_on=datetime.date(2024, 5, 2))
    link(article, "iran")
    link(article, "united-states")
    Talk.objects.create(
        slug="chart-visit",
        kind=Talk.Kind.VISIT,
        state_a=iran,
        state_b=usa,
        date=datetime.date(2024, 5, 3),
        status=PublicationStatus.PUBLISHED,
    )
    expected = {
        reverse("articles:home"): ["chart-activity"],
        reverse("actors:detail", args=["iran"]): ["chart-activity", "chart-ranked"],
        reverse("actors:relation", args=["iran", "united-states"]): [
            "chart-activity",
            "chart-timeline",
        ],
        reverse("articles:topic", args=["artificial-intelligence"]): ["chart-activity"],
    }
    for url, charts in expected.items():
        page = client.get(url).content.decode()
        for chart in charts:
            assert f'<svg class="chart {chart}"' in page, (url, chart)
        assert "style=" not in page, url
    iran_page = client.get(reverse("actors:detail", args=["iran"])).content.decode()
    assert "/articles/?actor=iran&amp;actor=united-states" in iran_page
