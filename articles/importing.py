"""Import articles from files and feeds without duplicates or loss.

The pipeline has three stages:

1. **Readers** (``read_jsonl``, ``read_json``, ``read_csv``, ``read_txt``, ``read_html``,
   ``read_feed``) turn a source into ``(position, item)`` pairs, where ``position`` is
   a label such as ``"line 4"`` or ``"record 2"`` and ``item`` is either a record (a
   dict with the keys ``title``, ``text``, ``url``, ``outlet``, ``published``,
   ``language``, ``authors``, ``kind``) or a ``RecordError`` saying why the piece of
   the source is not a record. A source that cannot be read at all (or from some
   point on) raises ``SourceError``.
2. **Cleaning and validation** (``clean_record``) turn a record into the values of an
   ``Article``: HTML becomes plain text, dates and languages are checked, the
   language is detected when missing. Every problem raises ``RecordError``.
3. **The ``Importer``** deduplicates (canonical URL, then content hash) and saves the
   records, committing a hundred at a time: a batch's new articles together, in one
   savepoint, any other record (an update, a new outlet) alone in its own; it counts
   what it did in an ``ImportReport``.

``articles_imported`` is the hook for entity linking: it is sent once per batch with the
articles created or updated, inside the batch's transaction, so that an import killed at
any moment never leaves an article saved without its links.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import email.utils
import hashlib
import html
import http.client
import io
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import feedparser
import nh3
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils.text import slugify
from lxml import html as lxml_html

from actors.seeds import validation_message

from .caching import archive_changed
from .copying import create_with_history
from .languages import ISO_639_1
from .models import Article, Outlet, PublicationStatus
from .normalize import canonical_url, content_hash, slug_for, strip_unbalanced_bidi

#: Sent with ``sender=Article, articles=[(<Article>, created: bool), ...]`` once per batch
#: of records (``COMMIT_EVERY``) for the articles an import created or updated, inside
#: the batch's transaction, before it commits: in a savepoint, so that a failing receiver
#: costs its own work, never the articles. It is then sent again for each article of the
#: batch alone, so that one article's failure costs that article's links and a warning
#: only. Skipped and rejected records are not in it; what receivers write during a dry
#: run or a rolled-back ``--atomic`` import is rolled back with the articles.
articles_imported = Signal()

USER_AGENT = "newsarchive/0.1"
#: Records imported per transaction.
COMMIT_EVERY = 100
#: A JSON list is parsed in one go below this size, streamed above it.
FULL_PARSE_LIMIT = 50 * 1024 * 1024
#: A single JSON value larger than this while streaming is refused, not buffered.
MAX_STREAMED_VALUE = 50 * 1024 * 1024
#: A feed larger than this is refused rather than held in memory.
MAX_FEED_BYTES = 20 * 1024 * 1024
CHUNK_SIZE = 64 * 1024
PROGRESS_EVERY = 1000

FORMAT_LABELS = {
    "jsonl": "JSON Lines",
    "json": "JSON",
    "csv": "CSV",
    "txt": "text",
    "html": "HTML",
    "feed": "RSS/Atom",
}
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
# Other names a record may use for its keys; the documented name wins when both exist.
KEY_ALIASES = {
    "body": "text",
    "content": "text",
    "link": "url",
    "source_url": "url",
    "date": "published",
    "published_on": "published",
    "author": "authors",
    "byline": "authors",
    "lang": "language",
}

TITLE_MAX = Article._meta.get_field("title").max_length
URL_MAX = Article._meta.get_field("source_url").max_length
BYLINE_MAX = Article._meta.get_field("byline").max_length
OUTLET_NAME_MAX = Outlet._meta.get_field("name").max_length


class RecordError(Exception):
    """A record that cannot be imported; the message is the reason given to the user."""


class SourceError(Exception):
    """A file or feed that cannot be read, entirely or from some point on."""


#: What readers yield: a position ("line 4", "record 2", "entry 3", "page") and either a
#: record or the reason the piece of the source at that position is not one.
Item = tuple[str, dict[str, Any] | RecordError]


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Rejection:
    """A record that was not imported, where it was and why."""

    source: str
    position: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}, {self.position}" if self.position else self.source
        return f"{where}: {self.reason}"


@dataclass
class FileSummary:
    """What one file or feed gave: its format, encoding and counts."""

    source: str
    format: str = ""
    encoding: str = ""
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    error: str = ""

    def __str__(self) -> str:
        details = ", ".join(
            part for part in (FORMAT_LABELS.get(self.format, self.format), self.encoding) if part
        )
        counts = (
            f"{self.created} created, {self.updated} updated, "
            f"{self.skipped} skipped, {self.rejected} rejected"
        )
        nothing = not (self.created or self.updated or self.skipped or self.rejected)
        if self.error and nothing:
            counts = "not imported"
        text = f"{self.source} ({details}): {counts}" if details else f"{self.source}: {counts}"
        return f"{text}; {self.error}" if self.error else text


@dataclass
class ImportReport:
    """The counts and problems of one import."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    outlets_created: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    #: Sources that could not be read (or only partly): each message names the source.
    errors: list[str] = field(default_factory=list)
    #: Problems that lose nothing, such as an empty file.
    warnings: list[str] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)
    #: True when nothing was written: a dry run, or an ``atomic`` import that failed.
    rolled_back: bool = False

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def failed(self) -> bool:
        """Return True when a record was rejected or a source could not be read."""
        return bool(self.rejections or self.errors)

    def summary(self) -> str:
        """Return the one-line summary: created, updated, skipped, rejected, outlets."""
        outlets = "outlet" if self.outlets_created == 1 else "outlets"
        return (
            f"{self.created} created, {self.updated} updated, {self.skipped} skipped, "
            f"{self.rejected} rejected; {self.outlets_created} {outlets} created"
        )


# --------------------------------------------------------------------------- text cleaning

