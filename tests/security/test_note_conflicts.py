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
from django.urls import reverse

from progress.models import Note
from progress.services import NoteConflict, note_revision, save_note
from tests.factories import make_bank
from tests.pages import HTMX, html_of, section, textarea_value


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=1)[0].questions.first()


def url(question) -> str:
    return reverse("progress:edit_note", args=[question.key])


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


# --- Saves of one editor (a final save sent while another is in flight) -------------

EDITOR = "3f0c9a52-1d7e-4c1b-9a57-0d4c2b8e6f11"


def test_a_later_save_of_the_same_editor_over_a_stale_version_is_stored(user, question):
    # Save 1 landed; save 2 was sent before save 1's new version came back.
    save_note(user=user, question=question, text="A", base_revision="", editor=EDITOR, seq=1)

    note = save_note(
        user=user, question=question, text="AB", base_revision="", editor=EDITOR, seq=2
    )

    assert stored(user, question) == ("AB", 2)
    assert (note.text, note.last_editor, note.last_seq) == ("AB", EDITOR, 2)


def test_an_earlier_save_of_the_same_editor_arriving_late_is_ignored(user, question):
    save_note(user=user, question=question, text="AB", base_revision="", editor=EDITOR, seq=2)

    note = save_note(user=user, question=question, text="A", base_revision="", editor=EDITOR, seq=1)

    assert (note.text, note_revision(note)) == ("AB", note_revision(Note.objects.get()))
    assert stored(user, question) == ("AB", 1)


def test_an_earlier_save_of_the_same_editor_is_ignored_after_an_unchanged_later_one(user, question):
    # Save 2 ("AB") was aborted as the tab closed on "A" again; save 3 changed nothing.
    first = save_note(user=user, question=question, text="A", editor=EDITOR, seq=1)
    version = note_revision(first)
    save_note(user=user, question=question, text="A", base_revision=version, editor=EDITOR, seq=3)

    save_note(user=user, question=question, text="AB", base_revision=version, editor=EDITOR, seq=2)

    assert stored(user, question) == ("A", 1)


@pytest.mark.parametrize(
    "other",
    [{"editor": "another-tab", "seq": 5}, {}, {"editor": EDITOR}],
    ids=["another-editor", "no-editor", "no-seq"],
)
def test_a_stale_save_of_another_editor_or_none_is_still_refused(user, question, other):
    save_note(user=user, question=question, text="Mine", base_revision="", editor=EDITOR, seq=1)

    with pytest.raises(NoteConflict):
        save_note(user=user, question=question, text="Theirs", base_revision="", **other)

    assert stored(user, question) == ("Mine", 1)


def test_two_saves_of_one_editor_landing_in_the_wrong_order_are_no_conflict(
    logged_in_client, user, question
):
    save_note(user=user, question=question, text="Start")
    version = open_editor(logged_in_client, question)

    def send(text: str, seq: int):
        data = {"text": text, "version": version, "editor": EDITOR, "seq": seq}
        return logged_in_client.post(url(question), {**data, "autosave": "1"}, headers=HTMX)

    later, earlier = send("Start, then more", 2), send("Start, then", 1)

    assert (later.status_code, earlier.status_code) == (200, 200)
    assert stored(user, question) == ("Start, then more", 2)
    assert hidden_version(html_of(earlier)) == note_revision(Note.objects.get())
    assert not logged_in_client.session.get("refused_notes")
    page = html_of(logged_in_client.get(question_page(question)))
    assert "Not saved" not in page and "Edit note" in page


@pytest.mark.parametrize(
    "fields",
    [{"editor": "x" * 65}, {"editor": "<b>"}, {"seq": "0"}, {"seq": "-1"}, {"seq": "2147483648"}],
)
def test_an_editor_id_or_number_out_of_bounds_is_refused(logged_in_client, question, fields):
    data = {"text": "Typed", "version": "", "editor": EDITOR, "seq": "1", "autosave": "1"}

    response = logged_in_client.post(url(question), {**data, **fields}, headers=HTMX)

    assert response.status_code == 422
    assert not Note.objects.exists()


# --- The editor -----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_the_editor_carries_the_version_it_started_from(logged_in_client, user, question, headers):
    note = save_note(user=user, question=question, text="Mine")

    html = html_of(logged_in_client.get(url(question), headers=headers))

    assert hidden_version(html) == note_revision(note)
    assert textarea_value(html) == "Mine"


