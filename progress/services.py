"""Workflows that write a learner's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from progress.models import Confidence, ConfidenceEvent, ConfidenceMark, Note
from progress.recall import (
    CHECK_FIELDS,
    FRESH_CHECK_FIELDS,
    latest_check,
    latest_check_id,
    mark_fields,
)
from progress.scheduling import SCHEDULE_FIELDS, review, schedule_fields
from questions.models import Question
from studyhub.markdown import render_markdown


class _LookUp(Enum):
    """The default of `current`: None would mean "the learner has no mark"."""

    MARK = "look up the mark"


_LOOK_UP = _LookUp.MARK


def mark_for(user: User, key: str, *, lock: bool = False) -> ConfidenceMark | None:
    """The user's current mark on the question with this key, with its question loaded:
    one query on the hot path of marking. With `lock`, locked for update (PostgreSQL;
    SQLite's transaction holds the write lock anyway): call it inside a transaction."""
    marks = ConfidenceMark.objects.select_related("question")
    if lock:
        marks = marks.select_for_update(of=("self",))
    return marks.filter(user=user, question__key=key).first()


class MarkChanged(Exception):
    """The learner's mark changed after a rating read it: another tab or device rated the
    question, or a typed answer was checked, in between. Rate it again from the new mark."""


@dataclass(frozen=True)
class PendingRating:
    """What one rating writes, worked out before anything is written: the event, the new
    current mark, and what they were computed from (to tell whether it still holds)."""

    event: ConfidenceEvent
    mark: ConfidenceMark
    #: The current mark the rating started from (None: the learner's first rating).
    current: ConfidenceMark | None
    #: A first rating carries the learner's latest check on the question: its id.
    check_id: int | None


def rate(
    *,
    user: User,
    question: Question,
    level: int,
    current: ConfidenceMark | None,
    at: datetime | None = None,
) -> PendingRating:
    """The rating of `question` at `level`, from the learner's `current` mark: its FSRS
    step and the cap of a fresh typed-answer check. Reads nothing but, on a first
    rating, the latest check; writes nothing (save_rating does)."""
    if type(level) is not int or level not in Confidence.values:
        raise ValueError(f"confidence level must be 1–5, not {level!r}")
    when = at or timezone.now()
    # A typed answer checked since the last rating is this rating's: its score caps it.
    # A first mark takes the learner's latest check (one query, on a first mark only).
    check_id = None
    if current is None:
        check = latest_check(user, question)
        check_id = check.pk if check else None
        carried = mark_fields(check)
    else:
        carried = {field: getattr(current, field) for field in CHECK_FIELDS}
    fresh = current is None or current.has_fresh_check
    recall = carried["recall"] if fresh else None
    card, rating = review(current, level, when, recall=recall)
    event = ConfidenceEvent(
        user=user, question=question, level=level, rating=int(rating), created_at=when
    )
    mark = ConfidenceMark(
        user=user,
        question=question,
        level=level,
        updated_at=when,
        **schedule_fields(card),
        **carried,
    )
    return PendingRating(event=event, mark=mark, current=current, check_id=check_id)


def save_rating(rating: PendingRating, *, if_unchanged: bool = False) -> None:
    """Write a rating's event and make its mark the current one. Call inside a transaction.

    By default the mark is upserted on (user, question), so two ratings at once still
    leave exactly one current row and both events; `rating.current` should then have been
    read locked in this transaction (mark_for(lock=True)).

    With `if_unchanged`, the rating was worked out before the transaction (so that the
    write lock is held only for the write): it is written only if the stored mark is
    still the one it started from, and MarkChanged says otherwise.
    """
    mark, current = rating.mark, rating.current
    if not if_unchanged:
        ConfidenceMark.objects.bulk_create(
            [mark],
            update_conflicts=True,
            unique_fields=["user", "question"],
            update_fields=["level", "updated_at", *SCHEDULE_FIELDS],
        )
    elif current is None:
        # A first rating: no mark was there, and its check is still the latest.
        if latest_check_id(mark.user, mark.question) != rating.check_id:
            raise MarkChanged
        try:
            mark.save(force_insert=True)
        except IntegrityError as error:  # another first rating came first
            raise MarkChanged from error
    else:
        # Every rating moves updated_at, and every check made or deleted moves recall_at.
        written = ConfidenceMark.objects.filter(
            pk=current.pk, updated_at=current.updated_at, recall_at=current.recall_at
        ).update(
            level=mark.level,
            updated_at=mark.updated_at,
            **{field: getattr(mark, field) for field in SCHEDULE_FIELDS},
        )
        if not written:
            raise MarkChanged
        mark.pk = current.pk
    rating.event.save(force_insert=True)


def record_confidence(
    *,
    user: User,
    question: Question,
    level: int,
    at: datetime | None = None,
    current: ConfidenceMark | None | _LookUp = _LOOK_UP,
) -> ConfidenceMark:
    """Keep the mark as an event and make it the current value.

    The current row is written with an upsert on (user, question), so two
    requests at once still leave exactly one current row and both events.
    `current`: the learner's current mark (or None), if the caller has already
    loaded it with select_for_update in this transaction (see mark_for).
    """
    # Checked before the transaction: a bad level must not spoil a caller's transaction.
    if type(level) is not int or level not in Confidence.values:
        raise ValueError(f"confidence level must be 1–5, not {level!r}")
    return _record(user=user, question=question, level=level, at=at, current=current)


@transaction.atomic(savepoint=False)  # inside a caller's transaction, no savepoint needed
def _record(
    *,
    user: User,
    question: Question,
    level: int,
    at: datetime | None,
    current: ConfidenceMark | None | _LookUp,
) -> ConfidenceMark:
    if current is _LOOK_UP:
        # Lock the current row (PostgreSQL) so concurrent marks schedule one after another.
        current = (
            ConfidenceMark.objects.select_for_update()
            .filter(user=user, question=question)
            .only(*SCHEDULE_FIELDS, *FRESH_CHECK_FIELDS)
            .first()
        )
    rating = rate(user=user, question=question, level=level, current=current, at=at)
    save_rating(rating)
    return rating.mark


class NoteConflict(Exception):
    """The note changed after the editor opened it: another tab or device saved first."""

    def __init__(self, saved: Note | None) -> None:
        super().__init__("the note changed since this edit began")
        self.saved = saved


def note_revision(note: Note | None) -> str:
    """Which saved state of a note an editor started from; "" for no note.

    The version alone is not enough: an emptied note is deleted, and writing it
    again starts over at version 1. The time of the save tells the two apart.
    """
    if note is None:
        return ""
    return f"{note.version}.{note.updated_at.astimezone(UTC):%Y%m%d%H%M%S%f}"


def save_note(
    *,
    user: User,
    question: Question,
    text: str,
    base_revision: str | None = None,
    editor: str = "",
    seq: int | None = None,
) -> Note | None:
    """Store the learner's note and its rendering; an empty note is removed. Returns
    the note, or None.

    With ``base_revision`` (what the editor started from, see ``note_revision``) a
    note that changed since then is left alone and NoteConflict says so: a stale tab
    never overwrites newer text. The row is locked (PostgreSQL; SQLite runs one
    writing transaction at a time), so two saves from the same start cannot both win.

    ``editor`` and ``seq`` name one opening of the editor and number its saves
    (static/js/notes.js). A save of the editor that wrote the note last is no
    conflict: a later one (higher ``seq``) is its newer text and is stored, an
    earlier one that arrives late is ignored and the note returned as it is. So a
    closing tab may send its last text while a save is still in flight.
    """
    # Rendered before the transaction starts, so that neither the row lock nor SQLite's
    # write lock is held while Markdown is parsed.
    html = render_markdown(text) if text.strip() else ""
    return _store_note(
        user=user,
        question=question,
        text=text,
        html=html,
        base_revision=base_revision,
        editor=editor if seq else "",
        seq=seq or 0,
    )


def save_note_from_editor(
    *,
    user: User,
    question: Question,
    text: str,
    base_revision: str | None,
    editor: str,
    seq: int | None,
) -> Note | None:
    """save_note for what a note editor sends. A save of the text already saved is no
    conflict, whatever version it started from: it changes nothing (say a save from a
    closing tab, after one with the same text had landed), and the saved note is returned.
    """
    try:
        return save_note(
            user=user,
            question=question,
            text=text,
            base_revision=base_revision,
            editor=editor,
            seq=seq,
        )
    except NoteConflict as conflict:
        saved_text = conflict.saved.text if conflict.saved else ""
        if (text if text.strip() else "") == saved_text:
            return conflict.saved
        raise


def _goes_on(note: Note | None, *, base_revision: str | None, editor: str, seq: int) -> bool:
    """Whether the save is to be written (True) or is an earlier save of the editor
    that wrote `note` last (False); NoteConflict when the note changed elsewhere."""
    same_editor = note is not None and editor != "" and note.last_editor == editor
    if note is not None and same_editor and seq <= note.last_seq:
        return False
    if base_revision is None or base_revision == note_revision(note) or same_editor:
        return True
    raise NoteConflict(note)


@transaction.atomic
def _store_note(
    *,
    user: User,
    question: Question,
    text: str,
    html: str,
    base_revision: str | None,
    editor: str,
    seq: int,
) -> Note | None:
    note = Note.objects.select_for_update().filter(user=user, question=question).first()
    if not _goes_on(note, base_revision=base_revision, editor=editor, seq=seq):
        return note
    if not text.strip():
        if note is not None:
            note.delete()
        return None
    if note is None:
        try:
            with transaction.atomic():
                return Note.objects.create(
                    user=user,
                    question=question,
                    text=text,
                    html=html,
                    version=1,
                    last_editor=editor,
                    last_seq=seq,
                )
        except IntegrityError:
            # Another request created it between our look-up and our insert.
            note = Note.objects.select_for_update().get(user=user, question=question)
            if not _goes_on(note, base_revision=base_revision, editor=editor, seq=seq):
                return note
    if note.text != text:
        note.text, note.html = text, html
        note.version += 1
        note.last_editor, note.last_seq = editor, seq
        note.save(
            update_fields=["text", "html", "version", "last_editor", "last_seq", "updated_at"]
        )
    elif editor and note.last_editor == editor:
        # The text is unchanged, so the version stays; an earlier save of this editor
        # that arrives late is still to be ignored.
        Note.objects.filter(pk=note.pk).update(last_seq=seq)
        note.last_seq = seq
    return note
