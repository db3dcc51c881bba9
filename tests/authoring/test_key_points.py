"""Key points in the editor: taken from the concise answer unless the author writes them,
kept through answer edits once written, and checked like every other field."""

from __future__ import annotations

from django.urls import reverse

from authoring.services import QuestionContent
from questions.key_points import MAX_POINT_LENGTH, derive_key_points
from questions.models import Question
from tests.authoring.test_editor import CREATE, edit_data, edit_url, new_question, textarea
from tests.pages import field_errors, html_of

WRITTEN = "- Strides skip positions.\n- A stride of 2 halves the map.\n"


def test_a_new_question_takes_its_key_points_from_the_concise_answer(banks, instructor_client):
    data = new_question(banks, concise="The step of the filter. It sets the output size.")
    assert instructor_client.post(CREATE, data).status_code == 302
    question = Question.objects.get(text="What is a stride?")
    assert question.key_points == ["The step of the filter.", "It sets the output size."]
    assert question.key_points_edited is False


def test_written_key_points_are_kept_and_survive_an_answer_edit(banks, instructor_client):
    question = banks.team_question
    data = edit_data(question, key_points=WRITTEN)
    assert instructor_client.post(edit_url(question), data).status_code == 302
    question.refresh_from_db()
    assert question.key_points == ["Strides skip positions.", "A stride of 2 halves the map."]
    assert question.key_points_edited is True
    assert question.revisions.latest("number").data["key_points"] == question.key_points

    # The editor shows them, one per line; a new concise answer leaves them as written.
    page = html_of(instructor_client.get(edit_url(question)))
    assert textarea(page, "key_points") == "Strides skip positions.\nA stride of 2 halves the map."
    revision = question.revisions.latest("number").number
    data = edit_data(question, revision, concise="Something else entirely.")
    assert instructor_client.post(edit_url(question), data).status_code == 302
    question.refresh_from_db()
    assert question.key_points == ["Strides skip positions.", "A stride of 2 halves the map."]

    # Emptied, they follow the concise answer again.
    revision = question.revisions.latest("number").number
    assert (
        instructor_client.post(
            edit_url(question), edit_data(question, revision, key_points="")
        ).status_code
        == 302
    )
    question.refresh_from_db()
    assert question.key_points == ["Something else entirely."]
    assert question.key_points_edited is False


def test_the_editor_shows_the_points_it_derives(banks, instructor_client):
    question = banks.team_question
    page = html_of(instructor_client.get(edit_url(question)))
    assert textarea(page, "key_points") == ""
    assert "Now taken from the concise answer:" in page
    assert f"<li>{question.key_points[0]}</li>" in page


def test_points_equal_to_the_derived_ones_are_not_the_authors_own(banks, instructor_client):
    question = banks.team_question
    derived = "\n".join(derive_key_points(question.concise_answer.text))
    data = edit_data(question, key_points=derived, text="What is a receptive field, really?")
    assert instructor_client.post(edit_url(question), data).status_code == 302
    question.refresh_from_db()
    assert question.key_points_edited is False
    assert QuestionContent.of(question).key_points == ()


def test_too_many_or_too_long_points_are_refused_and_kept(banks, instructor_client):
    question = banks.team_question
    nine = "\n".join(f"Point number {n}." for n in range(1, 10))
    response = instructor_client.post(edit_url(question), edit_data(question, key_points=nine))
    page = html_of(response)
    assert response.status_code == 422
    assert field_errors(page, "key_points") == [
        "Write at most 8 key points (9 are written); merge or drop some."
    ]
    assert textarea(page, "key_points") == nine
    long = "ok point\n" + "x" * (MAX_POINT_LENGTH + 1)
    response = instructor_client.post(edit_url(question), edit_data(question, key_points=long))
    assert field_errors(html_of(response), "key_points") == [
        f"Key point 2 is longer than {MAX_POINT_LENGTH} characters: a point is one statement."
    ]
    question.refresh_from_db()
    assert question.key_points_edited is False


def test_the_history_shows_a_change_of_key_points(banks, instructor_client):
    question = banks.team_question
    instructor_client.post(edit_url(question), edit_data(question, key_points=WRITTEN))
    page = html_of(
        instructor_client.get(reverse("authoring:question_history", args=[question.key]))
    )
    assert "Key points" in page and "A stride of 2 halves the map." in page
