"""Notes are Markdown written by users: render, then allow-list the HTML.

The parser is markdown-it-py, a CommonMark parser whose time grows linearly with
the text whatever it holds (Python-Markdown took a minute on a note of unmatched
"["): a note renders in milliseconds, a crafted one of the longest allowed in at
most about 0.3 s of CPU (bench/markdown_pathological.py). Notes are rendered once,
when saved, and the result is stored on the note (Note.html): pages never parse
Markdown.

Raw HTML in a note is shown as text (html=False), and nh3 then keeps only the tags
and attributes listed here, so scripts, event handlers, styles, forms, SVG and
htmx attributes (hx-*, data-hx-*) never reach the page, and links may only point
to http(s) or mailto. Changing this allow-list or the parser's options only
affects notes saved afterwards: re-render the stored ones with a data migration
(see progress/migrations/0006_note_html.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import image, link
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

#: Bounds the parser's recursion: a list takes two levels, a block quote one, so lists
#: nest 9 deep and block quotes 19; what is nested deeper is left out of the rendering
#: (the note's text keeps it). CommonMark's preset value.
MAX_NESTING = 20


def _strikethrough_as_del(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # markdown-it writes ~~text~~ as <s>; <del> is the tag the allow-list has always had.
    return "<del>" if tokens[idx].nesting == 1 else "</del>"


InlineRule = Callable[[StateInline, bool], bool]


def _closable(rule: InlineRule) -> InlineRule:
    """The link or image rule, skipped at once where no "]" follows to close it.

    Each "[" otherwise looks ahead for its "]" (up to MAX_NESTING levels deep), which
    made a note of 20,000 "[" take 0.2 s instead of 0.03 s.
    """

    def closable_rule(state: StateInline, silent: bool) -> bool:
        # html_terminator_last (markdown-it-py 4.3): the last index of a string in the
        # text, cached per text.
        if state.html_terminator_last("]") < state.pos:
            return False
        return rule(state, silent)

    return closable_rule


def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "maxNesting": MAX_NESTING, "xhtmlOut": False, "linkify": False},
    ).enable(["table", "strikethrough"])
    # Every link is parsed as a link; nh3 then drops an href whose scheme is not allowed,
    # keeping the link's text. (markdown-it's own check would leave "[x](javascript:…)"
    # on the page as literal text instead.)
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.inline.ruler.at("link", _closable(link))
    md.inline.ruler.at("image", _closable(image))
    md.add_render_rule("s_open", _strikethrough_as_del)
    md.add_render_rule("s_close", _strikethrough_as_del)
    return md


_MARKDOWN = _parser()


def render_markdown(text: str) -> SafeString:
    """The note as sanitised HTML, in time linear in its length."""
    html = _MARKDOWN.render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned.strip())  # noqa: S308 — sanitised by nh3 just above
