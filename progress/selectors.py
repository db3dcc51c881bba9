"""Reads that join the bank to one learner's marks and notes.

Each function takes a queryset of the bank (questions/) and returns it with what the
learner sees beside each row, so the bank itself never needs to know about marks.
The learner's rows are joined through filtered relations or EXISTS: other learners'
marks and notes are never read, and the counts stay in the database.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from accounts.models import User
from progress.models import COVERED_LEVEL, ConfidenceMark, Note
from progress.recall import FRESH_CHECK_FIELDS
from progress.scheduling import SCHEDULE_FIELDS
from questions.access import visible_banks, visible_questions, visible_topics
from questions.models import BankIds, Question, QuestionQuerySet, Topic, live_in
from studyhub.compiled import CompiledQuery


def with_my_coverage(
    topics: QuerySet[Topic],
    user: User,
    *,
    now: datetime | None = None,
    banks: BankIds | None = None,
    verified: bool = True,
    rated: bool = True,
) -> QuerySet[Topic]:
    """Each topic with `question_count`, and the user's `covered_count`; unless left out,
    `verified_count` (covered, and the latest check made at least half of the key points:
    see ConfidenceMark.is_verified) and `rated_count` (questions rated at all); given
    `now`, also `fresh_count`: covered and not yet due for review (see
    ConfidenceMark.fresh_at). Each count costs the query's building about half a
    millisecond, more than the database takes to count it: a page asks for those it shows.

    Only the questions the user sees count (the library's and their teams' banks', none
    retired), or given `banks`, those of the library and `banks`.

    One query. Ordered explicitly because Django drops Meta.ordering from GROUP BY queries.
    Its joins give at most one row per topic and question (a question is in a topic once,
    and a learner has one mark per question), so the counts need no DISTINCT, which cost
    a sort per count (5.7 against 4.8 ms at 100× the data).
    """
    counted = live_in(visible_banks(user) if banks is None else banks, prefix="questions__")
    counts: dict[str, Count] = {}
    if verified:
        counts["verified_count"] = Count(
            "questions",
            filter=Q(my_marks__level__gte=COVERED_LEVEL, my_marks__recalled_half=True) & counted,
        )
    if rated:
        counts["rated_count"] = Count("questions", filter=Q(my_marks__isnull=False) & counted)
    if now is not None:
        counts["fresh_count"] = Count(
            "questions",
            filter=Q(my_marks__level__gte=COVERED_LEVEL, my_marks__due__gt=now) & counted,
        )
    return (
        topics.alias(
            my_marks=FilteredRelation(
                "questions__confidence_marks",
                condition=Q(questions__confidence_marks__user=user),
            )
        )
        .annotate(
            question_count=Count("questions", filter=counted),
            covered_count=Count(
                "questions", filter=Q(my_marks__level__gte=COVERED_LEVEL) & counted
            ),
            **counts,
        )
        .order_by("position", "name")
    )


def my_question_totals(user: User, banks: BankIds) -> dict[str, int]:
    """How many questions of the library and `banks` (none retired) there are
    (`question_count`), and how many of them the user has covered with a verified check
    (`verified_count`, see ConfidenceMark.is_verified): one query."""
    return (
        Question.objects.live_in(banks)
        .alias(
            my_mark=FilteredRelation("confidence_marks", condition=Q(confidence_marks__user=user))
        )
        .aggregate(
            question_count=Count("pk"),
            verified_count=Count(
                "pk", filter=Q(my_mark__level__gte=COVERED_LEVEL, my_mark__recalled_half=True)
            ),
        )
    )


def question_topics_with_my_coverage(question: Question, user: User) -> list[Topic]:
    """The question's topics with the user's coverage of each (covered of all): the
    question page's panel, and a mark's when it covers or uncovers the question.

    Its SQL is compiled once per process (studyhub.compiled): building it cost 1.84 ms of
    the ORM's time a request, running it 0.05 ms."""
    return _QUESTION_TOPICS_COVERAGE.run(
        _viewer_shape(user), user_id=user.pk, question_id=question.pk
    )


def topics_with_my_coverage(user: User) -> list[Topic]:
    """The topic list: every topic the user sees, with_my_coverage (all but rated_count).
    Compiled once per process, as the panel's query is: the ORM took about 1.9 ms to
    build it, SQLite 0.1 ms to run it (0.18 ms compiled, all told)."""
    return _TOPICS_COVERAGE.run(_viewer_shape(user), user_id=user.pk)


def topic_with_my_coverage(user: User, slug: str) -> Topic | None:
    """One topic the user sees, by its slug, with the topic list's counts; None if the
    user sees no such topic."""
    found = _TOPIC_COVERAGE.run(_viewer_shape(user), user_id=user.pk, slug=slug)
    return found[0] if found else None


def topic_question_keys(user: User, topic: Topic) -> list[str]:
    """The keys of the topic's questions the user sees, in the bank's order: the
    question page's pager. Compiled once per process: the ORM took about 0.5 ms to build
    it on every question page."""
    found = _TOPIC_QUESTION_KEYS.run(_viewer_shape(user), user_id=user.pk, topic_id=topic.pk)
    return [question.key for question in found]


