"""Importing articles from files and feeds: formats, cleaning, deduplication, bad input."""

import datetime
import http.server
import io
import json
import shutil
import threading
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, OperationalError, connection, models

from articles import importing
from articles.importing import (
    Importer,
    RecordError,
    SourceError,
    SourceFile,
    articles_imported,
    clean_text,
    import_paths,
    import_records,
    iter_json_array,
)
from articles.models import Article, ArticleActor, Outlet, PublicationStatus
from articles.seeds import SEEDS_DIR
from articles.tests.factories import link

pytestmark = pytest.mark.django_db

EXAMPLES = settings.BASE_DIR / "seeds" / "examples"
SEED_TEXT = SEEDS_DIR / "000_3ffe4a8996a89bd8.txt"


@dataclass
class Result:
    ok: bool
    out: str
    err: str


def run(*args, command: str = "import_articles") -> Result:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *[str(arg) for arg in args], stdout=out, stderr=err)
    except CommandError as error:
        return Result(False, out.getvalue(), err.getvalue() + str(error))
    return Result(True, out.getvalue(), err.getvalue())


def record(**fields) -> dict:
    values = {
        "title": "Iran and the IAEA agree on inspections",
        "text": "Iran and the International Atomic Energy Agency agreed on a timetable.",
        "url": "https://news.example.org/iran-iaea",
        "language": "en",
    }
    values.update(fields)
    return values


def write_jsonl(path: Path, records: list, encoding: str = "utf-8") -> Path:
    lines = [item if isinstance(item, str) else json.dumps(item) for item in records]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def counts(report) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.skipped, report.rejected


# --------------------------------------------------------------- formats


def test_jsonl_example_imports_three_languages_with_one_new_outlet():
    before = Article.objects.count()
    result = run(EXAMPLES / "example.jsonl")
    assert result.ok, result.err
    assert "3 created, 0 updated, 0 skipped, 0 rejected; 1 outlet created" in result.out
    assert Article.objects.count() == before + 3
    wire = Outlet.objects.get(slug="example-wire")
    articles = Article.objects.filter(outlet=wire)
    assert set(articles.values_list("language", flat=True)) == {"en", "fr", "he"}
    english = articles.get(language="en")
    assert english.canonical_url == "https://wire.example.org/2023/03/04/iaea-grossi-tehran"
    assert english.published_on == datetime.date(2023, 3, 4)  # the date as the outlet wrote it
    assert english.byline == "Example Wire staff"
    assert english.status == PublicationStatus.DRAFT
    assert "<" not in english.body
    assert english.body.count("\n\n") == 1


def test_json_list_and_csv_examples():
    result = run(EXAMPLES / "example.json", EXAMPLES / "example.csv", "--publish")
    assert result.ok, result.err
    assert "3 created" in result.out
    exercise = Article.objects.get(canonical_url="https://wire.example.org/2023/01/26/juniper-oak")
    assert exercise.status == PublicationStatus.PUBLISHED
    withdrawal = Article.objects.get(title__startswith="Nucléaire iranien")
    assert withdrawal.byline == "Jean Exemple, Marie Exemple"
    assert withdrawal.language == "fr"
    assert withdrawal.published_on == datetime.date(2018, 5, 8)
    muscat = Article.objects.get(title__startswith="Oman hosts")
    assert muscat.body.split("\n\n")[1].startswith("Both sides")


