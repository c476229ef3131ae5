"""Canonical forms used to recognise the same article twice: URL, content hash, slug; the
check that keeps directional controls in stored text from reordering what surrounds it; and
the filter that lets only web addresses out to links, JSON-LD and the API."""

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import CharField, Func
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _


def web_url(url: str) -> str:
    """``url`` when it is an http(s) address, else an empty string.

    Validation refuses ``javascript:`` and ``data:`` URLs, but a record may predate it:
    browsers, API clients and consumers of JSON-LD follow our URLs, and such a one must
    never reach them.
    """
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else ""


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

# Explicit directional formatting characters (Unicode bidirectional algorithm, UAX #9).
# An embedding, override or isolate left open reorders everything after it up to the end of
# the paragraph: in a page, the interface around a name (U+202E before an outlet's name turns
# the date beside it back to front). A closer without its opener can end an isolate that
# the page itself opened. Import removes both kinds and model validation refuses them;
# balanced pairs are text and stay.
EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO; closed by PDF
ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI; closed by PDI
PDF, PDI = "\u202c", "\u2069"
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


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


def strip_unbalanced_bidi(text: str) -> str:
    """Return ``text`` without the directional controls that are not closed on their own line,
    nor the closers that close nothing."""
    if not BIDI_CONTROLS.search(text):
        return text
    return "".join(_balanced_line(line) for line in text.splitlines(keepends=True))


def _balanced_line(line: str) -> str:
    dropped = set()
    open_controls: list[tuple[int, str]] = []
    for index, char in enumerate(line):
        if char in EMBEDDINGS or char in ISOLATES:
            open_controls.append((index, char))
        elif char == PDF:
            if open_controls and open_controls[-1][1] in EMBEDDINGS:
                open_controls.pop()
            else:
                dropped.add(index)
        elif char == PDI:
            if any(control in ISOLATES for _index, control in open_controls):
                # The PDI also ends the embeddings still open inside its isolate: those
                # were never closed by their own PDF.
                while open_controls[-1][1] not in ISOLATES:
                    dropped.add(open_controls.pop()[0])
                open_controls.pop()
            else:
                dropped.add(index)
    dropped.update(index for index, _control in open_controls)
    return "".join(char for index, char in enumerate(line) if index not in dropped)


def validate_balanced_bidi(value: str) -> None:
    """Refuse text with a directional control left open (or a closer alone) on a line."""
    if isinstance(value, str) and strip_unbalanced_bidi(value) != value:
        raise ValidationError(
            _(
                "This text holds a directional control character (such as U+202E) that is "
                "not closed on its line: it would reorder the text around it. Remove it."
            ),
            code="unbalanced_bidi",
        )


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
