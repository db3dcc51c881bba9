"""Markdown: questions written as headings or as numbered list items, each answered by
the text under it; the headings above the questions name their topics."""

from __future__ import annotations

import itertools
import re
import textwrap
from collections import Counter
from dataclasses import dataclass

from questions.importing.document import (
    ITEMS_MAX,
    ImportDocument,
    ImportItem,
    ParseError,
    check_line_lengths,
    check_text,
    normalise_whitespace,
    tidy_answer,
    too_many,
)

_MD_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
# Greedy and anchored: a lazy group before trailing blanks, or a "[ \t]+#+$" searched
# at every position, costs the square of a line of spaces.
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_MD_ITEM = re.compile(r"^ {0,3}(\d{1,9})[.)][ \t]+(\S.*)$")
_MD_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
# "1.", "2)", "Q3:", "Question 4", "Q:" before a question.
_QUESTION_PREFIX = re.compile(
    r"^(?:q(?:uestion)?[ \t]*\d{1,9}(?:[ \t]*[.):])?(?![\w])|\d{1,9}[ \t]*[.):]"
    r"|q(?:uestion)?[ \t]*[.:)])[ \t]*",
    re.IGNORECASE,
)
_ENDS_WITH_QUESTION_MARK = re.compile(r"\?[^\w?]*$")
_ANSWER_LABEL = re.compile(
    r"^(?:\*\*|__)?(?:answer|ans|a|solution)(?:\*\*|__)?[ \t]*:(?:\*\*|__)?[ \t]*", re.IGNORECASE
)
_ANSWER_HEADING = re.compile(r"^(?:answer|solution|ans)[ \t]*:?$", re.IGNORECASE)
_LEADING_BOLD = re.compile(r"^(\*\*|__)(?P<question>.+?)\1[ \t]*(?P<rest>.*)$")
# Wrappers and navigation that GitHub question lists put around answers.
_HTML_WRAPPER = re.compile(
    r"^(?:</?details[^>]*>|<summary>.*</summary>|</?p>|<br ?/?>|</?summary>)$", re.IGNORECASE
)
_ANCHOR_LINK_ONLY = re.compile(r"^\**[ \t]*\[[^\]]*\]\(#[^)]*\)[ \t]*\**$")


@dataclass
class MarkdownLine:
    number: int
    text: str
    in_code: bool
    heading: tuple[int, str] | None = None  # level, text
    item: str | None = None  # a top-level numbered item's text


def scan_markdown(lines: list[str]) -> list[MarkdownLine]:
    """Tag each line: inside a fenced code block, a heading, or a top-level numbered item."""
    scanned = []
    fence: tuple[str, int] | None = None
    for index, text in enumerate(lines):
        line = MarkdownLine(index + 1, text, in_code=fence is not None)
        fence_match = _MD_FENCE.match(text)
        if fence is None and fence_match and "`" not in fence_match.group(2):
            marker = fence_match.group(1)
            fence = (marker[0], len(marker))
            line.in_code = True
        elif fence is not None:
            stripped = text.strip()
            char, length = fence
            if len(stripped) >= length and stripped == char * len(stripped):
                fence = None
        elif heading := _MD_HEADING.match(text):
            title = _without_closing_hashes((heading.group(2) or "").rstrip(" \t"))
            line.heading = (len(heading.group(1)), title.strip())
        elif item := _MD_ITEM.match(text):
            line.item = item.group(2)
        scanned.append(line)
    return scanned


def _without_closing_hashes(title: str) -> str:
    """A heading's text without its closing "##" (hashes alone, or after a blank)."""
    bare = title.rstrip("#")
    if bare != title and (not bare or bare[-1] in " \t"):
        return bare
    return title


def _strip_emphasis(text: str) -> str:
    for marker in ("**", "__", "*", "_"):
        if len(text) > 2 * len(marker) and text.startswith(marker) and text.endswith(marker):
            return text[len(marker) : -len(marker)].strip()
    return text


def _clean_question(text: str) -> str:
    text = _strip_emphasis(text.strip())
    text = _QUESTION_PREFIX.sub("", text, count=1)
    return normalise_whitespace(_strip_emphasis(text.strip()))


def _looks_like_question(heading_text: str) -> bool:
    text = _strip_emphasis(heading_text)
    return bool(_QUESTION_PREFIX.match(text) or _ENDS_WITH_QUESTION_MARK.search(text))


