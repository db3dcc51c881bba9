"""progress.recall: a typed answer checked and kept, its corrections, its deletion, and
what the latest check does to the learner's mark and schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from progress.models import ConfidenceEvent, ConfidenceMark, RecallCheck
from progress.recall import (
    EXPECTED_RECALL,
    correct_point,
    delete_checks,
    record_check,
    suggested_level,
)
from progress.scheduling import rating_for, review
from progress.services import record_confidence
from tests.factories import make_bank, make_user

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POINTS = [
    "Pooling downsamples feature maps by summarising local regions.",
    "Max pooling keeps the largest value of each region.",
    "It adds some invariance to small shifts.",
    "Anchor boxes are priors of several scales and aspect ratios.",
]
#: Makes the first two points and neither of the others.
HALF = (
    "Pooling downsamples feature maps by summarising regions; max pooling keeps the largest value."
)


@pytest.fixture
def question():
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    question = topic.questions.get()
    question.key_points = POINTS
    question.save(update_fields=["key_points"])
    return question


@pytest.fixture
def learner():
    return make_user(username="ada")


def test_a_check_is_kept_with_its_points_and_score(learner, question):
    check = record_check(user=learner, question=question, text=HALF, at=T0)
    check.refresh_from_db()
    assert check.text == HALF
    assert [p["text"] for p in check.points] == POINTS
    assert [p["mentioned"] for p in check.points] == [True, True, False, False]
    assert not any(p["corrected"] for p in check.points)
    assert check.score == check.checked_score and 0 < check.score < 100
    assert check.made_half and check.corrections == 0


def test_a_check_without_a_mark_is_carried_by_the_first_mark(learner, question):
    check = record_check(user=learner, question=question, text=HALF, at=T0)
    assert not ConfidenceMark.objects.exists()
    mark = record_confidence(user=learner, question=question, level=4, at=T0 + timedelta(1))
    stored = ConfidenceMark.objects.get(pk=mark.pk)
    assert (stored.recall, stored.recalled_half, stored.recall_at) == (check.score, True, T0)
    assert stored.is_verified


def test_a_later_check_updates_the_mark_and_a_rating_keeps_it(learner, question):
    record_confidence(user=learner, question=question, level=4, at=T0)
    check = record_check(
        user=learner, question=question, text="nothing right", at=T0 + timedelta(1)
    )
    mark = ConfidenceMark.objects.get()
    assert (mark.recall, mark.recalled_half) == (check.score, False)
    assert not mark.is_verified  # covered, but the check made no point
    record_confidence(user=learner, question=question, level=5, at=T0 + timedelta(2))
    mark.refresh_from_db()
    assert (mark.level, mark.recall, mark.recall_at) == (5, check.score, check.created_at)


def test_a_correction_counts_the_point_in_full_and_is_counted(learner, question):
    record_confidence(user=learner, question=question, level=3, at=T0)
    check = record_check(
        user=learner,
        question=question,
        text="Max pooling keeps the largest value.",
        at=T0 + timedelta(1),
    )
    assert not check.made_half
    before = check.score
    correct_point(check, 2)
    check.refresh_from_db()
    assert check.points[2] == {**check.points[2], "mentioned": True, "corrected": True}
    assert check.corrections == 1
    assert check.checked_score == before and check.score > before
    assert check.made_half
    mark = ConfidenceMark.objects.get()
    assert (mark.recall, mark.recalled_half) == (check.score, True)
    # Correcting it again, or a point already made, changes nothing.
    correct_point(check, 2)
    correct_point(check, 1)
    check.refresh_from_db()
    assert check.corrections == 1
    with pytest.raises(IndexError):
        correct_point(check, 4)


def test_correcting_an_older_check_leaves_the_mark_with_the_latest(learner, question):
    record_confidence(user=learner, question=question, level=3, at=T0)
    old = record_check(user=learner, question=question, text="wrong", at=T0 + timedelta(1))
    latest = record_check(user=learner, question=question, text=HALF, at=T0 + timedelta(2))
    correct_point(old, 3)
    assert ConfidenceMark.objects.get().recall == latest.score


def test_deleting_checks_falls_back_to_the_latest_left(learner, question):
    record_confidence(user=learner, question=question, level=3, at=T0)
    first = record_check(user=learner, question=question, text=HALF, at=T0 + timedelta(1))
    second = record_check(user=learner, question=question, text="wrong", at=T0 + timedelta(2))
    other = make_user(username="bo")
    record_check(user=other, question=question, text="theirs", at=T0)

    assert delete_checks(learner, [second]) == 1
    mark = ConfidenceMark.objects.get(user=learner)
    assert (mark.recall, mark.recall_at) == (first.score, first.created_at)
    # Another user's check is never theirs to delete.
    assert delete_checks(learner, list(RecallCheck.objects.filter(user=other))) == 0
    assert delete_checks(learner) == 1
    mark.refresh_from_db()
    assert (mark.recall, mark.recalled_half, mark.recall_at) == (None, False, None)
    assert RecallCheck.objects.filter(user=other).count() == 1


@pytest.mark.parametrize(
    ("score", "level"), [(0, 1), (19, 1), (21, 2), (45, 3), (50, 3), (65, 4), (85, 5), (100, 5)]
)
def test_the_suggested_level_is_the_nearest_promise(score, level):
    assert suggested_level(score) == level
    assert EXPECTED_RECALL[level] - 10 <= score <= EXPECTED_RECALL[level] + 10 or score in (0, 100)


@pytest.mark.parametrize(
    ("level", "recall", "rating"),
    [
        (4, None, 3),
        (4, 80, 3),
        (4, 60, 3),
        (4, 40, 2),
        (4, 10, 1),
        (5, 74, 3),
        (5, 75, 4),
        (1, 100, 1),
    ],
)
def test_a_low_recall_caps_the_rating_and_never_raises_it(level, recall, rating):
    assert int(rating_for(level, recall)) == rating


def test_a_confident_rating_after_a_poor_check_comes_back_sooner(learner, question):
    other = make_user(username="bo")
    record_check(user=learner, question=question, text="wrong", at=T0)
    poor = record_confidence(user=learner, question=question, level=4, at=T0 + timedelta(minutes=1))
    plain = record_confidence(user=other, question=question, level=4, at=T0 + timedelta(minutes=1))
    assert poor.due is not None and plain.due is not None
    assert poor.due < plain.due
    event = ConfidenceEvent.objects.get(user=learner)
    assert (event.level, event.rating) == (4, 1)  # the level as rated, the review as failed


def test_an_old_check_does_not_cap_a_later_rating(learner, question):
    record_confidence(user=learner, question=question, level=4, at=T0)
    record_check(user=learner, question=question, text="wrong", at=T0 + timedelta(1))
    record_confidence(user=learner, question=question, level=4, at=T0 + timedelta(2))  # capped
    mark = ConfidenceMark.objects.get()
    capped_due = mark.due
    assert capped_due is not None
    expected, _ = review(mark, 4, T0 + timedelta(days=30))
    after = record_confidence(user=learner, question=question, level=4, at=T0 + timedelta(days=30))
    assert after.due == expected.due  # no fresh check: the rating alone
    assert after.due is not None and capped_due < after.due


def test_an_empty_or_overlong_answer_is_kept_within_bounds(learner, question):
    check = record_check(user=learner, question=question, text="x" * 9_000, at=T0)
    assert len(check.text) == RecallCheck.MAX_LENGTH
    empty = record_check(user=learner, question=question, text="", at=T0)
    assert empty.score == 0 and not empty.made_half
