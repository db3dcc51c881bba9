"""Readers for rendered pages and downloads, so tests assert on what a person sees; and
HTMX, the header htmx sends (the htmx_headers fixture gives a copy)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from html.parser import HTMLParser

HTMX = {"HX-Request": "true"}


def html_of(response) -> str:
    return response.content.decode()


def title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "the page has no <title>"
    return " ".join(match.group(1).split())


def field_errors(html: str, field: str) -> list[str]:
    """The messages Django's form rendering lists under the field (its `…_error` list)."""
    block = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def section(html: str, value: str, *, attr: str = "id") -> str:
    """The first <section> whose `attr` is `value` (sections here are never nested)."""
    match = re.search(rf'<section\b[^>]*\b{attr}="{re.escape(value)}".*?</section>', html, re.S)
    assert match, f'no <section {attr}="{value}"> in the HTML'
    return match.group(0)


def coverage_figures(html: str) -> list[tuple[int, int, int]]:
    """Every "n of m · p%" coverage text, as numbers."""
    return [
        (int(n), int(m), int(p))
        for n, m, p in re.findall(r"<strong>(\d+) of (\d+)</strong> · (\d+)%", html)
    ]


def topic_rows(html: str) -> dict[str, tuple[int, int, int]]:
    """The dashboard's coverage table: topic name -> (covered, questions, percent)."""
    table = re.search(r'<table class="coverage-chart">.*?</table>', html, re.S)
    assert table, "no coverage table"
    rows = re.findall(
        r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>\s*<td>.*?'
        r"<strong>(\d+) of (\d+)</strong> · (\d+)%",
        table.group(0),
        re.S,
    )
    return {name: (int(n), int(m), int(p)) for name, n, m, p in rows}


def pressed_levels(html: str) -> list[int]:
    """The confidence buttons marked aria-pressed="true"."""
    return [int(v) for v in re.findall(r'id="level-(\d)"[^>]*aria-pressed="true"', html)]


def body_csrf_token(html: str) -> str:
    """The token htmx sends, from <body hx-headers='{"X-CSRFToken": "…"}'>."""
    match = re.search(r"<body hx-headers='([^']*)'>", html)
    assert match, "no hx-headers on <body>"
    return json.loads(match.group(1))["X-CSRFToken"]


def textarea_value(html: str) -> str:
    match = re.search(r'<textarea id="note-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no note textarea"
    return unescape(match.group(1))


# --- Tables and CSV ----------------------------------------------------------------


def squash(html: str) -> str:
    """The visible text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


class _Tables(HTMLParser):
    """Every <table> as (attributes, rows); a row is a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[dict, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs), []))
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, css_class: str) -> list[list[str]]:
    """The rows (header row first) of the first table with this class."""
    parser = _Tables()
    parser.feed(html)
    for attrs, rows in parser.tables:
        if css_class in (attrs.get("class") or "").split():
            return rows
    raise AssertionError(f'no <table class="{css_class}">')


FRESH_SUFFIX = re.compile(r" · \d+ fresh$")


def matrix_of(html: str, *, fresh: bool = False) -> tuple[list[str], list[list[str]]]:
    """The team dashboard's matrix: its header cells and its body rows. Cells read
    "covered of total"; with fresh=True they keep their " · N fresh" suffix."""
    rows = table_rows(html, "matrix")
    body = rows[1:] if fresh else [[FRESH_SUFFIX.sub("", c) for c in row] for row in rows[1:]]
    return rows[0], body


def matrix_names(html: str) -> list[str]:
    return [row[0] for row in matrix_of(html)[1]]


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
