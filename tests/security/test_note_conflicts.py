"""Notes carry a version: a save from a stale tab never overwrites newer text.

The editor posts the version it started from; a note that changed since is left
alone, the answer is 409 with both versions, and the learner keeps one. The same in
two real browser tabs: tests/browser/test_note_conflict.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine

from progress.models import Note
from progress.services import NoteConflict, note_revision, save_note
from tests.factories import make_bank
from tests.progress.pages import section, text_of, textarea_value

HX = {"HX-Request": "true"}


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=1)[0].questions.first()


def url(question) -> str:
    return f"/questions/{question.key}/note/"


def stored(user, question) -> tuple[str, int] | None:
    note = Note.objects.filter(user=user, question=question).first()
    return (note.text, note.version) if note else None


def hidden_version(html: str) -> str:
    match = re.search(r'<input type="hidden"[^>]*name="version" value="([^"]*)"', html)
    assert match, "no version field"
    return unescape(match.group(1))


def saved_textarea(html: str) -> str:
    match = re.search(r'<textarea id="note-saved-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no saved version shown"
    return unescape(match.group(1))


# --- The service ------------------------------------------------------------------


def test_a_save_from_the_current_version_goes_through(user, question):
    first = save_note(user=user, question=question, text="One", base_revision="")

    second = save_note(user=user, question=question, text="Two", base_revision=note_revision(first))

    assert stored(user, question) == ("Two", 2)
    assert note_revision(second) != note_revision(first)


def test_a_save_from_an_older_version_is_refused_and_changes_nothing(user, question):
    first = save_note(user=user, question=question, text="One")
    stale = note_revision(first)
    save_note(user=user, question=question, text="Newer, from another tab", base_revision=stale)

    with pytest.raises(NoteConflict) as conflict:
        save_note(user=user, question=question, text="Stale tab", base_revision=stale)

    assert conflict.value.saved.text == "Newer, from another tab"
    assert stored(user, question) == ("Newer, from another tab", 2)


def test_two_editors_that_both_started_without_a_note_cannot_both_create_it(user, question):
    save_note(user=user, question=question, text="First tab", base_revision="")

    with pytest.raises(NoteConflict):
        save_note(user=user, question=question, text="Second tab", base_revision="")

    assert stored(user, question) == ("First tab", 1)


def test_a_note_deleted_elsewhere_is_a_conflict_too(user, question):
    note = save_note(user=user, question=question, text="One")
    started = note_revision(note)
    save_note(user=user, question=question, text="", base_revision=started)  # deleted

    with pytest.raises(NoteConflict) as conflict:
        save_note(user=user, question=question, text="Stale edit", base_revision=started)

    assert conflict.value.saved is None
    assert stored(user, question) is None


def test_a_note_emptied_and_written_again_is_not_mistaken_for_the_old_one(user, question):
    """Both are version 1; the time of the save tells them apart."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        old = save_note(user=user, question=question, text="Old")
        old_revision = note_revision(old)
        clock.shift(timedelta(seconds=5))
        save_note(user=user, question=question, text="", base_revision=old_revision)
        clock.shift(timedelta(seconds=5))
        save_note(user=user, question=question, text="Rewritten", base_revision="")

        with pytest.raises(NoteConflict):
            save_note(
                user=user, question=question, text="From the old tab", base_revision=old_revision
            )

    assert stored(user, question) == ("Rewritten", 1)


def test_unchanged_text_keeps_the_version(user, question):
    note = save_note(user=user, question=question, text="Same")
    again = save_note(user=user, question=question, text="Same", base_revision=note_revision(note))
    assert note_revision(again) == note_revision(note)


def test_without_a_version_there_is_nothing_to_check(user, question):
    save_note(user=user, question=question, text="One")
    save_note(user=user, question=question, text="Two")
    assert stored(user, question) == ("Two", 2)


# --- The editor -----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_the_editor_carries_the_version_it_started_from(logged_in_client, user, question, headers):
    note = save_note(user=user, question=question, text="Mine")

    html = text_of(logged_in_client.get(url(question), headers=headers))

    assert hidden_version(html) == note_revision(note)
    assert textarea_value(html) == "Mine"


def open_editor(client, question) -> str:
    """The version a freshly opened editor carries."""
    return hidden_version(text_of(client.get(url(question))))


def test_plain_save_from_a_stale_tab_shows_both_versions(logged_in_client, user, question):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    newer = open_editor(logged_in_client, question)
    assert (
        logged_in_client.post(url(question), {"text": "Saved first", "version": newer}).status_code
        == 302
    )

    response = logged_in_client.post(
        url(question), {"text": "Typed in the stale tab", "version": stale}
    )

    assert response.status_code == 409
    page = text_of(response)
    note_section = section(page, "note")
    assert "Not saved: this note was changed in another tab or window" in note_section
    assert textarea_value(note_section) == "Typed in the stale tab"
    assert saved_textarea(note_section) == "Saved first"
    assert '<label for="note-text">Your version</label>' in note_section
    assert '<label for="note-saved-text">Saved version</label>' in note_section
    assert ">Keep mine</button>" in note_section and ">Keep saved</button>" in note_section
    # Choosing starts from the version now saved.
    assert hidden_version(note_section) == note_revision(Note.objects.get())
    assert stored(user, question) == ("Saved first", 2)


