"""edit_note, note_list and note_detail (progress/views.py)."""

import re

import pytest
from django.urls import reverse

from progress.models import Note
from tests.factories import make_bank, note
from tests.pages import HTMX, html_of, section, textarea_value, title

AUTOSAVE = {"autosave": "1"}
LONG_TEXT = "Too long. " * 2000 + "!"  # 20,001 characters
OTHER_SECRET = "Someone else's private exam trick 7f3c"
DASHBOARD = reverse("progress:dashboard")
NOTES = reverse("progress:note_list")
LOGIN = reverse("accounts:login")


@pytest.fixture
def bank(db):
    return make_bank(topics=1, questions_per_topic=3)


@pytest.fixture
def question(bank):
    return bank[0].questions.first()


def note_url(question) -> str:
    return reverse("progress:edit_note", args=[question.key])


def question_url(question) -> str:
    return reverse("progress:question_detail", args=[question.key])


def note_detail_url(pk: int) -> str:
    return reverse("progress:note_detail", args=[pk])


# --- edit_note GET ------------------------------------------------------------------


def test_htmx_get_returns_the_editor_fragment(logged_in_client, user, question):
    note(user, question, "My **draft**")

    response = logged_in_client.get(note_url(question), headers=HTMX)

    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="note"')
    assert '<label for="note-text">Note</label>' in html
    assert textarea_value(html) == "My **draft**"
    assert "HX-Request" in response["Vary"]


def test_plain_get_returns_the_question_page_with_the_editor(logged_in_client, user, question):
    note(user, question, "My **draft**")

    response = logged_in_client.get(note_url(question))

    html = html_of(response)
    assert response.status_code == 200
    assert title(html) == f"Q{question.position}. {question.text} · StudyHub"
    editor = section(html, "note")
    assert '<label for="note-text">Note</label>' in editor
    assert textarea_value(editor) == "My **draft**"
    assert '<section id="confidence"' in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_get_without_a_note_shows_an_empty_editor(logged_in_client, question, headers):
    html = html_of(logged_in_client.get(note_url(question), headers=headers))
    assert textarea_value(html) == ""


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_anonymous_note_editor_redirects_to_login(client, question, headers):
    response = client.get(note_url(question), headers=headers)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={note_url(question)}"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_note_methods_other_than_get_and_post_are_405(logged_in_client, question, headers):
    assert logged_in_client.put(note_url(question), headers=headers).status_code == 405


def test_note_on_an_unknown_question_is_404(logged_in_client, bank):
    assert logged_in_client.get(reverse("progress:edit_note", args=["nope"])).status_code == 404


# --- edit_note POST -----------------------------------------------------------------


def test_htmx_save_returns_the_rendered_note_section(logged_in_client, user, question):
    response = logged_in_client.post(
        note_url(question), {"text": "Remember **strides**"}, headers=HTMX
    )

    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    note_section = section(html, "note")
    assert '<div class="prose note-body"><p>Remember <strong>strides</strong></p></div>' in (
        note_section
    )
    assert "Saved at <time" in note_section
    assert "<textarea" not in note_section
    assert "Edit note" in note_section
    stored = Note.objects.get(user=user, question=question)
    assert (stored.text, stored.version) == ("Remember **strides**", 1)


def test_htmx_autosave_returns_only_the_status(logged_in_client, user, question):
    response = logged_in_client.post(
        note_url(question), {"text": "draft as I type", **AUTOSAVE}, headers=HTMX
    )

    html = html_of(response).strip()
    assert response.status_code == 200
    # Only the text of the status line: htmx swaps it into the existing live region...
    status, version_input = html.split("<input", 1)
    assert status.startswith("Saved at <time")
    assert status.endswith("</time>")
    # ...and, out of band, the note's new version for the editor's next save.
    assert version_input.endswith('hx-swap-oob="true">')
    assert 'id="note-version" name="version"' in version_input
    assert "<section" not in html
    assert "<textarea" not in html
    assert Note.objects.get(user=user, question=question).text == "draft as I type"


def test_htmx_autosave_bumps_the_version_only_on_change(logged_in_client, user, question):
    for text in ("a", "ab", "ab", "abc"):
        logged_in_client.post(note_url(question), {"text": text, **AUTOSAVE}, headers=HTMX)

    stored = Note.objects.get(user=user, question=question)
    assert (stored.text, stored.version) == ("abc", 3)