def open_editor(client, question) -> str:
    """The version a freshly opened editor carries."""
    return hidden_version(html_of(client.get(url(question))))


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
    page = html_of(response)
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

    response = logged_in_client.post(
        url(question), {"text": "Stale", "version": stale}, headers=HTMX
    )

    assert response.status_code == 409
    html = html_of(response)
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="note"')
    assert textarea_value(html) == "Stale"
    assert saved_textarea(html) == "Saved first"
    assert stored(user, question) == ("Saved first", 2)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_keep_mine_overwrites_with_a_new_version(logged_in_client, user, question, headers):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Saved first")
    conflict = html_of(logged_in_client.post(url(question), {"text": "Mine", "version": stale}))

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
    conflict = html_of(logged_in_client.post(url(question), {"text": "Mine", "version": stale}))
    save_note(user=user, question=question, text="Third, meanwhile")

    response = logged_in_client.post(
        url(question), {"text": "Mine", "version": hidden_version(conflict), "resolve": "mine"}
    )

    assert response.status_code == 409
    assert saved_textarea(html_of(response)) == "Third, meanwhile"
    assert stored(user, question) == ("Third, meanwhile", 3)


def test_keep_saved_discards_mine_without_javascript(logged_in_client, user, question):
    save_note(user=user, question=question, text="Saved")

    response = logged_in_client.post(
        url(question), {"text": "Mine", "version": "stale", "resolve": "saved"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{question_page(question)}#note"
    page = html_of(logged_in_client.get(response["Location"]))
    assert "Kept the saved version; your changes were discarded." in page
    assert stored(user, question) == ("Saved", 1)


def test_keep_saved_with_htmx_shows_the_saved_note(logged_in_client, user, question):
    save_note(user=user, question=question, text="Saved **text**")

    response = logged_in_client.post(
        url(question), {"text": "Mine", "version": "stale", "resolve": "saved"}, headers=HTMX
    )

    html = html_of(response)
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
    html = html_of(response)
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
        url(question), {"text": text, "version": version, "autosave": "1"}, headers=HTMX
    )


def test_each_autosave_hands_the_editor_the_new_version(logged_in_client, user, question):
    version = open_editor(logged_in_client, question)
    for text in ("d", "dr", "dra", "draft"):
        response = autosave(logged_in_client, question, text, version)
        assert response.status_code == 200
        version = hidden_version(html_of(response))
    assert version == note_revision(Note.objects.get())
    assert stored(user, question) == ("draft", 4)


def test_autosave_from_a_stale_tab_says_so_and_stops(logged_in_client, user, question):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Saved in another tab")

    response = autosave(logged_in_client, question, "Stale typing", stale)

    assert response.status_code == 409
    html = html_of(response)
    assert html == (
        '<span class="error">Not saved: this note was changed in another tab or window. '
        "Autosave is off; press “Save and close” to see both versions and choose.</span>"
    )
    # No new version comes back, so static/js/notes.js has nothing to save with.
    assert 'name="version"' not in html
    assert stored(user, question) == ("Saved in another tab", 2)


def test_the_editor_is_autosaved_by_notes_js_and_closes_with_a_save(logged_in_client, question):
    html = html_of(logged_in_client.get(url(question)))
    (editor,) = re.findall(r"<form [^>]*data-note-editor[^>]*>", html)
    assert f'action="{url(question)}"' in editor
    assert 'data-autosave-delay="1500"' in editor
    assert "data-unsaved" not in editor
    assert re.search(r'<script src="/static/js/notes\.js" nonce="[^"]+" defer></script>', html)
    # One control closes the editor, and it saves: no link that closes without saving.
    note_section = section(html, "note")
    assert '<button type="submit" class="button primary">Save and close</button>' in note_section
    assert ">Done</a>" not in note_section and "<a " not in note_section


def test_an_editor_re_rendered_with_an_error_is_marked_unsaved(logged_in_client, question):
    response = logged_in_client.post(url(question), {"text": "x" * 20_001}, headers=HTMX)

    assert response.status_code == 422
    (editor,) = re.findall(r"<form [^>]*data-note-editor[^>]*>", html_of(response))
    assert "data-unsaved" in editor


# --- A save that changes nothing is no conflict --------------------------------------


@pytest.mark.parametrize("autosaved", [True, False], ids=["autosave", "save-and-close"])
def test_a_stale_save_of_the_text_already_saved_goes_through(
    logged_in_client, user, question, autosaved
):
    # A save sent as the tab closed, after the one that carried the same text landed.
    stale = open_editor(logged_in_client, question)
    assert autosave(logged_in_client, question, "Same words", stale).status_code == 200

    data = {"text": "Same words", "version": stale, **({"autosave": "1"} if autosaved else {})}
    response = logged_in_client.post(url(question), data, headers=HTMX)

    assert response.status_code == 200
    if autosaved:
        assert hidden_version(html_of(response)) == note_revision(Note.objects.get())
    else:
        assert "Same words" in section(html_of(response), "note")
    assert stored(user, question) == ("Same words", 1)
    assert "Some changes to this note" not in html_of(logged_in_client.get(question_page(question)))


# --- Refused text is kept until the learner chooses ---------------------------------


def question_page(question) -> str:
    return reverse("progress:question_detail", args=[question.key])


def refuse(client, user, question, text: str) -> None:
    """An autosave from a stale tab (as notes.js sends when the tab closes), refused."""
    save_note(user=user, question=question, text="Start")
    stale = open_editor(client, question)
    save_note(user=user, question=question, text="Newer, from another tab")
    assert autosave(client, question, text, stale).status_code == 409


@pytest.mark.parametrize("path", ["page", "editor"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_refused_text_is_shown_next_to_the_saved_note(
    logged_in_client, user, question, path, headers
):
    refuse(logged_in_client, user, question, "Typed as the stale tab closed")

    target = question_page(question) if path == "page" else url(question)
    html = html_of(logged_in_client.get(target, headers=headers))

    note_section = section(html, "note")
    assert "Not saved: some changes to this note were made in a tab or window" in note_section
    assert textarea_value(note_section) == "Typed as the stale tab closed"
    assert saved_textarea(note_section) == "Newer, from another tab"
    assert ">Keep mine</button>" in note_section and ">Keep saved</button>" in note_section
    assert hidden_version(note_section) == note_revision(Note.objects.get())
    # Refused, never written.
    assert stored(user, question) == ("Newer, from another tab", 2)


def test_keep_mine_saves_the_refused_text_and_forgets_it(logged_in_client, user, question):
    refuse(logged_in_client, user, question, "Mine, from the closed tab")
    html = html_of(logged_in_client.get(question_page(question)))

    response = logged_in_client.post(
        url(question),
        {
            "text": textarea_value(section(html, "note")),
            "version": hidden_version(html),
            "resolve": "mine",
        },
    )

    assert response.status_code == 302
    assert stored(user, question) == ("Mine, from the closed tab", 3)
    page = html_of(logged_in_client.get(question_page(question)))
    assert "Not saved" not in page and "Edit note" in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_keep_saved_forgets_the_refused_text(logged_in_client, user, question, headers):
    refuse(logged_in_client, user, question, "Mine, from the closed tab")
    html = html_of(logged_in_client.get(question_page(question)))

    logged_in_client.post(
        url(question),
        {"text": "Mine, from the closed tab", "version": hidden_version(html), "resolve": "saved"},
        headers=headers,
    )

    assert stored(user, question) == ("Newer, from another tab", 2)
    page = html_of(logged_in_client.get(question_page(question)))
    assert "Mine, from the closed tab" not in page and "Edit note" in page


def test_a_refused_save_and_close_is_kept_too(logged_in_client, user, question):
    save_note(user=user, question=question, text="Start")
    stale = open_editor(logged_in_client, question)
    save_note(user=user, question=question, text="Newer")
    assert (
        logged_in_client.post(url(question), {"text": "Mine", "version": stale}).status_code == 409
    )

    # The learner closed the conflict without choosing: it is still there on return.
    html = html_of(logged_in_client.get(question_page(question)))
    assert textarea_value(section(html, "note")) == "Mine"
    assert stored(user, question) == ("Newer", 2)


def test_the_session_keeps_refused_text_for_a_bounded_number_of_questions(
    logged_in_client, user, settings
):
    settings.NOTE_REFUSED_KEPT = 2
    questions = list(make_bank(topics=1, questions_per_topic=3)[0].questions.all())
    for n, q in enumerate(questions):
        refuse(logged_in_client, user, q, f"Refused {n}")

    shown = [
        textarea_value(section(html_of(logged_in_client.get(question_page(q))), "note"))
        for q in questions[1:]
    ]
    assert shown == ["Refused 1", "Refused 2"]
    first = html_of(logged_in_client.get(question_page(questions[0])))
    assert "Refused 0" not in first and "Edit note" in first


def test_refused_text_saved_since_is_not_offered_again(logged_in_client, user, question):
    refuse(logged_in_client, user, question, "The same words")
    save_note(user=user, question=question, text="The same words")

    html = html_of(logged_in_client.get(question_page(question)))

    assert "Not saved" not in html and "Edit note" in html
    assert logged_in_client.session.get("refused_notes") == {}


def test_the_editor_opens_when_the_refused_text_was_saved_since(logged_in_client, user, question):
    refuse(logged_in_client, user, question, "The same words")
    save_note(user=user, question=question, text="The same words")

    html = html_of(logged_in_client.get(url(question), headers=HTMX))

    assert '<label for="note-text">Note</label>' in html
    assert textarea_value(html) == "The same words"
