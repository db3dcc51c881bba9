"""The API's operations (docs/api.md). Each one asks the same functions the pages do,
so every rule of the pages holds: a learner reads what they see on the site, writes
only their own marks and notes, and an instructor reads their own team's progress,
never a note or a typed answer."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from accounts.models import User
from api import schemas
from api.auth import require_write, token_of
from progress.calibration import learner_calibration
from progress.models import ConfidenceMark, Note
from progress.selectors import topics_with_my_coverage
from progress.services import NoteConflict, note_revision, record_confidence, save_note
from questions.access import visible_banks, visible_questions, visible_topics
from questions.models import Answer, Question, live_in
from teams.models import Membership, Team
from teams.selectors import (
    COMPLETE,
    IN_PROGRESS,
    NOT_STARTED,
    progress_of_learners,
    progress_of_learners_by_set,
    team_grid,
)

PAGE_SIZE = 50
PAGE_MAX = 10_000
ERRORS: dict[int, Any] = {
    401: schemas.Error,
    404: schemas.Error,
    422: schemas.Error,
    429: schemas.Error,
}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 403: schemas.Error}
#: A body that is not JSON at all: 400 (one that does not fit its schema: 422).
BODY_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 400: schemas.Error}
Page = Query(1, ge=1, le=PAGE_MAX, description=f"Pages of {PAGE_SIZE}, from 1.")
#: An id the databases can hold (a larger one is a 422, not a database error).
TeamId = Path(..., ge=1, le=2_147_483_647, description="The team's id (GET /teams).")

router = Router()


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every operation needs a signed-in user (api/auth.py)
    return user


def _page(rows: QuerySet[Any], page: int) -> tuple[int, int, list[Any]]:
    count = rows.count()
    start = (page - 1) * PAGE_SIZE
    return count, max(1, math.ceil(count / PAGE_SIZE)), list(rows[start : start + PAGE_SIZE])


def _question(request: HttpRequest, key: str) -> Question:
    """A question the user sees (not retired), or 404, as on the question page."""
    question = visible_questions(_user(request)).filter(key=key).first()
    if question is None:
        raise HttpError(404, "No such question.")
    return question


# --- The bank ----------------------------------------------------------------------------


@router.get("/topics", response={200: list[schemas.Topic], **ERRORS}, tags=["bank"])
def list_topics(request: HttpRequest) -> list[schemas.Topic]:
    """Every topic you see, with how many questions it holds."""
    return [
        schemas.Topic(
            slug=t.slug, name=t.name, description=t.description, question_count=t.question_count
        )
        for t in topics_with_my_coverage(_user(request))
    ]


@router.get("/questions", response={200: schemas.QuestionPage, **ERRORS}, tags=["bank"])
def list_questions(
    request: HttpRequest,
    page: int = Page,
    topic: str = Query("", max_length=80, description="Only this topic's questions (a slug)."),
) -> schemas.QuestionPage:
    """The questions you see, in the bank's order."""
    user = _user(request)
    rows = visible_questions(user)
    if topic:
        found = visible_topics(user).filter(slug=topic).first()
        if found is None:
            raise HttpError(404, "No such topic.")
        rows = rows.filter(topics=found)
    rows = rows.order_by("position", "pk").prefetch_related(_topics_seen_by(user))
    count, pages, items = _page(rows, page)
    return schemas.QuestionPage(
        count=count, page=page, pages=pages, items=[_summary(q) for q in items]
    )


@router.get("/questions/{key}", response={200: schemas.Question, **ERRORS}, tags=["bank"])
def get_question(request: HttpRequest, key: schemas.Key) -> schemas.Question:
    """One question with its answers (as written, and as the site shows them)."""
    user = _user(request)
    question = (
        visible_questions(user)
        .filter(key=key)
        .prefetch_related(
            "answers",
            _topics_seen_by(user),
            Prefetch("related", queryset=visible_questions(user).order_by("position")),
        )
        .first()
    )
    if question is None:
        raise HttpError(404, "No such question.")
    answers = {a.kind: a for a in question.answers.all()}
    return schemas.Question(
        **_summary(question).dict(),
        answer=_answer(answers.get(Answer.Kind.CONCISE)),
        long_answer=_answer(answers.get(Answer.Kind.LONG)),
        related=[q.key for q in question.related.all()],
    )


