"""FSRS scheduling of confidence marks, at a frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from progress.dashboard import learner_dashboard
from progress.models import ConfidenceEvent, ConfidenceMark
from progress.scheduling import (
    RATING_FOR_LEVEL,
    SCHEDULE_FIELDS,
    card_from_mark,
    interval_label,
    is_learning_step,
    preview,
    rating_buttons,
    retrievability,
)
from tests.factories import make_bank, make_user, mark

T0 = "2026-03-02 09:00:00+00:00"


@pytest.fixture
def questions(db):
    (topic,) = make_bank(topics=1, questions_per_topic=5)
    return list(topic.questions.order_by("position"))


def current(user, question) -> ConfidenceMark:
    return ConfidenceMark.objects.get(user=user, question=question)


def due(mark: ConfidenceMark) -> datetime:
    """The review date of a mark that has been scheduled."""
    assert mark.due is not None
    return mark.due


def test_levels_map_to_fsrs_ratings():
    assert {level: int(rating) for level, rating in RATING_FOR_LEVEL.items()} == {
        1: 1,  # Again
        2: 2,  # Hard
        3: 3,  # Good
        4: 3,  # Good
        5: 4,  # Easy
    }


def test_each_event_keeps_the_fsrs_rating_it_was_reviewed_with(db, questions):
    user = make_user()
    for level, question in zip(range(1, 6), questions, strict=True):
        mark(user, question, level)
    ratings = dict(ConfidenceEvent.objects.filter(user=user).values_list("level", "rating"))
    assert ratings == {1: 1, 2: 2, 3: 3, 4: 3, 5: 4}


def test_a_question_rated_1_comes_due_before_one_rated_5(db, questions):
    user = make_user()
    with time_machine.travel(T0, tick=False):
        for level, question in zip(range(1, 6), questions, strict=True):
            mark(user, question, level)
    dues = [due(current(user, q)) for q in questions]
    assert dues == sorted(dues)  # 1 Not yet … 5 Mastered: later and later
    assert dues[0] < dues[4]
    assert dues[4] - dues[0] >= timedelta(days=5)
    start = datetime.fromisoformat(T0)
    # A learning step for what is not known yet (Not yet 10 min, Shaky 15), whole days
    # for the rest.
    assert [d - start for d in dues[:2]] == [timedelta(minutes=10), timedelta(minutes=15)]
    assert all((d - start) % timedelta(days=1) == timedelta(0) for d in dues[2:])
    assert dues[2] - start >= timedelta(days=1)


def test_reviewing_again_builds_on_the_previous_schedule(db, questions):
    user, question = make_user(), questions[0]
    with time_machine.travel(T0, tick=False):
        mark(user, question, 4)
        first = current(user, question)
    with time_machine.travel(due(first), tick=False):
        mark(user, question, 4)
        second = current(user, question)
    assert first.last_review is not None and second.last_review is not None
    assert first.stability is not None and second.stability is not None
    # A successful review on time lengthens the interval and raises stability.
    assert due(second) - second.last_review > due(first) - first.last_review
    assert second.stability > first.stability


def test_retrievability_falls_with_time(db, questions):
    user, question = make_user(), questions[0]
    with time_machine.travel(T0, tick=False):
        mark(user, question, 4)
    stored = current(user, question)
    assert stored.last_review is not None
    soon = retrievability(stored, stored.last_review + timedelta(days=1))
    at_due = retrievability(stored, due(stored))
    later = retrievability(stored, due(stored) + timedelta(days=30))
    assert soon > at_due > later
    assert at_due == pytest.approx(0.9, abs=0.03)  # due is where recall falls to 90%
    assert retrievability(None, due(stored)) == 0.0


def test_dashboard_due_counts_match_the_schedule_at_a_frozen_clock(db, questions):
    user = make_user()
    with time_machine.travel(T0, tick=False):
        for level, question in zip(range(1, 6), questions, strict=True):
            mark(user, question, level)
    marks = list(ConfidenceMark.objects.filter(user=user))
    with time_machine.travel("2026-03-04 12:00:00+00:00", tick=False):
        now = timezone.now()
        data = learner_dashboard(user, now=now)
        end_of_today = now.replace(hour=23, minute=59, second=59)
        assert data["due_now"] == sum(due(m) <= now for m in marks)
        assert data["due_today"] == sum(due(m) <= end_of_today for m in marks)
        for day, count in data["next_days"]:
            assert count == sum(timezone.localdate(due(m)) == day for m in marks if due(m) > now)
        assert sum(c for _, c in data["next_days"]) == sum(
            end_of_today < due(m) <= end_of_today + timedelta(days=7) for m in marks
        )
        covered = [m for m in marks if m.level >= 3]
        assert data["fresh_count"] == sum(due(m) > now for m in covered)


def test_dashboard_page_shows_due_today_and_the_next_seven_days(db, questions, client):
    user = make_user()
    with time_machine.travel(T0, tick=False):
        mark(user, questions[0], 1)  # Again: due the next day
        mark(user, questions[1], 5)  # Easy: due days later
    client.force_login(user)
    with time_machine.travel("2026-03-03 10:00:00+00:00", tick=False):
        html = client.get(reverse("progress:dashboard")).content.decode()
    assert '1 <span class="stat-of">due today</span>' in html
    assert "Review 1 now" in html
    assert "Coming up in the next 7 days" in html


def test_marking_never_sleeps(questions, monkeypatch):
    """fsrs sleeps 1 ms in Card() when given no card_id; inside the mark's transaction
    that would hold the write lock (and a worker thread) for nothing."""
    import time

    def no_sleep(seconds):
        raise AssertionError(f"slept {seconds} s while marking")

    monkeypatch.setattr(time, "sleep", no_sleep)
    user = make_user()
    mark(user, questions[0], 2)  # a new card
    mark(user, questions[0], 4)  # an existing card
    assert current(user, questions[0]).level == 4


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (timedelta(seconds=20), "1 min"),
        (timedelta(minutes=10), "10 min"),
        (timedelta(minutes=15), "15 min"),
        (timedelta(minutes=59, seconds=29), "59 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(hours=23, minutes=40), "1 day"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=4), "4 days"),
        (timedelta(days=30), "30 days"),
        (timedelta(days=45), "1 month"),
        (timedelta(days=100), "3 months"),
        (timedelta(days=365), "1 year"),
        (timedelta(days=800), "2.2 years"),
    ],
)
def test_interval_labels(delta, label):
    assert interval_label(delta) == label


def test_the_preview_is_what_rating_then_schedules(db, questions):
    """Each button's wait is exactly the schedule a rating at that moment makes."""
    user = make_user()
    start = datetime.fromisoformat(T0)
    with time_machine.travel(start, tick=False):
        mark(user, questions[0], 4)
    later = due(current(user, questions[0]))
    # A new question and one in review: for each, preview every level, then rate it so.
    for question, moment in ((questions[1], start), (questions[0], later)):
        stored = ConfidenceMark.objects.filter(user=user, question=question).first()
        waits = preview(stored, moment)
        for level in range(1, 6):
            mover = make_user()
            if stored is not None:  # the same schedule, on another learner's mark
                ConfidenceMark.objects.create(
                    user=mover,
                    question=question,
                    level=stored.level,
                    updated_at=start,
                    **{f: getattr(stored, f) for f in SCHEDULE_FIELDS},
                )
            with time_machine.travel(moment, tick=False):
                mark(mover, question, level)
            assert due(current(mover, question)) - moment == waits[level], (question, level)


def test_a_new_question_previews_learning_steps_then_days(db, questions):
    buttons = rating_buttons(None, datetime.fromisoformat(T0))
    assert [(b.value, b.label, b.comes_back) for b in buttons] == [
        (1, "Not yet", "10 min"),
        (2, "Shaky", "15 min"),
        (3, "Okay", "2 days"),
        (4, "Confident", "2 days"),
        (5, "Mastered", "8 days"),
    ]


def test_forgetting_a_question_in_review_brings_it_back_in_minutes(db, questions):
    user, question = make_user(), questions[0]
    with time_machine.travel(T0, tick=False):
        mark(user, question, 4)
    reviewed = current(user, question)
    assert not is_learning_step(card_from_mark(reviewed))
    waits = preview(reviewed, due(reviewed))
    assert waits[1] == timedelta(minutes=10)  # relearning
    assert waits[2] >= timedelta(days=1)  # Hard on a question in review: days, by FSRS
