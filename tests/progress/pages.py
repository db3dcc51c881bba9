"""Small readers for rendered HTML, so tests can assert on what a person sees."""

from __future__ import annotations

import json
import re
from html import unescape


def text_of(response) -> str:
    return response.content.decode()


def title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "the page has no <title>"
    return " ".join(match.group(1).split())


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
