"""questions.models: a question's answers, and the bank's URLs (which
settings.ABSOLUTE_URL_OVERRIDES points at the learner's pages in progress)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questions.models import percent
from tests.factories import make_question, make_topic


def test_question_answers_by_kind(db):
    question = make_question(concise="Short.", long="Long\n\nanswer.")
    assert question.concise_answer.text == "Short."
    assert question.long_answer.text == "Long\n\nanswer."
    assert make_question().long_answer is None


def test_question_urls(db):
    topic = make_topic(slug="some-topic")
    question = make_question(key="some-key")
    # Added by settings.ABSOLUTE_URL_OVERRIDES at runtime, where the stubs cannot see it.
    topic_url = topic.get_absolute_url()  # type: ignore[attr-defined]
    assert topic_url == reverse("progress:topic_detail", args=["some-topic"])
    assert question.get_absolute_url() == reverse("progress:question_detail", args=["some-key"])


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, 0), (0, 7, 0), (1, 3, 33), (2, 3, 66), (999, 1000, 99), (5, 5, 100)],
)
def test_percent_rounds_down_and_is_zero_of_nothing(part, whole, expected):
    assert percent(part, whole) == expected
