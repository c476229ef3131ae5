"""Export and restore of the whole curated archive; the CAMEO-style table of talks."""

import csv
import datetime
import gzip
import io
import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import JSONField, Value
from simple_history.models import HistoricalChanges

from actors.models import Actor, Alias, Role, Talk, TalkParticipant, TalkReport, TalkTopic
from articles.archive import (
    CAMEO_COLUMNS,
    FORMAT,
    SECTIONS,
    VERSION,
    ArchiveError,
    cameo_rows,
    export_archive,
    import_archive,
)
from articles.models import (
    Article,
    ArticleActor,
    Outlet,
    PublicationStatus,
    Quote,
    SeedEntry,
    TalkSuggestion,
    Topic,
)
from articles.search import search_articles
from articles.tests.factories import link, make_article

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SEED_URL = "israel-actualites.tv/benjamin-netanyahu-affirme"
BASE_URL = "https://archive.example.org/"

# Every model whose rows editors curate, and the seed ledger that protects their work:
# written independently of articles.archive, so that a model left out of it fails here.
CURATED = [
    Actor, Alias, Role, Topic, Outlet, Article, ArticleActor,
    Talk, TalkParticipant, TalkTopic, TalkReport, TalkSuggestion, Quote, SeedEntry,
]  # fmt: skip


def snapshot():
    """{model label: {pk: (every column, then the many-to-many target ids)}}."""
    result = {}
    for model in CURATED:
        columns = [f.attname for f in model._meta.concrete_fields if f.name != "search_vector"]
        rows = {row[0]: row for row in model._base_manager.values_list(*columns)}
        for m2m in model._meta.many_to_many:
            if not m2m.remote_field.through._meta.auto_created:
                continue  # a through model of its own is compared as a model
            targets = {}
            for owner, target in m2m.remote_field.through.objects.values_list(
                m2m.m2m_column_name(), m2m.m2m_reverse_name()
            ):
                targets.setdefault(owner, []).append(target)
            rows = {pk: (*row, tuple(sorted(targets.get(pk, [])))) for pk, row in rows.items()}
        result[model._meta.label_lower] = rows
    return result