# Tags whose end starts a new paragraph; trafilatura's own names (head, item, list,
# quote, row, cell) are included for documents it produced.
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|section|article|aside|header"
    r"|footer|main|nav|figure|figcaption|table|thead|tbody|tfoot|tr|td|th|caption|hr|address"
    r"|details|summary|form|fieldset|center|head|item|list|quote|row|cell)\b[^>]*>",
    re.IGNORECASE,
)
_LINE_BREAK = re.compile(r"<\s*(?:br|lb)\b[^>]*>", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(
    r"<(?:/?[a-zA-Z][a-zA-Z0-9:-]*|!--)[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});"
)
_LOOKS_LIKE_TAG = re.compile(r"<(?:/?[a-zA-Z][a-zA-Z0-9:-]*|!--)[^<>]*>")
# A tag escaped once or more: "&lt;script", "&amp;lt;/p".
_LOOKS_LIKE_ESCAPED_TAG = re.compile(r"&(?:amp;)*(?:lt|#0*60|#[xX]0*3[cC]);(?:/?[a-zA-Z]|!--)")
# Rounds of tag removal for markup escaped again and again (feeds escape it once or twice).
MAX_MARKUP_ROUNDS = 5
# Elements whose content is never article text.
_DROPPED_ELEMENTS = {
    "script",
    "style",
    "template",
    "noscript",
    "title",
    "textarea",
    "iframe",
    "svg",
    "math",
    "object",
    "select",
}
# NUL and other C0 controls break PostgreSQL text columns; lone surrogates break UTF-8.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# Any whitespace except the no-break spaces of French typography.
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")


def looks_like_html(text: str) -> bool:
    """Return True when ``text`` holds tags or character references."""
    return bool(_LOOKS_LIKE_HTML.search(text))


def _strip_html_once(markup: str) -> str:
    markup = _LINE_BREAK.sub("\n", markup)
    markup = _BLOCK_TAG.sub("\n\n", markup)
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags=_DROPPED_ELEMENTS)
    return html.unescape(cleaned)


def html_to_text(markup: str) -> str:
    """Return the plain text of an HTML fragment or page, paragraphs separated by a blank line.

    No tag survives as text, however many times the markup was escaped.
    """
    text = _strip_html_once(markup)
    # Feeds often escape their HTML twice: what was text may now be tags again.
    for _ in range(MAX_MARKUP_ROUNDS - 1):
        if not (_LOOKS_LIKE_TAG.search(text) or _LOOKS_LIKE_ESCAPED_TAG.search(text)):
            break
        text = _strip_html_once(text)
    else:
        if _LOOKS_LIKE_TAG.search(text):
            # Escaped more often than any feed does: keep the last brackets as character
            # references rather than as text that a careless reader would take for tags.
            text = nh3.clean(text, tags=set(), clean_content_tags=_DROPPED_ELEMENTS)
    return normalize_paragraphs(text)


