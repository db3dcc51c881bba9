"""GIFT, Moodle's plain-text question format: one question per paragraph, its answers
in braces ("What does a 1×1 convolution change? {=the channels ~the height ~the width}").

Read: multiple choice (with "=" for the right options, "~" for the others, "%50%"
weights and "#feedback"), true/false ("{T}", "{FALSE#…#…}"), short answer (every
option "="), essay ("{}"), "missing word" questions (text after the braces) and
"$CATEGORY:" lines, which name the topic of the questions after them. Matching,
numerical and description questions are skipped and reported. Comments ("//") are
ignored and "\\~ \\= \\# \\{ \\} \\:" are the characters themselves.
"""

from __future__ import annotations

import re

from questions.importing.document import (
    ITEMS_MAX,
    ImportDocument,
    ParseError,
    check_line_lengths,
    check_text,
    too_many,
)
from questions.importing.foreign import AUTO, HTML, MARKDOWN, PLAIN
from questions.importing.moodle import (
    MoodleQuestion,
    MoodleReader,
    Option,
    category_topic,
)

# Escaped characters stand in as private-use characters while the structure is read,
# so every "{", "=" or "#" left is one GIFT means.
_ESCAPES = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003"}
_ESCAPES |= {"{": "\ue004", "}": "\ue005", ":": "\ue006", "n": "\ue007"}
_ESCAPED = re.compile(r"\\([\\~=#{}:n])")
_STAND_INS = re.compile("[\ue000-\ue007]")
_UNESCAPE = {stand_in: char for char, stand_in in _ESCAPES.items()} | {"\ue007": "\n"}
_FORMATS = {"html": HTML, "markdown": MARKDOWN, "plain": PLAIN, "moodle": AUTO}
_FORMAT = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.I)
_TRUE_FALSE = re.compile(r"^(T|TRUE|F|FALSE)\s*(#.*)?$", re.S)
_WEIGHT = re.compile(r"^%(-?\d{1,3}(?:\.\d+)?)%")
_CATEGORY = re.compile(r"^\s*\$CATEGORY:(.*)$")
_COMMENT = re.compile(r"^\s*//")
_TITLE_OR_CATEGORY = re.compile(r"^\s*(?:::[^:]+::|\$CATEGORY:)")
_ANSWER_BLOCK = re.compile(r"\{\s*(?:[=~]|#|(?:T|F|TRUE|FALSE)\s*[#}]|\})")


def parse_gift(text: str, *, source: str = "<text>") -> ImportDocument:
    lines = check_text(text, source)
    check_line_lengths(lines, source)
    reader = MoodleReader(source, "gift")
    category = ""
    for start, record in _records(lines, source):
        if found := _CATEGORY.match(record):
            category = category_topic(_unescape(_hide_escapes(found[1]).strip()))
            continue
        question = _question(record, start, source, reader)
        if question is None:
            continue
        question.category = category
        reader.add(question)
    return reader.finish()


def looks_like_gift(lines: list[str], source: str) -> bool:
    """GIFT's signs (questions/importing/detection.py): a "::title::" or "$CATEGORY:"
    starting a line, or answers in braces in every paragraph that is not a comment."""
    if any(_TITLE_OR_CATEGORY.match(line) for line in lines):
        return True
    paragraphs = [text for _start, text in _records(lines, source)]
    return bool(paragraphs) and all(_ANSWER_BLOCK.search(text) for text in paragraphs)


def _records(lines: list[str], source: str) -> list[tuple[int, str]]:
    """Each question (or category line) with the line it starts on; blank lines end one."""
    records: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if _COMMENT.match(line):
            continue
        if _CATEGORY.match(line) and not current:
            records.append((number, line))
            continue
        if line.strip():
            if not current:
                start = number
            current.append(line)
            continue
        if current:
            records.append((start, "\n".join(current)))
            current = []
        if len(records) > 2 * ITEMS_MAX:
            raise too_many(source, number, "questions")
    if current:
        records.append((start, "\n".join(current)))
    return records


