"""Files the site hands out: how a download is named, and which cells a spreadsheet
would run as formulas. Every app's exports use these, so this module imports no app."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.utils.http import content_disposition_header

#: Cells starting with these are formulas to a spreadsheet; exports prefix them with "'".
FORMULA_START = "=+-@\t\r"


def attachment(filename: str, *, content_type: str, content: str = "") -> HttpResponse:
    """A response the browser saves as `filename` instead of showing it; write into it
    (a csv.writer can) when there is no `content` to give."""
    response = HttpResponse(content, content_type=content_type)
    # Only an inline response without a file name gets no header (None).
    response["Content-Disposition"] = cast(str, content_disposition_header(True, filename))
    return response