def _markdown_answer(body: list[MarkdownLine]) -> str:
    """The text under a question, without the wrappers question lists put around answers."""
    kept: list[str] = []
    for line in body:
        stripped = line.text.strip()
        if not line.in_code:
            if _HTML_WRAPPER.match(stripped) or _ANCHOR_LINK_ONLY.match(stripped):
                continue
            if line.heading and _ANSWER_HEADING.match(_strip_emphasis(line.heading[1])):
                continue
        kept.append(line.text)
    text = textwrap.dedent("\n".join(kept))
    lines = text.split("\n")
    while lines and (not lines[0].strip() or _MD_RULE.match(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or _MD_RULE.match(lines[-1])):
        lines.pop()
    if lines:
        lines[0] = _ANSWER_LABEL.sub("", lines[0].lstrip(), count=1)
        if not lines[0].strip():
            lines.pop(0)
    return tidy_answer(lines)


def _document_title(scanned: list[MarkdownLine], first_question_line: int) -> int | None:
    """The line of the document's title: its only level-1 heading, before any question."""
    level_one = [line for line in scanned if line.heading and line.heading[0] == 1]
    if len(level_one) == 1 and level_one[0].number < first_question_line:
        return level_one[0].number
    return None


def parse_markdown(text: str, *, source: str = "<text>") -> ImportDocument:
    """Read questions written as Markdown headings or as numbered list items.

    Headings are questions when they are numbered ("## 1. …", "### Q3: …") or end with
    a question mark; of those, the level used most holds the questions. Without such
    headings, the top-level numbered items are the questions. The text under a
    question, up to the next question or section heading, is its answer. Headings above
    the questions name sections, and a section's name becomes the topic of its
    questions; a lone level-1 heading at the top is the document's title, not a topic.
    """
    lines = check_text(text, source)
    check_line_lengths(lines, source)
    scanned = scan_markdown(lines)
    document = ImportDocument(source=source, format="markdown")
    headings = (line for line in scanned if line.heading)
    if extra := next(itertools.islice(headings, ITEMS_MAX, None), None):
        raise too_many(source, extra.number, "headings")

    question_headings = [
        (line.number, line.heading[0])
        for line in scanned
        if line.heading and _looks_like_question(line.heading[1])
    ]
    if question_headings:
        levels = Counter(level for _number, level in question_headings)
        top = max(levels.values())
        question_level = min(level for level, n in levels.items() if n == top)
        starts = {number for number, level in question_headings if level == question_level}
    else:
        question_level = 7  # every heading is a section heading
        starts = {line.number for line in scanned if line.item is not None}
    if len(starts) > ITEMS_MAX:
        raise too_many(source, sorted(starts)[ITEMS_MAX], "questions")
    if not starts:
        raise ParseError(
            source,
            None,
            "no questions found: expected headings such as '## What is a stride?' or "
            "numbered items such as '1. What is a stride?'",
        )
    title_line = _document_title(scanned, min(starts))

    sections: dict[int, str] = {}  # heading level -> name of the section being read
    current: tuple[MarkdownLine, list[MarkdownLine]] | None = None
    ignored: tuple[int, str, list[str]] | None = None  # a non-question heading: line, name, text

    def finish() -> None:
        nonlocal current, ignored
        if current is not None:
            start, body = current
            section = sections[max(sections)] if sections else None
            document.items.append(_markdown_item(start, body, section, source))
        if ignored is not None and any(text.strip() for text in ignored[2]):
            number, name, _text = ignored
            document.warnings.append(
                f"Line {number}: the heading “{name}” is not a question "
                "(no number and no question mark), so the text under it is not imported."
            )
        current = ignored = None

    for line in scanned:
        if line.number in starts:
            finish()
            current = (line, [])
        elif line.heading and line.heading[0] <= question_level:
            finish()
            level, name = line.heading
            if level == question_level:
                ignored = (line.number, name, [])
            elif line.number != title_line and name:
                sections = {k: v for k, v in sections.items() if k < level}
                sections[level] = _clean_question(name)
        elif current is not None:
            current[1].append(line)
        elif ignored is not None:
            ignored[2].append(line.text)
    finish()
    return document


def _markdown_item(
    start: MarkdownLine, body: list[MarkdownLine], section: str | None, source: str
) -> ImportItem:
    raw = start.heading[1] if start.heading else start.item or ""
    question = _clean_question(raw)
    answer_lines = list(body)
    if start.item is not None and (bold := _LEADING_BOLD.match(raw)):
        # "1. **What is a stride?** The step of the filter." – question, then answer.
        question = _clean_question(bold.group("question"))
        if bold.group("rest"):
            answer_lines.insert(0, MarkdownLine(start.number, bold.group("rest"), False))
    elif start.item is not None and not question.endswith("?"):
        # A question wrapped over lines: join its first paragraph up to the "?".
        paragraph = []
        for line in body:
            if not line.text.strip() or line.in_code:
                break
            paragraph.append(line)
        ends = [i for i, line in enumerate(paragraph) if line.text.rstrip().endswith("?")]
        if ends:
            joined = [line.text for line in paragraph[: ends[0] + 1]]
            question = normalise_whitespace(" ".join([question, *joined]))
            answer_lines = body[ends[0] + 1 :]
    if not question:
        # "### Question 3" with the question as the first paragraph under it.
        paragraph_end = next(
            (i for i, line in enumerate(body) if i and not line.text.strip()), len(body)
        )
        first = [line.text for line in body[:paragraph_end] if not line.in_code]
        question = _clean_question(" ".join(first))
        answer_lines = body[paragraph_end:]
    if not question:
        raise ParseError(source, start.number, "the question has no text")
    return ImportItem(
        line=start.number,
        text=question,
        answer=_markdown_answer(answer_lines),
        topics=(section,) if section else (),
    )
