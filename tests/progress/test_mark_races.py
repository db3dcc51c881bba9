"""A mark is worked out, and its answer made, before its write; the write lock is held for
the write alone. What another tab, device or typed check does in between is never lost:
the mark sees it changed and is rated again from the new state, under the lock."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse

from progress import views
from progress.models import ConfidenceEvent, ConfidenceMark
from progress.recall import record_check
from progress.services import record_confidence
from tests.factories import make_bank
from tests.pages import HTMX, coverage_figures, html_of, pressed_levels, section

POINTS = [
    "Pooling downsamples feature maps by summarising local regions.",
    "Max pooling keeps the largest value of each region.",
    "It adds some invariance to small shifts.",
]


@pytest.fixture
def question(db):
    (topic,) = make_bank(topics=1, questions_per_topic=4)
    question = topic.questions.order_by("pk").first()
    question.key_points = POINTS
    question.save(update_fields=["key_points"])
    return question


def post_mark(client, question, level: int):
    url = reverse("progress:mark_confidence", args=[question.key])
    return client.post(url, {"level": str(level)}, headers=HTMX)


def meanwhile(action):
    """Patch the view's `rate` so that `action` runs once, after the first rating was
    worked out and before it is written: what another tab does at that moment. Returns
    the patch and the list of the `current` mark each rating started from."""
    started_from: list[ConfidenceMark | None] = []
    real_rate = views.rate

    def rate(**kwargs):
        started_from.append(kwargs["current"])
        rating = real_rate(**kwargs)
        if len(started_from) == 1:
            action()
        return rating

    return mock.patch("progress.views.rate", rate), started_from


def test_a_rating_from_another_tab_in_between_is_kept_and_rated_from(
    logged_in_client, user, question
):
    record_confidence(user=user, question=question, level=1)
    patch, started_from = meanwhile(
        lambda: record_confidence(user=user, question=question, level=5)
    )
    with patch:
        response = post_mark(logged_in_client, question, 3)

    assert response.status_code == 200
    assert pressed_levels(html_of(response)) == [3]
    # Rated twice: from the mark it read, then again from the other tab's.
    assert [m.level for m in started_from] == [1, 5]
    levels = ConfidenceEvent.objects.filter(user=user).order_by("pk")
    assert list(levels.values_list("level", flat=True)) == [1, 5, 3]
    mark = ConfidenceMark.objects.get(user=user)
    assert mark.level == 3
    assert mark.last_review is not None and mark.last_review > started_from[1].updated_at


def test_a_first_rating_from_another_tab_in_between_leaves_one_mark(
    logged_in_client, user, question
):
    patch, started_from = meanwhile(
        lambda: record_confidence(user=user, question=question, level=2)
    )
    with patch:
        response = post_mark(logged_in_client, question, 4)

    assert response.status_code == 200
    assert started_from[0] is None and started_from[1].level == 2
    assert ConfidenceEvent.objects.filter(user=user).count() == 2
    assert ConfidenceMark.objects.get(user=user).level == 4


@pytest.mark.parametrize("rated_before", [False, True], ids=["first rating", "a re-rating"])
def test_a_typed_check_in_between_caps_the_rating(logged_in_client, user, question, rated_before):
    if rated_before:
        record_confidence(user=user, question=question, level=4)
    patch, started_from = meanwhile(
        lambda: record_check(user=user, question=question, text="nothing relevant")
    )
    with patch:
        response = post_mark(logged_in_client, question, 5)

    assert response.status_code == 200
    assert len(started_from) == 2  # the check changed what the rating starts from
    event = ConfidenceEvent.objects.filter(user=user).latest("pk")
    assert (event.level, event.rating) == (5, 1)  # the poor check failed the review
    mark = ConfidenceMark.objects.get(user=user)
    assert mark.recall is not None and mark.recall < 50


def test_a_rating_with_nothing_in_between_is_worked_out_once(logged_in_client, user, question):
    record_confidence(user=user, question=question, level=1)
    patch, started_from = meanwhile(lambda: None)
    with patch:
        post_mark(logged_in_client, question, 2)
        post_mark(logged_in_client, question, 3)
    assert len(started_from) == 2  # one each: no conflict, no second pass
    assert ConfidenceMark.objects.get(user=user).level == 3


def test_the_answer_is_made_before_the_write_transaction_opens(logged_in_client, user, question):
    """The coverage panel's counts and the buttons are read and rendered outside the
    write's transaction: on SQLite that is the write lock every other writer waits for."""
    depths: dict[str, int] = {}
    real_panel, real_save = views.question_topics_with_my_coverage, views.save_rating

    def panel(*args, **kwargs):
        depths["answer"] = len(connection.atomic_blocks)
        return real_panel(*args, **kwargs)

    def save(*args, **kwargs):
        depths["write"] = len(connection.atomic_blocks)
        return real_save(*args, **kwargs)

    outside = len(connection.atomic_blocks)  # the test's own transaction, if any
    with (
        mock.patch("progress.views.question_topics_with_my_coverage", panel),
        mock.patch("progress.views.save_rating", save),
    ):
        response = post_mark(logged_in_client, question, 4)  # covers it: the panel is read

    assert response.status_code == 200
    assert depths == {"answer": outside, "write": outside + 1}


@pytest.mark.parametrize(("before", "level", "covered"), [(None, 4, 1), (2, 3, 1), (4, 1, 0)])
def test_the_panel_counts_the_rating_it_answers(
    logged_in_client, user, question, before, level, covered
):
    """Counted before the write, the panel's counts still include this rating."""
    other = question.topics.get().questions.exclude(pk=question.pk).first()
    record_confidence(user=user, question=other, level=5)  # one covered already
    if before is not None:
        record_confidence(user=user, question=question, level=before)
    response = post_mark(logged_in_client, question, level)
    panel = section(html_of(response), "coverage-panel")
    assert coverage_figures(panel) == [(1 + covered, 4, (1 + covered) * 25)]