def test_txt_file_is_title_then_body(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text(
        "Blinken meets Israeli counterpart\n\nThe two ministers met.\nThey spoke about Iran.\n\n"
        "A second paragraph.\n",
        encoding="utf-8",
    )
    report = import_paths([path])
    assert counts(report) == (1, 0, 0, 0)
    article = Article.objects.get(title="Blinken meets Israeli counterpart")
    assert article.body == "The two ministers met. They spoke about Iran.\n\nA second paragraph."
    assert article.language == "en"


def test_a_copy_of_the_seed_file_is_recognised_by_its_content_hash(tmp_path):
    seed = Article.objects.get(canonical_url__contains="israel-actualites.tv")
    copy = tmp_path / "copy.txt"
    shutil.copy(SEED_TEXT, copy)
    before = Article.objects.count()
    result = run(copy)
    assert result.ok, result.err
    assert "0 created, 0 updated, 1 skipped" in result.out
    assert Article.objects.count() == before
    seed.refresh_from_db()
    assert seed.status == PublicationStatus.PUBLISHED and seed.actor_links.exists()


def test_html_page_gives_main_text_and_metadata():
    report = import_paths([EXAMPLES / "example.html"])
    assert counts(report) == (1, 0, 0, 0)
    article = Article.objects.get(
        canonical_url="https://news.example.com/2022/07/14/jerusalem-declaration"
    )
    assert article.title == "Biden and Lapid sign the Jerusalem Declaration on Iran"
    assert article.published_on == datetime.date(2022, 7, 14)
    assert article.byline == "Example News staff"
    assert article.language == "en"
    assert article.outlet.name == "Example News"
    assert article.body.startswith("US President Joe Biden and Israeli Prime Minister Yair Lapid")
    assert article.body.count("\n\n") == 2
    for noise in ("analytics", "Most read", "Newsletter", "©", "<"):
        assert noise not in article.body
    assert "president’s visit" in article.body  # &rsquo; unescaped


def test_rss_entries_use_content_or_summary():
    report = import_paths([EXAMPLES / "example.rss"])
    assert counts(report) == (2, 0, 0, 0)
    exchange = Article.objects.get(
        canonical_url="https://wire.example.org/2023/09/18/prisoner-exchange"
    )
    assert exchange.body.startswith("Five US citizens held in Iran were released on 18 September")
    assert exchange.body.count("\n\n") == 1  # content:encoded, not the one-line description
    assert exchange.published_on == datetime.date(2023, 9, 18)
    assert exchange.byline == "Example Wire staff"
    assert exchange.outlet.name == "Example Wire"
    meeting = Article.objects.get(title="Netanyahu and Biden meet at the UN General Assembly")
    assert meeting.body.endswith("between Israel and Saudi Arabia.")
    assert "<p>" not in meeting.body


def test_atom_entry_with_escaped_html_and_feed_language():
    report = import_paths([EXAMPLES / "example.atom"])
    assert counts(report) == (1, 0, 0, 0)
    article = Article.objects.get(title="Échange de prisonniers entre l’Iran et les États-Unis")
    assert article.language == "fr"
    assert article.byline == "Rédaction"
    assert article.published_on == datetime.date(2023, 9, 19)
    assert article.body == (
        "Cinq Américains détenus en Iran ont été libérés le 18 septembre 2023 dans le cadre "
        "d’un échange négocié par le Qatar.\n\nWashington a libéré en retour cinq Iraniens."
    )


def test_format_is_sniffed_when_the_extension_says_nothing(tmp_path):
    jsonl = write_jsonl(
        tmp_path / "export.dat", [record(), record(url="https://a.example/b", title="Other")]
    )
    csv_file = tmp_path / "export"
    csv_file.write_text(
        "title,text,language\nSniffed CSV,A body about Iran.,en\n", encoding="utf-8"
    )
    feed = tmp_path / "feed.download"
    shutil.copy(EXAMPLES / "example.rss", feed)
    assert SourceFile(jsonl).format == "jsonl"
    assert SourceFile(csv_file).format == "csv"
    assert SourceFile(feed).format == "feed"
    report = import_paths([jsonl, csv_file, feed])
    assert counts(report) == (5, 0, 0, 0)


def test_a_directory_imports_its_supported_files_in_order(tmp_path):
    folder = tmp_path / "dump"
    shutil.copytree(EXAMPLES, folder)
    (folder / "README.md").write_text("not an article", encoding="utf-8")
    (folder / ".hidden.jsonl").write_text("{broken", encoding="utf-8")
    result = run(folder)
    assert result.ok, result.err
    listed = [line.split(" (")[0].strip() for line in result.out.splitlines() if "(" in line]
    assert listed == sorted(str(path) for path in folder.glob("example.*"))
    assert "11 created, 0 updated, 0 skipped, 0 rejected; 3 outlets created" in result.out
    assert "1 file(s) of unsupported types ignored" in result.err


# --------------------------------------------------------- deduplication


def test_importing_everything_again_creates_nothing(tmp_path):
    shutil.copy(SEED_TEXT, tmp_path / "seed.txt")
    first = run(EXAMPLES, tmp_path)
    assert first.ok, first.err
    articles, outlets = Article.objects.count(), Outlet.objects.count()
    history = Article.history.count()
    second = run(EXAMPLES, tmp_path)
    assert second.ok, second.err
    assert "0 created, 0 updated, 12 skipped, 0 rejected; 0 outlets created" in second.out
    assert (Article.objects.count(), Outlet.objects.count()) == (articles, outlets)
    assert Article.history.count() == history


def test_a_changed_record_updates_the_article_but_not_its_status_or_links():
    import_records([record(authors=["Jane Doe"], published="2023-03-04")])
    article = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    article.status = PublicationStatus.PUBLISHED
    article.kind = Article.Kind.ANALYSIS
    article.save()
    # The linker suggested links on import; an editor's decision replaces its suggestion.
    article.actor_links.filter(actor__slug="iran", role=ArticleActor.Role.SUBJECT).delete()
    actor_link = link(
        article,
        "iran",
        role=ArticleActor.Role.SUBJECT,
        status=ArticleActor.Status.CONFIRMED,
        origin=ArticleActor.Origin.EDITOR,
    )
    links_before = set(article.actor_links.values_list("actor_id", "role", "status"))

    changed = record(
        title="Iran and the IAEA agree on a new inspections timetable",
        text="A corrected body.\n\nWith a second paragraph.",
        published="2023-03-05",
        outlet="reuters",
    )
    report = import_records([changed], publish=False)
    assert counts(report) == (0, 1, 0, 0)
    article.refresh_from_db()
    assert article.title == "Iran and the IAEA agree on a new inspections timetable"
    assert article.body == "A corrected body.\n\nWith a second paragraph."
    assert article.published_on == datetime.date(2023, 3, 5)
    assert article.outlet.slug == "reuters"
    assert article.byline == "Jane Doe"  # not in the new record: kept
    assert article.status == PublicationStatus.PUBLISHED
    assert article.kind == Article.Kind.ANALYSIS
    # Relinking the corrected text keeps the editor's link as it was.
    assert article.actor_links.get(pk=actor_link.pk).status == ArticleActor.Status.CONFIRMED
    assert set(article.actor_links.values_list("actor_id", "role", "status")) == links_before
    assert article.history.first().history_change_reason == "import_articles"

    assert counts(import_records([changed])) == (0, 0, 1, 0)


def test_url_variants_are_one_article():
    import_records([record(url="https://www.example.org/world/iran?id=3")])
    variants = [
        "HTTP://WWW.Example.ORG/world/iran?id=3",
        "https://www.example.org/world/iran?utm_source=x&id=3&fbclid=abc",
        "https://www.example.org/world/iran?id=3#comments",
    ]
    report = import_records([record(url=url) for url in variants])
    assert counts(report) == (0, 0, 3, 0)
    assert Article.objects.filter(canonical_url__contains="example.org/world/iran").count() == 1
    report = import_records([record(url=variants[1], title="A new title")])
    assert counts(report) == (0, 1, 0, 0)


def test_same_text_without_url_is_skipped_and_a_url_is_learnt():
    text_only = record(url="", title="No URL here")
    assert counts(import_records([text_only])) == (1, 0, 0, 0)
    assert counts(import_records([{**text_only, "text": f"  {text_only['text']}  "}])) == (
        0,
        0,
        1,
        0,
    )
    with_url = {**text_only, "url": "https://news.example.org/no-url-here"}
    assert counts(import_records([with_url])) == (0, 1, 0, 0)
    assert Article.objects.get(title="No URL here").source_url == with_url["url"]
    assert counts(import_records([{**with_url, "url": "https://mirror.example/x"}])) == (
        0,
        0,
        1,
        0,
    )


# ----------------------------------------------- encodings and odd files


def test_bom_is_stripped(tmp_path):
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps(record()).encode() + b"\n")
    csv_file = tmp_path / "bom.csv"
    csv_file.write_bytes(b"\xef\xbb\xbftitle,text,language\r\nBOM title,A body.,en\r\n")
    result = run(jsonl, csv_file)
    assert result.ok, result.err
    assert result.out.count("utf-8 with BOM") == 2
    assert Article.objects.filter(title="BOM title").exists()
    assert not Article.objects.filter(title__startswith="\ufeff").exists()


