"""The question bank page and importing a question file: upload, preview, confirm.

Importing is for those questions.access allows: staff into the library, a team's
instructors into its bank; everyone else signed in gets a 403. The uploaded text is kept in an
ImportRecord of the uploader, and the preview is worked out from it again on every
request, so what is confirmed is what the file says, not anything a browser sent back.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from questions.access import (
    can_import,
    questions_seen_by,
    visible_questions,
    visible_topics,
    writable_banks,
)
from questions.forms import LIBRARY, ImportUploadForm
from questions.importing import (
    ImportRefused,
    ImportReport,
    ParseError,
    confirm_import,
    preview_import,
    store_upload,
)
from questions.models import Answer, Bank, ImportRecord

RECENT_IMPORTS = 5


def _require_import_permission(request: AuthenticatedHttpRequest) -> list[Bank | None]:
    """Where the user may import: the library for staff, the banks of the teams they
    instruct. Nowhere is a 403."""
    banks = writable_banks(request.user)
    if not banks:
        raise PermissionDenied("Only staff and team instructors can import questions.")
    return banks


#: The way to the import pages (templates/_breadcrumbs.html): (label, URL name).
BANK = [("Question bank", "questions:bank")]
IMPORT = [("Import", "questions:import_upload")]


def _breadcrumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """Topics, then `trail`: each (label, URL name), the page itself last with None."""
    crumbs = [("Topics", "progress:topic_list"), *trail]
    return [(label, reverse(name) if name else None) for label, name in crumbs]


@require_GET
@login_required
def bank(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The bank as a whole: its size, its downloads and, for those who may, importing."""
    user = request.user
    allowed = can_import(user)
    seen = visible_questions(user)
    context = {
        "question_count": seen.count(),
        "answer_count": Answer.objects.filter(question__in=seen).count(),
        "topic_count": visible_topics(user).count(),
        "can_import": allowed,
        "recent_imports": _recent_imports(request) if allowed else [],
        "breadcrumbs": _breadcrumbs(("Question bank", None)),
    }
    return TemplateResponse(request, "questions/bank.html", context)


def _recent_imports(request: AuthenticatedHttpRequest) -> list[ImportRecord]:
    return list(
        request.user.question_imports.defer("text")
        .select_related("bank")
        .filter(status=ImportRecord.Status.DONE)[:RECENT_IMPORTS]
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The upload form; a file that reads, and that the bank takes, is kept for its preview."""
    banks = _require_import_permission(request)
    # Bound on any POST, an empty one included, so a post without a file is refused.
    posted = request.method == "POST"
    wanted = request.GET.get("bank", "")
    # ?bank= (a team bank's id, or "library") chooses the bank the form starts on.
    banks.sort(key=lambda b: (LIBRARY if b is None else str(b.pk)) != wanted)
    form = ImportUploadForm(
        request.POST if posted else None, request.FILES if posted else None, banks=banks
    )
    if posted and form.is_valid():
        record, replaced = store_upload(
            user=request.user,
            file_name=form.file_name,
            format=form.cleaned_data["format"],
            text=form.text,
            topics=form.chosen_topics,
            bank=form.chosen_bank,
        )
        if replaced:
            messages.info(request, _discarded(replaced))
        return redirect(record)
    context = {
        "form": form,
        "recent_imports": _recent_imports(request),
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_questions": settings.IMPORT_MAX_QUESTIONS,
        "breadcrumbs": _breadcrumbs(*BANK, ("Import", None)),
    }
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "questions/import_upload.html", context, status=status)


def _discarded(file_names: list[str]) -> str:
    names = ", ".join(f"“{name}”" for name in file_names)
    return (
        f"Up to {settings.IMPORT_MAX_PENDING} uploads wait for confirmation at a time, so "
        f"the oldest, {names}, was discarded; upload it again to import it."
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_preview(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    """GET: what the import would do. POST: do it. After that: what it did."""
    banks = _require_import_permission(request)
    record = get_object_or_404(
        request.user.question_imports.select_related("bank", "undone_by"), pk=import_id
    )
    if record.is_pending and record.bank not in banks:
        raise PermissionDenied("You no longer instruct the team whose bank this file was for.")
    if request.method == "POST":
        _confirm(request, record)
        return redirect(record)
    if not record.is_pending:
        return _import_result(request, record, can_undo=record.bank in banks)
    plan, problems = preview_import(record)
    context: dict[str, object] = {"record": record, "plan": plan, "problems": problems}
    context["breadcrumbs"] = _breadcrumbs(*BANK, *IMPORT, ("Check", None))
    return TemplateResponse(request, "questions/import_preview.html", context)


def _confirm(request: AuthenticatedHttpRequest, record: ImportRecord) -> None:
    """Import the record's file, and say how that went."""
    if not record.is_pending:
        messages.info(request, "This file has already been imported.")
        return
    try:
        # Keys the plan does not hold as likely duplicates are never looked at, so a
        # forged value cannot add anything.
        report = confirm_import(
            record=record,
            keep=set(request.POST.getlist("keep")),
            keep_all_duplicates=request.POST.get("keep_all") == "1",
        )
    except (ImportRefused, ParseError) as error:
        messages.error(request, f"Nothing was imported. {error}")
    except IntegrityError:
        messages.error(
            request,
            "Nothing was imported: the question bank changed while importing "
            "(someone else imported the same questions). Check the preview again.",
        )
    else:
        messages.success(request, str(report) if report else "Already imported.")


def _import_result(
    request: AuthenticatedHttpRequest, record: ImportRecord, *, can_undo: bool
) -> HttpResponse:
    report = ImportReport.from_dict(record.summary)
    seen = questions_seen_by(request.user)
    questions = seen.filter(key__in=report.keys).only("key", "text", "position", "retired_at")
    context = {
        "record": record,
        "can_undo": can_undo,
        "summary": report.summary_rows(),
        "questions": questions[: settings.IMPORT_MAX_QUESTIONS],
        "breadcrumbs": _breadcrumbs(*BANK, *IMPORT, (record.file_name, None)),
    }
    return TemplateResponse(request, "questions/import_result.html", context)
