"""Files the site hands out: how a download is named, and which cells a spreadsheet
would run as formulas. Every app's exports use these, so this module imports no app."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

#: Cells starting with these are formulas to a spreadsheet; exports prefix them with "'".
FORMULA_START = "=+-@\t\r"


def escape_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula: "'" before a cell that starts
    like one, after any "'"s of its own (so the bank's importer, which removes exactly one
    "'" from such a cell, gives back the text as it was). None is an empty cell."""
    text = "" if value is None else str(value)
    first = text.lstrip("'")[:1]
    return "'" + text if first and first in FORMULA_START else text


def attachment(filename: str, *, content_type: str, content: str | bytes = "") -> HttpResponse:
    """A response the browser saves as `filename` instead of showing it; write into it
    (a csv.writer can) when there is no `content` to give."""
    response = HttpResponse(content, content_type=content_type)
    # Only an inline response without a file name gets no header (None).
    response["Content-Disposition"] = cast(str, content_disposition_header(True, filename))
    return response


def streaming_attachment(
    filename: str, *, content_type: str, chunks: Iterable[bytes]
) -> StreamingHttpResponse:
    """`attachment`, sent as `chunks` come: for a file too large to hold in a worker."""
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = cast(str, content_disposition_header(True, filename))
    return response


#: How much JSON json_chunks gathers before it hands a chunk on.
JSON_CHUNK = 64 * 1024


def json_chunks(document: Mapping[str, Any], *, chunk: int = JSON_CHUNK) -> Iterator[bytes]:
    """`document` (an object) as UTF-8 JSON, a chunk at a time. A value that is an
    iterator (a generator, a queryset's .iterator()) becomes an array written an item at a
    time, one item a line, so that its rows are never all in memory; any other value is
    written whole. The keys keep their order; the text is not escaped to ASCII."""
    parts: list[str] = []
    size = 0

    def write(text: str) -> Iterator[bytes]:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size >= chunk:
            yield "".join(parts).encode()
            parts.clear()
            size = 0

    yield from write("{")
    for index, (key, value) in enumerate(document.items()):
        yield from write(("," if index else "") + "\n  " + json.dumps(key) + ": ")
        if isinstance(value, Iterator):
            yield from write("[")
            empty = True
            for item in value:
                item_text = json.dumps(item, ensure_ascii=False)
                yield from write(("\n    " if empty else ",\n    ") + item_text)
                empty = False
            yield from write("]" if empty else "\n  ]")
        else:
            text = json.dumps(value, ensure_ascii=False, indent=2)
            yield from write(text.replace("\n", "\n  "))
    yield from write("\n}\n")
    yield "".join(parts).encode()


def csv_attachment(filename: str, rows: Iterable[Iterable[object]]) -> HttpResponse:
    """A CSV download of `rows` (the header first). Text cells are escaped (escape_cell);
    numbers stay numbers, negative ones included, and None is an empty cell."""
    response = attachment(filename, content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([escape_cell(c) if isinstance(c, str) else c for c in row])
    return response