def test_plain_save_redirects_back_to_the_question(logged_in_client, user, question):
    response = logged_in_client.post(note_url(question), {"text": "Plain *post*"})

    assert response.status_code == 302
    assert response["Location"] == f"{question_url(question)}#note"
    assert Note.objects.get(user=user, question=question).text == "Plain *post*"
    page = html_of(logged_in_client.get(response["Location"]))
    assert "Note saved." in page
    assert "<p>Plain <em>post</em></p>" in section(page, "note")


def test_plain_save_keeps_the_topic_in_the_redirect(logged_in_client, bank, question):
    response = logged_in_client.post(note_url(question), {"text": "x", "topic": bank[0].slug})
    assert response["Location"] == f"{question_url(question)}?topic={bank[0].slug}#note"


@pytest.mark.parametrize(("headers", "status"), [({}, 302), (HTMX, 200)], ids=["plain", "htmx"])
def test_saving_a_blank_note_deletes_it(logged_in_client, user, question, headers, status):
    note(user, question, "to be removed")

    response = logged_in_client.post(note_url(question), {"text": "   "}, headers=headers)

    assert response.status_code == status
    assert not Note.objects.filter(user=user).exists()
    page = html_of(logged_in_client.get(question.get_absolute_url()))
    assert "No note yet." in section(page, "note")


def test_a_note_of_exactly_the_limit_is_saved(logged_in_client, user, question):
    text = "x" * 20_000
    response = logged_in_client.post(note_url(question), {"text": text})

    assert response.status_code == 302
    assert Note.objects.get(user=user, question=question).text == text


@pytest.mark.parametrize(
    ("headers", "extra"),
    [({}, {}), (HTMX, {}), ({}, AUTOSAVE), (HTMX, AUTOSAVE)],
    ids=["plain", "htmx", "plain-autosave", "htmx-autosave"],
)
def test_a_new_note_over_the_limit_is_refused_and_nothing_is_stored(
    logged_in_client, question, headers, extra
):
    assert len(LONG_TEXT) == 20_001

    response = logged_in_client.post(
        note_url(question), {"text": LONG_TEXT, **extra}, headers=headers
    )

    html = html_of(response)
    assert response.status_code == 422
    assert "Not saved. This note is 20,001 characters long; the limit is 20,000." in html
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    ("headers", "autosave"),
    [({}, False), (HTMX, False), (HTMX, True)],
    ids=["plain", "htmx", "htmx-autosave"],
)
def test_an_edit_over_the_limit_keeps_the_stored_note_and_the_typed_text(
    logged_in_client, user, question, headers, autosave
):
    note(user, question, "Short and kept")
    data = {"text": LONG_TEXT, **(AUTOSAVE if autosave else {})}

    response = logged_in_client.post(note_url(question), data, headers=headers)

    html = html_of(response)
    assert response.status_code == 422
    assert "the limit is 20,000" in html
    if autosave:
        # Only the status line is swapped: the textarea in the browser keeps the text.
        assert html.strip().startswith('<span class="error">Not saved.')
        assert "<textarea" not in html
    else:
        assert textarea_value(html) == LONG_TEXT
        assert 'aria-invalid="true"' in html
    stored = Note.objects.get(user=user, question=question)
    assert (stored.text, stored.version) == ("Short and kept", 1)


def test_plain_post_over_the_limit_renders_the_full_page(logged_in_client, question):
    html = html_of(logged_in_client.post(note_url(question), {"text": LONG_TEXT}))
    assert title(html).startswith(f"Q{question.position}.")
    assert '<label for="note-text">Note</label>' in html


def test_windows_line_endings_are_stored_as_newlines(logged_in_client, user, question):
    logged_in_client.post(note_url(question), {"text": "one\r\ntwo"})
    assert Note.objects.get(user=user, question=question).text == "one\ntwo"


@pytest.mark.parametrize(("headers", "status"), [({}, 302), (HTMX, 200)], ids=["plain", "htmx"])
def test_null_bytes_are_stripped(logged_in_client, user, question, headers, status):
    response = logged_in_client.post(note_url(question), {"text": "a\x00b"}, headers=headers)

    assert response.status_code == status
    assert Note.objects.get(user=user, question=question).text == "ab"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_anonymous_note_post_redirects_to_login_and_stores_nothing(client, question, headers):
    response = client.post(note_url(question), {"text": "hi"}, headers=headers)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={note_url(question)}"
    assert not Note.objects.exists()