def _topics_seen_by(user: User) -> Prefetch:
    return Prefetch("topics", queryset=visible_topics(user).order_by("position", "name"))


def _summary(question: Question) -> schemas.QuestionSummary:
    return schemas.QuestionSummary(
        key=question.key,
        position=question.position,
        text=question.text,
        topics=[t.slug for t in question.topics.all()],
    )


def _answer(answer: Answer | None) -> schemas.Answer | None:
    if answer is None:
        return None
    return schemas.Answer(
        markdown=answer.text, html=answer.html, ends_abruptly=answer.source_incomplete
    )


# --- Me ----------------------------------------------------------------------------------


@router.get("/me", response={200: schemas.Me, **ERRORS}, tags=["me"])
def me(request: HttpRequest) -> schemas.Me:
    """Who you are to the API, and the token you asked with."""
    user, token = _user(request), token_of(request)
    return schemas.Me(
        username=user.username,
        display_name=user.shown_name,
        token=schemas.TokenInfo(name=token.name, scope=token.scope, expires_at=token.expires_at)
        if token
        else None,
    )


def _my_marks(user: User) -> QuerySet[ConfidenceMark]:
    return user.confidence_marks.on_live_questions(visible_banks(user)).select_related("question")


def _mark(mark: ConfidenceMark) -> schemas.Mark:
    return schemas.Mark(
        question=mark.question.key,
        level=mark.level,
        level_label=mark.get_level_display(),
        due=mark.due,
        updated_at=mark.updated_at,
    )


@router.get("/me/marks", response={200: schemas.MarkPage, **ERRORS}, tags=["me"])
def list_marks(request: HttpRequest, page: int = Page) -> schemas.MarkPage:
    """Your confidence on each question you rated, the latest first."""
    rows = _my_marks(_user(request)).order_by("-updated_at", "-pk")
    count, pages, items = _page(rows, page)
    return schemas.MarkPage(count=count, page=page, pages=pages, items=[_mark(m) for m in items])


@router.get("/me/marks/{key}", response={200: schemas.Mark, **ERRORS}, tags=["me"])
def get_mark(request: HttpRequest, key: schemas.Key) -> schemas.Mark:
    mark = _my_marks(_user(request)).filter(question__key=key).first()
    if mark is None:
        raise HttpError(404, "You have not rated this question.")
    return _mark(mark)


@router.put("/me/marks/{key}", response={200: schemas.Mark, **BODY_ERRORS}, tags=["me"])
def put_mark(request: HttpRequest, key: schemas.Key, body: schemas.MarkIn) -> schemas.Mark:
    """Rate a question, as the rating buttons do: it schedules the next review."""
    require_write(request)
    question = _question(request, key)
    mark = record_confidence(user=_user(request), question=question, level=body.level)
    mark.question = question
    return _mark(mark)


def _my_notes(user: User) -> QuerySet[Note]:
    banks = visible_banks(user)
    return Note.objects.filter(live_in(banks, prefix="question__"), user=user).select_related(
        "question"
    )


def _note(note: Note) -> schemas.Note:
    return schemas.Note(
        question=note.question.key,
        text=note.text,
        html=note.html,
        revision=note_revision(note),
        updated_at=note.updated_at,
    )


@router.get("/me/notes", response={200: schemas.NotePage, **ERRORS}, tags=["me"])
def list_notes(request: HttpRequest, page: int = Page) -> schemas.NotePage:
    """Your notes, the latest first. Nobody else can read them, here or on the site."""
    rows = _my_notes(_user(request)).order_by("-updated_at", "-pk")
    count, pages, items = _page(rows, page)
    return schemas.NotePage(count=count, page=page, pages=pages, items=[_note(n) for n in items])


