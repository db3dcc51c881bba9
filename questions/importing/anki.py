"""Anki packages (.apkg, .colpkg), read with the standard library alone.

A package is a zip archive holding a SQLite database: `collection.anki2` (Anki 2.0),
`collection.anki21` (Anki 2.1) or `collection.anki21b` (Anki 2.1.50 and later, which
is compressed with zstd, which Python 3.11's standard library cannot read: refused with
how to export an older layout). Both archive and database are untrusted:

- only the collection is read from the archive, by its exact name, and decompressed a
  chunk at a time into a file of our own name in a temporary directory, removed with
  it: no path in the archive is ever used, and no file is written anywhere else;
- the collection's size is bounded before and while it is decompressed;
- the database is opened read-only and immutable, only its tables are read, and every
  statement is stopped after a bounded number of steps, so nothing made to loop runs on;
- corrupt, encrypted or unexpected files are refused with what they are.

At upload, `read_anki_package` reads the notes and `notes_text` writes them as JSON
lines (one note a line, HTML already read into text and Markdown), which the import
keeps as its file; `parse_anki_notes` reads that text on every preview and confirm.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from questions.importing.document import (
    ITEMS_MAX,
    TOPICS_PER_QUESTION_MAX,
    ImportDocument,
    ImportItem,
    ParseError,
    check_text,
)
from questions.importing.foreign import HTML, ForeignText

#: The first line of the text an Anki upload is kept as.
NOTES_FORMAT = "studyhub-anki-notes"
COLLECTION_MAX_BYTES = 32 * 1024 * 1024  # 10,000 notes with long answers are a few MB
_STEPS_MAX = 50_000_000  # SQLite virtual-machine steps for all the reading
_STEP_CHECK = 1000  # steps between two looks at the count
_CHUNK = 1024 * 1024  # decompressed at a time
_LAYOUTS = ("collection.anki21b", "collection.anki21", "collection.anki2")
_CLOZE = re.compile(r"\{\{c\d+::")
_SOUND = re.compile(r"\[sound:[^\]]*\]")
#: Tags Anki adds by itself, not topics.
_ANKI_TAGS = {"marked", "leech"}


@dataclass
class AnkiNote:
    number: int  # 1-based, in the collection's order
    guid: str
    fields: list[str]  # as stored: HTML
    tags: list[str]
    cloze: bool = False


@dataclass
class AnkiCollection:
    layout: str
    notes: list[AnkiNote] = field(default_factory=list)


def read_anki_package(data: bytes | BinaryIO, *, source: str) -> AnkiCollection:
    """The notes of an .apkg or .colpkg (its bytes, or a file open for reading, as an
    upload is), or a ParseError saying what is wrong."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, ValueError, NotImplementedError, OSError, EOFError) as error:
        # NotImplementedError: a damaged header claims a zip version from the future.
        raise ParseError(source, None, "is not an Anki package: not a zip archive") from error
    with archive, tempfile.TemporaryDirectory(prefix="studyhub-apkg-") as directory:
        names = {info.filename: info for info in archive.infolist()}
        layout = next((name for name in _LAYOUTS if name in names), None)
        if layout is None:
            raise ParseError(
                source, None, "is not an Anki package: it holds no collection.anki2 or .anki21"
            )
        if layout == "collection.anki21b" and "collection.anki21" not in names:
            raise ParseError(
                source,
                None,
                "was exported in Anki's newest layout (collection.anki21b, compressed with "
                "zstd), which StudyHub cannot read: in Anki, export again with “Support "
                "older Anki versions” ticked",
            )
        if layout == "collection.anki21b":
            layout = "collection.anki21"
        # A name of ours, never one from the archive.
        path = Path(directory) / "collection.sqlite3"
        _extract(archive, names[layout], path, source)
        return AnkiCollection(layout=layout, notes=_notes(path, source))


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, source: str) -> None:
    """Decompress the collection into `path` a chunk at a time, never past the limit:
    the size the archive states is checked first, and may be a lie."""
    if info.flag_bits & 0x1:
        raise ParseError(source, None, "is encrypted: export it from Anki without a password")
    if info.file_size > COLLECTION_MAX_BYTES:
        raise ParseError(
            source,
            None,
            f"its collection is {info.file_size:,} bytes; the limit is {COLLECTION_MAX_BYTES:,}",
        )
    written = 0
    try:
        with archive.open(info) as member, path.open("wb") as out:
            while chunk := member.read(_CHUNK):
                written += len(chunk)
                if written > COLLECTION_MAX_BYTES:
                    raise ParseError(source, None, "its collection is larger than it says: refused")
                out.write(chunk)
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        ValueError,  # "negative seek value" from a damaged header
    ) as error:
        if isinstance(error, ParseError):
            raise
        raise ParseError(source, None, f"is a damaged archive: {error}") from error


