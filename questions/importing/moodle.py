"""What Moodle's question files (GIFT, Aiken, Moodle XML) share once read: a question
with its options, feedback and model answer, and how it becomes a question to study.

An essay or short-answer question keeps its model answer; a multiple-choice or
true/false question is answered by its correct option(s), with every option and its
feedback in the long answer. Types StudyHub cannot study (matching, numerical, cloze…)
are skipped and reported with their lines.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from questions.importing.document import (
    ITEMS_MAX,
    ImportDocument,
    ImportItem,
    ParseError,
    too_many,
)
from questions.importing.foreign import ForeignText

OPTIONS_MAX = 100  # options of one question (Moodle's forms offer 5 at a time)


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


class MoodleReader(ForeignText):
    """Collects a file's questions, the ones skipped and the media left out, and makes
    the import document."""

    def __init__(self, source: str, format: str) -> None:
        super().__init__(source)
        self.document = ImportDocument(source=source, format=format)
        self.skipped: dict[str, list[int]] = defaultdict(list)

    def check_options(self, count: int) -> None:
        if count > OPTIONS_MAX:
            raise self.error(f"the question has more than {OPTIONS_MAX} options")

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