def _hide_escapes(text: str) -> str:
    text = _STAND_INS.sub("", text)
    return _ESCAPED.sub(lambda m: _ESCAPES[m[1]], text)


def _unescape(text: str) -> str:
    return _STAND_INS.sub(lambda m: _UNESCAPE[m[0]], text)


def _question(record: str, start: int, source: str, reader: MoodleReader) -> MoodleQuestion | None:
    reader.line = start
    hidden = _hide_escapes(record)
    stripped = hidden.lstrip()
    text = stripped
    if stripped.startswith("::"):
        end = stripped.find("::", 2)
        if end < 0:
            raise ParseError(source, start, "the title that starts with “::” is never closed")
        text = stripped[end + 2 :]
    format = AUTO
    if found := _FORMAT.match(text):
        format = _FORMATS[found[1].lower()]
        text = text[found.end() :]
    opening = text.find("{")
    if opening < 0:
        reader.skip("description", start)
        return None
    closing = text.find("}", opening)
    if closing < 0:
        line = start + hidden.count("\n", 0, len(hidden) - len(text) + opening)
        raise ParseError(source, line, "the answers opened with “{” are never closed with “}”")
    if "{" in text[opening + 1 : closing] or "{" in text[closing:]:
        second = text.index("{", opening + 1)
        line = start + hidden.count("\n", 0, len(hidden) - len(text) + second)
        raise ParseError(source, line, "a second “{”: write a literal brace as “\\{”")
    stem, block, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    question_text = stem.strip()
    if after.strip():  # a "missing word" question: the blank stands where the answers do
        question_text = f"{question_text} _____ {after.strip()}".strip()
    question = MoodleQuestion(
        line=start, kind="", text=reader.text(_unescape(question_text), format)
    )
    block, _, general = block.partition("####")
    question.general_feedback = reader.markdown(_unescape(general), format)
    answers = block.strip()
    if not answers:
        question.kind = "essay"
        return question
    if answers.startswith("#"):
        reader.skip("numerical", start)
        return None
    if found := _TRUE_FALSE.match(answers):
        truth = found[1].upper().startswith("T")
        feedback = (found[2] or "").split("#")[1:]
        right = feedback[1] if len(feedback) > 1 else ""
        question.kind = "truefalse"
        question.options = [
            Option("True", truth, reader.markdown(_unescape(right), format) if truth else ""),
            Option("False", not truth, "" if truth else reader.markdown(_unescape(right), format)),
        ]
        return question
    options = _options(answers, start, source, reader, format)
    if options is None:
        reader.skip("matching", start)
        return None
    all_right = all(marker == "=" for marker, _option in options)
    question.kind = "shortanswer" if all_right else "multichoice"
    question.options = [option for _marker, option in options]
    return question


def _options(
    answers: str, start: int, source: str, reader: MoodleReader, format: str
) -> list[tuple[str, Option]] | None:
    """Each option with its marker; None for a matching question ("a -> b")."""
    pieces = re.split(r"([=~])", answers)
    if pieces[0].strip():
        raise ParseError(
            source,
            start,
            f"“{_unescape(pieces[0].strip())[:40]}” comes before the first option: start "
            "each option with “=” (right) or “~” (wrong)",
        )
    reader.check_options(len(pieces) // 2)
    options = []
    for marker, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if "->" in body:
            return None
        weight = 100.0 if marker == "=" else 0.0
        if found := _WEIGHT.match(body):
            weight, body = float(found[1]), body[found.end() :]
        body, _, feedback = body.partition("#")
        if not body.strip():
            raise ParseError(source, start, f"an option “{marker}” has no text")
        options.append(
            (
                marker,
                Option(
                    text=reader.inline(_unescape(body), format),
                    correct=weight > 0,
                    feedback=reader.markdown(_unescape(feedback), format),
                ),
            )
        )
    return options