def _notes(path: Path, source: str) -> list[AnkiNote]:
    with path.open("rb") as collection:
        if collection.read(16) != b"SQLite format 3\x00":
            raise ParseError(
                source, None, "is not an Anki package: its collection is not a database"
            )
    # Read-only and immutable: SQLite writes nothing, not even a journal, beside it.
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    steps = 0

    def stop_runaway() -> int:
        nonlocal steps
        steps += _STEP_CHECK
        return 1 if steps > _STEPS_MAX else 0

    try:
        # Text that is not UTF-8 (a damaged page) is read with U+FFFD, not an exception.
        connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.set_progress_handler(stop_runaway, _STEP_CHECK)
        return _read_notes(connection, source)
    except (sqlite3.Error, UnicodeDecodeError) as error:
        # UnicodeDecodeError: SQLite's own message quoting a damaged schema's bytes.
        reason = "took too long to read" if steps > _STEPS_MAX else "is damaged"
        raise ParseError(source, None, f"its collection {reason} ({error})") from error
    finally:
        connection.close()


def _read_notes(connection: sqlite3.Connection, source: str) -> list[AnkiNote]:
    tables = dict(connection.execute("SELECT name, type FROM sqlite_master"))
    if tables.get("notes") != "table":
        raise ParseError(source, None, "is not an Anki package: its collection has no notes")
    cloze_types = _cloze_note_types(connection, tables)
    notes = []
    rows = connection.execute(
        "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id LIMIT ?", (ITEMS_MAX + 1,)
    )
    for number, (_id, guid, note_type, tags, fields) in enumerate(rows, start=1):
        if number > ITEMS_MAX:
            raise ParseError(
                source, None, f"holds more than {ITEMS_MAX:,} notes: export fewer at a time"
            )
        if not isinstance(fields, str) or not isinstance(tags, str):
            raise ParseError(source, None, f"note {number} is damaged")
        split = fields.split("\x1f")
        notes.append(
            AnkiNote(
                number=number,
                guid=str(guid),
                fields=split,
                tags=tags.split(),
                cloze=note_type in cloze_types or any(_CLOZE.search(f) for f in split),
            )
        )
    return notes


def _cloze_note_types(connection: sqlite3.Connection, tables: dict[str, str]) -> set[int]:
    """The ids of cloze note types, from the legacy layout's JSON (Anki 2.1.28 and later
    keep note types in tables of their own, and cloze notes are found by their text)."""
    if tables.get("col") != "table":
        return set()
    row = connection.execute("SELECT models FROM col LIMIT 1").fetchone()
    if not row or not isinstance(row[0], str) or len(row[0]) > COLLECTION_MAX_BYTES:
        return set()
    try:
        models = json.loads(row[0])
    except ValueError:
        return set()
    if not isinstance(models, dict):
        return set()
    return {
        int(key)
        for key, model in models.items()
        if key.isdigit() and isinstance(model, dict) and model.get("type") == 1
    }


# --- The text an Anki upload is kept as ------------------------------------------------


