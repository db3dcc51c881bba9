"""A note is rendered once, when it is saved (Note.html); pages show what was stored and
never parse Markdown (issue 12: a note of brackets made its pages take a minute)."""

from __future__ import annotations

import pytest
from django.urls import reverse

import studyhub.markdown
from progress.models import Note
from progress.services import note_revision, save_note
from studyhub.markdown import render_markdown
from teams.demo import load_demo_data
from tests.factories import make_bank, note
from tests.pages import HTMX, html_of


@pytest.fixture
def question(db):
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    return topic.questions.first()


def test_saving_a_note_stores_its_rendering(user, question):
    saved = save_note(user=user, question=question, text="My **own** [link](https://e.org)")

    stored = Note.objects.get(pk=saved.pk)
    assert stored.html == (
        '<p>My <strong>own</strong> <a href="https://e.org" '
        'rel="noopener noreferrer nofollow">link</a></p>'
    )
    assert stored.rendered == stored.html


def test_changing_the_text_renders_it_again(user, question):
    save_note(user=user, question=question, text="first")
    save_note(user=user, question=question, text="*second*")

    stored = Note.objects.get()
    assert (stored.text, stored.html, stored.version) == ("*second*", "<p><em>second</em></p>", 2)


def test_the_stored_rendering_is_sanitised(user, question):
    save_note(user=user, question=question, text="<script>alert(1)</script> [x](javascript:y)")

    html = Note.objects.get().html
    assert "<script" not in html
    assert html == (
        '<p>&lt;script&gt;alert(1)&lt;/script&gt; <a rel="noopener noreferrer nofollow">x</a></p>'
    )


def test_saving_through_the_page_and_autosave_store_the_rendering(logged_in_client, question):
    url = reverse("progress:edit_note", args=[question.key])
    logged_in_client.post(url, {"text": "Saved *by hand*", "version": ""})
    assert Note.objects.get().html == "<p>Saved <em>by hand</em></p>"

    revision = note_revision(Note.objects.get())
    response = logged_in_client.post(
        url, {"text": "Autosaved `code`", "version": revision, "autosave": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    assert Note.objects.get().html == "<p>Autosaved <code>code</code></p>"


def test_pages_show_the_stored_rendering_without_parsing(
    logged_in_client, user, question, monkeypatch
):
    saved = note(user, question, "the **text**")
    # The stored HTML made different from what the text renders to, and any parsing
    # from here on an error: only pages that show the stored value pass.
    Note.objects.filter(pk=saved.pk).update(html="<p>the <em>stored</em> rendering</p>")
    monkeypatch.setattr(studyhub.markdown, "render_markdown", _refuse)
    monkeypatch.setattr(studyhub.markdown.cmarkgfm, "markdown_to_html_with_extensions", _refuse)

    pages = (
        question.get_absolute_url(),
        reverse("progress:note_list"),
        reverse("progress:note_detail", args=[saved.pk]),
    )
    for url in pages:
        html = html_of(logged_in_client.get(url))
        assert "<p>the <em>stored</em> rendering</p>" in html, url
        assert "<strong>text</strong>" not in html, url
    editor = reverse("progress:edit_note", args=[question.key])
    fragment = html_of(logged_in_client.get(editor, headers=HTMX))
    assert "the **text**" in fragment  # the editor holds the text itself


def _refuse(*args, **kwargs):
    raise AssertionError("Markdown was parsed while showing a page")


def test_demo_notes_are_stored_rendered(seed_bank):
    load_demo_data()

    notes = list(Note.objects.all())
    assert notes
    for demo_note in notes:
        assert demo_note.html == render_markdown(demo_note.text)
        assert demo_note.html.startswith("<")