def test_latin1_file_falls_back_and_says_so(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        "title,text,language,authors\n"
        "Téhéran répond à Washington,Le ministère a publié un communiqué à Téhéran.,fr,"
        '"Hélène; André"\n'.encode("latin-1")
    )
    result = run(path)
    assert result.ok, result.err
    assert "(CSV, cp1252 (not valid UTF-8))" in result.out
    article = Article.objects.get(title="Téhéran répond à Washington")
    assert article.byline == "Hélène, André"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes("Un titre\n\nUn texte en français sur l'Iran.".encode("latin-1") + b"\x81")
    assert SourceFile(path).encoding == "latin-1 (not valid UTF-8)"


def test_empty_file_is_reported_not_a_crash(tmp_path):
    for name in ("empty.jsonl", "empty.json", "empty.csv", "empty.rss", "empty.html"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "blank.json").write_text("  \n", encoding="utf-8")
    result = run(tmp_path)
    assert result.ok, result.err
    assert result.err.count("empty file") == 5
    assert "blank.json: no records found" in result.err


def test_truncated_json_names_the_file_and_the_position(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps([record(), record(url="https://b.example/")])[:-30], "utf-8")
    before = Article.objects.count()
    result = run(path)
    assert not result.ok
    assert f"{path}: invalid or truncated JSON at line 1, column" in result.err
    assert "1 source(s) could not be read" in result.err
    assert Article.objects.count() == before


def test_missing_file_is_reported_and_the_others_imported(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [record()])
    result = run(tmp_path / "nope.jsonl", good)
    assert not result.ok
    assert f"{tmp_path / 'nope.jsonl'}: file not found" in result.err
    assert Article.objects.filter(canonical_url="https://news.example.org/iran-iaea").exists()


