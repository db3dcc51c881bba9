"""The numbered format of the seed bank: a numbered list of questions, optionally
followed by an answer section with answers numbered like the questions."""

from __future__ import annotations

import re

from questions.importing.document import (
    ITEMS_MAX,
    ParsedAnswer,
    ParsedDocument,
    ParsedQuestion,
    ParseError,
    check_line_lengths,
    check_text,
    ends_abruptly,
    normalise_whitespace,
    tidy_answer,
    too_many,
)

# At most nine digits: a longer "number" is text (and int() of thousands of digits raises).
QUESTION_LINE = re.compile(r"^\s*(\d{1,9})\.\s+(\S.*)$")
ANSWER_SEPARATOR = re.compile(r"^\s*-{3,}\s*ANSWERS?\s*-{3,}\s*$", re.IGNORECASE)


def parse_numbered(text: str, *, source: str = "<text>") -> ParsedDocument:
    """Read a numbered list of questions, optionally followed by an answer section.

    The answer section starts at a line such as ``-----ANSWER-----`` and holds
    answers numbered like the questions. A question may wrap over several lines,
    blank ones included; its text is whitespace-normalised. Answers keep their
    paragraphs. When the document's last answer ends mid-sentence it is marked
    `source_incomplete`, because the source stops there.
    """
    lines = check_text(text, source)
    check_line_lengths(lines, source)
    document = ParsedDocument(source=source)

    separator_index = next(
        (i for i, line in enumerate(lines) if ANSWER_SEPARATOR.match(line)), len(lines)
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
        match = QUESTION_LINE.match(line)
        expected = len(document.questions) + (1 if current is None else 2)
        if match and int(match.group(1)) == expected:
            if expected > ITEMS_MAX:
                raise too_many(source, line_no, "questions")
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
        match = QUESTION_LINE.match(line)
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
