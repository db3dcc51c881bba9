"""Parsers for question-bank source documents.

Plain functions from text to data: no database access, so they are easy to
test on the real seed files and on broken inputs. Every problem is reported as
a `ParseError` that names the source, the line and the reason.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import json
import json.decoder
import json.scanner
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field

# At most nine digits: a longer "number" is text (and int() of thousands of digits raises).
_QUESTION_LINE = re.compile(r"^\s*(\d{1,9})\.\s+(\S.*)$")
_ANSWER_SEPARATOR = re.compile(r"^\s*-{3,}\s*ANSWERS?\s*-{3,}\s*$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NOTEBOOK_CELL = re.compile(r"^In \[[^\]]*\]:\s*$")
_NOTEBOOK_ANSWER = re.compile(r"^\s*Answer\s+(\d{1,9})\s*:\s*(.*)$")
# How a complete answer ends: sentence punctuation, possibly inside quotes or brackets.
_COMPLETE_ENDING = re.compile(r"[.!?:;][\"')\]]*\s*$")


class ParseError(ValueError):
    """A source document that cannot be read; says where and why."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class ParsedQuestion:
    number: int
    text: str
    line: int


@dataclass(frozen=True)
class ParsedAnswer:
    number: int
    text: str
    line: int
    source_incomplete: bool = False


