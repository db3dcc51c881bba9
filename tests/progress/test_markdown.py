from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils.safestring import SafeString

from progress.markdown import render_markdown

REL = 'rel="noopener noreferrer nofollow"'


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_in(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    return collector.tags


# --- Markdown renders ---------------------------------------------------------


def test_returns_safe_html():
    assert isinstance(render_markdown("plain"), SafeString)


def test_bold_and_italic():
    assert render_markdown("**bold** and *italic*") == (
        "<p><strong>bold</strong> and <em>italic</em></p>"
    )


def test_lists():
    html = render_markdown("- apples\n- pears\n\n1. one\n2. two")
    assert "<ul>\n<li>apples</li>\n<li>pears</li>\n</ul>" in html
    assert "<ol>\n<li>one</li>\n<li>two</li>\n</ol>" in html


def test_numbered_list_keeps_its_start():
    assert '<ol start="5">' in render_markdown("5. five\n6. six")


def test_inline_and_fenced_code_are_escaped_text():
    html = render_markdown("Use `<script>` here\n\n```\nif a < b:\n    pass\n```")
    assert "<code>&lt;script&gt;</code>" in html
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in html
    assert "<script" not in html


def test_links_get_rel_noopener_noreferrer_nofollow():
    html = render_markdown('[docs](https://example.com/a "Docs") and <mailto:me@example.com>')
    assert f'<a href="https://example.com/a" title="Docs" {REL}>docs</a>' in html
    assert f'<a href="mailto:me@example.com" {REL}>me@example.com</a>' in html


def test_author_rel_and_target_are_replaced():
    html = render_markdown('<a href="https://example.com" rel="opener" target="_blank">x</a>')
    assert f'<a href="https://example.com" {REL}>x</a>' in html
    assert "target" not in html
    assert "opener" not in html.replace("noopener", "")


def test_tables_and_headings():
    html = render_markdown("## Title\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h2>Title</h2>" in html
    assert "<th>a</th>" in html
    assert "<td>2</td>" in html


def test_plain_angle_brackets_and_ampersands_are_escaped():
    assert render_markdown("3 < 4 & 5 > 2") == "<p>3 &lt; 4 &amp; 5 &gt; 2</p>"


# --- stored XSS never survives ------------------------------------------------

XSS_CORPUS = {
    "script": "<script>alert(1)</script>",
    "script-mixed-case": "<ScRiPt>alert(1)</sCrIpT>",
    "script-in-paragraph": "Hello <script>alert(1)</script> world",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "markdown-image-onerror": '![x](https://example.com/x.png" onerror="alert(1))',
    "svg-onload": "<svg onload=alert(1)><circle r=5 /></svg>",
    "javascript-link": "[click](javascript:alert(1))",
    "javascript-link-mixed-case": "[click](JaVaScRiPt:alert(1))",
    "javascript-href-entity": '<a href="jav&#x09;ascript:alert(1)">y</a>',
    "javascript-href-raw": '<a href="javascript:alert(1)">y</a>',
    "javascript-reference-link": "[click][1]\n\n[1]: javascript:alert(1)",
    "vbscript-href": '<a href="vbscript:msgbox(1)">v</a>',
    "data-link": "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data-href": '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    "htmx-a-hx-get": '<a hx-get="/accounts/logout/" hx-trigger="load">z</a>',
    "htmx-div-hx-post": '<div hx-post="/questions/cnn-01/confidence/" hx-trigger="load">w</div>',
    "htmx-data-hx-post": '<div data-hx-post="/x" data-hx-trigger="load">w</div>',
    "htmx-hx-on": '<p hx-on:click="alert(1)">p</p>',
    "form": '<form action="https://evil.example/"><input name="p"><button>go</button></form>',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "style-tag": "<style>body { display: none }</style>",
    "style-attribute": '<p style="position:fixed;inset:0">s</p>',
    "details-ontoggle": "<details open ontoggle=alert(1)><summary>s</summary></details>",
    "onclick-on-link": '<a href="https://example.com" onclick="alert(1)">ok</a>',
    "object-embed": "<object data=x></object><embed src=x>",
    "base": '<base href="https://evil.example/">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "comment": "<!-- <script>alert(1)</script> -->",
}

FORBIDDEN = [
    "<script",
    "alert(",
    "onerror",
    "onload",
    "ontoggle",
    "onclick",
    "hx-",
    "javascript:",
    "vbscript:",
    "data:",
    "<form",
    "<input",
    "<iframe",
    "<style",
    "style=",
    "<svg",
    "<img",
    "<details",
    "<object",
    "<embed",
    "<base",
    "<meta",
    "<math",
    "<!--",
]

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}}


@pytest.mark.parametrize("payload", XSS_CORPUS.values(), ids=XSS_CORPUS.keys())
def test_xss_payload_never_survives(payload):
    html = render_markdown(payload).lower()
    survivors = [bad for bad in FORBIDDEN if bad in html]
    assert survivors == [], f"{payload!r} rendered as {html!r}"


@pytest.mark.parametrize("payload", XSS_CORPUS.values(), ids=XSS_CORPUS.keys())
def test_only_allow_listed_tags_attributes_and_url_schemes_remain(payload):
    for tag, attrs in tags_in(render_markdown(payload)):
        assert tag in ALLOWED_TAGS
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set())
        if "href" in attrs:
            assert urlsplit(attrs["href"]).scheme in {"http", "https", "mailto"}
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer nofollow"


def test_harmless_text_around_a_payload_is_kept():
    html = render_markdown("Before <script>alert(1)</script> **after**")
    assert "Before" in html
    assert "<strong>after</strong>" in html
    assert "<script" not in html


def test_link_with_a_dangerous_url_keeps_its_text_but_loses_the_url():
    html = render_markdown("[click me](javascript:alert(1))")
    assert f"<a {REL}>click me</a>" in html
    assert "href" not in html