def normalize_paragraphs(text: str) -> str:
    """Return ``text`` with one space between words and one blank line between paragraphs,
    without a directional control left open in a paragraph."""
    text = _UNSTORABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = (_normalize_paragraph(part) for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(part for part in paragraphs if part)


def _normalize_paragraph(text: str) -> str:
    # Balanced within the joined paragraph, as a page shows it; a removed control may leave
    # two spaces side by side.
    return _SPACES.sub(" ", strip_unbalanced_bidi(_SPACES.sub(" ", text))).strip()


def clean_text(value: str) -> str:
    """Return an article body as plain text: markup removed, paragraphs kept."""
    return html_to_text(value) if looks_like_html(value) else normalize_paragraphs(value)


def clean_line(value: str) -> str:
    """Return a one-line value (title, name) as plain text on a single line."""
    return " ".join(clean_text(value).split("\n\n"))


# --------------------------------------------------------------------------- field parsing


def parse_published(value: Any) -> datetime.date | None:
    """Return the publication date in ``value`` (ISO date, ISO datetime or RFC 822), or None.

    A datetime keeps the date as written, in the publisher's own time zone.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise RecordError(f"bad date {json.dumps(value)} (expected a date such as 2023-06-09)")
    text = value.strip()
    if not text:
        return None
    for parse in (datetime.date.fromisoformat, datetime.datetime.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return parsed.date() if isinstance(parsed, datetime.datetime) else parsed
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        raise RecordError(f'bad date "{text}" (expected a date such as 2023-06-09)')
    return parsed.date()


def language_code(value: str) -> str:
    """Return the ISO 639-1 code of a language tag (``fr``, ``fr-FR``, ``en_US``)."""
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    if code not in ISO_639_1:
        raise RecordError(f'unknown language code "{value.strip()}" (expected ISO 639-1: en, fr)')
    return code


def detect_language(title: str, body: str) -> str:
    """Return the ISO 639-1 code of the language ``title`` and ``body`` are written in."""
    import py3langid  # Loading its model takes a moment: only when a record needs it.

    code, _score = py3langid.classify(f"{title}\n{body[:5000]}")
    if code not in ISO_639_1:
        raise RecordError("the language could not be detected: give it in the record")
    return code


def parse_authors(value: Any) -> str:
    """Return the byline for ``value``: a list of names or a ';'-separated string."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        names = value.split(";")
    elif isinstance(value, list) and all(isinstance(name, str) for name in value):
        names = value
    else:
        raise RecordError("authors must be a list of names or a ';'-separated string")
    cleaned = (clean_line(name) for name in names)
    return ", ".join(dict.fromkeys(name for name in cleaned if name))


def _text_field(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError(f"{key} must be text, not {type(value).__name__}")
    return str(value)


def normalize_keys(record: Mapping[Any, Any]) -> dict[str, Any]:
    """Return ``record`` with lower-case keys, the accepted aliases renamed."""
    normalized: dict[str, Any] = {}
    for key, value in record.items():
        normalized[str(key).strip().lower()] = value
    for alias, key in KEY_ALIASES.items():
        if alias in normalized and normalized.get(key) in (None, ""):
            normalized[key] = normalized[alias]
    return normalized


@dataclass
class CleanRecord:
    """A record's values as an article will hold them."""

    title: str
    body: str
    source_url: str
    outlet: str
    outlet_home: str
    published_on: datetime.date | None
    byline: str
    language: str
    language_given: bool
    kind: str

    # Cached: the batch's lookup and its checks read them several times.
    @cached_property
    def canonical_url(self) -> str:
        return canonical_url(self.source_url)

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body)


def clean_record(record: Mapping[Any, Any]) -> CleanRecord:
    """Return the validated, cleaned values of ``record``; raise RecordError with the reason."""
    if not isinstance(record, Mapping):
        raise RecordError(f"expected a record (an object), not {type(record).__name__}")
    record = normalize_keys(record)

    title = clean_line(_text_field(record, "title"))
    if not title:
        raise RecordError("missing title")
    if len(title) > TITLE_MAX:
        raise RecordError(f"title too long ({len(title)} characters, at most {TITLE_MAX})")

    raw_text = _text_field(record, "text")
    if not raw_text.strip():
        raise RecordError("missing text" if "text" not in record else "empty text")
    body = clean_text(raw_text)
    if not body:
        raise RecordError("empty text (nothing left once the markup is removed)")

    source_url = _UNSTORABLE.sub("", _text_field(record, "url")).strip()
    if source_url:
        scheme = urlsplit(source_url).scheme.lower()
        if scheme not in ("http", "https"):
            raise RecordError(f'URL not http(s): "{source_url[:200]}"')
        if len(source_url) > URL_MAX:
            raise RecordError(f"URL too long ({len(source_url)} characters, at most {URL_MAX})")
        if not urlsplit(source_url).hostname:
            raise RecordError(f'URL has no host: "{source_url[:200]}"')

    byline = parse_authors(record.get("authors"))
    if len(byline) > BYLINE_MAX:
        raise RecordError(f"authors too long ({len(byline)} characters, at most {BYLINE_MAX})")

    outlet = clean_line(_text_field(record, "outlet"))
    if len(outlet) > OUTLET_NAME_MAX:
        raise RecordError(f"outlet too long ({len(outlet)} characters, at most {OUTLET_NAME_MAX})")

    kind = _text_field(record, "kind").strip().lower()
    if kind and kind not in Article.Kind.values:
        raise RecordError(f'unknown kind "{kind}" (one of: {", ".join(Article.Kind.values)})')

    published_on = parse_published(record.get("published"))
    given_language = _text_field(record, "language").strip()
    # Detection last: it is the slowest check.
    language = language_code(given_language) if given_language else detect_language(title, body)

    return CleanRecord(
        title=title,
        body=body,
        source_url=source_url,
        outlet=outlet,
        outlet_home=_text_field(record, "outlet_home").strip(),
        published_on=published_on,
        byline=byline,
        language=language,
        language_given=bool(given_language),
        kind=kind,
    )


# --------------------------------------------------------------------------- reading files


def detect_encoding(path: Path) -> str:
    """Return the codec that decodes the whole of ``path``: utf-8-sig, cp1252 or latin-1.

    The file is read in chunks, so this takes constant memory however large it is.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def describe_encoding(path: Path, encoding: str) -> str:
    """Return how ``path`` was decoded, for the report ("utf-8 with BOM", "cp1252")."""
    if encoding == "utf-8-sig":
        with path.open("rb") as handle:
            return "utf-8 with BOM" if handle.read(3) == codecs.BOM_UTF8 else "utf-8"
    return f"{encoding} (not valid UTF-8)"


def _csv_delimiter(header: str) -> str | None:
    header = header.rstrip("\r\n")
    for delimiter in (",", ";", "\t"):
        names = {name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter))}
        if "title" in names and ({"text", "body", "content"} & names):
            return delimiter
    return None


def sniff_format(head: str) -> str:
    """Return the format of a file from its first characters (``head``)."""
    start = head.lstrip("\ufeff \t\r\n")
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        first_line = start.split("\n", 1)[0]
        try:
            json.loads(first_line)
        except json.JSONDecodeError:
            return "json"
        return "jsonl"
    if start.startswith("<"):
        lowered = start.lower()
        if re.search(r"<(?:rss|feed|rdf:rdf)\b", lowered):
            return "feed"
        if "<html" in lowered or "<!doctype html" in lowered or "<body" in lowered:
            return "html"
        return "feed" if lowered.startswith("<?xml") else "html"
    if _csv_delimiter(start.split("\n", 1)[0]):
        return "csv"
    return "txt"


def read_jsonl(lines: Iterable[str]) -> Iterator[Item]:
    """Yield ``("line N", record or RecordError)`` for each non-blank line, one at a time."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        position = f"line {number}"
        try:
            value = json.loads(line.rstrip())
        except json.JSONDecodeError as error:
            yield position, RecordError(f"invalid JSON at column {error.colno}: {error.msg}")
            continue
        if not isinstance(value, dict):
            yield position, RecordError(f"expected a JSON object, not {type(value).__name__}")
            continue
        yield position, value


def iter_json_array(handle: TextIO, chunk_size: int = CHUNK_SIZE) -> Iterator[Any]:
    """Yield the elements of the JSON list in ``handle`` one by one, reading it in chunks.

    Memory holds one element and one chunk at a time. A syntax error or a file that ends
    early raises SourceError with the line and character where it happened.
    """
    decoder = json.JSONDecoder()
    buffer, index = "", 0
    base_offset, base_line = 0, 1  # of buffer[0] in the file
    at_end = False

    def refill(size: int = chunk_size) -> bool:
        nonlocal buffer, index, base_offset, base_line, at_end
        if at_end:
            return False
        chunk = handle.read(size)
        if not chunk:
            at_end = True
            return False
        base_line += buffer.count("\n", 0, index)
        base_offset += index
        buffer = buffer[index:] + chunk
        index = 0
        return True

    def fail(message: str, at: int) -> SourceError:
        line = base_line + buffer.count("\n", 0, at)
        return SourceError(
            f"invalid or truncated JSON at line {line} (character {base_offset + at + 1}): "
            f"{message}"
        )

    def next_char() -> str:
        nonlocal index
        while True:
            while index < len(buffer) and buffer[index] in " \t\r\n\ufeff":
                index += 1
            if index < len(buffer):
                return buffer[index]
            if not refill():
                return ""

    first = next_char()
    if first == "":
        return
    if first != "[":
        raise fail("expected a list of records, starting with '['", index)
    index += 1
    if next_char() == "]":
        index += 1
    else:
        while True:
            size = chunk_size
            while True:
                try:
                    value, end = decoder.raw_decode(buffer, index)
                except json.JSONDecodeError as error:
                    if len(buffer) - index > MAX_STREAMED_VALUE or not refill(size):
                        raise fail(error.msg, error.pos) from None
                    # A value split across chunks: read more, more each time, and retry.
                    size *= 2
                    continue
                if end == len(buffer) and refill(size):
                    continue  # a number may go on in the next chunk
                break
            index = end
            yield value
            separator = next_char()
            if separator == ",":
                index += 1
                next_char()
                continue
            if separator == "]":
                index += 1
                break
            if separator == "":
                raise fail("the file ends before the list is closed", index)
            raise fail("expected ',' or ']' after a record", index)
    if next_char() != "":
        raise fail("unexpected data after the list", index)


def read_json(handle: TextIO, size: int) -> Iterator[Item]:
    """Yield ``("record N", record or RecordError)`` for each element of a JSON list.

    A file under FULL_PARSE_LIMIT bytes is parsed whole (one object counts as a list of
    one); a larger one is streamed with ``iter_json_array``.
    """
    if size < FULL_PARSE_LIMIT:
        text = handle.read()
        if not text.strip():
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceError(
                f"invalid or truncated JSON at line {error.lineno}, column {error.colno} "
                f"(character {error.pos + 1}): {error.msg}"
            ) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise SourceError(f"expected a list of records, not {type(data).__name__}")
        values: Iterable[Any] = data
    else:
        values = iter_json_array(handle)
    for number, value in enumerate(values, start=1):
        if isinstance(value, dict):
            yield f"record {number}", value
        else:
            yield (
                f"record {number}",
                RecordError(f"expected a JSON object, not {type(value).__name__}"),
            )


def read_csv(handle: TextIO) -> Iterator[Item]:
    """Yield ``("line N", record or RecordError)`` for each row after the header, streaming.

    The delimiter (comma, semicolon or tab) is the one that makes the header name the
    columns ``title`` and ``text``.
    """
    header = handle.readline()
    if not header.strip():
        return
    delimiter = _csv_delimiter(header)
    if delimiter is None:
        raise SourceError(
            f"the header row must name at least the columns title and text "
            f"(found: {header.strip()[:200]})"
        )
    # Article bodies are longer than the csv module's default limit of 128 KiB a field.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.reader(itertools.chain([header], handle), delimiter=delimiter)
    names = [name.strip().lower() for name in next(reader)]
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield f"line {start}", RecordError(f"malformed CSV: {error}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield (
                f"line {start}",
                RecordError(f"expected {len(names)} fields as in the header, found {len(row)}"),
            )
            continue
        yield f"line {start}", dict(zip(names, row, strict=True))


def read_txt(handle: TextIO) -> Iterator[Item]:
    """Yield the one article of a plain-text file: the title on its first line, then the body."""
    text = handle.read()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    number = next((i for i, line in enumerate(lines, start=1) if line.strip()), None)
    if number is None:
        return
    title = lines[number - 1]
    body = "\n".join(lines[number:])
    if not body.strip():
        yield f"line {number + 1}", RecordError("empty text: expected the body after the title")
        return
    yield f"line {number}", {"title": title, "text": body}


def _page_language(markup: str) -> str:
    # lxml refuses a str that still declares its byte encoding.
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup)
    try:
        tree = lxml_html.fromstring(markup)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for value in (
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *tree.xpath("//meta[@http-equiv='content-language' or @property='og:locale']/@content"),
    ):
        if value and value.strip():
            return value.strip()
    return ""


