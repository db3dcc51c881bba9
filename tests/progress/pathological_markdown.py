"""Notes that make Markdown parsers slow, each as long as a note may be.

Drawn from what has made CommonMark implementations quadratic or worse (cmark's and
commonmark.js's pathological tests, markdown-it's and Python-Markdown's reported
cases): openers that are never closed, runs of delimiters, deep nesting. Used by
tests/progress/test_markdown.py (each must render fast) and by
bench/markdown_pathological.py (which prints how fast).
"""

from __future__ import annotations

from django.conf import settings


def _fill(unit: str, limit: int) -> str:
    """`unit` repeated to exactly `limit` characters."""
    return (unit * (limit // len(unit) + 1))[:limit]


def _nest(opening: str, middle: str, closing: str, limit: int) -> str:
    """As many `opening` as fit, then `middle`, then as many `closing`."""
    times = (limit - len(middle)) // (len(opening) + len(closing))
    return opening * times + middle + closing * times


def _growing(make, limit: int) -> str:
    """make(1) + make(2) + … while it fits: runs that grow, so no two are alike."""
    parts, size, i = [], 0, 1
    while size + len(make(i)) <= limit:
        parts.append(make(i))
        size += len(parts[-1])
        i += 1
    return "".join(parts)


def _nested_list(limit: int) -> str:
    # Each item one level deeper than the last, as far as the text allows.
    lines: list[str] = []
    size = depth = 0
    while True:
        line = "  " * depth + "- a\n"
        if size + len(line) > limit:
            return "".join(lines)
        lines.append(line)
        size += len(line)
        depth += 1


def pathological_notes(limit: int | None = None) -> dict[str, str]:
    """Name → note text of at most `limit` (NOTE_MAX_LENGTH) characters."""
    n = limit or settings.NOTE_MAX_LENGTH
    notes = {
        # Links and images: openers with no closer (issue 12: Python-Markdown took 40 s).
        "unmatched [": _fill("[", n),
        "unmatched ![": _fill("![", n),
        "unmatched [](": _fill("[](", n),
        "unmatched [ (](": _fill("[ (](", n),
        "unmatched [a](": _fill("[a](", n),
        "unclosed [a](<b": _fill("[a](<b", n),
        "unclosed link title": _fill('[a](b "', n),
        "unclosed reference title": "[a]: b '" + _fill("x\n", n - 8),
        "many reference definitions": _fill("[a]: b\n", n),
        "nested brackets [[[a]]]": _nest("[", "a", "]", n),
        "nested link parentheses": "[a](" + _fill("(", n - 4),
        "link openers and emphasis": _fill("[ a_", n),
        "brackets then a link": _fill("[", n - 6) + "[a](b)",
        # Emphasis: delimiter runs of every length, never or oddly matched.
        "emphasis runs *a**a***…": _growing(lambda i: "*" * i + "a", n),
        "underscore runs _a__a___…": _growing(lambda i: "_" * i + "a", n),
        "nested emphasis *a **a …": _nest("*a **a ", "b", " a** a*", n),
        "emphasis closers a_ a_ …": _fill("a_ ", n),
        "emphasis openers _a _a …": _fill("_a ", n),
        "multiple of 3 a**b c* c* …": "a**b" + _fill("c* ", n - 4),
        "only asterisks": _fill("*", n),
        "only underscores": _fill("_", n),
        "strikethrough tildes": _fill("~~a", n),
        # Code spans: backtick runs of every length, none closed.
        "backtick runs e`e``e```…": _growing(lambda i: "e" + "`" * i, n),
        "only backticks": _fill("`", n),
        "fence openers": _fill("```\n", n),
        # Autolinks, entities, escapes.
        "unmatched < autolinks": _fill("<", n),
        "unclosed <a: autolinks": _fill("<a:", n),
        "unclosed <a@b autolinks": _fill("<a@b.c", n),
        "entity runs &amp;": _fill("&amp;", n),
        "unterminated entities &#": _fill("&#", n),
        "long numeric entity": "&#" + "9" * (n - 3) + ";",
        "backslash runs": _fill("\\", n),
        # Blocks: deep nesting and tables.
        "nested block quotes > > >": _fill("> ", n),
        "nested lists - - -": _fill("- ", n),
        "nested ordered lists 1. 1.": _fill("1. ", n),
        "indented nested list": _nested_list(n),
        "block quote per line": _growing(lambda i: "> " * i + "a\n", n),
        "table pipes": "|a|\n|-|\n" + _fill("|", n - 8),
        "wide table": _fill("|a", n // 2) + "\n" + _fill("|-", n // 2 - 1),
        "table of many rows": "|a|b|\n|-|-|\n" + _fill("|x|y|\n", n - 12),
        "headings #": _fill("#", n),
        "setext underline after lines": _fill("a\n", n - 2) + "==",
        "one long line of words": _fill("word ", n),
    }
    for name, text in notes.items():
        assert 0 < len(text) <= n, (name, len(text))
    return notes