@dataclass
class ParsedDocument:
    source: str
    questions: list[ParsedQuestion] = field(default_factory=list)
    answers: list[ParsedAnswer] = field(default_factory=list)

    def answers_by_number(self) -> dict[int, ParsedAnswer]:
        return {answer.number: answer for answer in self.answers}


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace, line breaks included, to one space."""
    return " ".join(text.split())


def tidy_answer(lines: list[str]) -> str:
    """Keep paragraphs and list lines; drop trailing spaces and blank edges."""
    stripped = [line.rstrip() for line in lines]
    text = "\n".join(stripped).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def ends_abruptly(text: str) -> bool:
    """True when text stops mid-sentence (no closing punctuation)."""
    return bool(text.strip()) and not _COMPLETE_ENDING.search(text)


def _check_text(text: str, source: str) -> list[str]:
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError(source, line, "contains a NUL byte; is this a binary file?")
    if not text.strip():
        raise ParseError(source, None, "the file is empty")
    # Only line feeds end a line, so line numbers match what an editor shows
    # (str.splitlines would also split on form feeds and U+2028).
    return _LINE_BREAK.split(text)


def _check_line_lengths(lines: list[str], source: str) -> None:
    if max(map(len, lines)) > LINE_MAX_CHARS:
        index = next(i for i, line in enumerate(lines) if len(line) > LINE_MAX_CHARS)
        raise ParseError(
            source,
            index + 1,
            f"this line is {len(lines[index]):,} characters long; a line may hold at most "
            f"{LINE_MAX_CHARS:,}: break it into shorter lines",
        )


def _too_many(source: str, line: int, what: str) -> ParseError:
    return ParseError(
        source,
        line,
        f"the file holds more than {ITEMS_MAX:,} {what}: split it into smaller files",
    )


def parse_numbered(text: str, *, source: str = "<text>") -> ParsedDocument:
    """Read a numbered list of questions, optionally followed by an answer section.

    The answer section starts at a line such as ``-----ANSWER-----`` and holds
    answers numbered like the questions. A question may wrap over several lines,
    blank ones included; its text is whitespace-normalised. Answers keep their
    paragraphs. When the document's last answer ends mid-sentence it is marked
    `source_incomplete`, because the source stops there.
    """
    lines = _check_text(text, source)
    _check_line_lengths(lines, source)
    document = ParsedDocument(source=source)

    separator_index = next(
        (i for i, line in enumerate(lines) if _ANSWER_SEPARATOR.match(line)), len(lines)
    )

    current: tuple[int, int, list[str]] | None = None  # number, line, parts

    def finish_question() -> None:
        if current is not None:
            number, line_no, parts = current
            document.questions.append(
                ParsedQuestion(number, normalise_whitespace(" ".join(parts)), line_no)
            )

    for index in range(separator_index):
        line_no = index + 1
        line = lines[index]
        if not line.strip():
            continue
        match = _QUESTION_LINE.match(line)
        expected = len(document.questions) + (1 if current is None else 2)
        if match and int(match.group(1)) == expected:
            if expected > ITEMS_MAX:
                raise _too_many(source, line_no, "questions")
            finish_question()
            current = (expected, line_no, [match.group(2)])
        elif match and current is None:
            raise ParseError(
                source, line_no, f"expected question 1 first, found question {match.group(1)}"
            )
        elif match and int(match.group(1)) != expected and _looks_like_new_item(line):
            raise ParseError(
                source,
                line_no,
                f"expected question {expected}, found question {match.group(1)}",
            )
        elif current is None:
            raise ParseError(source, line_no, "text before the first numbered question")
        else:
            current[2].append(line)
    finish_question()

    if not document.questions:
        reason = "no numbered questions found (expected lines like '1. …')"
        if separator_index < len(lines):
            reason += "; the file has an answer section but no questions before it"
        raise ParseError(source, None, reason)

    if separator_index < len(lines):
        document.answers = _parse_numbered_answers(
            lines, separator_index + 1, len(document.questions), source
        )
    return document


def _looks_like_new_item(line: str) -> bool:
    # A wrapped question line may start with a number ("2. …" inside a sentence
    # is rare); an unindented "N. Capitalised" line is taken to be a new item.
    return not line[:1].isspace()


def _parse_numbered_answers(
    lines: list[str], start: int, question_count: int, source: str
) -> list[ParsedAnswer]:
    answers: list[ParsedAnswer] = []
    current: tuple[int, int, list[str]] | None = None

    def finish_answer() -> None:
        if current is not None:
            number, line_no, parts = current
            body = tidy_answer(parts)
            if not body:
                raise ParseError(source, line_no, f"answer {number} is empty")
            answers.append(ParsedAnswer(number, body, line_no))

    for index in range(start, len(lines)):
        line_no = index + 1
        line = lines[index]
        match = _QUESTION_LINE.match(line)
        expected = (current[0] + 1) if current else 1
        # Answers are numbered 1, 2, 3 …; a numbered line with any other number
        # is a list item inside the current answer.
        if match and int(match.group(1)) == expected and not line[:1].isspace():
            finish_answer()
            if expected > question_count:
                raise ParseError(
                    source,
                    line_no,
                    f"answer {expected} has no question (there are {question_count})",
                )
            current = (expected, line_no, [match.group(2)])
        elif current is None:
            if line.strip():
                raise ParseError(
                    source, line_no, "expected answer 1 (a line starting '1. ') after the separator"
                )
        else:
            current[2].append(line)
    finish_answer()

    if answers and ends_abruptly(answers[-1].text):
        last = answers[-1]
        answers[-1] = ParsedAnswer(last.number, last.text, last.line, source_incomplete=True)
    return answers


def parse_notebook(text: str, *, source: str = "<text>") -> ParsedDocument:
    """Read a notebook export: each cell is an ``In [ ]:`` line, a numbered
    question, then ``Answer N: …`` with the concise answer up to the next cell."""
    lines = _check_text(text, source)
    _check_line_lengths(lines, source)
    document = ParsedDocument(source=source)

    cells: list[tuple[int, list[tuple[int, str]]]] = []
    for index, line in enumerate(lines):
        line_no = index + 1
        if _NOTEBOOK_CELL.match(line):
            if len(cells) == ITEMS_MAX:
                raise _too_many(source, line_no, "cells")
            cells.append((line_no, []))
        elif cells:
            cells[-1][1].append((line_no, line))
        elif line.strip():
            raise ParseError(source, line_no, "text before the first 'In [ ]:' cell")

    if not cells:
        raise ParseError(source, None, "no 'In [ ]:' cells found; is this a notebook export?")

    for cell_line, body in cells:
        _parse_notebook_cell(document, cell_line, body, source)
    return document


def _parse_notebook_cell(
    document: ParsedDocument, cell_line: int, body: list[tuple[int, str]], source: str
) -> None:
    content = [(n, line) for n, line in body if line.strip()]
    if not content:
        raise ParseError(source, cell_line, "empty cell: expected a numbered question")

    first_no, first = content[0]
    match = _QUESTION_LINE.match(first)
    expected = len(document.questions) + 1
    if not match:
        raise ParseError(source, first_no, f"expected question {expected} ('{expected}. …')")
    number = int(match.group(1))
    if number != expected:
        raise ParseError(source, first_no, f"expected question {expected}, found question {number}")

    question_parts = [match.group(2)]
    answer: tuple[int, list[str]] | None = None
    for line_no, line in body:
        if line_no <= first_no:
            continue
        if answer is None:
            answer_match = _NOTEBOOK_ANSWER.match(line)
            if answer_match:
                answer_number = int(answer_match.group(1))
                if answer_number != number:
                    raise ParseError(
                        source,
                        line_no,
                        f"answer {answer_number} follows question {number}",
                    )
                answer = (line_no, [answer_match.group(2)])
            else:
                question_parts.append(line)
        else:
            answer[1].append(line)

    document.questions.append(
        ParsedQuestion(number, normalise_whitespace(" ".join(question_parts)), first_no)
    )
    if answer is not None:
        text = tidy_answer(answer[1])
        if not text:
            raise ParseError(source, answer[0], f"answer {number} is empty")
        document.answers.append(ParsedAnswer(number, text, answer[0]))


# --- Importing a question file ---------------------------------------------------------
#
# Besides the two seed formats above, an import file may be Markdown, CSV or JSON. Every
# format is read into an ImportDocument: a list of ImportItems, each with the line it
# starts on, so any later problem can still name the line. docs/importing.md describes
# the formats for people who write the files.

#: Format name -> how the UI and the command name it.
FORMATS: dict[str, str] = {
    "numbered": "Numbered list with an answer section",
    "notebook": "Notebook export (Answer N:)",
    "markdown": "Markdown",
    "csv": "CSV",
    "json": "JSON",
}

#: Bounds on what one import file may hold, checked while it is read, so reading any
#: file costs time in proportion to its size whatever it holds (docs/importing.md).
QUESTION_MAX_CHARS = 1_000  # one question's text (the seed bank's longest: 126)
ANSWER_MAX_CHARS = 20_000  # one answer, or a topic's description (as a note)
LINE_MAX_CHARS = 10_000  # one line of a Markdown, numbered or notebook file
ITEMS_MAX = 10_000  # questions, CSV rows, Markdown headings, entries of a JSON list
TOPICS_PER_QUESTION_MAX = 20
RELATED_PER_QUESTION_MAX = 50
CSV_COLUMNS_MAX = 50
JSON_DEPTH_MAX = 20  # the export format needs 4
JSON_KEYS_MAX = 50  # keys of one JSON object
JSON_NUMBER_MAX_CHARS = 40  # an import needs no numbers; int() of 4,301 digits raises
JSON_TEXT_MAX_CHARS = 6 * ANSWER_MAX_CHARS  # a JSON string as written, escapes included

#: The columns of the CSV format, in the order the exporter writes them.
CSV_COLUMNS = (
    "key",
    "question",
    "answer",
    "answer_incomplete",
    "long_answer",
    "long_answer_incomplete",
    "topics",
    "related",
)
_CSV_ALIASES = {"text": "question", "topic": "topics", "concise_answer": "answer"}
_CSV_DELIMITERS = (",", ";", "\t")
#: Cells starting with these are formulas to a spreadsheet; exports prefix them with "'".
FORMULA_START = "=+-@\t\r"
_ESCAPED_FORMULA = re.compile(r"^'+[=+\-@\t\r]")
_KEY = re.compile(r"^[-a-zA-Z0-9_]+$")
KEY_MAX = 80
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"", "no", "n", "false", "0"}

#: A topic written as "Name [slug]" names both; see docs/importing.md.
TOPIC_WITH_SLUG = re.compile(r"^(?P<name>.*\S)\s*\[(?P<slug>[-a-zA-Z0-9_]+)\]$")

# Markdown
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

_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (a Word or Excel file?); save it as CSV or plain text first"),
    (b"%PDF", "a PDF document; copy its text into a plain-text or Markdown file first"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel file; save it as CSV or plain text first"),
    (b"\x89PNG", "an image, not a text file"),
    (b"\xff\xd8\xff", "an image, not a text file"),
    (b"GIF8", "an image, not a text file"),
)


@dataclass(frozen=True)
class ImportItem:
    """One question of an import file, with everything the file says about it."""

    line: int
    text: str
    answer: str = ""
    answer_incomplete: bool = False
    long_answer: str = ""
    long_answer_incomplete: bool = False
    key: str = ""
    topics: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def answer_count(self) -> int:
        return bool(self.answer) + bool(self.long_answer)


@dataclass(frozen=True)
class DeclaredTopic:
    """A topic a file describes in full (JSON's "topics" list)."""

    slug: str
    name: str
    description: str = ""
    line: int | None = None


@dataclass
class ImportDocument:
    source: str
    format: str
    items: list[ImportItem] = field(default_factory=list)
    topics: list[DeclaredTopic] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    detected: bool = False

    @property
    def format_label(self) -> str:
        return FORMATS[self.format]

    @property
    def answer_count(self) -> int:
        return sum(item.answer_count for item in self.items)


def decode_text(data: bytes, *, source: str) -> str:
    """The bytes as text, or a ParseError saying what the file is instead."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(source, None, "is UTF-16 text; save it as UTF-8 and try again")
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ParseError(source, None, f"is {what}")
    try:
        # utf-8-sig: files saved by some Windows editors start with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(source, line, "is not UTF-8 text") from error


def normalise_for_match(text: str) -> str:
    """Question text as compared with the bank: case, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def split_list_cell(value: str) -> list[str]:
    """A cell listing several topics: one per line, or separated by semicolons."""
    parts = value.splitlines() if "\n" in value or "\r" in value else value.split(";")
    return [part.strip() for part in parts if part.strip()]


def unescape_cell(value: str) -> str:
    """Undo the "'" a spreadsheet export puts before a cell that looks like a formula."""
    return value[1:] if _ESCAPED_FORMULA.match(value) else value


def _structured_answer(value: str) -> str:
    """An answer from CSV or JSON: kept as written, with line endings made "\\n"."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value if value.strip() else ""


# --- The seed formats as import documents -------------------------------------------


def document_from_parsed(parsed: ParsedDocument, format: str) -> ImportDocument:
    """A numbered or notebook document as an import: each answer is the question's answer."""
    answers = parsed.answers_by_number()
    items = []
    for question in parsed.questions:
        answer = answers.get(question.number)
        items.append(
            ImportItem(
                line=question.line,
                text=question.text,
                answer=answer.text if answer else "",
                answer_incomplete=bool(answer and answer.source_incomplete),
            )
        )
    return ImportDocument(source=parsed.source, format=format, items=items)


# --- Markdown ---------------------------------------------------------------------------


@dataclass
class _MarkdownLine:
    number: int
    text: str
    in_code: bool
    heading: tuple[int, str] | None = None  # level, text
    item: str | None = None  # a top-level numbered item's text


def _scan_markdown(lines: list[str]) -> list[_MarkdownLine]:
    """Tag each line: inside a fenced code block, a heading, or a top-level numbered item."""
    scanned = []
    fence: tuple[str, int] | None = None
    for index, text in enumerate(lines):
        line = _MarkdownLine(index + 1, text, in_code=fence is not None)
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


def _markdown_answer(body: list[_MarkdownLine]) -> str:
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


def _document_title(scanned: list[_MarkdownLine], first_question_line: int) -> int | None:
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
    lines = _check_text(text, source)
    _check_line_lengths(lines, source)
    scanned = _scan_markdown(lines)
    document = ImportDocument(source=source, format="markdown")
    headings = (line for line in scanned if line.heading)
    if extra := next(itertools.islice(headings, ITEMS_MAX, None), None):
        raise _too_many(source, extra.number, "headings")

    question_headings = [
        line for line in scanned if line.heading and _looks_like_question(line.heading[1])
    ]
    if question_headings:
        levels = Counter(line.heading[0] for line in question_headings)
        top = max(levels.values())
        question_level = min(level for level, n in levels.items() if n == top)
        starts = {line.number for line in question_headings if line.heading[0] == question_level}
    else:
        question_level = 7  # every heading is a section heading
        starts = {line.number for line in scanned if line.item is not None}
    if len(starts) > ITEMS_MAX:
        raise _too_many(source, sorted(starts)[ITEMS_MAX], "questions")
    if not starts:
        raise ParseError(
            source,
            None,
            "no questions found: expected headings such as '## What is a stride?' or "
            "numbered items such as '1. What is a stride?'",
        )
    title_line = _document_title(scanned, min(starts))

    sections: dict[int, str] = {}  # heading level -> name of the section being read
    current: tuple[_MarkdownLine, list[_MarkdownLine]] | None = None
    ignored: tuple[_MarkdownLine, list[str]] | None = None

    def finish() -> None:
        nonlocal current, ignored
        if current is not None:
            start, body = current
            section = sections[max(sections)] if sections else None
            document.items.append(_markdown_item(start, body, section, source))
        if ignored is not None and any(text.strip() for text in ignored[1]):
            heading = ignored[0]
            document.warnings.append(
                f"Line {heading.number}: the heading “{heading.heading[1]}” is not a question "
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
                ignored = (line, [])
            elif line.number != title_line and name:
                sections = {k: v for k, v in sections.items() if k < level}
                sections[level] = _clean_question(name)
        elif current is not None:
            current[1].append(line)
        elif ignored is not None:
            ignored[1].append(line.text)
    finish()
    return document


def _markdown_item(
    start: _MarkdownLine, body: list[_MarkdownLine], section: str | None, source: str
) -> ImportItem:
    raw = start.heading[1] if start.heading else start.item or ""
    question = _clean_question(raw)
    answer_lines = list(body)
    if start.item is not None and (bold := _LEADING_BOLD.match(raw)):
        # "1. **What is a stride?** The step of the filter." – question, then answer.
        question = _clean_question(bold.group("question"))
        if bold.group("rest"):
            answer_lines.insert(0, _MarkdownLine(start.number, bold.group("rest"), False))
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


# --- CSV ----------------------------------------------------------------------------------


def _csv_column_name(cell: str) -> str:
    name = cell.strip().casefold().replace(" ", "_").replace("-", "_")
    return _CSV_ALIASES.get(name, name)


def _csv_header(first_line: str) -> str | None:
    """The delimiter that makes the first line a header with a 'question' column."""
    for delimiter in _CSV_DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if "question" in {_csv_column_name(cell) for cell in cells}:
            return delimiter
    return None


def _csv_flag(cells: dict[str, str], column: str, line: int, source: str) -> bool:
    value = cells.get(column, "")
    flag = value.strip().casefold()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    raise ParseError(source, line, f"{column} must be yes or no, not “{value.strip()[:40]}”")


def _check_key(key: str, line: int, source: str) -> str:
    if key and (len(key) > KEY_MAX or not _KEY.match(key)):
        raise ParseError(
            source,
            line,
            f"key “{key[:40]}” must be up to {KEY_MAX} letters, digits, '-' or '_'",
        )
    return key


def parse_csv(text: str, *, source: str = "<text>") -> ImportDocument:
    """Read a CSV file whose first line names its columns (CSV_COLUMNS; 'question' is
    required). Topics are separated by ';' or by line breaks within the cell."""
    lines = _check_text(text, source)
    header_index = next(i for i, line in enumerate(lines) if line.strip())
    delimiter = _csv_header(lines[header_index])
    if delimiter is None:
        raise ParseError(
            source,
            header_index + 1,
            "the first line must name the columns, one of them 'question' "
            "(for example: question,answer,topics)",
        )
    document = ImportDocument(source=source, format="csv")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            reason = str(error)
            if "unexpected end of data" in reason or "EOF" in reason:
                reason = 'a quoted cell is never closed (a " without its closing ")'
            elif "field larger than field limit" in reason:
                reason = f"a cell is longer than {csv.field_size_limit():,} characters"
            raise ParseError(source, start, f"not valid CSV: {reason}") from error
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _read_csv_header(row, start, document, source)
            continue
        if len(document.items) == ITEMS_MAX:
            raise _too_many(source, start, "rows")
        document.items.append(_csv_item(header, row, start, source))
    if not document.items:
        raise ParseError(source, None, "no questions found: the file has only its header line")
    return document


def _read_csv_header(row: list[str], line: int, document: ImportDocument, source: str):
    if len(row) > CSV_COLUMNS_MAX:
        raise ParseError(
            source,
            line,
            f"the first line names {len(row):,} columns; a file may have at most "
            f"{CSV_COLUMNS_MAX} (see docs/importing.md for the columns used)",
        )
    header = [_csv_column_name(cell) for cell in row]
    seen = set()
    for name in header:
        if name and name in seen:
            raise ParseError(source, line, f"the column '{name}' is named twice")
        seen.add(name)
    unknown = [name for name in header if name and name not in CSV_COLUMNS]
    if unknown:
        document.warnings.append(
            f"Line {line}: these columns are not used and are ignored: {', '.join(unknown)}."
        )
    return header


def _csv_item(header: list[str], row: list[str], line: int, source: str) -> ImportItem:
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
        raise ParseError(
            source,
            line,
            f"this row has {len(row)} cells but the first line names {len(header)} columns",
        )
    cells = {
        name: unescape_cell(value)
        for name, value in zip(header, row + [""] * (len(header) - len(row)), strict=False)
        if name in CSV_COLUMNS
    }
    question = normalise_whitespace(cells.get("question", ""))
    if not question:
        raise ParseError(source, line, "the question cell is empty")
    related = tuple(k for k in re.split(r"[\s;,]+", cells.get("related", "")) if k)
    for key in related:
        _check_key(key, line, source)
    return ImportItem(
        line=line,
        text=question,
        answer=_structured_answer(cells.get("answer", "")),
        answer_incomplete=_csv_flag(cells, "answer_incomplete", line, source),
        long_answer=_structured_answer(cells.get("long_answer", "")),
        long_answer_incomplete=_csv_flag(cells, "long_answer_incomplete", line, source),
        key=_check_key(cells.get("key", "").strip(), line, source),
        topics=tuple(split_list_cell(cells.get("topics", ""))),
        related=related,
    )


# --- JSON ---------------------------------------------------------------------------------

#: JSON questions use the CSV columns as keys, and may say "text" for "question".
_JSON_QUESTION_KEYS = {*CSV_COLUMNS, "text"}


class _LineDict(dict):
    """A JSON object that knows the line it starts on."""

    line: int = 1


# Strings (escapes included; one ends at a line break, as JSON's must), numbers, and
# the characters that open, separate and close lists and objects. Each alternative
# starts with a different character, so scanning never backtracks.
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|-?\d[-+.\deE]*|[\[\]{},]')


def _json_limits(text: str, source: str) -> None:
    """Refuse JSON that nests, lists, or writes a number or text beyond the limits,
    before the decoder sees it: it would spend time or stack on them, or raise
    something other than a decoding error (int() of more than 4,300 digits)."""

    def refuse(position: int, reason: str) -> ParseError:
        return ParseError(source, text.count("\n", 0, position) + 1, reason)

    open_: list[list] = []  # [bracket, entries so far] of each enclosing list or object
    for token in _JSON_TOKEN.finditer(text):
        value, first = token.group(), token.group()[0]
        if first == '"':
            if len(value) > JSON_TEXT_MAX_CHARS:
                raise refuse(
                    token.start(),
                    f"a text of {len(value):,} characters; a JSON text may hold at most "
                    f"{JSON_TEXT_MAX_CHARS:,}",
                )
        elif first in "[{":
            if len(open_) == JSON_DEPTH_MAX:
                raise refuse(
                    token.start(),
                    f"lists and objects nested more than {JSON_DEPTH_MAX} deep "
                    "(the format needs 4)",
                )
            open_.append([first, 1])
        elif first in "]}":
            if open_:
                open_.pop()
        elif first == ",":
            if open_:
                frame = open_[-1]
                frame[1] += 1
                limit = JSON_KEYS_MAX if frame[0] == "{" else ITEMS_MAX
                if frame[1] > limit:
                    what = "keys in one object" if frame[0] == "{" else "entries in one list"
                    raise refuse(token.start(), f"more than {limit:,} {what}")
        elif len(value) > JSON_NUMBER_MAX_CHARS:
            raise refuse(
                token.start(),
                f"a number {len(value):,} characters long; numbers may be at most "
                f"{JSON_NUMBER_MAX_CHARS} (an import file needs none)",
            )


def _bounded_int(value: str) -> int:
    # _json_limits has refused longer numbers; this keeps the decoder safe on its own.
    if len(value) > JSON_NUMBER_MAX_CHARS:
        raise ValueError(f"a number {len(value):,} characters long")
    return int(value)


def _load_json_with_lines(text: str) -> object:
    newlines = [match.start() for match in re.finditer("\n", text)]
    decoder = json.JSONDecoder(parse_int=_bounded_int)

    def parse_object(s_and_end, *args, **kwargs):
        obj, end = json.decoder.JSONObject(s_and_end, *args, **kwargs)
        with_line = _LineDict(obj)
        with_line.line = bisect.bisect_left(newlines, s_and_end[1] - 1) + 1
        return with_line, end

    decoder.parse_object = parse_object
    # The pure-Python scanner calls parse_object above; the C one would not.
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder.decode(text)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), "a number")


