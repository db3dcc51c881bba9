"""Notes are Markdown written by users: render, then allow-list the HTML.

The parser is cmark-gfm (GitHub's C implementation of CommonMark with tables and
strikethrough, through cmarkgfm), whose time grows linearly with the text whatever it
holds: Python-Markdown took a minute on a note of unmatched "[", and the slowest crafted
note of the longest allowed length renders here in about 20 ms
(bench/markdown_pathological.py). Notes are rendered once, when saved, and the result
is stored on the note (Note.html): pages never parse Markdown.

Raw HTML in a note is shown as text: every "<" that does not open an autolink
(<https://…>, <me@example.com>) is swapped for a private-use character before parsing
and for "&lt;" after, so the parser never sees a tag, "List<int>" reads as typed, and
code keeps its "<". nh3 then keeps only the tags and attributes listed here, so scripts,
event handlers, styles, forms, SVG and htmx attributes (hx-*, data-hx-*) never reach the
page, and links may only point to http(s) or mailto. Changing this allow-list or the
parser's options only affects notes saved afterwards: re-render the stored ones with a
data migration (see progress/migrations/0006_note_html.py).
"""

from __future__ import annotations

import re

import cmarkgfm
import nh3
from cmarkgfm import cmark
from cmarkgfm.cmark import Options
from django.utils.safestring import SafeString, mark_safe

# cmark-gfm registers its extensions on a process's first render, behind a plain
# check-then-set flag: two threads rendering their first note at once both register,
# and the second aborts the whole process ("flag initialization error in
# cmark_register_node_flag"), taking a gunicorn worker's other requests with it. Found
# by tests/security/test_redis_outage.py, reproduced 4 times in 200 with 32 threads.
# Registering here runs once, under Python's import lock, before any render; gunicorn's
# master imports this module before it forks its workers (gunicorn.conf.py).
cmark.core_extensions_ensure_registered()

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

#: ~~text~~ strikes through; a single ~ is just a tilde. "Unsafe" lets every link's URL
#: through to nh3, which drops a scheme it does not allow and keeps the link's text;
#: there is no raw HTML left for it to let through (see _LESS_THAN).
_OPTIONS = (
    Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE
    | Options.CMARK_OPT_VALIDATE_UTF8
    | Options.CMARK_OPT_UNSAFE
)
_EXTENSIONS = ["table", "strikethrough", "autolink"]

#: Stands for "<" while cmark parses; one a learner typed becomes U+FFFD first.
_LESS_THAN = "\ue000"
#: A "<" that opens a CommonMark autolink (a URI or an e-mail address), which stays.
#: Every repetition stops at the next "<", so the scan is linear in the text.
_AUTOLINK_START = re.compile(
    r"<(?![A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>"
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9.\-]+>)"
)


#: How deep elements may nest in a rendered note: block quotes, lists and emphasis
#: nested deeper keep their text but lose their tags. An HTML parser (nh3's, a
#: browser's) takes time growing with the square of the depth: 10,000 nested block
#: quotes took nh3 0.3 s.
MAX_DEPTH = 32
#: A tag of cmark's output that can nest without bound (never a learner's tag: their
#: "<" are all swapped out). Others nest a fixed few levels (a table's, a heading's).
_NESTING_TAG = re.compile(r"<(/?)(?:blockquote|ul|ol|li|em|strong|del|a)\b[^>]*>")


def _flatten_deep_nesting(html: str) -> str:
    """`html` without the tags nested deeper than MAX_DEPTH (their text stays).

    cmark's output is well nested, so dropping an element's opening and closing tags
    together, by depth, keeps it well nested. One pass: linear in the length.
    """
    kept: list[str] = []
    depth = start = 0
    for match in _NESTING_TAG.finditer(html):
        closing = match.group(1)
        if not closing:
            depth += 1
        if depth > MAX_DEPTH:
            kept.append(html[start : match.start()])
            start = match.end()
        if closing:
            depth -= 1
    kept.append(html[start:])
    return "".join(kept)


def render_markdown(text: str) -> SafeString:
    """The note as sanitised HTML, in time linear in its length."""
    source = _AUTOLINK_START.sub(_LESS_THAN, text.replace(_LESS_THAN, "\ufffd"))
    html = cmarkgfm.markdown_to_html_with_extensions(
        source, options=_OPTIONS, extensions=_EXTENSIONS
    ).replace(_LESS_THAN, "&lt;")
    cleaned = nh3.clean(
        _flatten_deep_nesting(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned.strip())  # noqa: S308 — sanitised by nh3 just above
