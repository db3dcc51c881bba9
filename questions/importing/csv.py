"""CSV: a header line naming the columns (CSV_COLUMNS; 'question' is required), then
one question per row. The exporter writes the same columns."""

from __future__ import annotations

import csv
import io
import re

from questions.importing.document import (
    CSV_COLUMNS_MAX,
    ITEMS_MAX,
    ImportDocument,
    ImportItem,
    ParseError,
    check_key,
    check_text,
    normalise_whitespace,
    structured_answer,
    too_many,
)
from studyhub.downloads import FORMULA_START

#: The columns of the CSV format, in the order the exporter writes them.
CSV_COLUMNS = (
    "key",
    "question",
    "answer",
    "answer_incomplete",
    "long_answer",
    "long_answer_incomplete",
    "topics",
    "related",
)
_CSV_ALIASES = {"text": "question", "topic": "topics", "concise_answer": "answer"}
_CSV_DELIMITERS = (",", ";", "\t")
# A cell an export escaped: "'"s before a formula's first character.
_ESCAPED_FORMULA = re.compile(f"^'+[{re.escape(FORMULA_START)}]")
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"", "no", "n", "false", "0"}


def split_list_cell(value: str) -> list[str]:
    """A cell listing several topics: one per line, or separated by semicolons."""
    parts = value.splitlines() if "\n" in value or "\r" in value else value.split(";")
    return [part.strip() for part in parts if part.strip()]


def unescape_cell(value: str) -> str:
    """Undo the "'" a spreadsheet export puts before a cell that looks like a formula."""
    return value[1:] if _ESCAPED_FORMULA.match(value) else value


def _csv_column_name(cell: str) -> str:
    name = cell.strip().casefold().replace(" ", "_").replace("-", "_")
    return _CSV_ALIASES.get(name, name)


def csv_header(first_line: str) -> str | None:
    """The delimiter that makes the first line a header with a 'question' column."""
    for delimiter in _CSV_DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if "question" in {_csv_column_name(cell) for cell in cells}:
            return delimiter
    return None


def _csv_flag(cells: dict[str, str], column: str, line: int, source: str) -> bool:
    value = cells.get(column, "")
    flag = value.strip().casefold()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    raise ParseError(source, line, f"{column} must be yes or no, not “{value.strip()[:40]}”")


def parse_csv(text: str, *, source: str = "<text>") -> ImportDocument:
    """Read a CSV file whose first line names its columns (CSV_COLUMNS; 'question' is
    required). Topics are separated by ';' or by line breaks within the cell."""
    lines = check_text(text, source)
    header_index = next(i for i, line in enumerate(lines) if line.strip())
    delimiter = csv_header(lines[header_index])
    if delimiter is None:
        raise ParseError(
            source,
            header_index + 1,
            "the first line must name the columns, one of them 'question' "
            "(for example: question,answer,topics)",
        )
    document = ImportDocument(source=source, format="csv")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            reason = str(error)
            if "unexpected end of data" in reason or "EOF" in reason:
                reason = 'a quoted cell is never closed (a " without its closing ")'
            elif "field larger than field limit" in reason:
                reason = f"a cell is longer than {csv.field_size_limit():,} characters"
            raise ParseError(source, start, f"not valid CSV: {reason}") from error
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _read_csv_header(row, start, document, source)
            continue
        if len(document.items) == ITEMS_MAX:
            raise too_many(source, start, "rows")
        document.items.append(_csv_item(header, row, start, source))
    if not document.items:
        raise ParseError(source, None, "no questions found: the file has only its header line")
    return document


def _read_csv_header(row: list[str], line: int, document: ImportDocument, source: str) -> list[str]:
    if len(row) > CSV_COLUMNS_MAX:
        raise ParseError(
            source,
            line,
            f"the first line names {len(row):,} columns; a file may have at most "
            f"{CSV_COLUMNS_MAX} (see docs/importing.md for the columns used)",
        )
    header = [_csv_column_name(cell) for cell in row]
    seen = set()
    for name in header:
        if name and name in seen:
            raise ParseError(source, line, f"the column '{name}' is named twice")
        seen.add(name)
    unknown = [name for name in header if name and name not in CSV_COLUMNS]
    if unknown:
        document.warnings.append(
            f"Line {line}: these columns are not used and are ignored: {', '.join(unknown)}."
        )
    return header


def _csv_item(header: list[str], row: list[str], line: int, source: str) -> ImportItem:
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
        raise ParseError(
            source,
            line,
            f"this row has {len(row)} cells but the first line names {len(header)} columns",
        )
    cells = {
        name: unescape_cell(value)
        for name, value in zip(header, row + [""] * (len(header) - len(row)), strict=False)
        if name in CSV_COLUMNS
    }
    question = normalise_whitespace(cells.get("question", ""))
    if not question:
        raise ParseError(source, line, "the question cell is empty")
    related = tuple(k for k in re.split(r"[\s;,]+", cells.get("related", "")) if k)
    for key in related:
        check_key(key, line, source)
    return ImportItem(
        line=line,
        text=question,
        answer=structured_answer(cells.get("answer", "")),
        answer_incomplete=_csv_flag(cells, "answer_incomplete", line, source),
        long_answer=structured_answer(cells.get("long_answer", "")),
        long_answer_incomplete=_csv_flag(cells, "long_answer_incomplete", line, source),
        key=check_key(cells.get("key", "").strip(), line, source),
        topics=tuple(split_list_cell(cells.get("topics", ""))),
        related=related,
    )