def parse_json(text: str, *, source: str = "<text>") -> ImportDocument:
    """Read {"topics": [...], "questions": [...]} (the export format) or a bare list of
    question objects. Each question has "text" and optionally "key", "answer",
    "long_answer", the two "…_incomplete" flags, "topics" and "related"."""
    _check_text(text, source)
    _json_limits(text, source)
    try:
        data = _load_json_with_lines(text)
    except json.JSONDecodeError as error:
        raise ParseError(source, error.lineno, f"not valid JSON: {error.msg}") from error
    except RecursionError as error:
        raise ParseError(source, None, "not valid JSON: nested too deeply") from error
    except ValueError as error:  # no known input gets here: _json_limits comes first
        raise ParseError(source, None, f"not valid JSON: {error}") from error
    document = ImportDocument(source=source, format="json")
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"format", "version", "topics", "questions"})
        if unknown:
            document.warnings.append(
                f"Line {data.line}: these keys are not used and are ignored: {', '.join(unknown)}."
            )
        topics = data.get("topics", [])
        if not isinstance(topics, list):
            raise ParseError(source, data.line, f"'topics' must be a list, not {_kind(topics)}")
        document.topics = _json_topics(topics, data.line, source)
        questions = data.get("questions")
        if questions is None:
            raise ParseError(source, data.line, "no 'questions' list in the top-level object")
        line = data.line
    elif isinstance(data, list):
        questions, line = data, 1
    else:
        raise ParseError(source, 1, f"expected an object or a list, not {_kind(data)}")
    if not isinstance(questions, list):
        raise ParseError(source, line, f"'questions' must be a list, not {_kind(questions)}")
    if not questions:
        raise ParseError(source, line, "no questions found: the 'questions' list is empty")
    unknown_keys: dict[str, int] = {}
    for number, entry in enumerate(questions, start=1):
        document.items.append(_json_item(entry, number, line, source, unknown_keys))
    if unknown_keys:
        listed = ", ".join(f"{key} (line {at})" for key, at in unknown_keys.items())
        document.warnings.append(f"These keys are not used and are ignored: {listed}.")
    return document


