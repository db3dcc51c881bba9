"""progress.selectors: a learner's topic coverage and the question lists' querysets."""

from __future__ import annotations

from typing import Any

import pytest

from progress.selectors import (
    filter_by_my_level,
    with_my_coverage,
    with_my_level,
    with_my_level_and_note_flag,
)
from questions.models import Question, Topic
from tests.factories import make_question, make_topic, make_user, mark, note


@pytest.fixture
def topics(db):
    """Three topics: A with 4 questions, B with 3 (one shared with A), C with none."""
    a, b, c = make_topic(slug="a"), make_topic(slug="b"), make_topic(slug="c")
    qa = [make_question(position=n, topics=[a]) for n in (1, 2, 3)]
    shared = make_question(position=4, topics=[a, b])
    qb = [make_question(position=n, topics=[b]) for n in (5, 6)]
    return {"a": a, "b": b, "c": c, "qa": qa, "shared": shared, "qb": qb}


def coverage(user) -> dict[str, tuple[int, int, int]]:
    return {
        t.slug: (t.covered_count, t.question_count, t.coverage_percent)
        for t in with_my_coverage(Topic.objects.all(), user)
    }


# --- Topic coverage ------------------------------------------------------------------


def test_with_my_coverage_counts_only_the_users_marks_of_okay_or_better(topics, user):
    other = make_user()
    qa, shared, qb = topics["qa"], topics["shared"], topics["qb"]
    mark(user, qa[0], 3)
    mark(user, qa[1], 5)
    mark(user, qa[2], 2)  # not covered
    mark(user, shared, 4)  # covers it in both A and B
    # Someone else has covered everything; it must not count for `user`.
    for question in [*qa, shared, *qb]:
        mark(other, question, 5)

    assert coverage(user) == {"a": (3, 4, 75), "b": (1, 3, 33), "c": (0, 0, 0)}
    assert coverage(other) == {"a": (4, 4, 100), "b": (3, 3, 100), "c": (0, 0, 0)}


def test_with_my_coverage_uses_the_latest_mark(topics, user):
    question = topics["qb"][0]
    mark(user, question, 5)
    mark(user, question, 2)
    assert coverage(user)["b"] == (0, 3, 0)
    mark(user, question, 3)
    assert coverage(user)["b"] == (1, 3, 33)


def test_with_my_coverage_user_without_marks(topics, user):
    assert coverage(user) == {"a": (0, 4, 0), "b": (0, 3, 0), "c": (0, 0, 0)}


def test_coverage_percent_rounds_down(topics, user):
    mark(user, topics["qb"][0], 3)
    mark(user, topics["qb"][1], 4)
    assert coverage(user)["b"] == (2, 3, 66)  # 66.67 % shows as 66, never 67


def test_coverage_percent_is_100_only_when_all_are_covered(db, user):
    topic = make_topic()
    questions = [make_question(topics=[topic]) for _ in range(101)]
    for question in questions[:100]:
        mark(user, question, 3)
    assert coverage(user)[topic.slug] == (100, 101, 99)
    mark(user, questions[100], 3)
    assert coverage(user)[topic.slug] == (101, 101, 100)


def test_with_my_coverage_is_one_query(topics, user, django_assert_num_queries):
    mark(user, topics["shared"], 4)
    with django_assert_num_queries(1):
        topics = with_my_coverage(Topic.objects.all(), user)
        assert [t.coverage_percent for t in topics] == [25, 33, 0]


def test_with_my_coverage_keeps_topic_order_and_filters(topics, user):
    mark(user, topics["shared"], 4)
    topic = with_my_coverage(Topic.objects.all(), user).get(slug="b")
    assert (topic.covered_count, topic.question_count) == (1, 3)
    assert [t.slug for t in with_my_coverage(Topic.objects.all(), user)] == ["a", "b", "c"]


# --- Question querysets --------------------------------------------------------------


@pytest.fixture
def rated(db, user):
    """Seven questions of one topic: rated 1–5 by `user`, two unrated; noise from another user."""
    topic = make_topic(slug="rated")
    questions = [make_question(position=n, topics=[topic]) for n in range(1, 8)]
    for level, question in enumerate(questions[:5], start=1):
        mark(user, question, level)
    other = make_user()
    for question in questions:
        mark(other, question, 5)
        note(other, question, "Someone else's note")
    note(user, questions[1], "Mine")
    note(user, questions[5], "Mine too")
    return topic


def levels(queryset) -> list[tuple[int, int | None]]:
    return [(q.position, q.my_level) for q in queryset]


def test_with_my_level_annotates_my_level(rated, user):
    assert levels(with_my_level(Question.objects.all(), user)) == [
        (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, None), (7, None),
    ]  # fmt: skip


def test_with_my_level_user_without_marks(rated):
    stranger = make_user()
    assert levels(with_my_level(Question.objects.all(), stranger)) == [
        (n, None) for n in range(1, 8)
    ]


def test_with_my_level_and_note_flag_annotates_my_notes_only(rated, user):
    rows: list[Any] = list(with_my_level_and_note_flag(rated.questions.all(), user))  # annotated
    assert [(q.position, q.my_level, q.has_note) for q in rows] == [
        (1, 1, False), (2, 2, True), (3, 3, False), (4, 4, False),
        (5, 5, False), (6, None, True), (7, None, False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "level, expected",
    [
        ("", [1, 2, 3, 4, 5, 6, 7]),
        ("unrated", [6, 7]),
        ("1", [1]),
        ("2", [2]),
        ("3", [3]),
        ("4", [4]),
        ("5", [5]),
        ("covered", [3, 4, 5]),
        ("not-covered", [1, 2, 6, 7]),
        ("0", [1, 2, 3, 4, 5, 6, 7]),
        ("6", [1, 2, 3, 4, 5, 6, 7]),
        ("garbage", [1, 2, 3, 4, 5, 6, 7]),
        ("COVERED", [1, 2, 3, 4, 5, 6, 7]),
    ],
)
def test_filter_by_my_level(rated, user, level, expected):
    rows = filter_by_my_level(with_my_level_and_note_flag(rated.questions.all(), user), level)
    assert [q.position for q in rows] == expected
