"""The upload page's imports: an uploaded file is kept in an ImportRecord of its
uploader until it is confirmed, and parsed and planned again from it on every request,
so what is confirmed is what the file says, not anything a browser sent back."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from questions.importing.document import ImportDocument, ParseError
from questions.importing.planning import ImportPlan, plan_import
from questions.importing.reading import parse_import
from questions.importing.writing import ImportRefused, ImportReport, write_plan
from questions.models import Bank, ImportRecord


def document_of(record: ImportRecord, *, max_questions: int | None = None) -> ImportDocument:
    """The record's file, parsed again: the preview never trusts what a browser sends."""
    return parse_import(
        record.text, source=record.file_name, format=record.format, max_questions=max_questions
    )


def preview_import(record: ImportRecord) -> tuple[ImportPlan | None, list[str]]:
    """The plan of a record's file against the bank as it is now, and what stops it
    from being imported; no plan when the bank no longer takes the file at all (a topic
    it joins went away since the upload)."""
    try:
        plan = plan_import(document_of(record), topics=record.topics, bank=record.bank)
    except ParseError as error:
        return None, [str(error)]
    return plan, plan.problems


def confirm_import(
    *, record: ImportRecord, keep: Collection[str] = (), keep_all_duplicates: bool = False
) -> ImportReport | None:
    """Import a pending record's file; None when it was already imported (a second
    click, or another tab).

    The file is parsed and planned again first, outside any transaction (the browser
    is not trusted); then the claim of the record and the write share one short
    transaction, so only one of two clicks writes, and all or nothing.
    """
    plan = plan_import(document_of(record), topics=record.topics, bank=record.bank)
    if plan.problems:
        raise ImportRefused(plan.problems)
    with transaction.atomic():
        claimed = ImportRecord.objects.filter(
            pk=record.pk, status=ImportRecord.Status.PENDING
        ).update(status=ImportRecord.Status.DONE, imported_at=timezone.now())
        if not claimed:
            return None
        report = write_plan(plan, keep=keep, keep_all_duplicates=keep_all_duplicates, record=record)
        ImportRecord.objects.filter(pk=record.pk).update(summary=report.as_dict())
    record.refresh_from_db()
    return report


def store_upload(
    *,
    user: User,
    file_name: str,
    format: str,
    text: str,
    topics: list[str],
    bank: Bank | None = None,
) -> tuple[ImportRecord, list[str]]:
    """Keep an uploaded file for its preview. Each user keeps at most
    IMPORT_MAX_PENDING unconfirmed uploads: the oldest beyond that are deleted, and
    their file names returned."""
    forget_stale_imports()
    record = ImportRecord.objects.create(
        user=user, file_name=file_name, format=format, text=text, topics=topics, bank=bank
    )
    pending = user.question_imports.filter(status=ImportRecord.Status.PENDING)
    keep = pending.order_by("-created_at", "-pk")[: settings.IMPORT_MAX_PENDING]
    older = pending.exclude(pk__in=list(keep.values_list("pk", flat=True)))
    replaced = list(older.order_by("created_at", "pk").values_list("file_name", flat=True))
    older.delete()
    return record, replaced


def forget_stale_imports(*, older_than_days: int = 2) -> int:
    """Delete previews nobody confirmed; imported records stay as the history."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = ImportRecord.objects.filter(
        status=ImportRecord.Status.PENDING, created_at__lt=cutoff
    ).delete()
    return deleted
