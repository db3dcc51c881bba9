"""What an uploaded file is: text at all (`decode_text`), and which format it is
written in (`detect_format`), judged from its bytes and its shape."""

from __future__ import annotations

import re

from questions.importing.aiken import AIKEN_SIGNS
from questions.importing.anki import is_notes_text
from questions.importing.csv import csv_header
from questions.importing.document import ParseError, check_text
from questions.importing.gift import looks_like_gift
from questions.importing.markdown import scan_markdown
from questions.importing.moodle_xml import XML_START
from questions.importing.notebook import NOTEBOOK_CELL
from questions.importing.numbered import ANSWER_SEPARATOR, QUESTION_LINE

_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (a Word or Excel file?); save it as CSV or plain text first"),
    (b"%PDF", "a PDF document; copy its text into a plain-text or Markdown file first"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel file; save it as CSV or plain text first"),
    (b"\x89PNG", "an image, not a text file"),
    (b"\xff\xd8\xff", "an image, not a text file"),
    (b"GIF8", "an image, not a text file"),
)


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


def detect_format(text: str, *, source: str = "<text>") -> str:
    """Which of FORMATS the text is written in, judged from its shape."""
    lines = check_text(text, source)
    content = [line for line in lines if line.strip()]
    first = content[0].strip()
    if XML_START.match(text):
        return "moodle_xml"
    if is_notes_text(text):
        return "anki"
    if first.startswith("{") or re.match(r"^\[\s*(?:[{\]\"]|$)", first):
        return "json"
    if any(NOTEBOOK_CELL.match(line) for line in lines):
        return "notebook"
    if csv_header(content[0]) is not None:
        return "csv"
    if any(ANSWER_SEPARATOR.match(line) for line in lines):
        return "numbered"
    option, answer = AIKEN_SIGNS
    if answer.search(text) and any(option.match(line) for line in content):
        return "aiken"
    if all(QUESTION_LINE.match(line) and not line[:1].isspace() for line in content):
        # Only numbered lines: both readers agree; the numbered one checks the order.
        return "numbered"
    if looks_like_gift(lines, source):
        return "gift"
    if any(line.heading or line.item is not None for line in scan_markdown(lines)):
        return "markdown"
    raise ParseError(
        source,
        None,
        "cannot tell the file's format: expected Markdown headings or numbered questions, "
        "a CSV header with a 'question' column, JSON, or Moodle's GIFT, Aiken or XML; "
        "choose the format explicitly",
    )
