"""Reading an import file: the reader of its chosen or detected format, then the
bounds on each question and the warnings about missing answers."""

from __future__ import annotations

from questions.importing.aiken import parse_aiken
from questions.importing.anki import parse_anki_notes
from questions.importing.csv import parse_csv
from questions.importing.detection import detect_format
from questions.importing.document import (
    ANSWER_MAX_CHARS,
    FORMATS,
    QUESTION_MAX_CHARS,
    RELATED_PER_QUESTION_MAX,
    TOPICS_PER_QUESTION_MAX,
    ImportDocument,
    ImportItem,
    ParseError,
    document_from_parsed,
)
from questions.importing.gift import parse_gift
from questions.importing.json import parse_json
from questions.importing.markdown import parse_markdown
from questions.importing.moodle_xml import parse_moodle_xml
from questions.importing.notebook import parse_notebook
from questions.importing.numbered import parse_numbered

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
    "gift": lambda text, source: parse_gift(text, source=source),
    "aiken": lambda text, source: parse_aiken(text, source=source),
    "moodle_xml": lambda text, source: parse_moodle_xml(text, source=source),
    "anki": lambda text, source: parse_anki_notes(text, source=source),
}


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
                "gift": "An essay's answer is its general feedback, after “####”.",
                "aiken": "Each question ends with a line such as 'ANSWER: B'.",
                "moodle_xml": "An essay's answer is its <graderinfo>.",
                "anki": "A note's second field is its answer.",
            }[document.format]
        ]
    shown = ", ".join(str(line) for line in missing[:10])
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    return [
        f"{len(missing)} question{'s' if len(missing) != 1 else ''} without an answer "
        f"(line{'s' if len(missing) != 1 else ''} {shown}{more})."
    ]
