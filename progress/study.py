"""Study sessions: building a session's question list and working through it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from progress.models import Confidence, StudySession
from progress.selectors import with_my_level
from progress.services import record_confidence
from questions.access import visible_banks, visible_questions, visible_topics
from questions.models import Question, Topic

WEAKEST_SESSION_SIZE = 15


class NothingToStudy(Exception):
    """The chosen source holds no questions right now; the message says so."""


#: What the study page offers to start from (teams start assignments and topic sets).
STUDY_PAGE_SOURCES = (
    StudySession.Source.TOPIC,
    StudySession.Source.DUE,
    StudySession.Source.WEAKEST,
)


def start_chosen(*, user: User, source: str, topic: Topic | None = None) -> StudySession:
    """The session the learner chose on the study page: a topic's questions (`topic`),
    what is due, or the weakest first; ValueError for anything else."""
    if source == StudySession.Source.TOPIC and topic is not None:
        return start_topic(user=user, topic=topic)
    if source == StudySession.Source.DUE:
        return start_due(user=user)
    if source == StudySession.Source.WEAKEST:
        return start_weakest(user=user)
    raise ValueError(f"no session starts from {source!r} with topic {topic!r}")


def start_topic(*, user: User, topic: Topic) -> StudySession:
    questions = visible_questions(user).filter(topics=topic)
    ids = list(questions.order_by("position").values_list("pk", flat=True))
    return _start(user, StudySession.Source.TOPIC, topic.name, ids)


def start_questions(
    *, user: User, source: str, label: str, question_ids: Iterable[int]
) -> StudySession:
    """A session over the given questions, in bank order: what the teams app starts for
    an assignment or a topic set."""
    in_bank_order = visible_questions(user).filter(pk__in=question_ids).order_by("position")
    return _start(user, source, label, list(in_bank_order.values_list("pk", flat=True)))


def start_due(*, user: User, now: datetime | None = None) -> StudySession:
    """Rated questions whose review is due, most overdue first."""
    now = now or timezone.now()
    ids = list(
        user.confidence_marks.on_live_questions(visible_banks(user))
        .due_by(now)
        .order_by(F("due").asc(nulls_first=True), "question__position")
        .values_list("question_id", flat=True)
    )
    if not ids:
        raise NothingToStudy("Nothing is due for review right now. Well done!")
    return _start(user, StudySession.Source.DUE, "Due for review", ids)


def start_weakest(*, user: User) -> StudySession:
    """Questions not yet mastered, the least confident (and the unrated) first."""
    ids = list(
        with_my_level(visible_questions(user), user)
        # Not exclude(): through the filtered relation it would drop unrated questions too.
        .filter(Q(my_level__lt=Confidence.MASTERED) | Q(my_level__isnull=True))
        .order_by(F("my_level").asc(nulls_first=True), "position")
        .values_list("pk", flat=True)[:WEAKEST_SESSION_SIZE]
    )
    if not ids:
        raise NothingToStudy("You have mastered every question. Nothing is weak!")
    return _start(user, StudySession.Source.WEAKEST, "Weakest first", ids)


def _start(user: User, source: str, label: str, ids: list[int]) -> StudySession:
    if not ids:
        raise NothingToStudy(f"“{label}” has no questions to study.")
    return StudySession.objects.create(user=user, source=source, label=label, question_ids=ids)


@transaction.atomic
def rate(*, session: StudySession, level: int, at: datetime | None = None) -> StudySession:
    """Record the confidence of the current question and move on to the next one."""
    question_id = session.current_question_id
    if question_id is None:
        raise NothingToStudy("This session is finished.")
    question = visible_questions(session.user).filter(pk=question_id).first()
    if question is None:  # retired or out of view since the session began: move past it
        _advance(session, 1, at)
        return session
    record_confidence(user=session.user, question=question, level=level, at=at)
    session.ratings[str(question_id)] = level
    _advance(session, 1, at)
    return session


def current_question(session: StudySession) -> Question | None:
    """The session's current question, with what its card shows; None once finished.

    A session's list is fixed when it starts, so a question may since have been retired,
    removed, or left behind with a team the learner left: the session moves past it.
    """
    if session.is_finished or session.current_question_id is None:
        return None
    visible = visible_questions(session.user)
    shown = visible.for_question_page(related=visible)
    question = shown.filter(pk=session.current_question_id).first()
    if question is not None:
        return question
    # Out of view: on to the next one in view, in one query and one save however many
    # were skipped (undoing an import may have retired hundreds).
    rest = session.question_ids[session.position + 1 :]
    in_view = set(visible.filter(pk__in=rest).values_list("pk", flat=True))
    ahead = next((step for step, pk in enumerate(rest, start=1) if pk in in_view), None)
    _advance(session, ahead if ahead is not None else len(rest) + 1, None)
    return shown.get(pk=session.current_question_id) if ahead is not None else None


def move(*, session: StudySession, step: int, at: datetime | None = None) -> StudySession:
    """Go to the next (step=1) or previous (step=-1) question without rating."""
    if session.is_finished:
        return session
    _advance(session, step, at)
    return session


def _advance(session: StudySession, step: int, at: datetime | None) -> None:
    position = max(0, session.position + step)
    if position >= session.size:
        session.position = session.size - 1
        session.finished_at = at or timezone.now()
    else:
        session.position = position
    session.save(update_fields=["position", "ratings", "finished_at", "updated_at"])


@dataclass
class SessionSummary:
    rated: int
    size: int
    by_level: list[tuple[int, str, int]]
    topics: list[Topic]


def summarise(session: StudySession) -> SessionSummary:
    counts = Counter(session.ratings.values())
    rated_ids = [int(pk) for pk in session.ratings]
    topics = list(
        visible_topics(session.user).filter(questions__in=rated_ids).distinct().order_by("position")
    )
    return SessionSummary(
        rated=len(session.ratings),
        size=session.size,
        by_level=[(value, label, counts.get(value, 0)) for value, label in Confidence.choices],
        topics=topics,
    )
