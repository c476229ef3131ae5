"""Full-text search over articles, on PostgreSQL and (more simply) on SQLite.

PostgreSQL: each article's ``search_vector`` is kept current by a trigger (see
migration ``0002_search``) with the text search configuration of its language
(French, English, or 'simple' for the others), all three folding accents with
``unaccent``; a GIN index serves the ``@@`` match, results are ranked and
snippets highlighted with ``ts_headline``.

SQLite (the development default): every word of the query must occur in the
title or body, compared case- and accent-insensitively through a folding function
registered on each connection. No stemming; snippets are highlighted in Python.

Either way, a query that names an actor (by its name or any alias) also finds the
articles confirmed to mention that actor: "Netanyahou" finds articles linked to
Benjamin Netanyahu, whatever spelling they use.
"""

import re
import unicodedata

from django.db import connection
from django.db.models import Case, CharField, Exists, F, FloatField, OuterRef, Q, Value, When
from django.db.models.functions import Replace
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .normalize import Folded, fold

MAX_QUERY_LENGTH = 200
# How many matches a search ranks, and so counts and pages through (see
# among_newest_matches): finding them costs a read of each one's search vector.
RANKED_MATCHES = 1_000
SNIPPET_WORDS = 40
# Markers that the importer never stores; escaping happens before they become <mark>. Text
# typed in the admin could still hold one, so they are removed from it before marking.
START, STOP = "\x02", "\x03"

SEARCH_CONFIGS = {"fr": "newsarchive_fr", "en": "newsarchive_en"}
DEFAULT_CONFIG = "newsarchive_simple"


def clean_query(text: str) -> str:
    """Return the query trimmed to a sane length, without control characters."""
    text = "".join(char for char in (text or "") if unicodedata.category(char)[0] != "C")
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def query_words(text: str) -> list[str]:
    """Return the folded words of a query, without the operators of web search syntax."""
    words = re.findall(r"\w+", fold(text))
    return [word for word in words if word not in {"or", "and"}][:20]


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


def language_queries(text: str):
    """(condition on the article's language, its configuration, the parsed query) for each
    text search configuration: every article is matched in its own language."""
    from django.contrib.postgres.search import SearchQuery

    for language, config in [*SEARCH_CONFIGS.items(), (None, DEFAULT_CONFIG)]:
        in_language = Q(language=language) if language else ~Q(language__in=list(SEARCH_CONFIGS))
        yield in_language, config, SearchQuery(text, config=config, search_type="websearch")


def text_matches(text: str) -> Q:
    """On PostgreSQL, the condition that an article's text matches ``text`` in its language:
    one GIN index lookup per text search configuration."""
    matches = Q()
    for in_language, _config, query in language_queries(text):
        matches |= in_language & Q(search_vector=query)
    return matches


def search_articles(queryset, text: str, actor_ids=()):
    """Filter ``queryset`` to the articles matching ``text``, annotated with ``search_rank``.

    ``actor_ids``: the ids of the actors the query names; their confirmed articles match too.
    """
    from .models import ArticleActor

    # A link of the article's own, looked up by its key for each candidate row: "IN (the
    # articles of Iran)" would build a set of every confirmed link of Iran first, and,
    # when PostgreSQL deems that set too large to hash, scan it again for every article.
    named = (
        Q(
            Exists(
                ArticleActor.objects.filter(
                    article=OuterRef("pk"),
                    actor_id__in=list(actor_ids),
                    status=ArticleActor.Status.CONFIRMED,
                )
            )
        )
        if actor_ids
        else Q(pk__in=[])
    )
    if uses_postgres_search():
        from django.contrib.postgres.search import SearchRank

        ranks = [
            When(in_language, then=SearchRank(F("search_vector"), query))
            for in_language, _config, query in language_queries(text)
        ]
        rank = Case(*ranks, default=Value(0.0), output_field=FloatField())
        named_rank = Case(When(named, then=Value(0.5)), default=Value(0.0))
        return queryset.filter(text_matches(text) | named).annotate(search_rank=rank + named_rank)

    words = query_words(text)
    if not words:
        return queryset.filter(named).annotate(search_rank=Value(1.0))
    folded = queryset.annotate(folded_title=Folded("title"), folded_body=Folded("body"))
    every_word = Q()
    for word in words:
        every_word &= Q(folded_title__contains=word) | Q(folded_body__contains=word)
    rank = Case(
        When(folded_title__contains=words[0], then=Value(2.0)),
        default=Value(1.0),
        output_field=FloatField(),
    )
    return folded.filter(every_word | named).annotate(search_rank=rank)