def _viewer_shape(user: User) -> tuple[str, bool]:
    """What changes the shape of a query of what the user sees: the bank-access policy
    (a setting) and whether the user is staff (who see every bank)."""
    return (settings.QUESTIONS_BANK_ACCESS, user.is_staff)


def _viewer(shape: tuple[str, bool], user_id: int) -> User:
    """A stand-in for the user of a compiled query: all the queries read of them."""
    _access, is_staff = shape
    return User(pk=user_id, is_staff=is_staff)


def _question_topics_coverage(
    shape: tuple[str, bool], *, user_id: int, question_id: int
) -> QuerySet[Topic]:
    user = _viewer(shape, user_id)
    topics = visible_topics(user).filter(
        pk__in=Question.topics.through.objects.filter(question_id=question_id).values("topic_id")
    )
    return with_my_coverage(topics, user, verified=False, rated=False)


def _topics_coverage(shape: tuple[str, bool], *, user_id: int) -> QuerySet[Topic]:
    user = _viewer(shape, user_id)
    return with_my_coverage(visible_topics(user), user, rated=False)


def _topic_coverage(shape: tuple[str, bool], *, user_id: int, slug: str) -> QuerySet[Topic]:
    return _topics_coverage(shape, user_id=user_id).filter(slug=slug)


def _topic_question_keys(
    shape: tuple[str, bool], *, user_id: int, topic_id: int
) -> QuestionQuerySet:
    return visible_questions(_viewer(shape, user_id)).filter(topics=topic_id).only("key")


_QUESTION_TOPICS_COVERAGE = CompiledQuery(_question_topics_coverage, "user_id", "question_id")
# Staff see every bank, whoever they are: their query need not read their id.
_TOPIC_QUESTION_KEYS = CompiledQuery(
    _topic_question_keys, "user_id", "topic_id", may_ignore=("user_id",)
)
_TOPICS_COVERAGE = CompiledQuery(_topics_coverage, "user_id")
_TOPIC_COVERAGE = CompiledQuery(_topic_coverage, "user_id", texts=("slug",))


def with_my_level(questions: QuestionQuerySet, user: User) -> QuestionQuerySet:
    """Annotate `my_level`: the user's current confidence (None when not rated)."""
    return questions.alias(
        my_mark=FilteredRelation("confidence_marks", condition=Q(confidence_marks__user=user))
    ).annotate(my_level=F("my_mark__level"))


#: What my_mark() rebuilds a mark from: its schedule, and its latest check, which caps
#: the next rating while it is fresh.
MARK_FIELDS = (*SCHEDULE_FIELDS, *FRESH_CHECK_FIELDS)


def with_my_mark(questions: QuestionQuerySet, user: User) -> QuestionQuerySet:
    """`my_level`, the user's FSRS schedule of each question and their latest check's
    score, in the same query: what `my_mark()` rebuilds the mark from (a study card's
    buttons preview it, capped as a fresh check caps the rating)."""
    return with_my_level(questions, user).annotate(
        **{f"my_{field}": F(f"my_mark__{field}") for field in MARK_FIELDS}
    )


def my_mark(question: Question, user: User) -> ConfidenceMark | None:
    """The user's mark on a question loaded `with_my_mark`, rebuilt without a query;
    None when the question is not rated."""
    level = getattr(question, "my_level", None)
    if level is None:
        return None
    fields = {field: getattr(question, f"my_{field}") for field in MARK_FIELDS}
    return ConfidenceMark(user=user, question=question, level=level, **fields)


def with_my_note_flag(questions: QuestionQuerySet, user: User) -> QuestionQuerySet:
    """Annotate `has_note`: whether the user has a note on the question."""
    my_note = Note.objects.filter(user=user, question=OuterRef("pk"))
    return questions.annotate(has_note=Exists(my_note))


def with_my_level_and_note_flag(questions: QuestionQuerySet, user: User) -> QuestionQuerySet:
    """`my_level` and `has_note`: what every list of questions shows beside each."""
    return with_my_note_flag(with_my_level(questions, user), user)


#: The confidence filter of the topic page and the question list: value, label
#: (filter_by_my_level reads the values).
LEVEL_FILTERS = [
    ("", "All questions"),
    ("unrated", "Not rated yet"),
    ("1", "1 · Not yet"),
    ("2", "2 · Shaky"),
    ("3", "3 · Okay"),
    ("4", "4 · Confident"),
    ("5", "5 · Mastered"),
    ("covered", "Covered (Okay or better)"),
    ("not-covered", "Not covered yet"),
]


def filter_by_my_level(questions: QuestionQuerySet, level: str) -> QuestionQuerySet:
    """Questions annotated `with_my_level`, kept by a confidence filter value of the
    topic page and the question list ("unrated", "1"…"5", "covered", "not-covered");
    any other value keeps them all."""
    # my_level is an annotation, which django-stubs loses on QuestionQuerySet: [misc] below.
    if level == "unrated":
        return questions.filter(my_level__isnull=True)  # type: ignore[misc]
    if level == "covered":
        return questions.filter(my_level__gte=COVERED_LEVEL)  # type: ignore[misc]
    if level == "not-covered":
        return questions.filter(Q(my_level__lt=COVERED_LEVEL) | Q(my_level__isnull=True))
    if level.isdigit() and 1 <= int(level) <= 5:
        return questions.filter(my_level=int(level))  # type: ignore[misc]
    return questions
