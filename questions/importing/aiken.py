"""Aiken, Moodle's simplest multiple-choice format: the question on one line, then its
options ("A. …" or "A) …"), then "ANSWER: B". A question ends with its ANSWER line;
blank lines between questions are optional."""

from __future__ import annotations

import re

from questions.importing.document import (
    ImportDocument,
    ParseError,
    check_line_lengths,
    check_text,
)
from questions.importing.foreign import PLAIN
from questions.importing.moodle import MoodleQuestion, MoodleReader, Option

_OPTION = re.compile(r"^\s*([A-Z])[.)]\s+(\S.*)$")
_ANSWER = re.compile(r"^\s*ANSWER\s*:\s*(.*?)\s*$", re.I)
#: How Aiken is recognised (questions/importing/detection.py): an option, then an answer.
AIKEN_SIGNS = (_OPTION, re.compile(r"^\s*ANSWER\s*:\s*[A-Z]\s*$", re.M))


def parse_aiken(text: str, *, source: str = "<text>") -> ImportDocument:
    lines = check_text(text, source)
    check_line_lengths(lines, source)
    reader = MoodleReader(source, "aiken")
    question: MoodleQuestion | None = None
    letters: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if answer := _ANSWER.match(line):
            if question is None or not question.options:
                raise ParseError(source, number, "an ANSWER line with no options before it")
            _answer(question, letters, answer[1], number, source)
            reader.add(question)
            question, letters = None, []
        elif (option := _OPTION.match(line)) and question is not None:
            letter = option[1]
            expected = chr(ord("A") + len(letters))
            if letter != expected:
                raise ParseError(
                    source, number, f"option {letter} where option {expected} was expected"
                )
            letters.append(letter)
            question.options.append(Option(reader.inline(option[2], PLAIN), correct=False))
        elif question is None:
            question = MoodleQuestion(line=number, kind="multichoice", text=" ".join(line.split()))
        elif question.options:
            raise ParseError(
                source,
                number,
                "expected an option such as “C. …” or the line “ANSWER: B” after the options "
                f"of the question on line {question.line}",
            )
        else:  # the question goes on: Moodle wants one line, a second one does no harm
            question.text += " " + " ".join(line.split())
    if question is not None:
        raise ParseError(
            source, question.line, "this question has no “ANSWER: …” line after its options"
        )
    return reader.finish()


def _answer(
    question: MoodleQuestion, letters: list[str], given: str, line: int, source: str
) -> None:
    if len(letters) < 2:
        raise ParseError(
            source, question.line, "a question needs at least two options, “A. …” and “B. …”"
        )
    letter = given.upper()
    if letter not in letters:
        raise ParseError(
            source,
            line,
            f"the answer “{given[:20]}” is not one of the options {letters[0]}–{letters[-1]}",
        )
    index = letters.index(letter)
    question.options[index] = Option(question.options[index].text, correct=True)
