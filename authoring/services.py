"""Writing and editing questions in the app, each change kept as a revision.

A question keeps its identity (its row, key and position) through every edit, so
every learner's confidence, history and notes stay attached. Each change writes a
QuestionRevision holding the whole question as it is afterwards; a question that was
never edited in the app (seeded or imported) gets a first revision of how it was,
written just before its first edit, so the history always starts at the beginning.

Retiring, bringing back and promoting a question are revisions too (with the content
unchanged, or moved to the library), so a question's history says who did what when.
Undoing an import deletes what nobody has used and retires the rest, in one
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from authoring.models import QuestionRevision
from progress.models import ConfidenceEvent, ConfidenceMark, Note
from questions.importing.planning import bank_name, derived_key
from questions.key_points import derive_key_points
from questions.models import Answer, Bank, ImportRecord, Question, Topic, in_library_or

KEY_MAX = 80
#: Tries at a free key when others write the same text at the same moment.
KEY_ATTEMPTS = 5
#: The action of the revision that keeps how a seeded or imported question was before
#: its first change in the app.
BASELINE = "As it was before editing"


@dataclass(frozen=True)
class QuestionContent:
    """Everything an author writes: what a revision keeps and the editor's form holds."""

    text: str
    concise: str
    long: str = ""
    topics: tuple[str, ...] = ()  # slugs
    related: tuple[str, ...] = ()  # keys
    #: Key points written by hand; none means "derive them from the answers".
    key_points: tuple[str, ...] = ()

    def as_data(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "concise": self.concise,
            "long": self.long,
            "topics": list(self.topics),
            "related": list(self.related),
            "key_points": list(self.key_points),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> QuestionContent:
        return cls(
            text=str(data.get("text", "")),
            concise=str(data.get("concise", "")),
            long=str(data.get("long", "")),
            topics=tuple(str(s) for s in data.get("topics", [])),
            related=tuple(str(k) for k in data.get("related", [])),
            key_points=tuple(str(p) for p in data.get("key_points", [])),
        )

    @classmethod
    def of(cls, question: Question) -> QuestionContent:
        """The question as it is now (reads its answers, topics and related questions)."""
        answers = {a.kind: a.text for a in question.answers.all()}
        return cls(
            text=question.text,
            concise=answers.get(Answer.Kind.CONCISE, ""),
            long=answers.get(Answer.Kind.LONG, ""),
            topics=tuple(sorted(t.slug for t in question.topics.all())),
            related=tuple(sorted(q.key for q in question.related.all())),
            key_points=tuple(question.key_points) if question.key_points_edited else (),
        )


def new_key(text: str, bank: Bank | None = None) -> str:
    """A key for a question written in the app: the importer's key for the same text in
    the same bank (a team bank's keys are its own: bank_name), so importing it later
    finds it, with a number added when that is taken."""
    base = derived_key(text)
    if bank is not None:
        base = bank_name(base, bank, KEY_MAX)
    taken = set(Question.objects.filter(key__startswith=base).values_list("key", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"[:KEY_MAX]


@transaction.atomic
def write_question(
    *, bank: Bank | None, author: User, content: QuestionContent, action: str = "Written"
) -> Question:
    """A new question in `bank` (the library when None), with its first revision.

    Two writers of the same text at once may both find its key free: the second's
    insert fails on the key's uniqueness, inside a savepoint, and it takes the next key.
    """
    # After the last question the bank's team sees: numbers shown never count others'.
    in_view = in_library_or([bank.pk] if bank is not None else [])
    top = Question.objects.filter(in_view).aggregate(top=Max("position"))["top"] or 0
    for attempt in range(KEY_ATTEMPTS):
        try:
            with transaction.atomic():
                question = Question.objects.create(
                    key=new_key(content.text, bank),
                    position=top + 1,
                    text=content.text,
                    bank=bank,
                    created_by=author,
                )
            break
        except IntegrityError:
            if attempt == KEY_ATTEMPTS - 1:
                raise
    _write_content(question, content)
    _record(question, author=author, action=action, content=content)
    return question


@transaction.atomic
def edit_question(
    *, question: Question, author: User, content: QuestionContent, action: str = "Edited"
) -> QuestionRevision | None:
    """Change the question to `content`, keeping its identity; None when nothing changed.

    The question's row is locked first, so two editors saving at once each get their
    own revision number, in the order they saved.
    """
    Question.objects.select_for_update().filter(pk=question.pk).first()
    before = QuestionContent.of(
        Question.objects.prefetch_related("answers", "topics", "related").get(pk=question.pk)
    )
    if before == content:
        return None
    _keep_baseline(question, before)
    question.text = content.text
    question.save(update_fields=["text"])
    _write_content(question, content)
    return _record(question, author=author, action=action, content=content)


def restore_revision(*, revision: QuestionRevision, author: User) -> QuestionRevision | None:
    """Make the question say again what `revision` holds (as a new revision). Topics and
    related questions that no longer exist are left out."""
    content = QuestionContent.from_data(revision.data)
    return edit_question(
        question=revision.question,
        author=author,
        content=content,
        action=f"Restored revision {revision.number}",
    )


def _write_content(
    question: Question, content: QuestionContent, *, keep_other_banks_links: bool = True
) -> None:
    for kind, text in ((Answer.Kind.CONCISE, content.concise), (Answer.Kind.LONG, content.long)):
        if text:
            Answer.objects.update_or_create(
                question=question, kind=kind, defaults={"text": text, "source_incomplete": False}
            )
        else:
            Answer.objects.filter(question=question, kind=kind).delete()
    question.key_points_edited = bool(content.key_points)
    question.key_points = list(content.key_points) or derive_key_points(
        content.concise, content.long
    )
    question.save(update_fields=["key_points", "key_points_edited"])
    topics = Topic.objects.in_scope([question.bank_id] if question.bank_id else [])
    question.topics.set(topics.filter(slug__in=content.topics))
    related = Question.objects.filter(key__in=content.related).exclude(pk=question.pk)
    # Related questions come from the library and the question's own bank only. Links
    # from other banks (a team's question linked to this library one) are not the
    # editor's to see or change: they stay.
    related = related.filter(in_same_scope(question))
    elsewhere = question.related.exclude(in_same_scope(question))
    question.related.set([*related, *(elsewhere if keep_other_banks_links else [])])


def in_same_scope(question: Question) -> Q:
    """The library and the question's own bank."""
    return in_library_or([question.bank_id] if question.bank_id else [])


def _record(
    question: Question, *, author: User | None, action: str, content: QuestionContent
) -> QuestionRevision:
    top = question.revisions.aggregate(top=Max("number"))["top"] or 0
    return QuestionRevision.objects.create(
        question=question, number=top + 1, author=author, action=action, data=content.as_data()
    )


def content_from(
    *,
    text: str,
    concise: str,
    long: str,
    topics: Iterable[Topic],
    related: Iterable[Question],
    key_points: Iterable[str] = (),
) -> QuestionContent:
    """The content an editor form holds, in the normal form revisions compare. Key points
    the same as those the answers give are no points of the author's own."""
    points = tuple(key_points)
    if list(points) == derive_key_points(concise, long):
        points = ()
    return QuestionContent(
        text=text,
        concise=concise,
        long=long,
        topics=tuple(sorted(t.slug for t in topics)),
        related=tuple(sorted(q.key for q in related)),
        key_points=points,
    )


def _keep_baseline(question: Question, content: QuestionContent) -> None:
    """A seeded or imported question has no revision yet: keep how it was first."""
    if not question.revisions.exists():
        _record(question, author=None, action=BASELINE, content=content)


def _current_content(question_id: int) -> QuestionContent:
    return QuestionContent.of(
        Question.objects.prefetch_related("answers", "topics", "related").get(pk=question_id)
    )


def latest_revision_number(question: Question) -> int:
    """The number of the question's latest revision; 0 when it has none."""
    return question.revisions.aggregate(top=Max("number"))["top"] or 0


# --- Editing without losing anyone's work ------------------------------------------


class EditConflict(Exception):
    """The question changed after the editor was opened: `latest` is what it says now."""

    def __init__(self, latest: QuestionRevision) -> None:
        super().__init__(f"Question changed since (revision {latest.number}).")
        self.latest = latest


@transaction.atomic
def save_edit(
    *, question: Question, author: User, content: QuestionContent, opened_revision: int
) -> QuestionRevision | None:
    """edit_question, unless someone changed the content after the editor was opened on
    `opened_revision` (0: the question had no revision then): EditConflict.

    Revisions that left the content as it was (retired, brought back) are no conflict:
    nothing the editor showed is out of date.
    """
    Question.objects.select_for_update().filter(pk=question.pk).first()
    latest = question.revisions.select_related("author").order_by("-number").first()
    if latest is not None and latest.number != opened_revision:
        # A question first edited after it was opened has its baseline as revision 1.
        opened = question.revisions.filter(number=max(opened_revision, 1)).first()
        if opened is None or QuestionContent.from_data(opened.data) != QuestionContent.from_data(
            latest.data
        ):
            raise EditConflict(latest)
    return edit_question(question=question, author=author, content=content)


# --- Retire, bring back, promote -----------------------------------------------------


def _record_unchanged(question: Question, *, author: User, action: str) -> QuestionRevision:
    """A revision of the question's content as it is: for a change of its state."""
    content = _current_content(question.pk)
    _keep_baseline(question, content)
    return _record(question, author=author, action=action, content=content)


@transaction.atomic
def retire_question(*, question: Question, by: User) -> bool:
    """Hide the question from lists, search, sessions and coverage; everyone's marks and
    notes stay. False when it was retired already."""
    now = timezone.now()
    changed = Question.objects.filter(pk=question.pk, retired_at__isnull=True).update(
        retired_at=now, retired_by=by
    )
    if not changed:
        return False
    question.retired_at, question.retired_by = now, by
    _record_unchanged(question, author=by, action="Retired")
    return True


@transaction.atomic
def unretire_question(*, question: Question, by: User) -> bool:
    """Bring a retired question back; False when it was not retired."""
    changed = Question.objects.filter(pk=question.pk, retired_at__isnull=False).update(
        retired_at=None, retired_by=None
    )
    if not changed:
        return False
    question.retired_at, question.retired_by = None, None
    _record_unchanged(question, author=by, action="Brought back")
    return True


class PromotionRefused(Exception):
    """Why a question cannot move into the library as asked."""


class NeedsLibraryTopic(PromotionRefused):
    """The question has no library topic, and none was chosen."""


@transaction.atomic
def promote_question(
    *, question: Question, by: User, topics: Iterable[Topic] = ()
) -> QuestionRevision:
    """Move a team question into the library, keeping its row, so every mark and note
    stays. It keeps its library topics (plus `topics`, library ones only) and leaves its
    team topics; related questions of the team bank are let go, since library readers
    could not open them."""
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if locked.bank_id is None:
        raise PromotionRefused("This question is in the library already.")
    before = _current_content(locked.pk)
    library_topics = {t.slug for t in locked.topics.filter(bank__isnull=True)}
    library_topics |= {t.slug for t in topics if t.bank_id is None}
    if not library_topics:
        raise NeedsLibraryTopic("Choose at least one library topic for the question.")
    library_related = locked.related.filter(bank__isnull=True).values_list("key", flat=True)
    content = replace(
        before, topics=tuple(sorted(library_topics)), related=tuple(sorted(library_related))
    )
    _keep_baseline(locked, before)
    locked.bank = None
    locked.save(update_fields=["bank"])
    question.bank = None
    _write_content(locked, content, keep_other_banks_links=False)
    return _record(locked, author=by, action="Promoted to the library", content=content)


# --- Undo an import ------------------------------------------------------------------


@dataclass(frozen=True)
class UndoneImport:
    deleted: int  # nobody had rated or noted them
    retired: int  # rated or noted by someone: hidden, with their marks and notes kept

    def __str__(self) -> str:
        parts = []
        if self.deleted:
            parts.append(
                f"{self.deleted} question{'s' if self.deleted != 1 else ''} nobody had rated "
                "or noted deleted"
            )
        if self.retired:
            parts.append(
                f"{self.retired} question{'s' if self.retired != 1 else ''} that learners had "
                "rated or noted retired (their marks and notes are kept)"
            )
        return "; ".join(parts) if parts else "nothing it added was left to remove"


def used_by_anyone() -> Q:
    """Questions someone has rated or written a note on."""
    return Q(
        Exists(ConfidenceMark.objects.filter(question=OuterRef("pk")))
        | Exists(ConfidenceEvent.objects.filter(question=OuterRef("pk")))
        | Exists(Note.objects.filter(question=OuterRef("pk")))
    )


@transaction.atomic
def undo_import(*, record: ImportRecord, by: User) -> UndoneImport | None:
    """Take back what an import added, in one transaction: questions nobody has rated
    or noted are deleted, the others retired. None when the import was undone already
    (or never confirmed): nothing changes.

    Only questions still in the import's bank count: one promoted to the library since
    is no longer the import's to take back.
    """
    locked = ImportRecord.objects.select_for_update().get(pk=record.pk)
    if locked.undone_at is not None or locked.is_pending:
        return None
    added = Question.objects.filter(import_record=locked, bank=locked.bank_id)
    unused = list(added.exclude(used_by_anyone()).values_list("pk", flat=True))
    Question.objects.filter(pk__in=unused).delete()
    now = timezone.now()
    to_retire = list(added.filter(retired_at__isnull=True).values_list("pk", flat=True))
    Question.objects.filter(pk__in=to_retire).update(retired_at=now, retired_by=by)
    _record_unchanged_many(to_retire, author=by, action="Retired: its import was undone")
    locked.undone_at, locked.undone_by = now, by
    locked.save(update_fields=["undone_at", "undone_by"])
    record.undone_at, record.undone_by = now, by
    return UndoneImport(deleted=len(unused), retired=len(to_retire))


def _record_unchanged_many(question_ids: list[int], *, author: User, action: str) -> None:
    """_record_unchanged for many questions, in a fixed number of queries."""
    if not question_ids:
        return
    questions = Question.objects.filter(pk__in=question_ids).prefetch_related(
        "answers", "topics", "related"
    )
    tops = dict(
        QuestionRevision.objects.filter(question__in=question_ids)
        .values_list("question")
        .annotate(top=Max("number"))
    )
    revisions = []
    for question in questions:
        data = QuestionContent.of(question).as_data()
        top = tops.get(question.pk, 0)
        if not top:
            revisions.append(
                QuestionRevision(question=question, number=1, action=BASELINE, data=data)
            )
            top = 1
        revisions.append(
            QuestionRevision(
                question=question, number=top + 1, author=author, action=action, data=data
            )
        )
    QuestionRevision.objects.bulk_create(revisions, batch_size=500)