def among_newest_matches(matches, limit: int = RANKED_MATCHES):
    """Restrict ``matches`` (a search, filtered) to its newest ``limit`` articles.

    Ranking reads the search vector of every row it ranks: for a word found in most
    articles ("Iran"), hundreds of thousands of them, for a first page of twenty. So
    relevance orders only the newest ``RANKED_MATCHES`` matches, which the published-order
    index yields without reading the others. The trade-off: an older article that matches
    better ranks after none of them, it is simply not in the relevance list; sorting by
    date, or narrowing the search, reaches it (docs/browse.md). A rarer query has fewer
    matches than the cap and is ranked whole.
    """
    newest = matches.order_by("-published_on", "-id").values("pk")[:limit]
    return matches.filter(pk__in=newest)


def without_markers(expression):
    return Replace(Replace(expression, Value(START), Value("")), Value(STOP), Value(""))


def headline_annotations(text: str):
    """Return the annotations that make PostgreSQL highlight ``text`` in title and body."""
    from django.contrib.postgres.search import SearchHeadline

    options = {
        "start_sel": START,
        "stop_sel": STOP,
        "max_words": SNIPPET_WORDS,
        "min_words": 15,
        "max_fragments": 2,
        "fragment_delimiter": " … ",
    }
    title_cases, body_cases = [], []
    for in_language, config, query in language_queries(text):
        title_cases.append(
            When(
                in_language,
                then=SearchHeadline(
                    without_markers(F("title")),
                    query,
                    config=config,
                    start_sel=START,
                    stop_sel=STOP,
                    highlight_all=True,
                ),
            )
        )
        body_cases.append(
            When(
                in_language,
                then=SearchHeadline(without_markers(F("body")), query, config=config, **options),
            )
        )
    return {
        "title_headline": Case(*title_cases, output_field=CharField()),
        "body_headline": Case(*body_cases, output_field=CharField()),
    }


def marked_html(marked_text: str) -> str:
    """Escape text that carries START/STOP markers, then turn the markers into <mark>."""
    html = escape(marked_text).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(html)


def mark_words(text: str, words: list[str], max_words: int | None = None) -> str:
    """Return ``text`` as HTML with the words of the query marked, accent-insensitively.

    With ``max_words``, return a snippet of about that many words around the first match.
    """
    text = text.replace(START, "").replace(STOP, "")
    folded_chars, origin = [], []
    for index, char in enumerate(text):
        for folded_char in fold(char):
            folded_chars.append(folded_char)
            origin.append(index)
    folded = "".join(folded_chars)
    spans = []
    for word in words:
        for match in re.finditer(re.escape(word), folded):
            spans.append((origin[match.start()], origin[match.end() - 1] + 1))
    spans = merge_spans(spans)

    start, end = 0, len(text)
    if max_words:
        tokens = [(match.start(), match.end()) for match in re.finditer(r"\S+", text)]
        anchor = spans[0][0] if spans else 0
        first = next((i for i, (_, token_end) in enumerate(tokens) if token_end > anchor), 0)
        first = max(0, first - max_words // 3)
        window = tokens[first : first + max_words]
        if window:
            start, end = window[0][0], window[-1][1]

    pieces, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces.append(text[cursor:span_start] + START + text[span_start:span_end] + STOP)
        cursor = span_end
    pieces.append(text[cursor:end])
    marked = "".join(pieces)
    if max_words:
        marked = ("… " if start > 0 else "") + marked.strip() + (" …" if end < len(text) else "")
    return marked_html(marked)


def merge_spans(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
