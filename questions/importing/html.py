"""HTML from other tools (Moodle's question text and feedback) as the bank holds text:
plain text for a question, Markdown for an answer.

The standard library's HTMLParser reads the HTML as a stream, so the work is linear in
its length whatever its nesting, and nothing of it is kept as markup: tags become
Markdown or nothing, and text is escaped where Markdown would read it as markup. What
the answer shows is sanitised again when it is rendered (studyhub/markdown.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

#: Tags whose content is not text at all.
_DROPPED = {"script", "style", "head", "title", "template", "object", "embed", "iframe"}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "blockquote",
    "table",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figure",
    "figcaption",
    "dl",
    "dt",
    "dd",
    "hr",
}
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*"}
_LIST_DEPTH_MAX = 4  # deeper lists are written at this depth
# Characters Markdown may read as markup anywhere in a line (an underscore only at a
# word's edge: "state_dict" is no emphasis), and at a line's start. A table, not a
# pattern's template: 1 MB of "<" took 0.3 s to expand a template for each.
_INLINE_MARKUP = str.maketrans({char: "\\" + char for char in "\\`*[]<>|~"})
_EDGE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_LINE_START_MARKUP = re.compile(r"^([#>+-]|\d+[.)])(?=\s|$)")


class TooMuchHtml(ValueError):
    """The HTML holds more tags and texts than its reader allows (HtmlBudget)."""


@dataclass
class HtmlBudget:
    """How many tags and runs of text the HTML of one file may hold, all its texts
    together: the parser spends a few microseconds on each, so this bounds what a file
    of crafted HTML costs (1 MB of "<ul><li>" is 260,000 tags and 0.6 s)."""

    left: int

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooMuchHtml


@dataclass
class _State:
    markdown: bool
    out: list[str] = field(default_factory=list)
    lists: list[list[int]] = field(default_factory=list)  # [next number] or [0] for bullets
    dropped: int = 0
    pre: int = 0
    link: str = ""
    media: int = 0
    code: list[str] | None = None  # the text of an open code span, written at its end


class _Converter(HTMLParser):
    def __init__(self, markdown: bool, budget: HtmlBudget | None) -> None:
        super().__init__(convert_charrefs=True)
        self.state = _State(markdown=markdown)
        self.budget = budget or HtmlBudget(left=1 << 62)

    # --- Writing -------------------------------------------------------------------

    def _write(self, text: str) -> None:
        self.state.out.append(text)

    def _break(self, blank: bool) -> None:
        self._write("\n\n" if blank else "\n")

    # --- Tags ----------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.budget.spend()
        state = self.state
        if tag in _DROPPED:
            state.dropped += 1
            return
        if state.dropped:
            return
        if tag == "br":
            self._break(blank=False)
        elif tag in _BLOCKS or tag == "pre":
            self._break(blank=True)
            if tag == "pre":
                state.pre += 1
                if state.markdown and state.pre == 1:
                    self._write("```\n")
        elif tag in ("ul", "ol"):
            state.lists.append([1 if tag == "ol" else 0])
            if len(state.lists) == 1:
                self._break(blank=True)
        elif tag == "li":
            self._list_item()
        elif tag == "img":
            state.media += 1
            alt = dict(attrs).get("alt") or ""
            if alt.strip():
                self._write_text(f"[image: {alt.strip()}]")
        elif tag in ("td", "th"):
            self._write(" ")
        elif state.markdown and not state.pre:
            self._inline_start(tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        self.budget.spend()
        state = self.state
        if tag in _DROPPED:
            state.dropped = max(0, state.dropped - 1)
            return
        if state.dropped:
            return
        if tag == "pre" and state.pre:
            state.pre -= 1
            if state.markdown and state.pre == 0:
                self._write("\n```")
            self._break(blank=True)
        elif tag in _BLOCKS:
            self._break(blank=True)
        elif tag in ("ul", "ol") and state.lists:
            state.lists.pop()
            self._break(blank=not state.lists)
        elif state.markdown and not state.pre:
            self._inline_end(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr"):
            self.handle_starttag(tag, attrs)

    def _list_item(self) -> None:
        state = self.state
        self._break(blank=False)
        if not state.lists:
            state.lists.append([0])
        depth = min(len(state.lists), _LIST_DEPTH_MAX) - 1
        counter = state.lists[-1]
        if counter[0]:
            marker = f"{counter[0]}. "
            counter[0] += 1
        else:
            marker = "- "
        self._write("  " * depth + _LIST_ITEM + (marker if state.markdown else "• "))

    def _inline_start(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag in _EMPHASIS:
            self._write(_EMPHASIS[tag])
        elif tag == "code":
            if self.state.code is None:
                self.state.code = []
        elif tag == "a":
            href = (attrs.get("href") or "").strip()
            self.state.link = href if urlsplit(href).scheme in ("http", "https") else ""
            if self.state.link:
                self._write("[")

    def _inline_end(self, tag: str) -> None:
        if tag in _EMPHASIS:
            self._write(_EMPHASIS[tag])
        elif tag == "code" and self.state.code is not None:
            self._write(_code_span("".join(self.state.code)))
            self.state.code = None
        elif tag == "a" and self.state.link:
            link = self.state.link.replace(")", "%29").replace(" ", "%20")
            self._write(f"]({link})")
            self.state.link = ""

    # --- Text ----------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        self.budget.spend()
        if self.state.dropped:
            return
        if self.state.pre:
            self._write(data.replace("```", "`\u200b``") if self.state.markdown else data)
            return
        self._write_text(re.sub(r"\s+", " ", data))

    def _write_text(self, text: str) -> None:
        if self.state.code is not None:  # code shows its text as it is: nothing escaped
            self.state.code.append(text)
            return
        if self.state.markdown and text.strip():
            text = escape_inline(text)
        self._write(text)

    def result(self) -> str:
        if self.state.code is not None:  # a code span never closed keeps its text
            self._write(_code_span("".join(self.state.code)))
            self.state.code = None
        lines = [line.rstrip() for line in "".join(self.state.out).split("\n")]
        if self.state.markdown:
            lines = _outside_code(lines)
        else:
            lines = [line.replace(_LIST_ITEM, "") for line in lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _code_span(text: str) -> str:
    """A code span holding `text`: fenced with one backtick more than its longest run
    of them, and spaced from them where it starts or ends with one."""
    if not text.strip():
        return text
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _outside_code(lines: list[str]) -> list[str]:
    """Lines outside code blocks lose the indent that would make them code, and markup
    at their start is escaped, but for the list items this converter wrote."""
    tidied, fenced = [], False
    for line in lines:
        if line == "```":
            fenced = not fenced
        elif _LIST_ITEM in line:
            line = line.replace(_LIST_ITEM, "")
        elif not fenced:
            line = _LINE_START_MARKUP.sub(r"\\\1", line.lstrip())
        tidied.append(line)
    return tidied


#: Marks the start of a list item the converter wrote (no input holds it: see _convert).
_LIST_ITEM = "\x00"


@dataclass(frozen=True)
class Converted:
    text: str
    media: int  # images referenced, not stored


def escape_inline(text: str) -> str:
    """Text as Markdown that shows it as written, within a line."""
    return _EDGE_UNDERSCORE.sub(r"\\_", text.translate(_INLINE_MARKUP))


def escape_markdown(text: str) -> str:
    """Plain text, line breaks and all, as Markdown that shows it as written."""
    return "\n".join(
        _LINE_START_MARKUP.sub(r"\\\1", line.lstrip()) for line in escape_inline(text).split("\n")
    )


def html_to_markdown(html: str, budget: HtmlBudget | None = None) -> Converted:
    """HTML as Markdown: paragraphs, line breaks, lists, emphasis, code and web links
    kept; every other tag dropped, its text kept; images as their alt text. Raises
    TooMuchHtml when the budget runs out."""
    return _convert(html, markdown=True, budget=budget)


def html_to_text(html: str, budget: HtmlBudget | None = None) -> Converted:
    """HTML as one plain line of text (a question): tags dropped, entities read."""
    converted = _convert(html, markdown=False, budget=budget)
    return Converted(" ".join(converted.text.split()), converted.media)


def _convert(html: str, *, markdown: bool, budget: HtmlBudget | None) -> Converted:
    converter = _Converter(markdown, budget)
    converter.feed(_closable(html.replace(_LIST_ITEM, "")))
    converter.close()
    return Converted(converter.result(), converter.state.media)


def _closable(html: str) -> str:
    """The HTML with every "<" that can open nothing read as text. The parser looks for
    the end of each "<" that opens a tag, comment or declaration to the end of the
    text, so a text of unclosed "<"s took the square of its length (1 MB of "<&<!":
    4.8 s); a "<" after the last ">", or a "<!--" after the last "-->", can never be
    closed. "<![" opens a marked section, which HTML has none of and whose parser fails
    on a bad one ("<![ x" raises AssertionError)."""
    html = html.replace("<![", "&lt;![")
    last = html.rfind(">")
    html = html[: last + 1] + html[last + 1 :].replace("<", "&lt;")
    comment_end = html.rfind("-->")
    tail = html[comment_end + 3 :] if comment_end >= 0 else html
    if "<!--" in tail:
        html = html[: len(html) - len(tail)] + tail.replace("<!--", "&lt;!--")
    return html


def looks_like_html(text: str) -> bool:
    """Whether plain text from another tool holds HTML tags or entities."""
    return bool(re.search(r"</?[a-zA-Z][^<>]*>|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);", text))