def empty_curated_tables():
    """Delete every curated row, dependants first (in SQL: the ORM would take seconds)."""
    tables = [
        Quote, TalkSuggestion, TalkReport, TalkTopic, TalkParticipant, Talk, ArticleActor,
        Article.topics.through, Article, Outlet, Topic, Role, Alias, SeedEntry,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        cursor.execute(f"DELETE FROM {Actor._meta.db_table} WHERE state_id IS NOT NULL")
        cursor.execute(f"DELETE FROM {Actor._meta.db_table}")
    assert all(not model._base_manager.exists() for model in CURATED)


def history_counts():
    return {model.__name__: model.history.count() for model in CURATED if model is not SeedEntry}


def seed_article():
    return Article.objects.get(canonical_url__contains=SEED_URL)


def read_lines(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def curated_extras(editor):
    """Rows the seeds do not have: every optional value empty somewhere, odd timestamps."""
    israel, usa, iran = (
        Actor.objects.get(slug=slug) for slug in ("israel", "united-states", "iran")
    )
    netanyahu = Actor.objects.get(slug="benjamin-netanyahu")
    topic = Topic.objects.get(slug="normalization")

    hebrew = make_article(
        title="נתניהו שוחח עם בלינקן",
        body="ראש הממשלה בנימין נתניהו שוחח הערב עם מזכיר המדינה.\n\nהשניים דנו באיראן.",
        language="he",
        status=PublicationStatus.DRAFT,
        source_url="https://www.example.co.il/news/12345?utm_source=x",
        byline="כתב מדיני",
        published_on=datetime.date(2023, 6, 9),
    )
    hebrew.topics.add(topic, Topic.objects.get(slug="iranian-threat"))
    no_url = make_article(title="An article with no URL", status=PublicationStatus.REVIEW)
    assert no_url.source_url == "" and no_url.published_on is None

    suggested = link(
        hebrew,
        "iran",
        status=ArticleActor.Status.SUGGESTED,
        origin=ArticleActor.Origin.LINKER,
    )
    suggested.review(ArticleActor.Status.SUGGESTED, editor)
    suggested.evidence = [
        {"field": "body", "start": 50, "end": 56, "words": "איראן", "method": "alias", "score": 0.5}
    ]
    suggested.save()
    rejected = link(hebrew, "saudi-arabia", status=ArticleActor.Status.REJECTED)
    rejected.review(ArticleActor.Status.REJECTED, editor)
    rejected.save()
    link(hebrew, "benjamin-netanyahu", role=ArticleActor.Role.SUBJECT)

    Quote.objects.create(article=hebrew, speaker=netanyahu, text="השניים דנו באיראן", language="he")
    stateless = Actor.objects.create(
        kind=Actor.Kind.ORGANIZATION, name="Stateless Forum", slug="stateless-forum"
    )
    Alias.objects.create(actor=stateless, name="פורום", language="he", kind=Alias.Kind.SHORT)
    Role.objects.create(
        person=netanyahu,
        position=Role.Position.OTHER,
        organization=stateless,
        title="Honorary member",
        start_date=datetime.date(2024, 1, 1),
        end_date=None,
    )
    visit = Talk.objects.create(
        slug="2024-01-iran-united-states-visit",
        kind=Talk.Kind.VISIT,
        state_a=iran,
        state_b=usa,
        date=datetime.date(2024, 1, 1),
        date_precision=Talk.DatePrecision.MONTH,
        place=Actor.objects.filter(kind=Actor.Kind.PLACE).first(),
        status=PublicationStatus.DRAFT,
    )
    TalkTopic.objects.create(talk=visit, topic=topic, side=None)
    TalkReport.objects.create(talk=visit, article=no_url)
    Outlet.objects.create(name="No Country Weekly", slug="no-country-weekly", languages="he en")
    decided = TalkSuggestion.objects.create(
        article=hebrew,
        talk=visit,
        talk_was_created=True,
        evidence={"date": "2024-01-01", "words": ["ביקור"], "nested": {"score": 1.25}},
    )
    decided.status, decided.reviewed_by = TalkSuggestion.Status.REJECTED, editor
    decided.reviewed_at = at(2024, 2, 3, 4, 5, 6, 7)
    decided.save()
    TalkSuggestion.objects.create(article=no_url, talk=seed_talk())

    # Timestamps an import would not produce by itself: old, to the microsecond, or empty.
    Article.objects.filter(pk=hebrew.pk).update(
        created_at=at(2001, 2, 3, 4, 5, 6, 789012), updated_at=at(2002, 3, 4, 5, 6, 7, 1)
    )
    Actor.objects.filter(pk=israel.pk).update(created_at=at(1999, 12, 31, 23, 59, 59, 999999))
    Topic.objects.filter(slug="two-state-solution").update(created_at=None, updated_at=None)
    ArticleActor.objects.filter(pk=rejected.pk).update(created_at=at(2010, 1, 1, 0, 0, 0, 5))
    return {"hebrew": hebrew, "no_url": no_url, "visit": visit, "suggested": suggested}


def test_every_curated_model_is_in_the_archive():
    models = {
        model
        for app in ("actors", "articles")
        for model in apps.get_app_config(app).get_models()
        if not issubclass(model, HistoricalChanges)
    }
    assert models == set(CURATED) == {section.model for section in SECTIONS}


def test_round_trip_restores_every_row_field_by_field(tmp_path, curated_extras, editor):
    assert ArticleActor.objects.get(pk=curated_extras["suggested"].pk).reviewed_by == editor
    before = snapshot()
    plain, compressed = tmp_path / "archive.jsonl", tmp_path / "archive.jsonl.gz"
    counts = export_archive(plain)
    assert export_archive(compressed) == counts
    assert compressed.read_bytes()[:2] == b"\x1f\x8b"
    assert not plain.read_bytes().startswith(b"\x1f\x8b")
    assert counts["articles.article"] == len(before["articles.article"])
    assert counts["actors.actor"] == len(before["actors.actor"]) > 300

    empty_curated_tables()
    histories = history_counts()
    restored = import_archive(plain)
    assert restored == counts
    assert restored.missing_reviewers == set()
    after = snapshot()
    for label in before:
        assert after[label] == before[label], label
    # Restored rows get no history record: the database backups keep the history.
    assert history_counts() == histories

    assert import_archive(compressed, replace=True) == counts
    assert snapshot() == before


def test_the_file_holds_a_header_then_rows_in_dependency_order(tmp_path, curated_extras):
    path = tmp_path / "archive.jsonl.gz"
    counts = export_archive(path)
    header, *rows = read_lines(path)
    assert header["format"] == FORMAT and header["version"] == VERSION
    assert datetime.datetime.fromisoformat(header["exported_at"])
    assert header["counts"] == counts
    assert counts["articles.seedentry"] == SeedEntry.objects.count()
    seen = set()
    labels = [section.label for section in SECTIONS]
    for row in rows:
        section = SECTIONS[labels.index(row["model"])]
        for field in section.fields:
            value = row["fields"][field.name]
            if field.is_relation and value is not None and field.name != "reviewed_by":
                assert (field.related_model._meta.label_lower, value) in seen, (row, field)
        seen.add((row["model"], row["pk"]))
    assert {label: sum(row["model"] == label for row in rows) for label in labels} == {
        label: counts[label] for label in labels
    }
    article = next(
        row
        for row in rows
        if row["model"] == "articles.article" and row["pk"] == curated_extras["hebrew"].pk
    )
    assert "search_vector" not in article["fields"]
    assert article["fields"]["title"] == "נתניהו שוחח עם בלינקן"
    assert article["fields"]["created_at"] == "2001-02-03T04:05:06.789012+00:00"
    assert len(article["fields"]["topics"]) == 2
    suggested = next(
        row
        for row in rows
        if row["model"] == "articles.articleactor" and row["pk"] == curated_extras["suggested"].pk
    )
    assert suggested["fields"]["reviewed_by"] == "ed"
    assert suggested["fields"]["status"] == "suggested"
    assert suggested["fields"]["origin"] == "linker"


def test_export_and_import_through_open_files(curated_extras):
    before = snapshot()
    text = io.StringIO()
    counts = export_archive(text)
    binary = io.BytesIO()
    with gzip.GzipFile(fileobj=binary, mode="wb") as compressed:
        compressed.write(text.getvalue().encode("utf-8"))
    binary.seek(0)
    assert import_archive(binary, replace=True) == counts
    assert not binary.closed
    assert snapshot() == before
    assert import_archive(io.StringIO(text.getvalue()), replace=True) == counts
    assert snapshot() == before


def test_reviewer_unknown_to_the_database_is_left_empty(tmp_path, curated_extras, editor):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    get_user_model().objects.filter(pk=editor.pk).update(username="someone-else")
    counts = import_archive(path, replace=True)
    assert counts.missing_reviewers == {"ed"}
    reviewed = ArticleActor.objects.get(pk=curated_extras["suggested"].pk)
    assert reviewed.reviewed_by is None
    assert reviewed.reviewed_at is not None


def test_import_into_a_database_with_curated_rows_refuses_and_writes_nothing(tmp_path):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    make_article(title="Written after the export")
    before = snapshot()
    with pytest.raises(ArchiveError, match=r"already holds curated rows.*--replace"):
        import_archive(path)
    assert snapshot() == before
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_archive", str(path))
    assert snapshot() == before


def test_truncated_file_fails_with_the_line_number_and_writes_nothing(tmp_path, curated_extras):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    last = lines[-1]
    path.write_text("".join(lines[:-1]) + last[: len(last) // 2], encoding="utf-8")
    before = snapshot()
    with pytest.raises(ArchiveError, match=rf"Line {len(lines)}\b.*truncated"):
        import_archive(path, replace=True)
    # The rows deleted by --replace are back too.
    assert snapshot() == before


def test_file_cut_at_the_end_of_a_line_fails_on_the_counts(tmp_path):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    before = snapshot()
    with pytest.raises(ArchiveError, match=r"articles.seedentry: \d+ rows, the header announces"):
        import_archive(path, replace=True)
    assert snapshot() == before


def test_truncated_gzip_file_fails_with_a_line_number(tmp_path):
    path = tmp_path / "archive.jsonl.gz"
    export_archive(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    before = snapshot()
    with pytest.raises(ArchiveError, match=r"Line \d+: .*truncated or corrupted"):
        import_archive(path, replace=True)
    assert snapshot() == before


def test_corrupted_line_fails_with_its_number(tmp_path):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace('"fields":{', '"fields":{"no_such_field":1,', 1)
    lines[9] = "{not json\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"Line 6: actors.actor has no field no_such_field"):
        import_archive(path, replace=True)
    del lines[5]
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"Line 9: not valid JSON"):
        import_archive(path, replace=True)


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        ('{"format": "something-else", "version": 1, "counts": {}}', "not a newsarchive archive"),
        (f'{{"format": "{FORMAT}", "version": 2, "counts": {{}}}}', "version 2"),
        (f'{{"format": "{FORMAT}", "version": 1, "counts": {{"auth.user": 1}}}}', "counts"),
        ("model,pk,fields", "Line 1: not valid JSON"),
        ("", "The file is empty"),
    ],
)
def test_wrong_header_fails(tmp_path, first_line, message):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    body = path.read_text(encoding="utf-8").splitlines(keepends=True)[1:]
    path.write_text((first_line + "\n" if first_line else "") + "".join(body), encoding="utf-8")
    if not first_line:
        path.write_text("", encoding="utf-8")
    before = snapshot()
    with pytest.raises(ArchiveError, match=message):
        import_archive(path, replace=True)
    assert snapshot() == before


def test_rows_out_of_dependency_order_are_refused(tmp_path):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(header + rows[-1] + "".join(rows[:-1]), encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"Line 3: a actors.actor row after .*out of order"):
        import_archive(path, replace=True)


def test_new_rows_after_a_restore_get_fresh_ids(tmp_path):
    # Explicit ids far above the database's sequences: only a sequence reset (PostgreSQL)
    # gives the next rows ids above them.
    high = make_article(pk=900_000, title="An article with a high id")
    high_talk = Talk.objects.create(
        pk=800_000,
        slug="high-id-talk",
        kind=Talk.Kind.MEETING,
        state_a=Actor.objects.get(slug="israel"),
        state_b=Actor.objects.get(slug="iran"),
        date=datetime.date(2024, 5, 1),
    )
    path = tmp_path / "archive.jsonl.gz"
    export_archive(path)
    import_archive(path, replace=True)
    assert make_article(title="Written after the restore").pk > high.pk
    talk = Talk.objects.create(
        slug="after-restore",
        kind=Talk.Kind.MEETING,
        state_a=Actor.objects.get(slug="israel"),
        state_b=Actor.objects.get(slug="united-states"),
        date=datetime.date(2024, 6, 1),
    )
    assert talk.pk > high_talk.pk
    alias = Alias.objects.create(actor=Actor.objects.get(slug="iran"), name="Persia", language="")
    assert alias.pk > max(Alias.objects.exclude(pk=alias.pk).values_list("pk", flat=True))


def test_public_urls_survive_a_restore(client, tmp_path):
    article = seed_article()
    talk = Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")
    urls = [article.get_absolute_url(), talk.get_absolute_url()]
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    empty_curated_tables()
    assert client.get(urls[0]).status_code == 404
    import_archive(path)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    assert article.title in client.get(urls[0]).content.decode()
    if connection.vendor == "postgresql":
        # The trigger computed the search vector of each restored article.
        assert Article._base_manager.filter(pk=article.pk, search_vector__isnull=False).exists()
        found = search_articles(Article.objects.published(), "nucléaire")
        assert found.filter(pk=article.pk).exists()


def test_commands_print_counts_per_model(tmp_path):
    path = tmp_path / "archive.jsonl.gz"
    out = io.StringIO()
    call_command("export_archive", str(path), stdout=out)
    assert "articles.article: 1" in out.getvalue()
    assert f"actors.actor: {Actor.objects.count()}" in out.getvalue()
    assert not (tmp_path / "archive.jsonl.gz.partial").exists()
    out = io.StringIO()
    call_command("import_archive", str(path), "--replace", stdout=out)
    assert f"actors.alias: {Alias.objects.count()}" in out.getvalue()
    assert "Archive restored" in out.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_archive", str(tmp_path / "missing.jsonl"))


def test_import_warns_when_the_seed_ledger_is_empty(tmp_path):
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    assert not import_archive(path, replace=True).seed_ledger_empty
    SeedEntry.objects.all().delete()
    export_archive(path)
    out = io.StringIO()
    call_command("import_archive", str(path), "--replace", stdout=out)
    assert "seed ledger is empty" in out.getvalue()


# ---------------------------------------------------------------------------------------
# CAMEO-style event table


def seed_talk():
    return Talk.objects.get(slug="2023-06-08-israel-united-states-phone-call")


def test_cameo_row_of_the_seed_talk():
    (row,) = cameo_rows(Talk.objects.published(), BASE_URL)
    talk, article = seed_talk(), seed_article()
    assert list(row) == CAMEO_COLUMNS
    assert row == {
        "event_id": talk.pk,
        "date": "2023-06-08",
        "date_precision": "day",
        "source_state": "israel",
        "source_state_name": "Israel",
        "target_state": "united-states",
        "target_state_name": "United States",
        "event_code": "041",
        "event_kind": "phone_call",
        "place": "",
        "participants": "Benjamin Netanyahu (israel); Antony Blinken (united-states)",
        "source_articles": "https://archive.example.org" + article.get_absolute_url(),
    }


def test_cameo_source_articles_are_the_published_reports_only():
    talk = seed_talk()
    draft = make_article(title="Draft report", status=PublicationStatus.DRAFT)
    later = make_article(title="Later report", published_on=datetime.date(2023, 6, 10))
    for article in (draft, later):
        TalkReport.objects.create(talk=talk, article=article)
    (row,) = cameo_rows(Talk.objects.filter(pk=talk.pk), "https://a.example")
    assert row["source_articles"].split(" ") == [
        "https://a.example" + seed_article().get_absolute_url(),
        "https://a.example" + later.get_absolute_url(),
    ]


def test_cameo_rows_of_a_list_equal_those_of_a_queryset(django_assert_max_num_queries):
    iran, usa = Actor.objects.get(slug="iran"), Actor.objects.get(slug="united-states")
    place = Actor.objects.filter(kind=Actor.Kind.PLACE).first()
    for day in range(1, 6):
        talk = Talk.objects.create(
            slug=f"talk-{day}",
            kind=Talk.Kind.NEGOTIATION_ROUND,
            state_a=iran,
            state_b=usa,
            date=datetime.date(2024, 3, day),
            place=place,
            status=PublicationStatus.PUBLISHED,
        )
        TalkParticipant.objects.create(
            talk=talk, person=Actor.objects.get(slug="antony-blinken"), represents=usa
        )
    Talk.objects.filter(slug="talk-5").update(cameo_code="")  # left blank: from the kind
    talks = Talk.objects.published().order_by("date", "pk")
    with django_assert_max_num_queries(4):
        rows = list(cameo_rows(talks, BASE_URL))
    assert len(rows) == 6
    assert list(cameo_rows(list(talks), BASE_URL)) == rows
    assert {row["event_code"] for row in rows[1:]} == {"046"}
    assert rows[-1]["place"] == place.name
    assert rows[-1]["participants"] == "Antony Blinken (united-states)"
    assert rows[-1]["source_articles"] == ""


def test_export_cameo_writes_the_published_talks_as_csv(tmp_path):
    Talk.objects.create(
        slug="draft-talk",
        kind=Talk.Kind.MEETING,
        state_a=Actor.objects.get(slug="israel"),
        state_b=Actor.objects.get(slug="iran"),
        date=datetime.date(2024, 2, 1),
        status=PublicationStatus.DRAFT,
    )
    path = tmp_path / "events.csv"
    out = io.StringIO()
    call_command("export_cameo", str(path), "--base-url", BASE_URL, stdout=out)
    assert "1 published talks" in out.getvalue()
    with open(path, encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
    assert reader.fieldnames == CAMEO_COLUMNS
    assert [row["event_id"] for row in rows] == [str(seed_talk().pk)]
    assert rows[0]["source_state_name"] == "Israel"
    with pytest.raises(CommandError, match="base-url"):
        call_command("export_cameo", str(path), "--base-url", "archive.example.org")


def test_json_values_round_trip_including_a_json_null(tmp_path):
    links = list(ArticleActor.objects.order_by("pk")[:2])
    ArticleActor.objects.filter(pk=links[0].pk).update(evidence=Value(None, JSONField()))
    ArticleActor.objects.filter(pk=links[1].pk).update(evidence=[{"sentence": "« Iran »"}, 3, ""])
    before = snapshot()
    path = tmp_path / "archive.jsonl"
    export_archive(path)
    import_archive(path, replace=True)
    assert snapshot() == before
    assert ArticleActor.objects.filter(pk=links[0].pk, evidence__isnull=True).count() == 0