def _json_text(
    entry: _LineDict, key: str, what: str, source: str, *, required: bool = False
) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        found = "nothing" if value is None else _kind(value)
        raise ParseError(source, entry.line, f"{what}: '{key}' must be text, not {found}")
    return value


def _json_flag(entry: _LineDict, key: str, what: str, source: str) -> bool:
    value = entry.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ParseError(
            source, entry.line, f"{what}: '{key}' must be true or false, not {_kind(value)}"
        )
    return value


def _json_strings(entry: _LineDict, key: str, what: str, source: str) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError(source, entry.line, f"{what}: '{key}' must be a list of text")
    return tuple(v.strip() for v in value if v.strip())


def _json_item(
    entry: object, number: int, line: int, source: str, unknown_keys: dict[str, int]
) -> ImportItem:
    what = f"question {number}"
    if not isinstance(entry, dict):
        raise ParseError(source, line, f"{what} must be an object, not {_kind(entry)}")
    for key in entry:
        if key not in _JSON_QUESTION_KEYS:
            unknown_keys.setdefault(key, entry.line)
    if "text" in entry and "question" in entry:
        raise ParseError(source, entry.line, f"{what} has both 'text' and 'question'")
    field_name = "question" if "question" in entry else "text"
    text = normalise_whitespace(_json_text(entry, field_name, what, source, required=True))
    if not text:
        raise ParseError(source, entry.line, f"{what} has no text")
    related = _json_strings(entry, "related", what, source)
    for key in related:
        _check_key(key, entry.line, source)
    return ImportItem(
        line=entry.line,
        text=text,
        answer=_structured_answer(_json_text(entry, "answer", what, source)),
        answer_incomplete=_json_flag(entry, "answer_incomplete", what, source),
        long_answer=_structured_answer(_json_text(entry, "long_answer", what, source)),
        long_answer_incomplete=_json_flag(entry, "long_answer_incomplete", what, source),
        key=_check_key(_json_text(entry, "key", what, source).strip(), entry.line, source),
        topics=_json_strings(entry, "topics", what, source),
        related=related,
    )