def test_htmx_save_from_a_stale_tab_answers_with_the_conflict_fragment(
    logged_in_client, user, question
):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Saved first")

    response = logged_in_client.post(url(question), {"text": "Stale", "version": stale}, headers=HX)

    assert response.status_code == 409
    html = text_of(response)
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="note"')
    assert textarea_value(html) == "Stale"
    assert saved_textarea(html) == "Saved first"
    assert stored(user, question) == ("Saved first", 2)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_keep_mine_overwrites_with_a_new_version(logged_in_client, user, question, headers):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Saved first")
    conflict = text_of(logged_in_client.post(url(question), {"text": "Mine", "version": stale}))

    response = logged_in_client.post(
        url(question),
        {"text": "Mine, merged", "version": hidden_version(conflict), "resolve": "mine"},
        headers=headers,
    )

    assert response.status_code in (200, 302)
    assert stored(user, question) == ("Mine, merged", 3)


def test_keep_mine_is_refused_again_if_the_note_changed_once_more(logged_in_client, user, question):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Second")
    conflict = text_of(logged_in_client.post(url(question), {"text": "Mine", "version": stale}))
    save_note(user=user, question=question, text="Third, meanwhile")

    response = logged_in_client.post(
        url(question), {"text": "Mine", "version": hidden_version(conflict), "resolve": "mine"}
    )

    assert response.status_code == 409
    assert saved_textarea(text_of(response)) == "Third, meanwhile"
    assert stored(user, question) == ("Third, meanwhile", 3)


def test_keep_saved_discards_mine_without_javascript(logged_in_client, user, question):
    save_note(user=user, question=question, text="Saved")

    response = logged_in_client.post(
        url(question), {"text": "Mine", "version": "stale", "resolve": "saved"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/questions/{question.key}/#note"
    page = text_of(logged_in_client.get(response["Location"]))
    assert "Kept the saved version; your changes were discarded." in page
    assert stored(user, question) == ("Saved", 1)


def test_keep_saved_with_htmx_shows_the_saved_note(logged_in_client, user, question):
    save_note(user=user, question=question, text="Saved **text**")

    response = logged_in_client.post(
        url(question), {"text": "Mine", "version": "stale", "resolve": "saved"}, headers=HX
    )

    html = text_of(response)
    assert response.status_code == 200
    assert "<strong>text</strong>" in html
    assert "Kept the saved version" in html
    assert "<textarea" not in html
    assert stored(user, question) == ("Saved **text**", 1)


def test_a_note_deleted_in_another_tab_is_shown_as_gone(logged_in_client, user, question):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="")

    response = logged_in_client.post(url(question), {"text": "Still mine", "version": stale})

    assert response.status_code == 409
    html = text_of(response)
    assert "None: the note was deleted in the other tab or window." in html
    assert 'id="note-saved-text"' not in html
    keep = logged_in_client.post(
        url(question), {"text": "Still mine", "version": hidden_version(html), "resolve": "mine"}
    )
    assert keep.status_code == 302
    assert stored(user, question) == ("Still mine", 1)


# --- Autosave ---------------------------------------------------------------------------


def autosave(client, question, text: str, version: str):
    return client.post(
        url(question), {"text": text, "version": version, "autosave": "1"}, headers=HX
    )


def test_each_autosave_hands_the_editor_the_new_version(logged_in_client, user, question):
    version = open_editor(logged_in_client, question)
    for text in ("d", "dr", "dra", "draft"):
        response = autosave(logged_in_client, question, text, version)
        assert response.status_code == 200
        version = hidden_version(text_of(response))
    assert version == note_revision(Note.objects.get())
    assert stored(user, question) == ("draft", 4)


def test_autosave_from_a_stale_tab_says_so_and_stops(logged_in_client, user, question):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Saved in another tab")

    response = autosave(logged_in_client, question, "Stale typing", stale)

    assert response.status_code == 409
    html = text_of(response)
    assert html.startswith('<span class="error">Not saved: this note was changed')
    assert "Autosave is off; press “Save note” to see both versions and choose." in html
    # The autosave trigger is swapped (out of band) for one that posts nothing.
    (trigger,) = re.findall(r'<span id="note-autosave"[^>]*>', html)
    assert 'hx-swap-oob="true"' in trigger
    assert "hx-post" not in trigger and "hx-trigger" not in trigger
    assert stored(user, question) == ("Saved in another tab", 2)


def test_the_editor_autosaves_through_a_trigger_that_a_conflict_can_replace(
    logged_in_client, question
):
    html = text_of(logged_in_client.get(url(question), headers=HX))
    (trigger,) = re.findall(r'<span id="note-autosave"[^>]*>', html)
    assert f'hx-post="{url(question)}"' in trigger
    assert 'hx-trigger="input changed delay:1500ms from:#note-text"' in trigger
    assert "hx-swap-oob" not in trigger
