"""Questions as an Anki package (.apkg), written with genanki.

One note per question, of one note type ("StudyHub question") whose fields are the
question, the concise answer, the long answer and, when asked for, the learner's own
note; the question's topics are its tags. Every id is derived from a name, never drawn
at random: the note type's and the deck's from fixed texts, each note's guid from the
question's key. Importing a newer export into Anki therefore updates the notes it
already has (text, answers, tags) and keeps their review history, instead of adding
copies.

The answers and notes are the HTML StudyHub rendered and sanitised when they were
saved (studyhub.markdown); the question is escaped text.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import genanki
from django.utils.html import escape

#: The note type's fields, in order; Anki matches them by position.
FIELDS = ("Question", "Answer", "Long answer", "My note")
NOTE_TYPE_NAME = "StudyHub question"
# Shown on the card's back: each part only when the note has it.
_BACK = (
    "{{FrontSide}}<hr id=answer>{{Answer}}"
    "{{#Long answer}}<div class=long>{{Long answer}}</div>{{/Long answer}}"
    "{{#My note}}<div class=note><b>My note</b>{{My note}}</div>{{/My note}}"
)
_CSS = (
    ".card{font-family:system-ui,sans-serif;font-size:18px;line-height:1.45;"
    "text-align:left;max-width:42em;margin:auto}"
    ".long{margin-top:1em;font-size:16px}.note{margin-top:1em;padding:.5em;"
    "border-left:3px solid #888}pre{white-space:pre-wrap}"
)


def stable_id(*parts: str) -> int:
    """A positive 31-bit id from a name: the same name, the same id, in every export."""
    digest = hashlib.sha256("\x1f".join(("studyhub", *parts)).encode()).digest()
    return (int.from_bytes(digest[:4], "big") & 0x3FFFFFFF) | 0x40000000


NOTE_TYPE = genanki.Model(
    stable_id("note type", NOTE_TYPE_NAME),
    NOTE_TYPE_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Question → answer", "qfmt": "{{Question}}", "afmt": _BACK}],
    css=_CSS,
)


@dataclass(frozen=True)
class AnkiNote:
    key: str  # the question's key: its note's guid
    question: str  # plain text
    answer_html: str = ""
    long_answer_html: str = ""
    tags: tuple[str, ...] = ()  # topic slugs
    my_note_html: str = ""


def note_guid(key: str) -> str:
    """The guid Anki knows a question's note by, from the question's key alone."""
    return str(genanki.guid_for("studyhub question", key))


def write_anki_package(
    notes: Iterable[AnkiNote], out: BinaryIO, *, deck_name: str, deck_key: str
) -> None:
    """Write the notes as an .apkg into `out`, holding one deck, "StudyHub::`deck_name`";
    `deck_key` names what was exported (a topic's slug, "bank") so its deck id stays the
    same.

    The collection is built in a file of a temporary directory that is removed at once
    (genanki's own write_to_file leaves its temporary file behind), then deflated into
    `out`: a bank of 5,000 questions is a collection of several megabytes, which a
    worker need not hold twice in memory, as an in-memory database and its copy did."""
    deck = genanki.Deck(stable_id("deck", deck_key), f"StudyHub::{deck_name}")
    for note in notes:
        deck.add_note(
            genanki.Note(
                model=NOTE_TYPE,
                fields=[
                    escape(note.question),
                    note.answer_html,
                    note.long_answer_html,
                    note.my_note_html,
                ],
                guid=note_guid(note.key),
                tags=[_tag(tag) for tag in note.tags],
            )
        )
    with tempfile.TemporaryDirectory(prefix="studyhub-anki-") as directory:
        path = Path(directory) / "collection.anki2"
        connection = sqlite3.connect(path)
        try:
            started = time.time()
            package = genanki.Package(deck)
            package.write_to_db(connection.cursor(), started, itertools.count(int(started * 1000)))
            connection.commit()
        finally:
            connection.close()
        del deck, package
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, "collection.anki2")
            archive.writestr("media", json.dumps({}))


def anki_package(notes: Iterable[AnkiNote], *, deck_name: str, deck_key: str) -> bytes:
    """write_anki_package into bytes (tests, and small exports)."""
    out = io.BytesIO()
    write_anki_package(notes, out, deck_name=deck_name, deck_key=deck_key)
    return out.getvalue()


def _tag(slug: str) -> str:
    """An Anki tag holds no spaces; a slug has none, but say so rather than trust it."""
    return "_".join(slug.split()) or "untitled"
