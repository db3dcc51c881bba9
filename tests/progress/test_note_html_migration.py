"""progress 0006 adds Note.html and renders every note saved before it existed."""

from __future__ import annotations

import pytest

from studyhub.markdown import render_markdown
from tests.migrating import migrate, migrate_to_latest

# The questions app as it was then too: its later columns (key points) are not in the
# models this test writes with.
BEFORE = [("progress", "0005_study_session"), ("questions", "0005_answer_html")]
AFTER = [("progress", "0006_note_html"), ("questions", "0005_answer_html")]

TEXTS = [
    "My **own** note with a [link](https://example.com)",
    "<script>alert(1)</script> and [x](javascript:alert(2))",
    "[" * 20_000,
    "| a | b |\n|---|---|\n| 1 | ~~2~~ |",
]


@pytest.mark.django_db(transaction=True)
def test_existing_notes_get_their_rendering_and_the_migration_reverses():
    try:
        apps = migrate(BEFORE)
        User = apps.get_model("accounts", "User")
        Question = apps.get_model("questions", "Question")
        Note = apps.get_model("progress", "Note")
        assert "html" not in {field.name for field in Note._meta.get_fields()}
        users = [User.objects.create(username=f"u{n}", password="x") for n in range(2)]
        for position, text in enumerate(TEXTS, start=1):
            question = Question.objects.create(key=f"q-{position}", position=position, text="Q?")
            for user in users:
                Note.objects.create(user=user, question=question, text=text, version=3)

        apps = migrate(AFTER)
        notes = list(apps.get_model("progress", "Note").objects.all())
        assert len(notes) == len(TEXTS) * len(users)
        for note in notes:
            assert note.html == render_markdown(note.text)
            assert note.version == 3  # the note itself is untouched
        assert {note.html for note in notes} >= {
            '<p>My <strong>own</strong> note with a <a href="https://example.com" '
            'rel="noopener noreferrer nofollow">link</a></p>',
            "<p>" + "[" * 20_000 + "</p>",
        }

        apps = migrate(BEFORE)  # reversible: the column goes, the notes stay
        Note = apps.get_model("progress", "Note")
        assert sorted(Note.objects.values_list("text", flat=True)) == sorted(TEXTS * 2)
    finally:
        migrate_to_latest()
