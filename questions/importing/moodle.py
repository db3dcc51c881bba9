"""What Moodle's question files (GIFT, Aiken, Moodle XML) share once read: a question
with its options, feedback and model answer, and how it becomes a question to study.

An essay or short-answer question keeps its model answer; a multiple-choice or
true/false question is answered by its correct option(s), with every option and its
feedback in the long answer. Types StudyHub cannot study (matching, numerical, cloze…)
are skipped and reported with their lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from questions.importing.document import (
    ANSWER_MAX_CHARS,
    ITEMS_MAX,
    ImportDocument,
    ImportItem,
    ParseError,
    too_many,
)
from questions.importing.html import (
    Converted,
    HtmlBudget,
    TooMuchHtml,
    escape_markdown,
    html_to_markdown,
    html_to_text,
    looks_like_html,
)

#: Moodle's text formats, as GIFT's "[html]" and the XML's format="…" name them.
HTML, MARKDOWN, PLAIN, AUTO = "html", "markdown", "plain_text", "moodle_auto_format"
#: Bounds checked before any text is converted, so no file costs more than its size.
FIELD_MAX_CHARS = 3 * ANSWER_MAX_CHARS  # one text as written: HTML is wordier than Markdown
OPTIONS_MAX = 100  # options of one question (Moodle's forms offer 5 at a time)
HTML_PARTS_MAX = 100_000  # tags and runs of text in all of a file's HTML (HtmlBudget)


@dataclass(frozen=True)
class Option:
    text: str  # Markdown
    correct: bool
    feedback: str = ""  # Markdown


@dataclass
class MoodleQuestion:
    line: int
    kind: str  # "multichoice", "truefalse", "shortanswer", "essay"
    text: str  # plain text
    options: list[Option] = field(default_factory=list)
    model_answer: str = ""  # Markdown: an essay's information for graders
    general_feedback: str = ""  # Markdown
    category: str = ""


class MoodleReader:
    """Collects a file's questions, the ones skipped and the media left out, and makes
    the import document."""

    def __init__(self, source: str, format: str) -> None:
        self.document = ImportDocument(source=source, format=format)
        self.skipped: dict[str, list[int]] = defaultdict(list)
        self.media = 0
        self.line = 1  # of the question being read
        self.budget = HtmlBudget(left=HTML_PARTS_MAX)

    def _converted(self, raw: str, convert: Callable[[str, HtmlBudget], Converted]) -> str:
        try:
            converted = convert(raw, self.budget)
        except TooMuchHtml:
            raise self.error(
                f"the file's HTML holds more than {HTML_PARTS_MAX:,} tags and texts: split "
                "it into smaller files"
            ) from None
        self.media += converted.media
        return converted.text

    def error(self, reason: str, line: int | None = None) -> ParseError:
        return ParseError(self.document.source, line or self.line, reason)

    def check_options(self, count: int) -> None:
        if count > OPTIONS_MAX:
            raise self.error(f"the question has more than {OPTIONS_MAX} options")

    def _check_size(self, raw: str) -> None:
        if len(raw) > FIELD_MAX_CHARS:
            raise self.error(
                f"a text of this question is {len(raw):,} characters long as written; the "
                f"limit is {FIELD_MAX_CHARS:,}"
            )

    def text(self, raw: str, format: str) -> str:
        """A question's text as one plain line."""
        self._check_size(raw)
        if format == HTML or (format == AUTO and looks_like_html(raw)):
            return self._converted(raw, html_to_text)
        return " ".join(raw.split())

    def inline(self, raw: str, format: str) -> str:
        """An option's text as one line of Markdown."""
        if format == MARKDOWN:
            return " ".join(raw.split())
        return escape_markdown(self.text(raw, format))

    def markdown(self, raw: str, format: str) -> str:
        """An answer's or a feedback's text as Markdown."""
        self._check_size(raw)
        if format == MARKDOWN:
            markdown = raw.strip()
        elif format == HTML or (format == AUTO and looks_like_html(raw)):
            markdown = self._converted(raw, html_to_markdown)
        else:
            markdown = escape_markdown(raw.strip())
        if len(markdown) > ANSWER_MAX_CHARS:  # refused now, not once the file is read
            raise self.error(
                f"an answer or feedback of this question is {len(markdown):,} characters "
                f"long; the limit is {ANSWER_MAX_CHARS:,}"
            )
        return markdown

    def skip(self, kind: str, line: int) -> None:
        self.skipped[kind].append(line)

    def add(self, question: MoodleQuestion) -> None:
        if len(self.document.items) == ITEMS_MAX:
            raise too_many(self.document.source, question.line, "questions")
        if not question.text:
            raise ParseError(self.document.source, question.line, "the question has no text")
        if question.kind in ("multichoice", "truefalse") and not any(
            option.correct for option in question.options
        ):
            raise ParseError(
                self.document.source,
                question.line,
                "no option is marked correct: mark one with “=” (GIFT) or a positive "
                "fraction (XML)",
            )
        self.document.items.append(_item(question))

    def finish(self) -> ImportDocument:
        document = self.document
        if self.skipped:
            described = "; ".join(
                f"{kind} ({_lines(lines)})" for kind, lines in sorted(self.skipped.items())
            )
            count = sum(len(lines) for lines in self.skipped.values())
            document.warnings.append(
                f"{count} question{'s' if count != 1 else ''} of types StudyHub cannot "
                f"study {'were' if count != 1 else 'was'} skipped: {described}."
            )
        if self.media:
            document.warnings.append(
                f"{self.media} image{'s' if self.media != 1 else ''} in the file "
                f"{'are' if self.media != 1 else 'is'} not imported: StudyHub keeps the "
                "text, and an image's description where it has one."
            )
        if not document.items:
            reason = "no questions found"
            if self.skipped:
                reason = "no question of a type StudyHub can study: " + document.warnings[0]
            raise ParseError(document.source, None, reason)
        return document


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:10])
    more = f" and {len(lines) - 10} more" if len(lines) > 10 else ""
    return f"line{'s' if len(lines) != 1 else ''} {shown}{more}"


