"""A learner's own data as a file, to keep or take elsewhere: their confidence, its
history, their notes and their teams. Only ever built for the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Case, F, QuerySet, TextField, Value, When
from django.utils import timezone

from accounts.models import User
from progress.models import COVERED_LEVEL, Confidence
from questions.access import visible_banks
from questions.models import in_library_or

LEARNER_FORMAT = "studyhub-learner-data"
#: 2 added each mark's latest check (recall, verified) and the typed answers.
LEARNER_FORMAT_VERSION = 2


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


Row = TypeVar("Row")

#: Rows fetched at a time while a learner's data streams out.
EXPORT_CHUNK = 2_000


def _streamed(rows: QuerySet[Any, Row]) -> Iterator[Row]:
    """The rows, fetched EXPORT_CHUNK at a time and never all held."""
    return rows.iterator(chunk_size=EXPORT_CHUNK)


def learner_data(user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything StudyHub keeps about `user`'s studying, in five queries, as lists."""
    return {
        key: list(value) if isinstance(value, Iterator) else value
        for key, value in learner_sections(user, now=now).items()
    }


def learner_sections(user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """learner_data with each long section (confidence, history, notes, typed answers) an
    iterator over its rows, fetched EXPORT_CHUNK at a time: what the download streams, so
    that a learner with years of history never sits whole in a worker's memory. Each
    section's query runs when it is first read."""
    labels = dict(Confidence.choices)
    # Everything the user did is theirs, but a question's text only while they can read
    # it: not the current text of a team bank's question after they left the team.
    seen_text = Case(
        When(in_library_or(visible_banks(user), prefix="question__"), then=F("question__text")),
        default=Value(""),
        output_field=TextField(),
    )
    marks = (
        user.confidence_marks.order_by("question__position", "question__pk")
        .annotate(seen_text=seen_text)
        .values_list(
            "question__key", "seen_text", "level", "updated_at", "due", "recall", "recalled_half"
        )
    )
    events = user.confidence_events.order_by("created_at", "pk").values_list(
        "question__key", "level", "created_at"
    )
    notes = (
        user.notes.order_by("question__position", "question__pk")
        .annotate(seen_text=seen_text)
        .values_list("question__key", "seen_text", "text", "version", "updated_at")
    )
    checks = (
        user.recall_checks.order_by("question__position", "question__pk", "created_at", "pk")
        .annotate(seen_text=seen_text)
        .values_list(
            "question__key",
            "seen_text",
            "text",
            "points",
            "score",
            "checked_score",
            "corrections",
            "created_at",
        )
    )
    teams = user.memberships.order_by("team__name", "team__pk").values_list(
        "team__name", "role", "joined_at", "shares_progress"
    )
    return {
        "format": LEARNER_FORMAT,
        "version": LEARNER_FORMAT_VERSION,
        "exported_at": _when(now or timezone.now()),
        "user": {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "time_zone": user.time_zone,
            "date_joined": _when(user.date_joined),
        },
        "teams": [
            {"name": name, "role": role, "joined_at": _when(joined), "shares_progress": shares}
            for name, role, joined, shares in teams
        ],
        "confidence": (
            {
                "question": key,
                "question_text": text,
                "level": level,
                "label": labels[level],
                "updated_at": _when(updated),
                "next_review": _when(due),
                "recall": recall,
                "verified": level >= COVERED_LEVEL and half,
            }
            for key, text, level, updated, due, recall, half in _streamed(marks)
        ),
        "history": (
            {"question": key, "level": level, "label": labels[level], "at": _when(at)}
            for key, level, at in _streamed(events)
        ),
        "notes": (
            {
                "question": key,
                "question_text": question_text,
                "text": text,
                "version": version,
                "updated_at": _when(updated),
            }
            for key, question_text, text, version, updated in _streamed(notes)
        ),
        "typed_answers": (
            {
                "question": key,
                "question_text": seen,
                "text": text,
                "key_points": [
                    {
                        "text": point["text"],
                        "mentioned": point["mentioned"],
                        "corrected_by_you": point["corrected"],
                    }
                    for point in points
                ],
                "recall": score,
                "recall_as_checked": checked,
                "corrections": fixes,
                "checked_at": _when(at),
            }
            for key, seen, text, points, score, checked, fixes, at in _streamed(checks)
        ),
    }