def _json_topics(topics: list, line: int, source: str) -> list[DeclaredTopic]:
    declared: list[DeclaredTopic] = []
    seen: set[str] = set()
    for number, entry in enumerate(topics, start=1):
        what = f"topic {number}"
        if not isinstance(entry, dict):
            raise ParseError(source, line, f"{what} must be an object, not {_kind(entry)}")
        slug = _json_text(entry, "slug", what, source, required=True).strip()
        if not slug or not _KEY.match(slug):
            reason = f"{what}: slug “{slug[:40]}” must be letters, digits, '-' or '_'"
            raise ParseError(source, entry.line, reason)
        if slug in seen:
            raise ParseError(source, entry.line, f"topic '{slug}' is listed twice")
        seen.add(slug)
        name = normalise_whitespace(_json_text(entry, "name", what, source))
        description = _structured_answer(_json_text(entry, "description", what, source))
        declared.append(DeclaredTopic(slug, name or slug, description, entry.line))
    return declared


# --- Choosing the parser ----------------------------------------------------------------

_PARSERS = {
    "numbered": lambda text, source: document_from_parsed(
        parse_numbered(text, source=source), "numbered"
    ),
    "notebook": lambda text, source: document_from_parsed(
        parse_notebook(text, source=source), "notebook"
    ),
    "markdown": lambda text, source: parse_markdown(text, source=source),
    "csv": lambda text, source: parse_csv(text, source=source),
    "json": lambda text, source: parse_json(text, source=source),
}