def _item(question: MoodleQuestion) -> ImportItem:
    correct = [option for option in question.options if option.correct]
    parts: list[str] = []
    if question.kind == "essay":
        answer = question.model_answer or question.general_feedback
        if question.model_answer and question.general_feedback:
            parts.append(question.general_feedback)
    elif question.kind == "shortanswer":
        answer = correct[0].text if correct else ""
        if len(correct) > 1:
            parts.append("Also accepted: " + "; ".join(option.text for option in correct[1:]))
        parts.extend(option.feedback for option in correct if option.feedback)
        if question.general_feedback:
            parts.append(question.general_feedback)
    else:
        answer = "; ".join(option.text for option in correct)
        if question.kind == "multichoice":
            parts.append("\n".join(_option_line(option) for option in question.options))
        else:
            parts.extend(option.feedback for option in correct if option.feedback)
        if question.general_feedback:
            parts.append(question.general_feedback)
    return ImportItem(
        line=question.line,
        text=question.text,
        answer=answer,
        long_answer="\n\n".join(part for part in parts if part),
        topics=(question.category,) if question.category else (),
    )


def _option_line(option: Option) -> str:
    text = f"**{option.text}** (correct)" if option.correct else option.text
    return f"- {text}" + (f": {option.feedback}" if option.feedback else "")


def category_topic(path: str) -> str:
    """The topic a Moodle category path names: its last part ("$course$/top/Week 3/
    Deployment" is "Deployment"), none for Moodle's own top and default categories."""
    parts = [part.strip() for part in path.replace("//", "\x00").split("/")]
    parts = [part.replace("\x00", "/") for part in parts if part and not part.startswith("$")]
    if not parts or parts[-1].casefold() == "top" or parts[-1].startswith("Default for "):
        return ""
    return parts[-1]