def _site_home(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""


def read_html(markup: str) -> Iterator[Item]:
    """Yield the one article of an HTML page: main text and metadata found by trafilatura."""
    if not markup.strip():
        return
    # trafilatura takes most of a second to import, and this module is imported at
    # start-up (apps.ready connects to articles_imported): only when a page is read.
    import trafilatura

    extracted = trafilatura.extract(
        markup, output_format="html", with_metadata=True, include_comments=False
    )
    if not extracted:
        yield "page", RecordError("no main text found in the page")
        return
    document = lxml_html.fromstring(extracted)
    meta = {
        element.get("name"): element.get("content") or ""
        for element in document.xpath("//head/meta[@name]")
    }
    for head in document.xpath("//head"):
        head.drop_tree()
    body = html_to_text(lxml_html.tostring(document, encoding="unicode"))
    title = meta.get("title", "")
    paragraphs = body.split("\n\n")
    if title and paragraphs and clean_line(paragraphs[0]) == clean_line(title):
        body = "\n\n".join(paragraphs[1:])
    url = meta.get("url", "")
    yield (
        "page",
        {
            "title": title,
            "text": body,
            "url": url,
            "outlet": meta.get("sitename", ""),
            "outlet_home": _site_home(url),
            "published": meta.get("date", ""),
            "authors": meta.get("author", ""),
            "language": _page_language(markup),
        },
    )


def _entry_published(entry: Mapping[str, Any]) -> str | datetime.date | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        try:
            return parse_published(raw)
        except RecordError:
            parsed = entry.get(f"{key}_parsed")
            if parsed:
                return datetime.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
            return raw  # rejected with its own words by clean_record
    return None


def _entry_record(entry: Mapping[str, Any], feed: Mapping[str, Any]) -> dict[str, Any]:
    contents = [part for part in entry.get("content") or [] if (part.get("value") or "").strip()]
    if contents:
        main = max(contents, key=lambda part: len(part.get("value") or ""))
        text, language = main.get("value", ""), main.get("language")
    else:
        text = entry.get("summary", "")
        language = (entry.get("summary_detail") or {}).get("language")
    language = (
        language or (entry.get("title_detail") or {}).get("language") or feed.get("language") or ""
    )
    authors = [author.get("name", "") for author in entry.get("authors") or []]
    return {
        "title": entry.get("title", ""),
        "text": text,
        "url": entry.get("link", ""),
        "outlet": feed.get("title", ""),
        "outlet_home": feed.get("link", ""),
        "published": _entry_published(entry),
        "authors": [name for name in authors if name] or entry.get("author", ""),
        "language": language,
    }


def read_feed(data: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, list[Item]]:
    """Return the encoding of an RSS or Atom document and its entries as ``("entry N", record)``.

    Raise SourceError when ``data`` is not a feed.
    """
    if not data.strip():
        return "", []
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={key.lower(): value for key, value in (headers or {}).items()},
    )
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f" ({problem})" if parsed.get("bozo") and problem else ""
        raise SourceError(f"not an RSS or Atom feed{detail}")
    items: list[Item] = [
        (f"entry {number}", _entry_record(entry, parsed.feed))
        for number, entry in enumerate(parsed.entries, start=1)
    ]
    return parsed.get("encoding", ""), items


