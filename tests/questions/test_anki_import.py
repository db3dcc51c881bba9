"""Anki packages in: notes read with the standard library, HTML read into text, tags as
topics, cloze notes and media reported, and every hostile archive or database refused
with a clear message. Packages are built here by hand (zipfile, sqlite3), as Anki
writes them, not with the writer StudyHub exports with."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from questions.importing import ParseError, parse_import
from questions.importing import anki as anki_module
from questions.importing.anki import notes_text, parse_anki_notes, read_anki_package
from questions.models import ImportRecord, Question
from tests.factories import make_user
from tests.teams.factories import make_team

BASIC, CLOZE = 1_000_001, 1_000_002


def collection(notes, *, cloze_type: bool = True, extra_sql: str = "") -> bytes:
    """A collection in Anki's legacy layout: note types as JSON in `col`, notes in
    `notes` (fields joined by the unit separator, tags space-separated)."""
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        "CREATE TABLE col (id INTEGER PRIMARY KEY, models TEXT, decks TEXT);"
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, guid TEXT, mid INTEGER, mod INTEGER,"
        " usn INTEGER, tags TEXT, flds TEXT, sfld TEXT, csum INTEGER, flags INTEGER,"
        " data TEXT);" + extra_sql
    )
    models = {str(BASIC): {"name": "Basic", "type": 0}}
    if cloze_type:
        models[str(CLOZE)] = {"name": "Cloze", "type": 1}
    connection.execute(
        "INSERT INTO col (id, models, decks) VALUES (1, ?, '{}')", [json.dumps(models)]
    )
    for number, (fields, tags, *model) in enumerate(notes, start=1):
        connection.execute(
            "INSERT INTO notes VALUES (?, ?, ?, 0, -1, ?, ?, '', 0, 0, '')",
            [
                number,
                f"guid{number}",
                model[0] if model else BASIC,
                f" {tags} ",
                "\x1f".join(fields),
            ],
        )
    connection.commit()
    return connection.serialize()


def package(members: dict[str, bytes], *, encrypted: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(out.getvalue())
    if encrypted:  # zipfile writes no encryption: set the flag as an encrypting tool would
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.index(signature) + offset
            data[at] |= 0x1
    return bytes(data)


DECK = [
    (
        ["What does <b>NMS</b> do?", "<div>Keeps the best box.</div>", "<ul><li>IoU</li></ul>"],
        "detection marked",
    ),
    (
        ["Why use <i>BN</i>?<img src='bn.png'>", "Stable training.[sound:bn.mp3]"],
        "CNN::Normalisation_layers",
    ),
    (["{{c1::Dropout}} regularises.", ""], "", CLOZE),
    (["Which layer {{c2::pools}}?", "Pooling."], "cnn"),
]


def read(data: bytes):
    text = notes_text(read_anki_package(data, source="deck.apkg"), source="deck.apkg")
    return parse_import(text, source="deck.apkg")


def test_a_package_is_read_into_questions_with_tags_as_topics():
    document = read(package({"collection.anki2": collection(DECK), "media": b"{}"}))
    assert document.format == "anki" and document.detected
    assert [(i.line, i.text, i.answer, i.long_answer, i.topics) for i in document.items] == [
        (1, "What does NMS do?", "Keeps the best box.", "- IoU", ("detection",)),
        (2, "Why use BN?", "Stable training.", "", ("Normalisation layers",)),
    ]
    assert document.warnings == [
        "2 cloze notes skipped: StudyHub studies questions with answers, not cloze deletions.",
        "2 images or sounds in the notes are not imported: StudyHub keeps their text only.",
    ]


def test_the_newer_collection_is_read_when_both_are_there():
    old = collection([(["Old?", "old"], "")])
    new = collection([(["New?", "new"], "")])
    data = package({"collection.anki2": old, "collection.anki21": new})
    assert [i.text for i in read(data).items] == ["New?"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 not really", "is not an Anki package: not a zip archive"),
        (b"plain text", "is not an Anki package: not a zip archive"),
        (package({"notes.txt": b"hi"}), "it holds no collection.anki2 or .anki21"),
        (package({"collection.anki21b": b"(zstd)"}), "Support older Anki versions"),
        (
            package({"collection.anki2": collection(DECK)}, encrypted=True),
            "is encrypted",
        ),
        (
            package({"collection.anki2": b"not a database at all"}),
            "its collection is not a database",
        ),
        (
            package({"collection.anki2": b"SQLite format 3\x00" + b"\x07" * 5000}),
            "its collection is damaged",
        ),
        (
            package({"collection.anki2": collection([], extra_sql="DROP TABLE notes;")}),
            "has no notes",
        ),
        (
            package(
                {
                    "collection.anki2": collection(
                        [],
                        extra_sql="DROP TABLE notes; CREATE VIEW notes AS WITH RECURSIVE "
                        "r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i AS id, "
                        "'' AS guid, 0 AS mid, '' AS tags, 'x' AS flds FROM r;",
                    )
                }
            ),
            "has no notes",
        ),
        (
            package({"collection.anki2": collection([(["only cloze {{c1::x}}", ""], "")])}),
            "holds no notes StudyHub can import",
        ),
    ],
    ids=[
        "bad-zip",
        "text",
        "no-collection",
        "anki21b",
        "encrypted",
        "not-db",
        "damaged",
        "no-notes",
        "looping-view",
        "only-cloze",
    ],
)
def test_a_bad_package_is_refused_with_what_is_wrong(data, reason):
    with pytest.raises(ParseError) as raised:
        read(data)
    assert str(raised.value).startswith("deck.apkg")
    assert reason in raised.value.reason


def test_a_collection_larger_than_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(anki_module, "COLLECTION_MAX_BYTES", 10_000)
    bomb = package({"collection.anki2": b"SQLite format 3\x00" + b"\x00" * 50_000})
    assert len(bomb) < 1_000  # a zip bomb: tiny, and large once decompressed
    with pytest.raises(ParseError, match="its collection is 50,016 bytes; the limit is 10,000"):
        read_anki_package(bomb, source="deck.apkg")


def test_reading_stops_a_statement_that_runs_too_long(monkeypatch):
    monkeypatch.setattr(anki_module, "_STEPS_MAX", 1)
    monkeypatch.setattr(anki_module, "_STEP_CHECK", 1)
    with pytest.raises(ParseError, match="took too long to read"):
        read_anki_package(package({"collection.anki2": collection(DECK)}), source="deck.apkg")


def test_too_many_notes_are_refused(monkeypatch):
    monkeypatch.setattr(anki_module, "ITEMS_MAX", 2)
    with pytest.raises(ParseError, match="holds more than 2 notes"):
        read_anki_package(package({"collection.anki2": collection(DECK)}), source="deck.apkg")


def test_a_note_with_more_tags_than_a_question_takes_keeps_the_first_twenty():
    tags = " ".join(f"t{n}" for n in range(25))
    document = read(package({"collection.anki2": collection([(["Many tags?", "Yes."], tags)])}))
    assert document.items[0].topics == tuple(f"t{n}" for n in range(20))
    assert "1 note had more than 20 tags: the first 20 became topics." in document.warnings


HEADER = '{"format": "studyhub-anki-notes"}\n'


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "studyhub-anki-notes"}\n{"note": 1}\n',
        '{"format": "studyhub-anki-notes"}\n[[[[' + "[" * 100_000 + "\n",
        HEADER + '{"note": 0, "question": "Q?", "answer": "", "long_answer": "", "tags": []}',
        HEADER + '{"note": 1, "question": "Q?", "answer": "", "long_answer": "", "tags": "a"}',
        '{"format": "other"}\n',
    ],
    ids=["missing-keys", "deep", "note-zero", "tags-text", "not-anki"],
)
def test_damaged_kept_notes_are_a_clear_error(text):
    with pytest.raises(ParseError) as raised:
        parse_anki_notes(text, source="deck.apkg")
    assert raised.value.reason


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000))
def test_any_bytes_are_a_package_or_a_clear_error(data):
    try:
        read_anki_package(data, source="deck.apkg")
    except ParseError as error:
        assert str(error).startswith("deck.apkg")


VALID = package({"collection.anki2": collection(DECK)})


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, len(VALID) - 1), value=st.integers(0, 255), cut=st.booleans())
def test_a_damaged_package_is_read_or_refused_never_a_crash(position, value, cut):
    data = VALID[:position] if cut else VALID[:position] + bytes([value]) + VALID[position + 1 :]
    try:
        read(data)
    except ParseError as error:
        assert str(error).startswith("deck.apkg")


DATABASE = collection(DECK)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, len(DATABASE) - 1), value=st.integers(0, 255))
def test_a_damaged_database_is_read_or_refused_never_a_crash(position, value):
    damaged = DATABASE[:position] + bytes([value]) + DATABASE[position + 1 :]
    try:
        read(package({"collection.anki2": damaged}))
    except ParseError as error:
        assert str(error).startswith("deck.apkg")


# --- Through the pages ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anki_package_goes_through_upload_preview_and_confirm(client, seed_bank):
    instructor = make_user()
    team = make_team(instructor=instructor)
    client.force_login(instructor)
    data = package({"collection.anki2": collection(DECK), "media": b"{}"})
    upload = SimpleUploadedFile("deck.apkg", data, content_type="application/octet-stream")
    response = client.post(reverse("questions:import_upload"), {"file": upload, "format": "auto"})
    assert response.status_code == 302, response.content.decode()
    record = ImportRecord.objects.get()
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Anki package (detected)" in page
    assert "2 cloze notes skipped" in page
    client.post(record.get_absolute_url())
    imported = Question.objects.filter(import_record=record).order_by("position")
    assert [q.text for q in imported] == ["What does NMS do?", "Why use BN?"]
    assert all(q.bank == team.bank for q in imported)
    assert {t.slug for t in imported[0].topics.all()} == {"detection"}


@pytest.mark.django_db
def test_a_broken_or_oversized_package_is_a_message_on_the_form(client, seed_bank, settings):
    instructor = make_user()
    make_team(instructor=instructor)
    client.force_login(instructor)
    upload = SimpleUploadedFile("deck.apkg", b"PK\x03\x04junk")
    response = client.post(reverse("questions:import_upload"), {"file": upload, "format": "auto"})
    assert response.status_code == 422
    assert "deck.apkg: is not an Anki package: not a zip archive" in response.content.decode()
    settings.IMPORT_ANKI_MAX_BYTES = 100
    big = SimpleUploadedFile("deck.colpkg", b"x" * 200)
    response = client.post(reverse("questions:import_upload"), {"file": big, "format": "auto"})
    assert "Export it again from Anki without media" in response.content.decode()
    assert ImportRecord.objects.count() == 0


@pytest.mark.django_db
def test_the_import_command_reads_an_anki_package(tmp_path, seed_bank):
    from django.core.management import call_command

    path = tmp_path / "deck.apkg"
    path.write_bytes(package({"collection.anki2": collection(DECK)}))
    out = io.StringIO()
    call_command("import_questions", str(path), "--topic", "ocr", stdout=out)
    assert "Format: Anki package (detected)" in out.getvalue()
    assert Question.objects.filter(text="What does NMS do?", bank=None).exists()