# ------------------------------------------------------------ rejections


def test_malformed_jsonl_imports_the_good_lines_and_reports_each_bad_one(tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            record(url="https://a.example/1"),
            record(url="https://a.example/2", title=""),
            '{"title": "cut in the middle", "text": ',
            record(url="https://a.example/3", published="2023-13-45", outlet="Brand New Outlet"),
            "",
            record(url="https://a.example/4", title="Fine too"),
            "[1, 2]",
        ],
    )
    before = Article.objects.count()
    result = run(path)
    assert not result.ok
    assert f"rejected: {path}, line 2: missing title" in result.err
    assert f"rejected: {path}, line 3: invalid JSON" in result.err
    assert f'rejected: {path}, line 4: bad date "2023-13-45"' in result.err
    assert f"rejected: {path}, line 7: expected a JSON object" in result.err
    assert "4 record(s) rejected" in result.err
    assert "2 created, 0 updated, 0 skipped, 4 rejected" in result.out
    assert Article.objects.count() == before + 2
    assert not Outlet.objects.filter(name="Brand New Outlet").exists()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": "   "}, "missing title"),
        ({"title": "x" * 501}, "title too long (501 characters, at most 500)"),
        ({"text": ""}, "empty text"),
        ({"text": "<p> </p><script>only()</script>"}, "empty text"),
        ({"published": "2023-13-45"}, 'bad date "2023-13-45"'),
        ({"published": 20230101}, "bad date 20230101"),
        ({"language": "xx"}, 'unknown language code "xx"'),
        ({"url": "ftp://files.example.org/a"}, "URL not http(s)"),
        ({"url": "javascript:alert(1)"}, "URL not http(s)"),
        ({"url": "https://example.org/" + "a" * 2000}, "URL too long"),
        ({"authors": ["A" * 301]}, "authors too long"),
        ({"authors": {"name": "A"}}, "authors must be a list"),
        ({"kind": "gossip"}, 'unknown kind "gossip"'),
        ({"title": ["a list"]}, "title must be text"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(fields, reason):
    report = import_records([record(**fields)])
    assert counts(report)[:3] == (0, 0, 0)
    assert report.rejections[0].position == "record 1"
    assert reason in report.rejections[0].reason


def test_a_record_is_written_whole_or_not_at_all(monkeypatch):
    original_save = Article.save

    def failing_save(self, *args, **kwargs):
        if self.title == "Doomed":
            raise DatabaseError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Article, "save", failing_save)
    report = import_records(
        [
            record(title="Doomed", outlet="Outlet Of The Doomed"),
            record(url="https://b.example/2", title="Fine", outlet="Outlet Of The Fine"),
        ]
    )
    assert counts(report) == (1, 0, 0, 1)
    assert "the database refused the record: disk full" in report.rejections[0].reason
    assert report.outlets_created == 1
    assert not Outlet.objects.filter(name="Outlet Of The Doomed").exists()
    assert Outlet.objects.filter(name="Outlet Of The Fine").exists()


def test_atomic_writes_nothing_when_any_record_is_rejected(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [record(outlet="Atomic Outlet"), record(url="https://b.example/", language="zz")],
    )
    articles, outlets = Article.objects.count(), Outlet.objects.count()
    result = run(path, "--atomic")
    assert not result.ok
    assert "rolled back, nothing written" in result.out
    assert (Article.objects.count(), Outlet.objects.count()) == (articles, outlets)

    good = write_jsonl(tmp_path / "b.jsonl", [record(outlet="Atomic Outlet")])
    result = run(good, "--atomic")
    assert result.ok, result.err
    assert Article.objects.count() == articles + 1


def test_dry_run_counts_but_writes_nothing(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            record(outlet="Dry Outlet"),
            record(url="https://b.example/", title="Other"),
            record(title=""),
        ],
    )
    articles, outlets = Article.objects.count(), Outlet.objects.count()
    result = run(path, "--dry-run")
    assert not result.ok  # a record was rejected
    assert "Dry run, nothing written: 2 created, 0 updated, 0 skipped, 1 rejected" in result.out
    assert "1 outlet created" in result.out
    assert (Article.objects.count(), Outlet.objects.count()) == (articles, outlets)


# ------------------------------------------------- cleaning and language


def test_html_in_a_jsonl_record_is_stored_as_plain_text(tmp_path):
    body = (
        "<div><h2>Talks in Vienna</h2><p>Negotiators   met &amp; talked.<br>Again.</p>"
        "<script>document.write('<p>tracking</p>')</script><style>p{}</style>"
        "<!-- a comment --><ul><li>One</li><li>Two</li></ul>&lt;b&gt;bold&lt;/b&gt;</div>"
    )
    path = write_jsonl(tmp_path / "h.jsonl", [record(text=body, title="<i>Vienna</i> talks")])
    assert run(path).ok
    article = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    assert article.title == "Vienna talks"
    assert article.body == (
        "Talks in Vienna\n\nNegotiators met & talked. Again.\n\nOne\n\nTwo\n\nbold"
    )
    assert "<" not in article.body and "tracking" not in article.body


