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


def test_text_values_are_compiled_and_checked_like_numbers():
    query = CompiledQuery(
        lambda shape, *, topic_id, slug: Topic.objects.filter(pk__gte=topic_id, slug=slug),
        "topic_id",
        texts=("slug",),
    )
    first, second = make_topic(slug="first"), make_topic(slug="second")
    assert query.run((), topic_id=0, slug="second") == [second]
    assert query.run((), topic_id=0, slug="first") == [first]
    assert query.run((), topic_id=second.pk + 1, slug="second") == []
    with pytest.raises(TypeError, match="type"):
        query.run((), topic_id=0, slug=1)
    with pytest.raises(TypeError, match="type"):
        query.run((), topic_id="0", slug="first")
    wrapped = CompiledQuery(
        lambda shape, *, slug: Topic.objects.filter(slug__contains=slug), texts=("slug",)
    )
    with pytest.raises(ValueError, match="looks like a stand-in"):
        wrapped.run((), slug="ir")  # "%slug%" is not the value: it cannot be compiled


def _a_bank_seen_three_ways():
    """A learner in a team with its own topic and questions, an outsider, staff, and
    marks of each on library and team questions (one retired)."""
    learner, outsider = make_user(), make_user()
    staff = make_user(is_staff=True)
    team = make_team(learners=[learner])
    shared, library_only, team_topic = make_topic(), make_topic(), make_topic(bank=team.bank)
    questions = [make_question(topics=[shared, library_only]) for _ in range(3)]
    questions += [make_question(topics=[shared, team_topic], bank=team.bank) for _ in range(2)]
    make_question(topics=[shared, library_only], retired_at=timezone.now())
    for user in (learner, outsider, staff):
        mark(user, questions[0], 4)
        mark(user, questions[3], 5)
        mark(user, questions[1], 1)
    return [learner, outsider, staff], [shared, library_only, team_topic]


def counts(topics) -> list[tuple]:
    return [(t.pk, t.slug, t.question_count, t.covered_count, t.verified_count) for t in topics]


def test_the_compiled_topic_list_and_topic_count_as_the_orm_does():
    from progress.selectors import topic_with_my_coverage, topics_with_my_coverage

    users, topics = _a_bank_seen_three_ways()
    learner, outsider, staff = users
    for user in users:
        expected = counts(with_my_coverage(visible_topics(user), user, rated=False))
        assert counts(topics_with_my_coverage(user)) == expected
        for topic in topics:
            one = [row for row in expected if row[0] == topic.pk]
            found = topic_with_my_coverage(user, topic.slug)
            assert counts([found] if found else []) == one
    # The figures themselves: the team's topic is the learner's and staff's only.
    assert [row[2:] for row in counts(topics_with_my_coverage(learner))] == [
        (5, 2, 0),
        (3, 1, 0),
        (2, 1, 0),
    ]
    assert topic_with_my_coverage(outsider, topics[2].slug) is None
    assert topic_with_my_coverage(staff, topics[2].slug) is not None
    assert topic_with_my_coverage(learner, "no-such-topic") is None


def test_the_compiled_pager_lists_the_topics_questions_the_user_sees():
    from progress.selectors import topic_question_keys
    from questions.access import visible_questions

    users, topics = _a_bank_seen_three_ways()
    for user in users:
        for topic in topics:
            expected = list(
                visible_questions(user).filter(topics=topic).values_list("key", flat=True)
            )
            assert topic_question_keys(user, topic) == expected
    learner, outsider, _ = users
    assert len(topic_question_keys(learner, topics[0])) == 5
    assert len(topic_question_keys(outsider, topics[0])) == 3


def test_the_compiled_navigation_lists_teams_and_waiting_proposals_as_the_orm_does():
    from authoring.context_processors import _NAVIGATION_TEAMS, navigation_teams
    from authoring.models import Proposal

    instructor, learner = make_user(), make_user()
    taught = make_team("B taught", instructor=instructor, learners=[learner])
    learned = make_team("A learned", learners=[instructor])
    for _ in range(2):
        Proposal.objects.create(bank=taught.bank, author=learner, text="Q?", answer="A.")
    Proposal.objects.create(bank=learned.bank, author=learner, text="Q?", answer="A.")

    def listed(teams):
        return [(t.pk, t.name, t.my_role, t.waiting_proposals) for t in teams]

    for user in (instructor, learner, make_user()):
        compiled = listed(_NAVIGATION_TEAMS.run(None, user_id=user.pk))
        assert compiled == listed(navigation_teams(user))
    assert listed(_NAVIGATION_TEAMS.run(None, user_id=instructor.pk)) == [
        (learned.pk, "A learned", "learner", 0),
        (taught.pk, "B taught", "instructor", 2),
    ]


def test_a_value_written_into_the_sql_is_refused_and_one_left_unread_only_if_allowed():
    from django.db.models.expressions import RawSQL

    def inlined(shape, *, topic_id):
        # Written into the SQL's text: every request would run the stand-in's query.
        return Topic.objects.filter(pk=topic_id).filter(pk__gt=RawSQL(f"{topic_id}", []))

    with pytest.raises(ValueError, match="writes"):
        CompiledQuery(inlined, "topic_id").run((), topic_id=1)

    def unread(shape, *, topic_id, user_id):
        return Topic.objects.filter(pk=topic_id)

    topic = make_topic()
    with pytest.raises(ValueError, match="user_id"):
        CompiledQuery(unread, "topic_id", "user_id").run((), topic_id=topic.pk, user_id=1)
    allowed = CompiledQuery(unread, "topic_id", "user_id", may_ignore=("user_id",))
    assert allowed.run((), topic_id=topic.pk, user_id=1) == [topic]
