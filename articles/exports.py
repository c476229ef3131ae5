"""CSV exports of filtered lists, streamed row by row, safe to open in a spreadsheet."""

import csv
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.http import StreamingHttpResponse

# A cell that starts with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000


class Echo:
    """A file-like object that hands back what is written, for streaming."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> Any:
    """Return ``value`` with a leading quote when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_response(
    filename: str, header: list[str], rows: Iterable[Any], to_row: Callable[[Any], list]
) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV attachment, each converted by ``to_row``."""
    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff"  # a BOM, so that spreadsheets read the file as UTF-8
        yield writer.writerow(header)
        # Read in a transaction: outside one, Django declares PostgreSQL's server-side
        # cursor WITH HOLD, and PostgreSQL then reads the whole selection before the first
        # row (over a minute for Iran's 830,000 articles at a million). Inside, the rows
        # come as the cursor reaches them; a reader who stops the download rolls it back.
        with transaction.atomic():
            for row in rows:
                yield writer.writerow([safe_cell(value) for value in to_row(row)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
