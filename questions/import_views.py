"""The question bank page and importing a question file: upload, preview, confirm.

Importing is for staff and for instructors of at least one team; everyone else signed
in gets a 403. The uploaded text is kept in an ImportRecord of the uploader, and the
preview is worked out from it again on every request, so what is confirmed is what
the file says, not anything a browser sent back.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from questions.forms import ImportUploadForm
from questions.import_services import (
    DUPLICATE,
    ImportRefused,
    ImportReport,
    confirm_import,
    document_of,
    plan_import,
    store_upload,
)
from questions.importers import ParseError
from questions.models import Answer, ImportRecord, Question, Topic
from teams.models import Membership

RECENT_IMPORTS = 5


def can_import_questions(user) -> bool:
    """Staff, and instructors of at least one team, may add questions to the bank."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.memberships.filter(role=Membership.Role.INSTRUCTOR).exists()


def _require_import_permission(request: HttpRequest) -> None:
    if not can_import_questions(request.user):
        raise PermissionDenied("Only staff and team instructors can import questions.")


@require_GET
@login_required
def bank(request: HttpRequest) -> HttpResponse:
    """The bank as a whole: its size, its downloads and, for those who may, importing."""
    allowed = can_import_questions(request.user)
    context = {
        "question_count": Question.objects.count(),
        "answer_count": Answer.objects.count(),
        "topic_count": Topic.objects.count(),
        "can_import": allowed,
        "recent_imports": _recent_imports(request) if allowed else [],
    }
    return TemplateResponse(request, "questions/bank.html", context)


def _recent_imports(request: HttpRequest) -> list[ImportRecord]:
    return list(
        request.user.question_imports.defer("text").filter(status=ImportRecord.Status.DONE)[
            :RECENT_IMPORTS
        ]
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_import_permission(request)
    # Bound on any POST, an empty one included, so a post without a file is refused.
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        problems = _plan_problems(form)
        if not problems:
            record, replaced = store_upload(
                user=request.user,
                file_name=form.cleaned_data["file"].name[:255],
                format=form.cleaned_data["format"],
                text=form.text,
                topics=form.chosen_topics,
            )
            if replaced:
                limit = settings.IMPORT_MAX_PENDING
                names = ", ".join(f"“{name}”" for name in replaced)
                messages.info(
                    request,
                    f"Up to {limit} uploads wait for confirmation at a time, so the oldest, "
                    f"{names}, was discarded; upload it again to import it.",
                )
            return redirect(record)
        for problem in problems:
            form.add_error(None, problem)
    status = 422 if form.is_bound else 200
    context = {
        "form": form,
        "recent_imports": _recent_imports(request),
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_questions": settings.IMPORT_MAX_QUESTIONS,
    }
    return TemplateResponse(request, "questions/import_upload.html", context, status=status)


def _plan_problems(form: ImportUploadForm) -> list[str]:
    """What stops this file from being imported as it stands, given the bank."""
    try:
        plan = plan_import(form.document, topics=form.chosen_topics)
    except ParseError as error:
        return [str(error)]
    return plan.problems


@require_http_methods(["GET", "POST"])
@login_required
def import_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    """GET: what the import would do. POST: do it. After that: what it did."""
    _require_import_permission(request)
    record = get_object_or_404(request.user.question_imports, pk=import_id)
    if not record.is_pending:
        if request.method == "POST":
            messages.info(request, "This file has already been imported.")
            return redirect(record)
        return _import_result(request, record)

    if request.method == "POST":
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
            return redirect(record)
        except IntegrityError:
            messages.error(
                request,
                "Nothing was imported: the question bank changed while importing "
                "(someone else imported the same questions). Check the preview again.",
            )
            return redirect(record)
        messages.success(request, str(report) if report else "Already imported.")
        return redirect(record)

    try:
        plan = plan_import(document_of(record), topics=record.topics)
    except ParseError as error:  # the bank changed since the upload (a topic went away)
        context = {"record": record, "plan": None, "problems": [str(error)], "summary": []}
    else:
        context = {
            "record": record,
            "plan": plan,
            "problems": plan.problems,
            "summary": plan.summary_rows(),
            "duplicates": plan.with_status(DUPLICATE),
            "can_confirm": plan.can_confirm,
        }
    return TemplateResponse(request, "questions/import_preview.html", context)


def _import_result(request: HttpRequest, record: ImportRecord) -> HttpResponse:
    report = ImportReport.from_dict(record.summary)
    keys = report.keys
    questions = Question.objects.filter(key__in=keys).only("key", "text", "position")
    context = {
        "record": record,
        "summary": report.summary_rows(),
        "questions": questions[: settings.IMPORT_MAX_QUESTIONS],
    }
    return TemplateResponse(request, "questions/import_result.html", context)
