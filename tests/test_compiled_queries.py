"""studyhub.compiled: a query compiled once gives what the ORM would have built afresh,
for every user, question and shape; a query it cannot compile safely is refused."""

from __future__ import annotations

import pytest
from django.utils import timezone

from progress.selectors import question_topics_with_my_coverage, with_my_coverage
from questions.access import visible_topics
from questions.models import Question, Topic
from studyhub.compiled import CompiledQuery
from tests.factories import make_question, make_topic, make_user, mark
from tests.teams.factories import make_team

pytestmark = pytest.mark.django_db


def orm_panel(question: Question, user) -> list[tuple[int, int, int]]:
    """The panel as the ORM builds it, the query the compiled one replaces."""
    topics = visible_topics(user).filter(pk__in=question.topics.values("pk"))
    return [
        (t.pk, t.question_count, t.covered_count)
        for t in with_my_coverage(topics, user, verified=False, rated=False)
    ]


def compiled_panel(question: Question, user) -> list[tuple[int, int, int]]:
    return [
        (t.pk, t.question_count, t.covered_count)
        for t in question_topics_with_my_coverage(question, user)
    ]


def test_the_compiled_panel_counts_as_the_orm_does_for_every_user_and_question():
    learner, outsider = make_user(), make_user()
    staff = make_user(is_staff=True)
    team = make_team(learners=[learner])
    shared, library_only = make_topic(), make_topic()
    team_topic = make_topic(bank=team.bank)
    questions = [make_question(topics=[shared, library_only]) for _ in range(3)]
    questions += [make_question(topics=[shared, team_topic], bank=team.bank) for _ in range(2)]
    retired = make_question(topics=[shared], retired_at=timezone.now())
    for user in (learner, outsider, staff):
        mark(user, questions[0], 4)
        mark(user, questions[3], 5)
        mark(user, questions[1], 1)

    seen = 0
    for user in (learner, outsider, staff):
        for question in [*questions, retired]:
            expected = orm_panel(question, user)
            assert compiled_panel(question, user) == expected
            seen += len(expected)
    assert seen > 20  # topics were compared, not empty lists

    # And the figures themselves: the learner sees the team's questions.
    assert compiled_panel(questions[3], learner) == sorted(
        [(shared.pk, 5, 2), (team_topic.pk, 2, 1)],
        key=lambda row: Topic.objects.get(pk=row[0]).position,
    )
    assert compiled_panel(questions[0], outsider) == [(shared.pk, 3, 1), (library_only.pk, 3, 1)]


def test_a_query_is_compiled_once_per_shape():
    builds: list[object] = []

    def build(shape, *, topic_id):
        builds.append(shape)
        return Topic.objects.filter(pk=topic_id, position__gte=shape)

    query = CompiledQuery(build, "topic_id")
    low, high = make_topic(position=1), make_topic(position=9)
    assert query.run(0, topic_id=low.pk) == [low]
    assert query.run(0, topic_id=high.pk) == [high]
    assert query.run(5, topic_id=low.pk) == []
    assert query.run(5, topic_id=high.pk) == [high]
    assert builds == [0, 5]


def test_a_value_the_query_does_not_take_as_a_parameter_is_refused():
    query = CompiledQuery(lambda shape, *, topic_id: Topic.objects.all(), "topic_id")
    with pytest.raises(ValueError, match="topic_id"):
        query.run((), topic_id=1)


def test_values_must_be_the_named_ones():
    query = CompiledQuery(lambda shape, *, topic_id: Topic.objects.filter(pk=topic_id), "topic_id")
    with pytest.raises(TypeError):
        query.run((), user_id=1)


def test_a_constant_that_could_pass_for_a_stand_in_is_refused():
    def build(shape, *, topic_id):
        return Topic.objects.filter(pk=topic_id).exclude(pk=-8_000_000_000_000)

    with pytest.raises(ValueError, match="looks like a stand-in"):
        CompiledQuery(build, "topic_id").run((), topic_id=1)