@router.get("/me/notes/{key}", response={200: schemas.Note, **ERRORS}, tags=["me"])
def get_note(request: HttpRequest, key: schemas.Key) -> schemas.Note:
    note = _my_notes(_user(request)).filter(question__key=key).first()
    if note is None:
        raise HttpError(404, "You have no note on this question.")
    return _note(note)


@router.put(
    "/me/notes/{key}",
    response={200: schemas.Note, 204: None, 409: schemas.NoteConflict, **BODY_ERRORS},
    tags=["me"],
)
def put_note(request: HttpRequest, key: schemas.Key, body: schemas.NoteIn) -> Any:
    """Write your note, from the revision you read (409 if it changed since, with the
    note as it is now); empty text deletes it (204)."""
    require_write(request)
    return _save_note(request, key, body.text, body.revision)


@router.delete(
    "/me/notes/{key}",
    response={204: None, 409: schemas.NoteConflict, **WRITE_ERRORS},
    tags=["me"],
)
def delete_note(
    request: HttpRequest,
    key: schemas.Key,
    revision: str = Query(..., max_length=64, description="The revision you read."),
) -> Any:
    require_write(request)
    return _save_note(request, key, "", revision)


def _save_note(request: HttpRequest, key: str, text: str, revision: str) -> Any:
    question = _question(request, key)
    try:
        note = save_note(user=_user(request), question=question, text=text, base_revision=revision)
    except NoteConflict as conflict:
        saved = _note(conflict.saved) if conflict.saved else None
        return Status(
            409,
            schemas.NoteConflict(
                detail="The note changed since that revision: read it again and merge.",
                note=saved,
            ),
        )
    if note is None:
        return Status(204, None)
    note.question = question
    return Status(200, _note(note))


@router.get("/me/coverage", response={200: list[schemas.Coverage], **ERRORS}, tags=["me"])
def coverage(request: HttpRequest) -> list[schemas.Coverage]:
    """Per topic: its questions, those you cover (Okay or better) and those verified by a
    typed answer."""
    return [
        schemas.Coverage(
            slug=t.slug,
            name=t.name,
            question_count=t.question_count,
            covered_count=t.covered_count,
            verified_count=t.verified_count,
        )
        for t in topics_with_my_coverage(_user(request))
    ]


@router.get("/me/calibration", response={200: schemas.Calibration, **ERRORS}, tags=["me"])
def calibration(request: HttpRequest) -> schemas.Calibration:
    """Your confidence against your checked recall, as the calibration page shows it."""
    figures = learner_calibration(_user(request))
    return schemas.Calibration(
        checked=figures.checked,
        average_promised=figures.average_promised,
        average_recall=figures.average_recall,
        gap=figures.gap,
        levels=[
            schemas.CalibrationLevel(
                level=row.level,
                label=row.label,
                checked=row.checked,
                promised=row.promised,
                average_recall=row.average_recall,
            )
            for row in figures.levels
        ],
        topics=[
            schemas.CalibrationTopic(
                slug=row.topic.slug,
                name=row.topic.name,
                checked=row.checked,
                promised=row.promised,
                recall=row.recall,
            )
            for row in figures.topics
        ],
    )


# --- Teams -------------------------------------------------------------------------------


@router.get("/teams", response={200: list[schemas.Team], **ERRORS}, tags=["teams"])
def list_teams(request: HttpRequest) -> list[schemas.Team]:
    """The teams you belong to, and your role in each."""
    memberships = _user(request).memberships.select_related("team").order_by("team__name")
    return [schemas.Team(id=m.team_id, name=m.team.name, role=m.role) for m in memberships]


