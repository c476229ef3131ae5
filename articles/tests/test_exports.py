"""CSV exports of the list pages and the JSON-LD of article and talk pages."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.urls import reverse

from actors.models import Talk
from articles import exports
from articles.models import Article, ArticleActor, PublicationStatus
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_article_csv_follows_the_filters_and_lists_confirmed_actors(client):
    seed = Article.objects.get(language="fr", outlet__slug="israel-actualites")
    other = make_article(title="Elsewhere", body="Another story.")
    link(other, "qatar")
    link(other, "oman", status=ArticleActor.Status.SUGGESTED)
    make_article(title="Draft", status=PublicationStatus.DRAFT)

    rows = read_csv(client.get(reverse("articles:csv"), {"actor": "qatar"}))
    assert [row["title"] for row in rows] == ["Elsewhere"]
    assert rows[0]["actors"] == "qatar"

    rows = {row["id"]: row for row in read_csv(client.get(reverse("articles:csv")))}
    assert "Draft" not in {row["title"] for row in rows.values()}
    seed_row = rows[str(seed.pk)]
    assert "benjamin-netanyahu" in seed_row["actors"].split(";")
    assert seed_row["published"] == "2023-06-09"
    assert seed_row["url"].endswith(seed.get_absolute_url())
    assert seed_row["talks"] == str(seed.talks.get().pk)


def test_csv_cells_cannot_become_spreadsheet_formulas(client):
    make_article(title='=HYPERLINK("http://evil.example","click")', body="x")
    rows = read_csv(client.get(reverse("articles:csv"), {"q": "hyperlink"}))
    assert rows[0]["title"].startswith("'=")


def test_csv_export_runs_bounded_queries(client, django_assert_max_num_queries):
    for number in range(50):
        article = make_article(title=f"Row {number}")
        link(article, "iran")
    with django_assert_max_num_queries(12):
        rows = read_csv(client.get(reverse("articles:csv")))
    assert len(rows) >= 51


def test_csv_rows_are_read_in_a_transaction_of_their_own(client, monkeypatch):
    # Outside a transaction, Django declares PostgreSQL's cursor WITH HOLD, and PostgreSQL
    # reads the whole selection before the first row can go out.
    depths = []
    real_safe_cell = exports.safe_cell

    def spy(value):
        depths.append(len(connection.atomic_blocks))
        return real_safe_cell(value)

    monkeypatch.setattr(exports, "safe_cell", spy)
    before = len(connection.atomic_blocks)
    assert read_csv(client.get(reverse("articles:csv")))
    assert set(depths) == {before + 1}


def test_actor_and_talk_csv(client):
    rows = read_csv(client.get(reverse("actors:csv"), {"kind": "state", "name": "israel"}))
    assert [row["slug"] for row in rows] == ["israel"]
    assert "Israël [fr]" in rows[0]["aliases"]

    rows = read_csv(client.get(reverse("actors:talks-csv"), {"state": ["israel", "united-states"]}))
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    assert rows[0]["id"] == str(talk.pk)
    assert rows[0]["cameo_code"] == "041"
    assert "antony-blinken@united-states" in rows[0]["participants"]


def json_ld(page: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def test_article_json_ld(client):
    seed = Article.objects.get(language="fr", outlet__slug="israel-actualites")
    data = json_ld(client.get(seed.get_absolute_url()).content.decode())
    assert data["@type"] == "NewsArticle"
    assert data["datePublished"] == "2023-06-09"
    assert data["inLanguage"] == "fr"
    assert data["publisher"]["name"] == "Israel Actualités"
    about = {thing["name"] for thing in data["about"]}
    assert {"Benjamin Netanyahu", "Antony Blinken", "Israel", "United States"} <= about
    mentioned = {thing["name"]: thing for thing in data["mentions"]}
    assert mentioned["Iran"]["@type"] == "Country"


def test_talk_json_ld(client):
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    data = json_ld(client.get(talk.get_absolute_url()).content.decode())
    assert data["@type"] == "Event"
    assert data["startDate"] == "2023-06-08"
    assert {person["name"] for person in data["attendee"]} == {
        "Benjamin Netanyahu",
        "Antony Blinken",
    }
    assert len(data["subjectOf"]) == 1


def test_json_ld_cannot_close_its_script_element(client):
    article = make_article(title="</script><script>alert(1)</script>", body="<!-- x")
    page = client.get(article.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block
    assert json.loads(block)["name"] == "</script><script>alert(1)</script>"


def test_talks_as_a_cameo_event_table(client):
    rows = read_csv(client.get(reverse("actors:talks-cameo"), {"state": "israel"}))
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    row = next(row for row in rows if row["event_id"] == str(talk.pk))
    assert row["event_code"] == "041"
    assert row["date"] == "2023-06-08"
    assert {row["source_state"], row["target_state"]} == {"israel", "united-states"}
    assert "/articles/" in row["source_articles"]