def test_clean_text_keeps_paragraphs_and_drops_unstorable_characters():
    assert clean_text("One\r\n  two\r\n\r\n\r\nThree\x00") == "One two\n\nThree"
    assert clean_text("x < y and y > z") == "x < y and y > z"
    assert clean_text("Prix\u00a0: 5 €") == "Prix\u00a0: 5 €"


def test_language_is_detected_when_missing():
    report = import_records(
        [
            record(
                url="https://a.example/en",
                language="",
                title="Foreign ministers discuss the nuclear agreement",
                text="The foreign ministers of the two countries spoke on Thursday about the "
                "nuclear agreement and about security cooperation in the region.",
            ),
            {
                "url": "https://a.example/fr",
                "title": "Les ministres évoquent l’accord nucléaire",
                "text": "Les ministres des affaires étrangères des deux pays se sont entretenus "
                "jeudi de l’accord sur le nucléaire et de la coopération en matière de sécurité.",
            },
        ]
    )
    assert counts(report) == (2, 0, 0, 0)
    assert Article.objects.get(canonical_url="https://a.example/en").language == "en"
    assert Article.objects.get(canonical_url="https://a.example/fr").language == "fr"


def test_a_language_tag_is_reduced_to_its_iso_639_1_code():
    import_records([record(language="fr-FR")])
    assert Article.objects.get(canonical_url="https://news.example.org/iran-iaea").language == "fr"


# -------------------------------------------------------------- the hook


def test_articles_imported_is_sent_once_per_batch_with_its_articles_inside_its_transaction():
    received = []

    def receiver(sender, articles, **kwargs):
        # Inside the batch's transaction: the articles are there, not yet committed.
        assert connection.in_atomic_block
        assert all(Article.objects.filter(pk=article.pk).exists() for article, _ in articles)
        received.append((sender, [(article.title, created) for article, created in articles]))

    articles_imported.connect(receiver)
    try:
        import_records([record(), record(url="https://b.example/", title="Second"), record(), {}])
        assert received == [
            (Article, [("Iran and the IAEA agree on inspections", True), ("Second", True)])
        ]
        received.clear()
        import_records([record(title="Retitled"), record(url="https://b.example/", title="Second")])
        assert received == [(Article, [("Retitled", False)])]
        received.clear()
        import_records([record(url="https://c.example/", title="Third")], dry_run=True)
        assert received == []
        assert not Article.objects.filter(title="Third").exists()
    finally:
        articles_imported.disconnect(receiver)


def test_each_batch_is_announced_before_it_commits(monkeypatch):
    monkeypatch.setattr(importing, "COMMIT_EVERY", 2)
    batches = []

    def receiver(sender, articles, **kwargs):
        batches.append([article.title for article, _ in articles])

    articles_imported.connect(receiver)
    try:
        import_records([record(url=f"https://n.example/{n}", title=f"N{n}") for n in range(5)])
    finally:
        articles_imported.disconnect(receiver)
    assert batches == [["N0", "N1"], ["N2", "N3"], ["N4"]]


