"""What the API's requests and answers hold (its OpenAPI schema is made from these)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from ninja import Field, Schema

#: A question's key in a path: what the bank's keys may hold.
Key = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")]


class Error(Schema):
    detail: Any = Field(description="What went wrong: a sentence, or the fields at fault.")


class Topic(Schema):
    slug: str
    name: str
    description: str
    question_count: int


class QuestionSummary(Schema):
    key: str
    position: int
    text: str
    topics: list[str] = Field(description="The slugs of its topics you can see.")


class QuestionPage(Schema):
    count: int
    page: int
    pages: int
    items: list[QuestionSummary]


class Answer(Schema):
    markdown: str
    html: str = Field(description="Rendered and sanitised, as the site shows it.")
    ends_abruptly: bool


class Question(QuestionSummary):
    answer: Answer | None
    long_answer: Answer | None
    related: list[str] = Field(description="Keys of related questions you can see.")


class TokenInfo(Schema):
    name: str
    scope: str
    expires_at: datetime | None


class Me(Schema):
    username: str
    display_name: str
    token: TokenInfo | None = Field(description="The token of this request; null for a session.")


class Mark(Schema):
    question: str
    level: int = Field(ge=1, le=5)
    level_label: str
    due: datetime | None
    updated_at: datetime


class MarkPage(Schema):
    count: int
    page: int
    pages: int
    items: list[Mark]


class MarkIn(Schema):
    level: int = Field(
        ge=1, le=5, description="1 Not yet, 2 Shaky, 3 Okay, 4 Confident, 5 Mastered."
    )


class Note(Schema):
    question: str
    text: str
    html: str
    revision: str = Field(description="Send it back with a change, as `revision`.")
    updated_at: datetime


class NotePage(Schema):
    count: int
    page: int
    pages: int
    items: list[Note]


class NoteIn(Schema):
    text: str = Field(max_length=settings.NOTE_MAX_LENGTH, description="Markdown; empty deletes.")
    revision: str = Field(
        max_length=64,
        description='The revision the change starts from: the note\'s, or "" for a new '
        "note. A note changed since answers 409.",
    )


class NoteConflict(Schema):
    detail: str
    note: Note | None = Field(description="The note as it is now; null if it was deleted.")


class Coverage(Schema):
    slug: str
    name: str
    question_count: int
    covered_count: int
    verified_count: int


class CalibrationLevel(Schema):
    level: int
    label: str
    checked: int
    promised: int
    average_recall: int | None


class CalibrationTopic(Schema):
    slug: str
    name: str
    checked: int
    promised: int
    recall: int


class Calibration(Schema):
    checked: int
    average_promised: int
    average_recall: int
    gap: int
    levels: list[CalibrationLevel]
    topics: list[CalibrationTopic]


class Team(Schema):
    id: int
    name: str
    role: str


class Cell(Schema):
    topic: str
    covered: int
    total: int


class LearnerProgress(Schema):
    username: str
    display_name: str
    covered: int
    total: int
    last_activity: datetime | None
    topics: list[Cell]


class TeamProgress(Schema):
    team: int
    question_count: int
    count: int = Field(description="Learners in the team; `learners` holds one page of them.")
    page: int
    pages: int
    learners: list[LearnerProgress]


class LearnerStatus(Schema):
    username: str
    display_name: str
    state: str
    covered: int
    total: int


class Assignment(Schema):
    id: int
    topic_set: str
    due_date: date | None
    question_count: int
    complete: int = Field(description="Learners who cover all of its questions.")
    in_progress: int
    not_started: int


class AssignmentLearners(Schema):
    assignment: int
    count: int
    page: int
    pages: int
    learners: list[LearnerStatus] = Field(description="The most covered first.")
