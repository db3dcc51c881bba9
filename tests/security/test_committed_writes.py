"""A mark or note answered as a failure was not saved, and one answered as saved was.

The answer to a mark or a note is made before the write commits
(progress.views._answered_before_commit; a mark's before its transaction opens, a
note's inside it): if the database goes away while the answer is being put together,
nothing is saved and the 503 page's "not saved" is true, so the learner's retry records
it once, not twice.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

from progress.models import ConfidenceEvent, ConfidenceMark, Note
from tests.factories import make_bank
from tests.pages import HTMX

GONE = OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=2)[0].questions.first()


def test_a_mark_whose_answer_fails_is_not_saved(logged_in_client, user, question):
    # A first "Okay" covers the question, so the answer reads the coverage panel.
    with mock.patch("progress.views.question_topics_with_my_coverage", side_effect=GONE):
        response = logged_in_client.post(
            reverse("progress:mark_confidence", args=[question.key]), {"level": "3"}, headers=HTMX
        )

    assert response.status_code == 503
    assert not ConfidenceMark.objects.filter(user=user).exists()
    assert not ConfidenceEvent.objects.filter(user=user).exists()

    # The retry records it, once.
    response = logged_in_client.post(
        reverse("progress:mark_confidence", args=[question.key]), {"level": "3"}, headers=HTMX
    )
    assert response.status_code == 200
    assert ConfidenceEvent.objects.filter(user=user).count() == 1
    assert ConfidenceMark.objects.get(user=user).level == 3


def test_a_note_whose_answer_fails_is_not_saved(logged_in_client, user, question):
    url = reverse("progress:edit_note", args=[question.key])
    with mock.patch("progress.views.note_context", side_effect=GONE):
        response = logged_in_client.post(url, {"text": "kept once", "version": ""}, headers=HTMX)

    assert response.status_code == 503
    assert not Note.objects.filter(user=user).exists()

    response = logged_in_client.post(url, {"text": "kept once", "version": ""}, headers=HTMX)
    assert response.status_code == 200
    assert Note.objects.get(user=user).text == "kept once"


def test_a_saved_mark_is_answered_in_full(logged_in_client, user, question):
    response = logged_in_client.post(
        reverse("progress:mark_confidence", args=[question.key]), {"level": "4"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-pressed="true"' in html
    assert 'id="coverage-panel"' in html  # the first mark covered it: the panel came too
