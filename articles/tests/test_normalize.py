import pytest
from django.db import IntegrityError, transaction

from articles.models import Article
from articles.normalize import canonical_url, content_hash, slug_for
from articles.tests.factories import make_article


@pytest.mark.parametrize(
    "url",
    [
        "http://www.Example.com/news/a?id=3&utm_source=x#top",
        "https://WWW.EXAMPLE.COM:443/news/a?utm_medium=y&id=3&fbclid=abc",
        "  https://www.example.com/news/a?id=3  ",
    ],
)
def test_canonical_url_ignores_scheme_case_tracking_and_fragment(url):
    assert canonical_url(url) == "https://www.example.com/news/a?id=3"


def test_canonical_url_keeps_what_identifies_the_document():
    assert canonical_url("https://example.com/a?b=2&a=1") == "https://example.com/a?a=1&b=2"
    assert canonical_url("https://example.com:8443/x") == "https://example.com:8443/x"
    assert canonical_url("https://example.com/a") != canonical_url("https://example.com/b")
    assert canonical_url("") == ""


def test_content_hash_ignores_typography_case_and_spacing():
    assert content_hash("L’Iran", "Un  texte\u00a0ici.") == content_hash("l'iran", "Un texte ici.")
    assert content_hash("L’Iran", "Un texte.") != content_hash("L’Iran", "Un autre texte.")


def test_slugs_are_readable_in_any_script():
    assert (
        slug_for("Netanyahu affirme à Blinken qu’Israël") == "netanyahu-affirme-a-blinken-quisrael"
    )
    assert slug_for("נתניהו ובלינקן") == "נתניהו-ובלינקן"
    assert slug_for("!!!") == "article"
    assert len(slug_for("word " * 50)) <= 80


@pytest.mark.django_db
def test_source_url_is_unique_in_its_canonical_form():
    make_article(source_url="https://example.com/story?utm_source=a")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_article(source_url="http://EXAMPLE.com/story#comments")
    make_article(source_url="")
    make_article(source_url="")
    assert Article.objects.filter(source_url="").count() >= 2


@pytest.mark.django_db
def test_full_clean_reports_the_duplicate_source_url():
    first = make_article(source_url="https://example.com/story")
    duplicate = Article(title="x", body="y", language="en", source_url="http://example.com/story")
    with pytest.raises(Exception, match=f"Article {first.pk} already has this source URL"):
        duplicate.full_clean()
