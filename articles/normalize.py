"""Canonical forms used to recognise the same article twice: URL, content hash, slug."""

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import CharField, Func
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils.text import slugify

# Parameters that identify a campaign or a click, never the document.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "cmpid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "xtor",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")

TYPOGRAPHIC_TRANSLATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)
WHITESPACE = re.compile(r"\s+")


def canonical_url(url: str) -> str:
    """Return the form of ``url`` under which two links to one document compare equal.

    The scheme is dropped to https (http and https alike), the host lower-cased and
    stripped of default ports, tracking parameters and the fragment removed, the
    remaining parameters sorted.
    """
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMETERS and not key.lower().startswith(TRACKING_PREFIXES)
    )
    return urlunsplit(("https", host, parts.path or "/", urlencode(query), ""))


def normalized_text(text: str) -> str:
    """Return ``text`` folded for comparison: compatibility forms, case, quotes, spaces."""
    text = unicodedata.normalize("NFKC", text or "").translate(TYPOGRAPHIC_TRANSLATION)
    return WHITESPACE.sub(" ", text.casefold()).strip()


def content_hash(title: str, body: str) -> str:
    """Return the SHA-256 of the normalized title and body, in hex."""
    folded = normalized_text(title) + "\n" + normalized_text(body)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def slug_for(title: str, max_length: int = 80) -> str:
    """Return a readable slug for ``title``: ASCII when possible, else Unicode."""
    slug = slugify(title) or slugify(title, allow_unicode=True) or "article"
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def fold(text: str | None) -> str:
    """Return ``text`` lower-cased, without accents, with typographic apostrophes made plain."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@receiver(connection_created)
def register_fold_on_sqlite(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("newsarchive_fold", 1, fold, deterministic=True)


class Folded(Func):
    """``fold()`` of an expression, computed by SQLite."""

    function = "newsarchive_fold"
    output_field = CharField()


def folded(expression):
    """Return ``expression`` lower-cased and without accents, computed by the database."""
    if connection.vendor == "postgresql":
        return Func(Lower(expression), function="unaccent", output_field=CharField())
    return Folded(expression)