class SourceFile:
    """A file to import, with its format and encoding detected when it is opened."""

    def __init__(self, path: Path, label: str | None = None):
        self.path = path
        self.label = label or str(path)
        try:
            self.size = path.stat().st_size
        except FileNotFoundError:
            raise SourceError("file not found") from None
        except OSError as error:
            raise SourceError(f"cannot be read: {error.strerror or error}") from None
        self.format = EXTENSIONS.get(path.suffix.lower(), "")
        self.encoding = ""
        try:
            if self.format != "feed" and self.size:
                self.codec = detect_encoding(path)
                self.encoding = describe_encoding(path, self.codec)
            else:
                self.codec = "utf-8-sig"
            if not self.format and self.size:
                with path.open(encoding=self.codec, newline="") as handle:
                    self.format = sniff_format(handle.read(4096))
        except OSError as error:
            raise SourceError(f"cannot be read: {error.strerror or error}") from None

    def items(self) -> Iterator[Item]:
        """Yield ``(position, record or RecordError)`` for the file, streaming where it can."""
        if not self.size:
            return
        try:
            if self.format == "feed":
                self.encoding, items = read_feed(self.path.read_bytes())
                yield from items
                return
            # newline="": the csv module reads line endings itself; other readers ignore them.
            with self.path.open(encoding=self.codec, newline="") as handle:
                if self.format == "jsonl":
                    yield from read_jsonl(handle)
                elif self.format == "json":
                    yield from read_json(handle, self.size)
                elif self.format == "csv":
                    yield from read_csv(handle)
                elif self.format == "html":
                    yield from read_html(handle.read())
                else:
                    yield from read_txt(handle)
        except (OSError, UnicodeDecodeError) as error:
            raise SourceError(f"cannot be read: {error}") from None


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Return the files to import for ``paths`` (a directory gives its supported files,
    sorted, recursively, hidden ones excluded) and notes about what a directory left out.
    """
    files: list[Path] = []
    notes: list[str] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found, ignored = [], 0
        for candidate in sorted(path.rglob("*")):
            relative = candidate.relative_to(path).parts
            if any(part.startswith(".") for part in relative) or not candidate.is_file():
                continue
            if candidate.suffix.lower() in EXTENSIONS:
                found.append(candidate)
            else:
                ignored += 1
        if ignored:
            notes.append(f"{path}: {ignored} file(s) of unsupported types ignored")
        if not found:
            notes.append(f"{path}: no file to import in this directory")
        files.extend(found)
    return files, notes


# --------------------------------------------------------------------------- importing

CREATED, UPDATED, SKIPPED = "created", "updated", "skipped"


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


class Importer:
    """Validate, deduplicate and save records; count everything in ``self.report``.

    A record is either entirely written, with the outlet it may create and what the
    linker finds in it, or not at all; records commit ``COMMIT_EVERY`` at a time.
    """

    def __init__(
        self,
        *,
        publish: bool = False,
        outlet: Outlet | None = None,
        change_reason: str = "import_articles",
        progress: Callable[[int, float], None] | None = None,
        notify: Callable[[str], None] | None = None,
        announce: bool = True,
    ):
        self.status = PublicationStatus.PUBLISHED if publish else PublicationStatus.DRAFT
        self.forced_outlet = outlet
        #: False in a dry run: linking would be rolled back with everything else.
        self.announce = announce
        self.change_reason = change_reason
        self.progress = progress
        self.notify = notify or (lambda message: None)
        self.report = ImportReport()
        self.processed = 0
        self.started = time.monotonic()
        self._outlets: dict[str, Outlet] = {}
        self._outlets_by_host: dict[str, Outlet] | None = None
        #: The batch's created or updated articles, by id: {id: (article, created)}.
        self._saved: dict[int, tuple[Article, bool]] = {}

    # ---- sources

    def import_path(self, path: Path) -> FileSummary:
        """Import one file; return its summary (also added to the report)."""
        try:
            source = SourceFile(path)
        except SourceError as error:
            summary = FileSummary(str(path))
            self.source_failed(summary, str(error))
            return summary
        summary = FileSummary(source.label, format=source.format)
        if not source.size:
            self.report.files.append(summary)
            self._warn(f"{source.label}: empty file, nothing to import")
            return summary
        summary = self.import_items(source.label, source.items(), summary=summary)
        summary.encoding = source.encoding
        return summary

    def import_items(
        self, label: str, items: Iterable[Item], *, summary: FileSummary | None = None
    ) -> FileSummary:
        """Import the ``(position, record or RecordError)`` pairs of one source.

        Return the source's summary (also added to the report). A SourceError raised
        while reading is recorded as an error of the source; what came before it stays.
        """
        summary = summary or FileSummary(label)
        self.report.files.append(summary)
        seen = 0
        records = iter(items)
        failure = None
        while failure is None:
            # Records commit in batches: one commit (one flush to disk) per record was
            # most of an import's time. A refused record still costs nothing else
            # (_import_batch), and a killed import loses at most the batch it was in,
            # which the next run imports again.
            counted = self._counts(summary)
            first = seen + 1
            batch = []
            for _ in range(COMMIT_EVERY):
                try:
                    batch.append(next(records))
                except StopIteration:
                    failure = ""
                    break
                except SourceError as error:
                    failure = str(error)  # what came before it stays
                    break
            seen += len(batch)
            try:
                with transaction.atomic():
                    self._import_batch(summary, batch)
                    self._announce_batch()
            except DatabaseError as error:
                # The batch did not commit (the database went away, say): nothing of it
                # was imported, whatever was counted, and the rest would fail alike.
                self._saved.clear()
                self._restore_counts(summary, counted)
                failure = (
                    f"the database failed ({error}); records {first} to {seen} were not "
                    "imported, nor any after them: run the import again to add them"
                )
        if failure:
            self.source_failed(summary, failure, listed=True)
        elif not seen and summary.format:
            self._warn(f"{label}: no records found")
        return summary

    def _counts(self, summary: FileSummary) -> tuple:
        report = self.report
        return (
            (report.created, report.updated, report.skipped, report.outlets_created),
            len(report.rejections),
            (summary.created, summary.updated, summary.skipped, summary.rejected),
            dict(self._outlets),
        )

    def _restore_counts(self, summary: FileSummary, counts: tuple) -> None:
        report = self.report
        totals, rejections, in_file, outlets = counts
        report.created, report.updated, report.skipped, report.outlets_created = totals
        del report.rejections[rejections:]
        summary.created, summary.updated, summary.skipped, summary.rejected = in_file
        # The outlets the batch created are gone with it.
        self._outlets, self._outlets_by_host = outlets, None

    def source_failed(self, summary: FileSummary, message: str, listed: bool = False) -> None:
        """Record that the source of ``summary`` could not be read (fully), and why."""
        summary.error = message
        if not listed:
            self.report.files.append(summary)
        self.report.errors.append(f"{summary.source}: {message}")

    def _warn(self, message: str) -> None:
        self.report.warnings.append(message)
        self.notify(f"warning: {message}")

    def _import_batch(self, summary: FileSummary, batch: list[Item]) -> None:
        """Import one batch's ``(position, item)`` pairs, in order.

        New articles are written together, with their history, in one savepoint: a
        savepoint, a lookup and two INSERTs a record were most of an import's time. A
        record that updates an article, creates an outlet or repeats another record of
        the batch is imported alone, after the new articles before it.
        """
        cleaned = []
        for position, item in batch:
            try:
                if isinstance(item, RecordError):
                    raise item
                cleaned.append((position, clean_record(item)))
            except RecordError as error:
                self._reject(summary, position, error)
        while cleaned:
            cleaned = self._import_run(summary, cleaned)

    def _import_run(
        self, summary: FileSummary, cleaned: list[tuple[str, CleanRecord]]
    ) -> list[tuple[str, CleanRecord]]:
        """Import ``cleaned`` up to the first record that changes the archive on its own;
        return the records after it, which must be looked up again.
        """
        known = self._known_keys(clean for _position, clean in cleaned)
        new: list[tuple[str, CleanRecord, Article]] = []
        taken: set[str] = set()
        for index, (position, clean) in enumerate(cleaned):
            keys = {clean.content_hash, clean.canonical_url} - {""}
            if keys & known or keys & taken:
                article = None
            else:
                try:
                    article = self._new_article(clean)
                except RecordError as error:
                    self._reject(summary, position, error)
                    continue
            taken |= keys
            if article is not None:
                new.append((position, clean, article))
                continue
            self._write_new(summary, new)
            new = []
            if self._import_alone(summary, position, clean) != SKIPPED:
                return cleaned[index + 1 :]
        self._write_new(summary, new)
        return []

    def _known_keys(self, cleans: Iterable[CleanRecord]) -> set[str]:
        """The content hashes and canonical URLs of ``cleans`` that archived articles have."""
        hashes, urls = set(), set()
        for clean in cleans:
            hashes.add(clean.content_hash)
            if clean.canonical_url:
                urls.add(clean.canonical_url)
        found = Article.objects.filter(Q(content_hash__in=hashes) | Q(canonical_url__in=urls))
        return {
            key
            for pair in found.values_list("content_hash", "canonical_url")
            for key in pair
            if key in hashes or key in urls
        }

    def _new_article(self, clean: CleanRecord) -> Article | None:
        """The article ``clean`` becomes, unsaved; None when its outlet is new too.

        Raise RecordError when the article is not valid.
        """
        outlet = self._find_outlet(clean)
        if outlet is not None and outlet.pk is None:
            return None
        article = self._article(clean)
        article.outlet = outlet
        try:
            article.clean_fields(exclude=["outlet"])
        except ValidationError as error:
            raise RecordError(validation_message(error)) from None
        return article

    def _article(self, clean: CleanRecord) -> Article:
        return Article(
            status=self.status,
            kind=clean.kind or Article.Kind.REPORT,
            title=clean.title,
            body=clean.body,
            source_url=clean.source_url,
            byline=clean.byline,
            published_on=clean.published_on,
            language=clean.language,
            # What derive_fields() would compute again: the hash reads the whole text.
            canonical_url=clean.canonical_url,
            content_hash=clean.content_hash,
            slug=slug_for(clean.title),
        )

    def _write_new(self, summary: FileSummary, new: list[tuple[str, CleanRecord, Article]]) -> None:
        """Write the new articles of a run, each with its creation in the history."""
        if not new:
            return
        try:
            with transaction.atomic():
                create_with_history([article for *_, article in new], self.change_reason)
        except (IntegrityError, DataError):
            # One of them is refused (another import wrote the same URL since the lookup,
            # say): each alone, so that it costs only itself.
            for position, clean, _article in new:
                self._import_alone(summary, position, clean)
            return
        archive_changed()  # rows written without save(), so without its signals
        for _position, _clean, article in new:
            if self.announce:
                self._saved[article.pk] = (article, True)
            self._count(summary, CREATED)

    def _import_alone(self, summary: FileSummary, position: str, clean: CleanRecord) -> str:
        """Import one record in its own savepoint; return the outcome ("rejected" too)."""
        try:
            outcome = self._import_clean(clean)
        except RecordError as error:
            self._reject(summary, position, error)
            return "rejected"
        self._count(summary, outcome)
        return outcome

    def _count(self, summary: FileSummary, outcome: str) -> None:
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        self._processed()

    def _reject(self, summary: FileSummary, position: str, error: RecordError) -> None:
        rejection = Rejection(summary.source, position, str(error))
        self.report.rejections.append(rejection)
        summary.rejected += 1
        self.notify(f"rejected: {rejection}")
        self._processed()

    def _processed(self) -> None:
        self.processed += 1
        if self.progress and self.processed % PROGRESS_EVERY == 0:
            self.progress(self.processed, time.monotonic() - self.started)

    # ---- one record

    def _import_clean(self, clean: CleanRecord) -> str:
        """Import one record; return "created", "updated" or "skipped". Raise RecordError."""
        try:
            with transaction.atomic():
                outcome, article, new_outlet = self._save(clean)
        except ValidationError as error:
            raise RecordError(validation_message(error)) from None
        except DatabaseError as error:
            raise RecordError(f"the database refused the record: {error}") from None
        if new_outlet is not None:
            self.report.outlets_created += 1
            self._remember_outlet(new_outlet, clean)
        if article is not None and self.announce:
            # Created earlier in the same batch, then updated: still a new article.
            created = outcome == CREATED or self._saved.get(article.pk, (None, False))[1]
            self._saved[article.pk] = (article, created)
        return outcome

    def _announce_batch(self) -> None:
        """Send ``articles_imported`` for the batch's articles, in the batch's transaction."""
        saved, self._saved = list(self._saved.values()), {}
        if not saved:
            return
        try:
            with transaction.atomic():
                articles_imported.send(sender=Article, articles=saved)
        except Exception:
            # Each article again on its own: the others keep their links.
            self._announce_each(saved)

    def _announce_each(self, saved: list[tuple[Article, bool]]) -> None:
        for article, created in saved:
            try:
                with transaction.atomic():
                    articles_imported.send(sender=Article, articles=[(article, created)])
            except Exception as error:  # a receiver's bug must not cost the article
                self._warn(
                    f"{article.title[:80]!r}: kept, but linking failed ({error});"
                    " `manage.py link_articles` links it again"
                )

    def _save(self, clean: CleanRecord) -> tuple[str, Article | None, Outlet | None]:
        """Save ``clean``; return the outcome, the article saved (if any) and the new outlet."""
        article, duplicate = self._find_existing(clean)
        if duplicate:
            return SKIPPED, None, None
        outlet = self._find_outlet(clean)
        created = article is None
        if created:
            article = self._article(clean)
        elif not self._apply_changes(article, clean, outlet):
            return SKIPPED, None, None
        new_outlet = outlet if outlet is not None and outlet.pk is None else None
        if outlet is not None:
            article.outlet = outlet if outlet.pk else None
        article.derive_fields()
        # The outlet was found or is being created here, and _find_existing has just
        # looked the URL up: checking those again (Article.clean, the constraints) would
        # cost four queries a record. The database still enforces them; a race with
        # another import is refused there.
        article.clean_fields(exclude=["outlet"])
        if new_outlet is not None:
            new_outlet.full_clean()
            new_outlet._change_reason = self.change_reason
            new_outlet.save()
            article.outlet = new_outlet
        article._change_reason = self.change_reason
        article.save()
        return (CREATED if created else UPDATED), article, new_outlet

    def _find_existing(self, clean: CleanRecord) -> tuple[Article | None, bool]:
        """Return the article ``clean`` may update (None for a new one) and whether to skip
        ``clean`` outright as a duplicate of an article's text.
        """
        # One query, of the keys only: most records of an import are new articles.
        same = Q(content_hash=clean.content_hash)
        if clean.canonical_url:
            same |= Q(canonical_url=clean.canonical_url)
        matches = list(
            Article.objects.filter(same).order_by("pk").values_list("pk", "canonical_url")
        )
        if clean.canonical_url:
            by_url = next((pk for pk, url in matches if url == clean.canonical_url), None)
            # Else the same text known without a URL: this record tells where it comes from.
            update = by_url or next((pk for pk, url in matches if not url), None)
            if update is not None:
                return Article.objects.get(pk=update), False
        # Otherwise the same text is the same article (moved, mirrored or syndicated).
        return None, bool(matches)

    def _apply_changes(self, article: Article, clean: CleanRecord, outlet: Outlet | None) -> bool:
        """Copy the record's values that differ onto ``article``; return True if any did.

        Never touches status, kind, topics or actor links: those are editors' work. A value
        the record does not give (date, byline, outlet, language) is left as it is.
        """
        changes: dict[str, Any] = {}
        if article.title.strip() != clean.title:
            changes["title"] = clean.title
        if normalize_paragraphs(article.body) != clean.body:
            changes["body"] = clean.body
        if clean.published_on and article.published_on != clean.published_on:
            changes["published_on"] = clean.published_on
        if clean.byline and article.byline != clean.byline:
            changes["byline"] = clean.byline
        if clean.language_given and article.language != clean.language:
            changes["language"] = clean.language
        if not article.source_url and clean.source_url:
            changes["source_url"] = clean.source_url
        outlet_changed = outlet is not None and (
            outlet.pk is None or outlet.pk != article.outlet_id
        )
        for name, value in changes.items():
            setattr(article, name, value)
        return bool(changes) or outlet_changed

    # ---- outlets

    def _find_outlet(self, clean: CleanRecord) -> Outlet | None:
        """Return the record's outlet: an existing one, a new unsaved one, or None."""
        if self.forced_outlet is not None:
            return self.forced_outlet
        if not clean.outlet and not clean.outlet_home:
            return None
        key = f"{clean.outlet.casefold()}|{_host(clean.outlet_home)}"
        if key in self._outlets:
            return self._outlets[key]
        outlet = self._lookup_outlet(clean.outlet, clean.outlet_home)
        if outlet is not None:
            self._outlets[key] = outlet
            return outlet
        if not clean.outlet:
            return None
        slug = slugify(clean.outlet)[:200].strip("-") or (
            "outlet-" + hashlib.sha1(clean.outlet.encode()).hexdigest()[:10]
        )
        home = clean.outlet_home if clean.outlet_home.startswith(("http://", "https://")) else ""
        return Outlet(name=clean.outlet, slug=slug, home_url=home[:500])

    def _lookup_outlet(self, name: str, home: str) -> Outlet | None:
        """Return the existing outlet named ``name`` (slug or name) or at the site ``home``."""
        if name:
            found = (
                Outlet.objects.filter(slug=name).first()
                or Outlet.objects.filter(name__iexact=name).order_by("pk").first()
            )
            if found:
                return found
        host = _host(home)
        if host:
            if self._outlets_by_host is None:
                self._outlets_by_host = {}
                for outlet in Outlet.objects.exclude(home_url="").order_by("-pk"):
                    self._index_by_host(outlet)
            if host in self._outlets_by_host:
                return self._outlets_by_host[host]
        if name and slugify(name):
            return Outlet.objects.filter(slug=slugify(name)).first()
        return None

    def _index_by_host(self, outlet: Outlet) -> None:
        # Only a home page at the root of its site stands for the whole host: an office
        # at gov.il/en/departments/... is not every gov.il feed.
        if self._outlets_by_host is not None and urlsplit(outlet.home_url).path in ("", "/"):
            self._outlets_by_host[_host(outlet.home_url)] = outlet

    def _remember_outlet(self, outlet: Outlet, clean: CleanRecord) -> None:
        self._outlets[f"{clean.outlet.casefold()}|{_host(clean.outlet_home)}"] = outlet
        if outlet.home_url:
            self._index_by_host(outlet)