def detect_format(text: str, *, source: str = "<text>") -> str:
    """Which of FORMATS the text is written in, judged from its shape."""
    lines = _check_text(text, source)
    content = [line for line in lines if line.strip()]
    first = content[0].strip()
    if first.startswith("{") or re.match(r"^\[\s*(?:[{\]\"]|$)", first):
        return "json"
    if any(_NOTEBOOK_CELL.match(line) for line in lines):
        return "notebook"
    if _csv_header(content[0]) is not None:
        return "csv"
    if any(_ANSWER_SEPARATOR.match(line) for line in lines):
        return "numbered"
    if all(_QUESTION_LINE.match(line) and not line[:1].isspace() for line in content):
        # Only numbered lines: both readers agree; the numbered one checks the order.
        return "numbered"
    if any(line.heading or line.item is not None for line in _scan_markdown(lines)):
        return "markdown"
    raise ParseError(
        source,
        None,
        "cannot tell the file's format: expected Markdown headings or numbered questions, "
        "a CSV header with a 'question' column, or JSON; choose the format explicitly",
    )


def parse_import(
    text: str,
    *,
    source: str = "<text>",
    format: str = "auto",
    max_questions: int | None = None,
) -> ImportDocument:
    """Read an import file in the given format, or the detected one for "auto"."""
    if format == "auto":
        chosen, detected = detect_format(text, source=source), True
    elif format in FORMATS:
        chosen, detected = format, False
    else:
        raise ParseError(source, None, f"unknown format '{format}'")
    document = _PARSERS[chosen](text, source)
    document.detected = detected
    if max_questions is not None and len(document.items) > max_questions:
        raise ParseError(
            source,
            None,
            f"has {len(document.items):,} questions; the limit is {max_questions:,} per "
            "import: split it into smaller files",
        )
    for item in document.items:
        _check_item_limits(item, source)
    for topic in document.topics:
        if len(topic.description) > ANSWER_MAX_CHARS:
            raise ParseError(
                source,
                topic.line,
                f"the description of topic '{topic.slug}' is {len(topic.description):,} "
                f"characters long; the limit is {ANSWER_MAX_CHARS:,}",
            )
    document.warnings.extend(_answer_warnings(document))
    return document


