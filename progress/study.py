"""Study sessions: building a session's question list and working through it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from progress.calibration import most_overconfident
from progress.models import COVERED_LEVEL, Confidence, StudySession
from progress.search import search_questions, search_text_error
from progress.selectors import LEVEL_FILTERS, filter_by_my_level, with_my_level, with_my_mark
from progress.services import record_confidence
from questions.access import visible_banks, visible_questions, visible_topics
from questions.models import Question, Topic

WEAKEST_SESSION_SIZE = 15
#: The most questions one session holds: "Study these" on a long list takes its first
#: this many (a session's list is stored in one row and read on every card).
SESSION_MAX_QUESTIONS = 500
#: A question rated Not yet or Shaky comes back after this many other cards (or at the
#: end, when fewer are left): later in the session, as FSRS's ten-minute learning step
#: intends. On the last card it comes straight back, as Anki shows a learning card early
#: when nothing else is left.
COME_BACK_AFTER = 5
#: How many times one question comes back in a session: after that the session moves on
#: (the scheduler has it due soon, so "Review due questions" brings it back).
MAX_RETURNS = 10


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


def start_topic(
    *, user: User, topic: Topic, level: str = "", label: str | None = None
) -> StudySession:
    """A topic's questions in bank order; given `level` (a topic page filter value, see
    progress.selectors.filter_by_my_level), only those the filter shows."""
    questions = visible_questions(user).filter(topics=topic)
    if level:
        questions = filter_by_my_level(with_my_level(questions, user), level)
    ids = list(questions.order_by("position").values_list("pk", flat=True))
    return _start(user, StudySession.Source.TOPIC, label or topic.name, ids)


def start_search(*, user: User, search: dict, topics: list[Topic]) -> StudySession:
    """The question list's results for `search` (progress.topic_views.search_asked, of
    `topics`), best match first, labelled with its filters."""
    refused = search_text_error(search["text"])
    if refused:
        raise NothingToStudy(refused)
    found = search_questions(user, **search, now=timezone.now())
    parts = [f"“{search['text']}”"] if search["text"] else []
    parts += [t.name for t in topics if t.slug == search["topic_slug"]]
    if search["level"]:
        parts.append(dict(LEVEL_FILTERS)[search["level"]])
    parts += ["with my notes"] * search["has_note"] + ["due for review"] * search["due"]
    label = "Search: " + ", ".join(parts) if parts else "All questions"
    return start_in_order(
        user=user, source=StudySession.Source.SEARCH, label=label, questions=found
    )


def start_notes(*, user: User) -> StudySession:
    """The questions the learner has written a note on, in bank order."""
    questions = visible_questions(user).filter(notes__user=user).order_by("position")
    ids = list(questions.values_list("pk", flat=True))
    return _start(user, StudySession.Source.NOTES, "Questions with my notes", ids)


def start_calibration(*, user: User) -> StudySession:
    """The questions the calibration page lists as rated furthest above what the
    learner's typed answers recalled, in the page's order (progress.calibration)."""
    ids = [rated.question.pk for rated in most_overconfident(user)]
    if not ids:
        raise NothingToStudy("No question is rated above what your answers recalled.")
    return _start(user, StudySession.Source.CALIBRATION, StudySession.Source.CALIBRATION.label, ids)


def start_questions(
    *, user: User, source: str, label: str, question_ids: Iterable[int]
) -> StudySession:
    """A session over the given questions, in bank order: what the teams app starts for
    an assignment or a topic set."""
    in_bank_order = visible_questions(user).filter(pk__in=question_ids).order_by("position")
    return _start(user, source, label, list(in_bank_order.values_list("pk", flat=True)))


def start_in_order(*, user: User, source: str, label: str, questions: QuerySet) -> StudySession:
    """A session over `questions` in the order given (a search's best match first), of
    those the user sees, the first SESSION_MAX_QUESTIONS of them."""
    shown = questions.filter(pk__in=visible_questions(user).values("pk"))
    ids = list(shown.values_list("pk", flat=True)[:SESSION_MAX_QUESTIONS])
    return _start(user, source, label, ids)


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
    return StudySession.objects.create(
        user=user, source=source, label=label[:200], question_ids=ids[:SESSION_MAX_QUESTIONS]
    )


@transaction.atomic(savepoint=False)  # one unit; the view holds the session row locked
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
    if is_return(session):
        key = str(question_id)
        session.returns[key] = session.returns.get(key, 0) + 1
    session.ratings[str(question_id)] = level
    if level < COVERED_LEVEL:
        _come_back_later(session, question_id)
    else:
        _drop_pending_returns(session, question_id)
    _advance(session, 1, at)
    return session


def _come_back_later(session: StudySession, question_id: int) -> None:
    """Put the question back COME_BACK_AFTER cards on (or last), unless it is ahead
    already or has been put back MAX_RETURNS times."""
    ahead = session.question_ids[session.position + 1 :]
    if question_id in ahead or session.question_ids.count(question_id) > MAX_RETURNS:
        return
    at = min(session.size, session.position + 1 + COME_BACK_AFTER)
    session.question_ids.insert(at, question_id)


def _drop_pending_returns(session: StudySession, question_id: int) -> None:
    """Rated Okay or better (say after going back to it): it need not come back."""
    done, ahead = (
        session.question_ids[: session.position + 1],
        session.question_ids[session.position + 1 :],
    )
    session.question_ids = done + [pk for pk in ahead if pk != question_id]


def is_return(session: StudySession) -> bool:
    """Whether the current card is a question seen earlier in this session."""
    return session.current_question_id in session.question_ids[: session.position]


def current_question(session: StudySession) -> Question | None:
    """The session's current question, with what its card shows; None once finished.

    A session's list is fixed when it starts, so a question may since have been retired,
    removed, or left behind with a team the learner left: the session moves past it.
    """
    if session.is_finished or session.current_question_id is None:
        return None
    visible = visible_questions(session.user)
    # The learner's mark comes in the same query: the rating buttons preview it.
    shown = with_my_mark(visible.for_question_page(related=visible), session.user)
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
    session.save(
        update_fields=[
            "question_ids",
            "position",
            "ratings",
            "returns",
            "finished_at",
            "updated_at",
        ]
    )


@dataclass
class SessionSummary:
    rated: int
    size: int
    by_level: list[tuple[int, str, int]]
    topics: list[Topic]
    #: Questions that came back for another go, and how many of those ended Okay or better.
    came_back: int
    came_back_covered: int


def summarise(session: StudySession) -> SessionSummary:
    counts = Counter(session.ratings.values())
    rated_ids = [int(pk) for pk in session.ratings]
    topics = list(
        visible_topics(session.user).filter(questions__in=rated_ids).distinct().order_by("position")
    )
    came_back = [pk for pk, times in session.returns.items() if times]
    return SessionSummary(
        rated=len(session.ratings),
        size=session.question_count,
        by_level=[(value, label, counts.get(value, 0)) for value, label in Confidence.choices],
        topics=topics,
        came_back=len(came_back),
        came_back_covered=sum(1 for pk in came_back if session.ratings.get(pk, 0) >= COVERED_LEVEL),
    )
