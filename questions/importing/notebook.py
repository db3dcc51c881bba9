"""The notebook format of the seed bank: each cell is an ``In [ ]:`` line, a numbered
question, then ``Answer N: …``."""

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
    normalise_whitespace,
    tidy_answer,
    too_many,
)
from questions.importing.numbered import QUESTION_LINE

NOTEBOOK_CELL = re.compile(r"^In \[[^\]]*\]:\s*$")
_NOTEBOOK_ANSWER = re.compile(r"^\s*Answer\s+(\d{1,9})\s*:\s*(.*)$")


def parse_notebook(text: str, *, source: str = "<text>") -> ParsedDocument:
    """Read a notebook export: each cell is an ``In [ ]:`` line, a numbered
    question, then ``Answer N: …`` with the concise answer up to the next cell."""
    lines = check_text(text, source)
    check_line_lengths(lines, source)
    document = ParsedDocument(source=source)

    cells: list[tuple[int, list[tuple[int, str]]]] = []
    for index, line in enumerate(lines):
        line_no = index + 1
        if NOTEBOOK_CELL.match(line):
            if len(cells) == ITEMS_MAX:
                raise too_many(source, line_no, "cells")
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
    match = QUESTION_LINE.match(first)
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