def _check_item_limits(item: ImportItem, source: str) -> None:
    """The sizes one question may have: bounded here so nothing later (the
    near-duplicate search above all) works on more."""
    sizes = [
        ("the question", len(item.text), QUESTION_MAX_CHARS, "characters long"),
        ("its answer", len(item.answer), ANSWER_MAX_CHARS, "characters long"),
        ("its long answer", len(item.long_answer), ANSWER_MAX_CHARS, "characters long"),
        ("the question", len(item.topics), TOPICS_PER_QUESTION_MAX, "topics"),
        ("the question", len(item.related), RELATED_PER_QUESTION_MAX, "related questions"),
    ]
    for what, size, limit, unit in sizes:
        if size > limit:
            has = f"is {size:,} {unit}" if unit == "characters long" else f"has {size:,} {unit}"
            raise ParseError(source, item.line, f"{what} {has}; the limit is {limit:,}")


def _answer_warnings(document: ImportDocument) -> list[str]:
    missing = [item.line for item in document.items if not item.answer_count]
    if not missing:
        return []
    if len(missing) == len(document.items):
        return [
            "No answers found: the questions will be imported without answers. "
            + {
                "numbered": "Answers follow a line such as '-----ANSWER-----'.",
                "notebook": "Answers are lines such as 'Answer 1: …'.",
                "markdown": "An answer is the text under its question.",
                "csv": "Answers go in the 'answer' column.",
                "json": 'Answers go in each question\'s "answer".',
            }[document.format]
        ]
    shown = ", ".join(str(line) for line in missing[:10])
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    return [
        f"{len(missing)} question{'s' if len(missing) != 1 else ''} without an answer "
        f"(line{'s' if len(missing) != 1 else ''} {shown}{more})."
    ]