def test_stored_xss_in_a_note_is_never_rendered(logged_in_client, user, question):
    logout = reverse("accounts:logout")
    payload = (
        '<script>alert("x")</script><img src=x onerror=alert(1)>'
        f'<a hx-get="{logout}" hx-trigger="load">go</a>[l](javascript:alert(2))'
    )
    logged_in_client.post(note_url(question), {"text": payload})
    pk = Note.objects.get(user=user).pk

    for url in (question.get_absolute_url(), NOTES, note_detail_url(pk)):
        html = html_of(logged_in_client.get(url))
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        # The raw HTML is shown as text; no tag of the page carries any of it.
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert not re.search(r"<[^>]*onerror", html)
        assert not re.search(rf'<[^>]*hx-get="{re.escape(logout)}"', html)
        assert "javascript:" not in html

    editor = html_of(logged_in_client.get(note_url(question)))
    assert "&lt;script&gt;alert" in editor  # shown as text in the textarea
    assert textarea_value(editor) == payload


# --- note_list and note_detail ----------------------------------------------------------


def test_note_list_shows_my_notes_rendered_in_question_order(logged_in_client, user, bank):
    first, second, third = bank[0].questions.all()
    note(user, third, "third *note*")
    note(user, first, "first **note**")

    response = logged_in_client.get(NOTES)

    html = html_of(response)
    assert response.status_code == 200
    assert title(html) == "My notes · StudyHub"
    assert "<p>first <strong>note</strong></p>" in html
    assert "<p>third <em>note</em></p>" in html
    assert html.index("first <strong>") < html.index("third <em>")
    assert second.text not in html
    pks = [n.pk for n in Note.objects.order_by("question__position")]
    assert [f'href="{note_detail_url(pk)}"' in html for pk in pks] == [True, True]
    # Each "Open the question" link says which question, for a screen reader's link list.
    opens = re.findall(r"Open the question<span class=\"visually-hidden\"> (Q\d+)</span>", html)
    assert opens == [f"Q{first.position}", f"Q{third.position}"]


def test_note_list_without_notes_says_so(logged_in_client, bank):
    assert "No notes yet." in html_of(logged_in_client.get(NOTES))


def test_note_detail_shows_my_note(logged_in_client, user, question):
    mine = note(user, question, "- point one\n- point two")

    response = logged_in_client.get(note_detail_url(mine.pk))

    html = html_of(response)
    assert response.status_code == 200
    assert title(html) == f"Note on Q{question.position} · StudyHub"
    assert "<li>point one</li>" in html
    assert f'href="{note_url(question)}"' in html


@pytest.mark.parametrize("url", [NOTES, note_detail_url(1)])
def test_notes_need_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"


# --- privacy ------------------------------------------------------------------------------


@pytest.fixture
def others_note(other_user, question):
    return note(other_user, question, OTHER_SECRET)


def test_another_users_note_is_not_found(logged_in_client, others_note):
    response = logged_in_client.get(note_detail_url(others_note.pk))

    assert response.status_code == 404
    assert OTHER_SECRET not in html_of(response)
    assert "Page not found" in html_of(response)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_another_users_note_never_appears_on_my_pages(
    logged_in_client, user, question, others_note, headers
):
    note(user, question, "my own words")
    urls = [question.get_absolute_url(), note_url(question), NOTES, DASHBOARD]

    for url in urls:
        html = html_of(logged_in_client.get(url, headers=headers))
        assert OTHER_SECRET not in html, url
    assert textarea_value(html_of(logged_in_client.get(note_url(question)))) == "my own words"
    assert f'<a href="{NOTES}">1<span' in html_of(logged_in_client.get(DASHBOARD))


def test_saving_my_note_leaves_another_users_note_alone(
    logged_in_client, user, question, others_note
):
    logged_in_client.post(note_url(question), {"text": "mine"}, headers=HTMX)
    logged_in_client.post(note_url(question), {"text": ""}, headers=HTMX)

    kept = Note.objects.get(pk=others_note.pk)
    assert (kept.text, kept.version) == (OTHER_SECRET, 1)
    assert not Note.objects.filter(user=user).exists()
