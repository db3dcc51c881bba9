"""Files the site hands out: how a download is named, and which cells a spreadsheet
would run as formulas. Every app's exports use these, so this module imports no app."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import cast

from django.http import HttpResponse
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


def attachment(filename: str, *, content_type: str, content: str = "") -> HttpResponse:
    """A response the browser saves as `filename` instead of showing it; write into it
    (a csv.writer can) when there is no `content` to give."""
    response = HttpResponse(content, content_type=content_type)
    # Only an inline response without a file name gets no header (None).
    response["Content-Disposition"] = cast(str, content_disposition_header(True, filename))
    return response


def csv_attachment(filename: str, rows: Iterable[Iterable[object]]) -> HttpResponse:
    """A CSV download of `rows` (the header first). Text cells are escaped (escape_cell);
    numbers stay numbers, negative ones included, and None is an empty cell."""
    response = attachment(filename, content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([escape_cell(c) if isinstance(c, str) else c for c in row])
    return response
