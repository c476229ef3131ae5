"""An article's text as HTML, with each confirmed mention a link to its actor."""

import re
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from actors.folding import nfc

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class LinkedSpan:
    start: int
    end: int
    url: str
    title: str


def spans_for(links, field_name: str, text: str) -> list[LinkedSpan]:
    """The non-overlapping mention spans of confirmed ``links`` in one field's (NFC) text."""
    spans = []
    for link in links:
        for item in link.evidence:
            if item.get("field") != field_name:
                continue
            start, end = item.get("start", -1), item.get("end", -1)
            # Evidence is kept when the text changes: link only words still in place.
            if 0 <= start < end <= len(text) and text[start:end] == item.get("surface"):
                spans.append(LinkedSpan(start, end, link.actor.get_absolute_url(), link.actor.name))
    spans.sort(key=lambda span: (span.start, -span.end))
    kept, last_end = [], -1
    for span in spans:
        if span.start >= last_end:
            kept.append(span)
            last_end = span.end
    return kept


def linked_html(text: str, spans: list[LinkedSpan], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with ``spans`` as links and line breaks as <br>."""
    end = len(text) if end is None else end
    pieces, cursor = [], start
    for span in spans:
        if span.start < start or span.end > end:
            continue
        pieces.append(escape(text[cursor : span.start]))
        pieces.append(
            format_html(
                '<a class="mention" href="{}" title="{}">{}</a>',
                span.url,
                span.title,
                text[span.start : span.end],
            )
        )
        cursor = span.end
    pieces.append(escape(text[cursor:end]))
    return mark_safe("".join(pieces).replace("\n", "<br>"))


def linked_paragraphs(body: str, spans: list[LinkedSpan]) -> list[str]:
    """The paragraphs of ``body`` as HTML with the mentions linked."""
    body = nfc(body)
    paragraphs, start = [], 0
    for match in [*PARAGRAPH_BREAK.finditer(body), None]:
        end = match.start() if match else len(body)
        if body[start:end].strip():
            paragraphs.append(linked_html(body, spans, start, end))
        if match:
            start = match.end()
    return paragraphs