def notes_text(collection: AnkiCollection, *, source: str) -> str:
    """The collection's notes as the import keeps them: a header line, then one JSON
    line per note that is not a cloze note, its fields read from HTML."""
    reader = ForeignText(source)
    lines: list[str] = []
    cloze = media = many_tags = 0
    for note in collection.notes:
        if note.cloze:
            cloze += 1
            continue
        reader.line = note.number
        sounds = sum(len(_SOUND.findall(f)) for f in note.fields)
        question = reader.text(_SOUND.sub(" ", note.fields[0]), HTML)
        answers = [reader.markdown(_SOUND.sub(" ", f), HTML) for f in note.fields[1:3]]
        media += sounds
        tags = [t for t in note.tags if t.casefold() not in _ANKI_TAGS]
        many_tags += len(tags) > TOPICS_PER_QUESTION_MAX
        lines.append(
            json.dumps(
                {
                    "note": note.number,
                    "guid": note.guid,
                    "question": question,
                    "answer": answers[0] if answers else "",
                    "long_answer": answers[1] if len(answers) > 1 else "",
                    "tags": tags[:TOPICS_PER_QUESTION_MAX],
                },
                ensure_ascii=False,
            )
        )
    header = {
        "format": NOTES_FORMAT,
        "layout": collection.layout,
        "notes": len(collection.notes),
        "cloze": cloze,
        "media": media + reader.media,
        "many_tags": many_tags,
    }
    return "\n".join([json.dumps(header), *lines]) + "\n"


def is_notes_text(text: str) -> bool:
    """Whether the text is what `notes_text` writes (detection.py, the upload form)."""
    return text.lstrip().startswith(f'{{"format": "{NOTES_FORMAT}"')


def parse_anki_notes(text: str, *, source: str = "<text>") -> ImportDocument:
    """Read the text `notes_text` wrote. Each question's line is its note's number."""
    lines = check_text(text, source)
    try:
        header = json.loads(lines[0])
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("format") != NOTES_FORMAT:
        raise ParseError(source, 1, "is not the notes of an Anki package")
    document = ImportDocument(source=source, format="anki")
    for line in lines[1:]:
        if not line.strip():
            continue
        if len(document.items) == ITEMS_MAX:
            raise ParseError(source, None, f"holds more than {ITEMS_MAX:,} notes")
        try:
            note = json.loads(line)
            number = note["note"]
            tags = note["tags"]
            if not isinstance(number, int) or not 1 <= number <= ITEMS_MAX:
                raise ValueError(number)
            if not isinstance(tags, list):
                raise TypeError(tags)
            item = ImportItem(
                line=number,
                text=" ".join(str(note["question"]).split()),
                answer=str(note["answer"]),
                long_answer=str(note["long_answer"]),
                topics=tuple(_topic(str(tag)) for tag in tags[:TOPICS_PER_QUESTION_MAX]),
            )
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            raise ParseError(source, None, "the notes of this Anki upload are damaged") from error
        if not item.text:
            raise ParseError(source, item.line, "the note's first field (the question) is empty")
        document.items.append(item)
    _warnings(document, header)
    if not document.items:
        reason = "holds no notes"
        if document.warnings:
            reason = "holds no notes StudyHub can import: " + document.warnings[0]
        raise ParseError(source, None, reason)
    return document


def _topic(tag: str) -> str:
    """A tag as a topic: a hierarchical tag's last part ("CNN::Deployment" is
    "Deployment"); underscores, which stand for spaces in tags, become spaces."""
    last = tag.split("::")[-1] or tag
    return last.replace("_", " ") if not re.fullmatch(r"[a-z0-9-]+", last) else last


def _warnings(document: ImportDocument, header: dict) -> None:
    cloze, media = header.get("cloze", 0), header.get("media", 0)
    many_tags = header.get("many_tags", 0)
    if isinstance(cloze, int) and cloze:
        document.warnings.append(
            f"{cloze} cloze note{'s' if cloze != 1 else ''} skipped: StudyHub studies "
            "questions with answers, not cloze deletions."
        )
    if isinstance(media, int) and media:
        document.warnings.append(
            f"{media} image{'s' if media != 1 else ''} or sound{'s' if media != 1 else ''} "
            "in the notes are not imported: StudyHub keeps their text only."
        )
    if isinstance(many_tags, int) and many_tags:
        document.warnings.append(
            f"{many_tags} note{'s' if many_tags != 1 else ''} had more than "
            f"{TOPICS_PER_QUESTION_MAX} tags: the first {TOPICS_PER_QUESTION_MAX} became topics."
        )
