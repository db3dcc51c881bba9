"""What every reader shares: the documents it reads into, `ParseError`, the bounds on
what one file may hold, and the helpers that check and tidy its text.

Plain data and functions, no database access. Every format is read into an
`ImportDocument`: a list of `ImportItem`s, each with the line it starts on, so any
later problem can still name the line. docs/importing.md describes the formats for
people who write the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Format name -> how the UI and the command name it.
FORMATS: dict[str, str] = {
    "numbered": "Numbered list with an answer section",
    "notebook": "Notebook export (Answer N:)",
    "markdown": "Markdown",
    "csv": "CSV",
    "json": "JSON",
    "gift": "Moodle GIFT",
    "aiken": "Moodle Aiken",
    "moodle_xml": "Moodle XML",
    "anki": "Anki package",
}

#: Bounds on what one import file may hold, checked while it is read, so reading any
#: file costs time in proportion to its size whatever it holds (docs/importing.md).
QUESTION_MAX_CHARS = 1_000  # one question's text (the seed bank's longest: 126)
ANSWER_MAX_CHARS = 20_000  # one answer, or a topic's description (as a note)
LINE_MAX_CHARS = 10_000  # one line of a Markdown, numbered, notebook, GIFT or Aiken file
ITEMS_MAX = 10_000  # questions, CSV rows, Markdown headings, entries of a JSON list
TOPICS_PER_QUESTION_MAX = 20
RELATED_PER_QUESTION_MAX = 50
CSV_COLUMNS_MAX = 50
JSON_DEPTH_MAX = 20  # the export format needs 4
JSON_KEYS_MAX = 50  # keys of one JSON object
JSON_NUMBER_MAX_CHARS = 40  # an import needs no numbers; int() of 4,301 digits raises
JSON_TEXT_MAX_CHARS = 6 * ANSWER_MAX_CHARS  # a JSON string as written, escapes included

KEY = re.compile(r"^[-a-zA-Z0-9_]+$")
KEY_MAX = 80
#: A topic written as "Name [slug]" names both; see docs/importing.md.
TOPIC_WITH_SLUG = re.compile(r"^(?P<name>.*\S)\s*\[(?P<slug>[-a-zA-Z0-9_]+)\]$")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
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


# --- The seed formats' documents (numbered and notebook) -------------------------------


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


# --- Import documents (every format) ----------------------------------------------------


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


# --- Text -------------------------------------------------------------------------------


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace, line breaks included, to one space."""
    return " ".join(text.split())


def normalise_for_match(text: str) -> str:
    """Question text as compared with the bank: case, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def tidy_answer(lines: list[str]) -> str:
    """Keep paragraphs and list lines; drop trailing spaces and blank edges."""
    stripped = [line.rstrip() for line in lines]
    text = "\n".join(stripped).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def ends_abruptly(text: str) -> bool:
    """True when text stops mid-sentence (no closing punctuation)."""
    return bool(text.strip()) and not _COMPLETE_ENDING.search(text)


def structured_answer(value: str) -> str:
    """An answer from CSV or JSON: kept as written, with line endings made "\\n"."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value if value.strip() else ""


def check_text(text: str, source: str) -> list[str]:
    """The text's lines, once it is known to be text and not empty."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError(source, line, "contains a NUL byte; is this a binary file?")
    if not text.strip():
        raise ParseError(source, None, "the file is empty")
    # Only line feeds end a line, so line numbers match what an editor shows
    # (str.splitlines would also split on form feeds and U+2028).
    return _LINE_BREAK.split(text)


def check_line_lengths(lines: list[str], source: str) -> None:
    if max(map(len, lines)) > LINE_MAX_CHARS:
        index = next(i for i, line in enumerate(lines) if len(line) > LINE_MAX_CHARS)
        raise ParseError(
            source,
            index + 1,
            f"this line is {len(lines[index]):,} characters long; a line may hold at most "
            f"{LINE_MAX_CHARS:,}: break it into shorter lines",
        )


def check_key(key: str, line: int, source: str) -> str:
    if key and (len(key) > KEY_MAX or not KEY.match(key)):
        raise ParseError(
            source,
            line,
            f"key “{key[:40]}” must be up to {KEY_MAX} letters, digits, '-' or '_'",
        )
    return key


def too_many(source: str, line: int, what: str) -> ParseError:
    return ParseError(
        source,
        line,
        f"the file holds more than {ITEMS_MAX:,} {what}: split it into smaller files",
    )
