"""JSON: the export format ({"topics": [...], "questions": [...]}) or a bare list of
question objects. The text is scanned for its nesting, sizes and numbers before the
decoder sees it."""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
from typing import Any

from questions.importing.csv import CSV_COLUMNS
from questions.importing.document import (
    ITEMS_MAX,
    JSON_DEPTH_MAX,
    JSON_KEYS_MAX,
    JSON_NUMBER_MAX_CHARS,
    JSON_TEXT_MAX_CHARS,
    KEY,
    DeclaredTopic,
    ImportDocument,
    ImportItem,
    ParseError,
    check_key,
    check_text,
    normalise_whitespace,
    structured_answer,
)

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

    def parse_object(
        s_and_end: tuple[str, int], *args: Any, **kwargs: Any
    ) -> tuple[_LineDict, int]:
        # typeshed leaves out the json module's undocumented internals used here.
        obj, end = json.decoder.JSONObject(s_and_end, *args, **kwargs)  # type: ignore[attr-defined]
        with_line = _LineDict(obj)
        with_line.line = bisect.bisect_left(newlines, s_and_end[1] - 1) + 1
        return with_line, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]  # as above
    # The pure-Python scanner calls parse_object above; the C one would not.
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    # isinstance, not type(): the decoder's objects are a dict subclass that keeps lines.
    for kind, name in ((dict, "an object"), (list, "a list"), (str, "text")):
        if isinstance(value, kind):
            return name
    return "a number"


def parse_json(text: str, *, source: str = "<text>") -> ImportDocument:
    """Read {"topics": [...], "questions": [...]} (the export format) or a bare list of
    question objects. Each question has "text" and optionally "key", "answer",
    "long_answer", the two "…_incomplete" flags, "topics" and "related"."""
    check_text(text, source)
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
    if isinstance(data, _LineDict):  # as every object the decoder reads
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
    if not isinstance(entry, _LineDict):
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
        check_key(key, entry.line, source)
    return ImportItem(
        line=entry.line,
        text=text,
        answer=structured_answer(_json_text(entry, "answer", what, source)),
        answer_incomplete=_json_flag(entry, "answer_incomplete", what, source),
        long_answer=structured_answer(_json_text(entry, "long_answer", what, source)),
        long_answer_incomplete=_json_flag(entry, "long_answer_incomplete", what, source),
        key=check_key(_json_text(entry, "key", what, source).strip(), entry.line, source),
        topics=_json_strings(entry, "topics", what, source),
        related=related,
    )


def _json_topics(topics: list, line: int, source: str) -> list[DeclaredTopic]:
    declared: list[DeclaredTopic] = []
    seen: set[str] = set()
    for number, entry in enumerate(topics, start=1):
        what = f"topic {number}"
        if not isinstance(entry, _LineDict):
            raise ParseError(source, line, f"{what} must be an object, not {_kind(entry)}")
        slug = _json_text(entry, "slug", what, source, required=True).strip()
        if not slug or not KEY.match(slug):
            reason = f"{what}: slug “{slug[:40]}” must be letters, digits, '-' or '_'"
            raise ParseError(source, entry.line, reason)
        if slug in seen:
            raise ParseError(source, entry.line, f"topic '{slug}' is listed twice")
        seen.add(slug)
        name = normalise_whitespace(_json_text(entry, "name", what, source))
        description = structured_answer(_json_text(entry, "description", what, source))
        declared.append(DeclaredTopic(slug, name or slug, description, entry.line))
    return declared