def _taught(request: HttpRequest, team_id: int) -> Team:
    """A team the user instructs: 404 to outsiders, 403 to its learners, as the pages."""
    membership = _user(request).memberships.select_related("team").filter(team_id=team_id).first()
    if membership is None:
        raise HttpError(404, "No such team.")
    if membership.role != Membership.Role.INSTRUCTOR:
        raise HttpError(403, "Only the team's instructors can see its progress.")
    return membership.team


@router.get(
    "/teams/{team_id}/progress",
    response={200: schemas.TeamProgress, **WRITE_ERRORS},
    tags=["teams"],
)
def team_progress(
    request: HttpRequest, team_id: int = TeamId, page: int = Page
) -> schemas.TeamProgress:
    """The team dashboard's grid: each learner's coverage per topic, a page of 50
    learners in the dashboard's order (instructors)."""
    team = _taught(request, team_id)
    grid = team_grid(team)
    count = grid.learners.count()
    start = (page - 1) * PAGE_SIZE
    matrix = grid.matrix(list(grid.learners[start : start + PAGE_SIZE]))
    return schemas.TeamProgress(
        team=team.pk,
        question_count=matrix.question_count,
        count=count,
        page=page,
        pages=max(1, math.ceil(count / PAGE_SIZE)),
        learners=[
            schemas.LearnerProgress(
                username=row.user.username,
                display_name=row.user.shown_name,
                covered=row.covered,
                total=row.total,
                last_activity=row.last_activity,
                topics=[
                    schemas.Cell(topic=cell.topic.slug, covered=cell.covered, total=cell.total)
                    for cell in row.cells
                ],
            )
            for row in matrix.rows
        ],
    )


@router.get(
    "/teams/{team_id}/assignments",
    response={200: list[schemas.Assignment], **WRITE_ERRORS},
    tags=["teams"],
)
def team_assignments(request: HttpRequest, team_id: int = TeamId) -> list[schemas.Assignment]:
    """The team's assignments, with how many learners are in each state (instructors)."""
    team = _taught(request, team_id)
    assignments = list(team.assignments.select_related("topic_set").order_by("due_date", "pk"))
    held = {a.pk: a.topic_set.question_ids() for a in assignments}
    statuses = progress_of_learners_by_set(team, held)
    found = []
    for a in assignments:
        states = Counter(s.progress.state for s in statuses[a.pk])
        found.append(
            schemas.Assignment(
                id=a.pk,
                topic_set=a.topic_set.name,
                due_date=a.due_date,
                question_count=len(held[a.pk]),
                complete=states[COMPLETE],
                in_progress=states[IN_PROGRESS],
                not_started=states[NOT_STARTED],
            )
        )
    return found


@router.get(
    "/teams/{team_id}/assignments/{assignment_id}/learners",
    response={200: schemas.AssignmentLearners, **WRITE_ERRORS},
    tags=["teams"],
)
def assignment_learners(
    request: HttpRequest,
    team_id: int = TeamId,
    assignment_id: int = Path(..., ge=1, le=2_147_483_647),
    page: int = Page,
) -> schemas.AssignmentLearners:
    """Each learner's status on one assignment, the most covered first, 50 a page."""
    team = _taught(request, team_id)
    assignment = team.assignments.select_related("topic_set").filter(pk=assignment_id).first()
    if assignment is None:
        raise HttpError(404, "No such assignment.")
    statuses = progress_of_learners(team, assignment.topic_set.question_ids())
    start = (page - 1) * PAGE_SIZE
    return schemas.AssignmentLearners(
        assignment=assignment.pk,
        count=len(statuses),
        page=page,
        pages=max(1, math.ceil(len(statuses) / PAGE_SIZE)),
        learners=[
            schemas.LearnerStatus(
                username=s.membership.user.username,
                display_name=s.membership.user.shown_name,
                state=s.progress.state,
                covered=s.progress.covered,
                total=s.progress.total,
            )
            for s in statuses[start : start + PAGE_SIZE]
        ],
    )