# --------------------------------------------------------------------------- entry points


def _run(work: Callable[[], None], report: ImportReport, *, dry_run: bool, atomic: bool) -> None:
    if not (dry_run or atomic):
        work()
        return
    with transaction.atomic():
        work()
        if dry_run or report.failed:
            # Rolling back also undoes what articles_imported's receivers wrote.
            transaction.set_rollback(True)
            report.rolled_back = True


def import_paths(
    paths: Iterable[Path | str],
    *,
    publish: bool = False,
    dry_run: bool = False,
    atomic: bool = False,
    outlet: Outlet | None = None,
    progress: Callable[[int, float], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import files and directories; return the report.

    ``dry_run`` validates and counts but writes nothing; ``atomic`` writes nothing
    unless every record of every file imports; ``outlet`` attributes every record to
    that outlet; ``notify`` receives each rejection and warning as it happens (sources
    that could not be read are listed in ``report.errors``).
    """
    importer = Importer(
        publish=publish, outlet=outlet, progress=progress, notify=notify, announce=not dry_run
    )
    files, notes = expand_paths(Path(path) for path in paths)
    for note in notes:
        importer._warn(note)

    def work() -> None:
        for path in files:
            importer.import_path(path)

    _run(work, importer.report, dry_run=dry_run, atomic=atomic)
    return importer.report


def import_records(
    records: Iterable[Mapping[str, Any]],
    *,
    source: str = "records",
    publish: bool = False,
    dry_run: bool = False,
    atomic: bool = False,
    outlet: Outlet | None = None,
) -> ImportReport:
    """Import records given as dicts (positions are "record N"); return the report."""
    importer = Importer(publish=publish, outlet=outlet, announce=not dry_run)
    items = ((f"record {number}", record) for number, record in enumerate(records, start=1))
    _run(
        lambda: importer.import_items(source, items),
        importer.report,
        dry_run=dry_run,
        atomic=atomic,
    )
    return importer.report


def fetch(url: str, timeout: float) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers at ``url`` (http or https only).

    Raise SourceError with the reason (which does not repeat the URL).
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise SourceError("not an http(s) URL")
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_FEED_BYTES + 1)
            headers = dict(response.headers.items())
    except urllib.error.HTTPError as error:
        error.close()
        raise SourceError(f"HTTP error {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise SourceError(f"timed out after {timeout:g} s") from None
        raise SourceError(f"cannot connect: {error.reason}") from None
    except TimeoutError:
        raise SourceError(f"timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as error:
        raise SourceError(f"cannot fetch: {error}") from None
    if len(data) > MAX_FEED_BYTES:
        raise SourceError(f"larger than {MAX_FEED_BYTES // 2**20} MB")
    return data, headers


def fetch_outlet_feed(
    outlet: Outlet,
    *,
    publish: bool = False,
    timeout: float = 20.0,
    notify: Callable[[str], None] | None = None,
) -> ImportReport:
    """Fetch ``outlet.feed_url`` and import its entries as the outlet's articles.

    Return the report; a feed that cannot be fetched or parsed is in ``report.errors``.
    """
    importer = Importer(publish=publish, outlet=outlet, change_reason="fetch_feeds", notify=notify)
    summary = FileSummary(outlet.feed_url, format="feed")
    try:
        if not outlet.feed_url:
            raise SourceError("the outlet has no feed URL")
        data, headers = fetch(outlet.feed_url, timeout)
        summary.encoding, items = read_feed(data, headers)
    except SourceError as error:
        importer.source_failed(summary, str(error))
        return importer.report
    importer.import_items(outlet.feed_url, items, summary=summary)
    return importer.report