def test_imported_articles_come_with_their_suggested_links():
    import_records([record()])
    article = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    assert article.actor_links.filter(actor__slug="iran").exists()


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler catches it."""


def test_an_import_killed_while_linking_leaves_no_article_without_links():
    def killed(sender, articles, **kwargs):
        raise Killed

    articles_imported.connect(killed)
    try:
        with pytest.raises(Killed):
            import_records([record()])
    finally:
        articles_imported.disconnect(killed)
    # The article and its links are one transaction: neither was kept ...
    assert not Article.objects.filter(canonical_url="https://news.example.org/iran-iaea").exists()
    # ... so the rerun creates the article, with its links, instead of skipping it.
    assert counts(import_records([record()])) == (1, 0, 0, 0)
    article = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    assert article.actor_links.filter(actor__slug="iran").exists()


def test_a_failing_receiver_costs_its_own_writes_and_a_warning_never_the_article():
    def broken(sender, articles, **kwargs):
        for article, _created in articles:
            link(article, "israel")
        raise DatabaseError("linker exploded")

    articles_imported.connect(broken)
    try:
        report = import_records([record()])
    finally:
        articles_imported.disconnect(broken)
    assert counts(report) == (1, 0, 0, 0)
    article = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    assert not article.actor_links.filter(actor__slug="israel").exists()  # rolled back
    assert any("linking failed (linker exploded)" in warning for warning in report.warnings)
    assert any("link_articles" in warning for warning in report.warnings)


def test_one_article_failing_to_link_costs_its_batch_mates_nothing():
    def broken_on_bad(sender, articles, **kwargs):
        if any(article.title == "Bad" for article, _created in articles):
            raise DatabaseError("cannot link Bad")

    articles_imported.connect(broken_on_bad)
    try:
        report = import_records(
            [record(), record(url="https://b.example/", title="Bad", text="Iran again.")]
        )
    finally:
        articles_imported.disconnect(broken_on_bad)
    assert counts(report) == (2, 0, 0, 0)
    good = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    assert good.actor_links.filter(actor__slug="iran").exists()
    assert not Article.objects.get(title="Bad").actor_links.exists()
    assert [w for w in report.warnings if "linking failed" in w] == [
        "'Bad': kept, but linking failed (cannot link Bad);"
        " `manage.py link_articles` links it again"
    ]


# ----------------------------------------------------------- fetch_feeds


class FeedHandler(http.server.BaseHTTPRequestHandler):
    user_agents: list[str] = []
    release = threading.Event()

    def do_GET(self):
        type(self).user_agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/feed.rss":
            self.reply(200, (EXAMPLES / "example.rss").read_bytes(), "application/rss+xml")
        elif self.path == "/page.html":
            self.reply(200, b"<html><body><p>Not a feed.</p></body></html>", "text/html")
        elif self.path == "/slow.rss":
            type(self).release.wait(5)  # until the test is over: the client has given up
        else:
            self.reply(404, b"not found", "text/plain")

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def feed_server(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    FeedHandler.user_agents = []
    FeedHandler.release = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    FeedHandler.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def feed_outlet(slug, url):
    return Outlet.objects.create(name=slug.title(), slug=slug, feed_url=url)


def test_fetch_feeds_imports_entries_as_the_outlets_articles(feed_server):
    outlet = feed_outlet("wire", f"{feed_server}/feed.rss")
    result = run("--outlet", "wire", "--publish", command="fetch_feeds")
    assert result.ok, result.err
    assert "wire: 2 created, 0 updated, 0 skipped, 0 rejected" in result.out
    assert FeedHandler.user_agents == ["newsarchive/0.1"]
    articles = Article.objects.filter(outlet=outlet)
    assert articles.count() == 2
    assert set(articles.values_list("status", flat=True)) == {PublicationStatus.PUBLISHED}
    assert not Outlet.objects.filter(name="Example Wire").exists()  # the feed's own title

    again = run("--outlet", "wire", command="fetch_feeds")
    assert "wire: 0 created, 0 updated, 2 skipped" in again.out


def test_fetch_feeds_reports_a_failing_outlet_and_goes_on(feed_server):
    feed_outlet("gone", f"{feed_server}/missing.rss")
    feed_outlet("page", f"{feed_server}/page.html")
    feed_outlet("wire", f"{feed_server}/feed.rss")
    result = run(command="fetch_feeds")
    assert not result.ok
    assert f"gone: failed: {feed_server}/missing.rss: HTTP error 404 Not Found" in result.err
    assert f"page: failed: {feed_server}/page.html: not an RSS or Atom feed" in result.err
    assert "wire: 2 created" in result.out
    assert "2 outlet(s) failed (gone, page)" in result.err


def test_fetch_feeds_times_out(feed_server):
    feed_outlet("slow", f"{feed_server}/slow.rss")
    result = run("--outlet", "slow", "--timeout", "0.3", command="fetch_feeds")
    assert not result.ok
    assert "timed out after 0.3 s" in result.err


def test_fetch_feeds_refuses_an_unknown_outlet_and_a_non_http_url():
    assert "Unknown outlet(s): nobody" in run("--outlet", "nobody", command="fetch_feeds").err
    outlet = Outlet.objects.create(name="Local", slug="local", feed_url="http://x.example/")
    Outlet.objects.filter(pk=outlet.pk).update(feed_url="file:///etc/passwd")
    result = run("--outlet", "local", command="fetch_feeds")
    assert not result.ok and "not an http(s) URL" in result.err


# ------------------------------------------------------------- streaming


def peak_while_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in SourceFile(path).items())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return count, peak


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".json"])
def test_reading_streams_in_constant_memory(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(importing, "FULL_PARSE_LIMIT", 0)  # stream JSON lists too

    def generate(lines: int) -> Path:
        path = tmp_path / f"{lines}{suffix}"
        with path.open("w", encoding="utf-8") as handle:
            if suffix == ".csv":
                handle.write("title,text,language\n")
            elif suffix == ".json":
                handle.write("[\n")
            for number in range(lines):
                item = {"title": f"Title {number}", "text": f"Body {number}.", "language": "en"}
                if suffix == ".csv":
                    handle.write(f"Title {number},Body {number}.,en\n")
                else:
                    separator = "," if suffix == ".json" and number < lines - 1 else ""
                    handle.write(json.dumps(item) + separator + "\n")
            if suffix == ".json":
                handle.write("]\n")
        return path

    small_count, small_peak = peak_while_reading(generate(2_000))
    large_count, large_peak = peak_while_reading(generate(20_000))
    assert (small_count, large_count) == (2_000, 20_000)
    assert large_peak < 2 * small_peak + 64 * 1024, (small_peak, large_peak)


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64 * 1024])
def test_streamed_json_list_gives_what_a_full_parse_gives(chunk_size):
    values = [
        {"title": "Ünïcode «title»", "text": "a\nb", "n": 12345},
        [1, 2.5e3, None, True],
        "text, with ] and , inside",
        9876543210,
        {},
    ]
    text = json.dumps(values, indent=2, ensure_ascii=False)
    assert list(iter_json_array(io.StringIO(text), chunk_size=chunk_size)) == values
    assert list(iter_json_array(io.StringIO(" [ ] "), chunk_size=chunk_size)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"a": 1},\n{"b": ', "at line 2"),
        ('[{"a": 1}\n{"b": 2}]', "expected ',' or ']' after a record"),
        ('[{"a": 1}', "the file ends before the list is closed"),
        ('{"a": 1}', "expected a list of records"),
        ('[{"a": 1}] trailing', "unexpected data after the list"),
    ],
)
def test_streamed_json_errors_say_where(text, message):
    with pytest.raises(SourceError, match=message):
        list(iter_json_array(io.StringIO(text), chunk_size=4))


def test_streamed_json_file_keeps_the_records_before_a_truncation(tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "FULL_PARSE_LIMIT", 0)
    path = tmp_path / "big.json"
    text = json.dumps([record()])[:-1] + ',\n{"title": "cut'
    path.write_text(text, encoding="utf-8")
    report = import_paths([path])
    assert counts(report) == (1, 0, 0, 0)
    cut = text.index('"cut') + 1
    assert report.errors == [
        f"{path}: invalid or truncated JSON at line 2 (character {cut}): "
        "Unterminated string starting at"
    ]


def test_progress_is_reported_every_thousand_records():
    calls = []
    importer = Importer(progress=lambda count, seconds: calls.append(count))
    importer.import_items("x", ((f"line {n}", RecordError("bad")) for n in range(2_500)))
    assert calls == [1_000, 2_000]
    assert importer.report.rejected == 2_500


def test_progress_option_prints_lines(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("[]\n" * 1_000, encoding="utf-8")
    result = run(path, "--progress", "--dry-run")
    assert "… 1,000 records (" in result.err


def test_csv_positions_are_the_lines_where_records_start(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text(
        'title,text,language\n"First","Line one\n\nLine two",en\nSecond,,en\n"Third",x,en,extra\n',
        encoding="utf-8",
    )
    report = import_paths([path])
    assert counts(report) == (1, 0, 0, 2)
    assert [(r.position, r.reason) for r in report.rejections] == [
        ("line 5", "empty text"),
        ("line 6", "expected 3 fields as in the header, found 4"),
    ]


def test_csv_without_title_and_text_columns_is_refused(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("name,body_text\nA,B\n", encoding="utf-8")
    report = import_paths([path])
    assert report.errors and "must name at least the columns title and text" in report.errors[0]


def test_a_feed_is_matched_to_an_outlet_by_its_site(tmp_path):
    path = tmp_path / "lemonde.rss"
    text = (EXAMPLES / "example.rss").read_text(encoding="utf-8")
    text = text.replace("<title>Example Wire</title>", "<title>Le Monde.fr - Actualités</title>")
    text = text.replace(
        "<link>https://wire.example.org/</link>", "<link>https://www.lemonde.fr/</link>"
    )
    path.write_text(text, encoding="utf-8")
    report = import_paths([path])
    assert counts(report) == (2, 0, 0, 0) and report.outlets_created == 0
    assert set(
        Article.objects.filter(title__contains="Netanyahu and Biden").values_list(
            "outlet__slug", flat=True
        )
    ) == {"le-monde"}


def test_the_outlet_option_attributes_every_record(tmp_path):
    result = run(EXAMPLES / "example.rss", "--outlet", "reuters")
    assert result.ok, result.err
    assert "0 outlets created" in result.out
    assert Article.objects.filter(outlet__slug="reuters").count() == 2
    assert "Unknown outlet 'nobody'" in run(EXAMPLES / "example.rss", "--outlet", "nobody").err


def test_characters_the_database_cannot_store_are_dropped():
    report = import_records(
        [
            record(
                title="Nul\x00 title",
                text="Body\x00 with a lone \ud800 surrogate.",
                outlet="A\x07B",
            )
        ]
    )
    assert counts(report) == (1, 0, 0, 0)
    article = Article.objects.get(canonical_url="https://news.example.org/iran-iaea")
    assert (article.title, article.body) == ("Nul title", "Body with a lone surrogate.")
    assert article.outlet.name == "AB"


def test_a_batch_the_database_fails_is_reported_whole_and_the_rerun_completes(monkeypatch):
    monkeypatch.setattr(importing, "COMMIT_EVERY", 2)
    records = [record(url=f"https://batch.example/{n}", title=f"Batch {n}") for n in range(1, 6)]
    real_create_with_history = importing.create_with_history

    def database_goes_away(articles, *args, **kwargs):
        if any(article.title == "Batch 4" for article in articles):
            raise OperationalError("server closed the connection unexpectedly")
        return real_create_with_history(articles, *args, **kwargs)

    monkeypatch.setattr(importing, "create_with_history", database_goes_away)
    report = import_records(records)
    # Batch 1 (records 1-2) committed; batch 2 (3-4) did not, and nothing after it ran.
    assert counts(report) == (2, 0, 0, 0)
    assert report.errors == [
        "records: the database failed (server closed the connection unexpectedly); "
        "records 3 to 4 were not imported, nor any after them: run the import again to add them"
    ]
    assert set(
        Article.objects.filter(title__startswith="Batch ").values_list("title", flat=True)
    ) == {
        "Batch 1",
        "Batch 2",
    }

    monkeypatch.setattr(importing, "create_with_history", real_create_with_history)
    assert counts(import_records(records)) == (3, 0, 2, 0)


def test_a_batch_keeps_the_order_and_the_outcome_of_each_record():
    """New articles are written together; a record that repeats one of them in the same
    batch still updates it (same URL) or is skipped (same text), as it would alone."""
    first = record(url="https://order.example/1", title="First", text="The first text.")
    second = record(url="https://order.example/2", title="Second", text="The second text.")
    records = [
        first,
        second,
        {**first, "title": "First, corrected"},
        {**second, "url": "", "title": "Second"},
        record(url="https://order.example/3", title="Third", text="The third text."),
    ]
    report = import_records(records)
    assert counts(report) == (3, 1, 1, 0)
    articles = list(Article.objects.filter(title__in=["First, corrected", "Second", "Third"]))
    assert [article.title for article in sorted(articles, key=lambda a: a.pk)] == [
        "First, corrected",
        "Second",
        "Third",
    ]
    for article in articles:
        kinds = list(article.history.order_by("history_id").values_list("history_type", flat=True))
        assert kinds == (["+", "~"] if article.title == "First, corrected" else ["+"])
        created = article.history.earliest("history_id")
        assert created.history_change_reason == "import_articles"
        assert (created.title, created.slug, created.content_hash) in {
            ("First", "first", created.content_hash),
            (article.title, article.slug, article.content_hash),
        }


def test_the_queries_of_a_batch_do_not_grow_with_its_new_records():
    from django.test.utils import CaptureQueriesContext

    def queries(number: int) -> int:
        records = [
            record(
                url=f"https://count.example/{number}/{n}",
                title=f"Iran and Israel, part {number}.{n}",
                text=f"Iran and Israel exchanged statements, part {n} of {number}.",
            )
            for n in range(number)
        ]
        with CaptureQueriesContext(connection) as captured:
            assert counts(import_records(records)) == (number, 0, 0, 0)
        return len(captured)

    queries(1)  # the linker is built and the outlets' actors read once
    # Record by record, that was five queries a record. SQLite may split a long INSERT
    # into chunks of its bound-variable limit: one more statement, not one a record.
    assert queries(40) - queries(4) <= (0 if connection.vendor == "postgresql" else 2)
    # Each link written with the batch has its creation record, with its values.
    imported = ArticleActor.objects.filter(article__source_url__startswith="https://count.example/")
    records = ArticleActor.history.filter(id__in=imported.values("pk"))
    assert sorted(records.values_list("id", "history_type", "role", "status", "evidence")) == (
        sorted(imported.values_list("id", models.Value("+"), "role", "status", "evidence"))
    )
    assert len(imported) > 40


def test_a_batch_the_database_refuses_is_imported_record_by_record(monkeypatch):
    import_records([record(url="https://race.example/1", title="Before")])
    # As if another import wrote the URL between the batch's lookup and its write.
    monkeypatch.setattr(Importer, "_known_keys", lambda self, cleans: set())
    report = import_records(
        [
            record(url="https://race.example/2", title="New"),
            record(url="https://race.example/1", title="After"),
        ]
    )
    assert counts(report) == (1, 1, 0, 0)
    assert Article.objects.get(canonical_url="https://race.example/1").title == "After"
    new = Article.objects.get(canonical_url="https://race.example/2")
    assert new.history.count() == 1
    assert new.actor_links.filter(actor__slug="iran").exists()
