"""Writing, editing, retiring and promoting questions; their history; undoing an import;
and the pages of a team bank and of the library.

Who may do what (questions.access): the instructors of a team change its bank, staff
the library. A question whose bank the user does not see is a 404, as if it did not
exist; one they see but may not change is a 403. The bank pages are a team's
instructors' (its learners get a 403, everyone else a 404) and, for the library, staff's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from authoring.diffs import content_diff
from authoring.forms import (
    AnswerPreviewForm,
    EditQuestionForm,
    NewQuestionForm,
    PromoteForm,
    QuestionForm,
    bank_label,
    bank_value,
)
from authoring.models import QuestionRevision
from authoring.selectors import bank_imports, bank_questions, revision_names
from authoring.services import (
    EditConflict,
    NeedsLibraryTopic,
    PromotionRefused,
    QuestionContent,
    latest_revision_number,
    promote_question,
    restore_revision,
    retire_question,
    save_edit,
    undo_import,
    unretire_question,
    write_question,
)
from questions.access import (
    can_edit_bank,
    can_import,
    can_see_bank,
    questions_seen_by,
    writable_banks,
)
from questions.forms import LIBRARY
from questions.models import ImportRecord, Question
from studyhub.http import id_or_none, local_url
from studyhub.markdown import render_markdown
from teams.crumbs import team_crumbs
from teams.models import Team
from teams.permissions import instructor_or_403

QUESTION_FORM = "authoring/question_form.html"
#: Questions on one page of a bank; the library has hundreds.
BANK_PAGE_SIZE = 50
#: Revisions on one page of a question's history.
HISTORY_PAGE_SIZE = 20
#: Imports into a bank listed on its page, newest first.
BANK_IMPORTS = 10
#: No link asks for a history page beyond this: a bigger number is a 404.
HISTORY_PAGES_MAX = 99_999


# --- Who may -------------------------------------------------------------------------


def _refuse_bank(request: AuthenticatedHttpRequest, bank_id: int | None) -> None:
    """Raise for a bank the user may not change: 404 when they do not even see it."""
    if not can_see_bank(request.user, bank_id):
        raise Http404("No such bank.")
    if bank_id is None:
        raise PermissionDenied("Only staff can change the library.")
    raise PermissionDenied("Only the team's instructors can change its bank.")


def _editable_question(
    request: AuthenticatedHttpRequest, key: str, queryset: QuerySet[Question] | None = None
) -> Question:
    """The question, for those who may change it (retired or not)."""
    seen = questions_seen_by(request.user) if queryset is None else queryset
    # The bank's team too, for the way back to its page (no query of its own).
    question = get_object_or_404(seen.select_related("bank__team"), key=key)
    if not can_edit_bank(request.user, question.bank_id):
        raise PermissionDenied(
            "Only the instructors of its team (staff, for the library) can change this question."
        )
    return question


def _back(request: AuthenticatedHttpRequest, fallback: str) -> str:
    """Where a form sent from a list asked to go back to (`next`), if it is on this site."""
    return local_url(request, request.POST.get("next", "")) or fallback


def _bank_url(bank_id: int | None) -> str:
    """The page of a bank: the library's, or its team's bank page."""
    if bank_id is None:
        return reverse("authoring:library")
    team_id = Team.objects.filter(bank_id=bank_id).values_list("pk", flat=True).first()
    if team_id is None:
        return reverse("progress:dashboard")
    return reverse("authoring:team_bank", kwargs={"team_id": team_id})


def question_page(question: Question) -> str:
    """The question's own page (progress; settings.ABSOLUTE_URL_OVERRIDES)."""
    return reverse("progress:question_detail", kwargs={"key": question.key})


def _question_crumbs(
    question: Question, *trail: tuple[str, str | None], link_bank: bool = True
) -> list:
    """The way back: the bank's page (for its editors; its team loaded with the
    question), the question, then `trail`."""
    bank = question.bank
    bank_page: str | None = None
    if link_bank and bank is None:
        bank_page = reverse("authoring:library")
    elif link_bank and bank is not None:
        bank_page = reverse("authoring:team_bank", kwargs={"team_id": bank.team.pk})
    return [
        (bank_label(bank), bank_page),
        (f"Question {question.position}", question_page(question)),
        *trail,
    ]


# --- Writing and editing ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def question_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new question, in the library (staff) or a team bank the writer instructs.

    ?bank= (a bank's id, or "library"; none: the library) picks where it goes, and with
    it the topics and related questions offered; changing the bank on the page fetches
    those again (htmx), keeping what was typed.
    """
    banks = writable_banks(request.user)
    if not banks:
        raise PermissionDenied("Only staff and team instructors can write questions.")
    by_value = {bank_value(b): b for b in banks}
    posted = request.method == "POST"
    wanted = (request.POST if posted else request.GET).get("bank", "") or LIBRARY
    if not posted and wanted not in by_value and wanted != LIBRARY:
        # A bank they may not write into: 404 unless they see it, then 403.
        bank_id = id_or_none(wanted)
        if bank_id is None:
            raise Http404("No such bank.")
        _refuse_bank(request, bank_id)
    # The library when asked for and allowed, else the first bank the writer may use.
    scope = by_value.get(wanted, banks[0])
    if posted and "preview" not in request.POST:
        form = NewQuestionForm(request.POST, banks=banks, scope=scope)
        if form.is_valid():
            question = write_question(
                bank=form.chosen_bank, author=request.user, content=form.content()
            )
            messages.success(
                request, f"Question {question.position} written into the {_where(question)}."
            )
            return redirect(question_page(question))
        return _editor(request, form, status=422)
    form = NewQuestionForm(initial=_initial(request, posted), banks=banks, scope=scope)
    if request.htmx and not posted:  # the bank changed: its topics and related questions
        return TemplateResponse(request, QUESTION_FORM + "#scoped-fields", {"form": form})
    return _editor(request, form, previews=_previews(request) if posted else None)


def _where(question: Question) -> str:
    return "library" if question.bank is None else f"team bank of {question.bank.name}"


def _initial(request: AuthenticatedHttpRequest, posted: bool) -> dict[str, Any]:
    """What the form shows again without checking it: after a preview (posted) or a
    change of bank (the query)."""
    data: QueryDict = request.POST if posted else request.GET
    initial: dict[str, Any] = {
        name: data[name] for name in ("text", "concise", "long", "key_points") if name in data
    }
    for name in ("topics", "related"):
        if name in data:
            initial[name] = data.getlist(name)
    if "revision" in data:
        initial["revision"] = data["revision"]
    return initial


def _previews(request: AuthenticatedHttpRequest) -> list[dict[str, Any]]:
    """Both answers as learners will read them (Markdown, made safe), or why not."""
    form = AnswerPreviewForm(request.POST)
    form.is_valid()
    previews = []
    for name in ("concise", "long"):
        field = form.fields[name]
        if name in form.errors:
            previews.append({"label": field.label, "error": form.errors[name][0]})
        else:
            text = form.cleaned_data.get(name, "")
            previews.append({"label": field.label, "html": render_markdown(text) if text else ""})
    return previews


def _editor(
    request: AuthenticatedHttpRequest,
    form: QuestionForm,
    *,
    status: int = 200,
    question: Question | None = None,
    previews: list[dict[str, Any]] | None = None,
    conflict: dict[str, Any] | None = None,
) -> HttpResponse:
    if question is None:
        crumbs = [("Topics", reverse("progress:topic_list")), ("Write a question", None)]
    else:
        crumbs = _question_crumbs(question, ("Edit", None))
    context = {
        "form": form,
        "question": question,
        "previews": previews,
        "conflict": conflict,
        "breadcrumbs": crumbs,
    }
    return TemplateResponse(request, QUESTION_FORM, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def question_edit(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """Change a question, keeping its identity: its marks, notes and history stay.

    The form carries the revision it was opened on; a save made meanwhile by someone
    else is not overwritten: the editor comes back (422) with what was typed, what the
    question says now and how the two differ.
    """
    question = _editable_question(request, key)
    scope = question.bank
    if request.method == "POST" and "preview" not in request.POST:
        form = EditQuestionForm(request.POST, scope=scope, question=question)
        if not form.is_valid():
            return _editor(request, form, status=422, question=question)
        try:
            revision = save_edit(
                question=question,
                author=request.user,
                content=form.content(),
                opened_revision=form.cleaned_data["revision"],
            )
        except EditConflict as conflict:
            return _edit_conflict(request, question, form, conflict.latest)
        if revision is None:
            messages.info(request, "Nothing changed: the question already says that.")
        else:
            messages.success(request, f"Question {question.position} saved.")
        return redirect(question_page(question))
    if request.method == "POST":  # preview without JavaScript
        initial = _initial(request, posted=True)
        previews = _previews(request)
    else:
        current = QuestionContent.of(question)
        initial = {
            "text": current.text,
            "concise": current.concise,
            "long": current.long,
            "key_points": "\n".join(current.key_points),
            "topics": list(current.topics),
            "related": list(current.related),
            "revision": latest_revision_number(question),
        }
        previews = None
    form = EditQuestionForm(initial=initial, scope=scope, question=question)
    return _editor(request, form, question=question, previews=previews)


def _edit_conflict(
    request: AuthenticatedHttpRequest,
    question: Question,
    form: EditQuestionForm,
    latest: QuestionRevision,
) -> HttpResponse:
    """The editor again, with the user's text, and what was saved since."""
    saved = QuestionContent.from_data(latest.data)
    mine = form.content()
    data = request.POST.copy()
    data["revision"] = str(latest.number)  # saving again now replaces what they have seen
    form = EditQuestionForm(data, scope=question.bank, question=question)
    form.is_valid()
    conflict = {
        "revision": latest,
        "saved": saved,
        "changes": content_diff(saved, mine, **revision_names(question, [saved, mine])),
    }
    return _editor(request, form, status=422, question=question, conflict=conflict)


@require_POST
@login_required
def answer_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The editor's preview of the answers (htmx): Markdown rendered and made safe."""
    if not can_import(request.user):  # staff and instructors: those who may write
        raise PermissionDenied("Only staff and team instructors can write questions.")
    previews = _previews(request)
    status = 422 if any("error" in p for p in previews) else 200
    return TemplateResponse(
        request, QUESTION_FORM + "#answer-preview", {"previews": previews}, status=status
    )


# --- History -------------------------------------------------------------------------------


@require_GET
@login_required
def question_history(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """Each revision of the question, newest first: who, when, what, and the change from
    the one before, field by field. A fixed number of queries whatever the length."""
    seen = questions_seen_by(request.user).annotate(latest_revision=Max("revisions__number"))
    question = _editable_question(request, key, seen)
    latest: int = question.latest_revision  # type: ignore[attr-defined]  # the annotation
    page = _page_number(request.GET.get("page", "1"))
    start = (page - 1) * HISTORY_PAGE_SIZE
    # One more than shown: the oldest one shown is compared with the one before it.
    rows = list(question.revisions.select_related("author")[start : start + HISTORY_PAGE_SIZE + 1])
    if page > 1 and not rows:
        raise Http404("No such page.")
    contents = [QuestionContent.from_data(r.data) for r in rows]
    names = revision_names(question, contents)
    empty = QuestionContent(text="", concise="")
    entries = []
    for index, revision in enumerate(rows[:HISTORY_PAGE_SIZE]):
        before = contents[index + 1] if index + 1 < len(rows) else empty
        entries.append(
            {
                "revision": revision,
                "changes": content_diff(before, contents[index], **names),
                "is_latest": revision.number == latest,
            }
        )
    context = {
        "question": question,
        "entries": entries,
        "page": page,
        "has_older": len(rows) > HISTORY_PAGE_SIZE,
        "breadcrumbs": _question_crumbs(question, ("History", None)),
    }
    return TemplateResponse(request, "authoring/question_history.html", context)


def _page_number(value: str) -> int:
    number = int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 0
    if not 1 <= number <= HISTORY_PAGES_MAX:
        raise Http404("No such page.")
    return number


@require_POST
@login_required
def revision_restore(request: AuthenticatedHttpRequest, key: str, number: int) -> HttpResponse:
    """Make the question say again what an earlier revision held, as a new revision."""
    question = _editable_question(request, key)
    revision = get_object_or_404(question.revisions, number=number)
    revision.question = question
    if restore_revision(revision=revision, author=request.user) is None:
        messages.info(
            request, f"Nothing changed: the question already says what revision {number} held."
        )
    else:
        messages.success(request, f"Revision {number} restored, as a new revision.")
    return redirect("authoring:question_history", key=question.key)


# --- Retire, bring back, promote ----------------------------------------------------------


@require_POST
@login_required
def question_retire(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    question = _editable_question(request, key)
    if retire_question(question=question, by=request.user):
        messages.success(
            request,
            f"Question {question.position} retired: it is hidden from topics, search, study "
            "sessions and coverage. Everyone's marks and notes are kept; you can bring it back.",
        )
    else:
        messages.info(request, f"Question {question.position} was retired already.")
    return redirect(_back(request, question_page(question)))


@require_POST
@login_required
def question_unretire(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    question = _editable_question(request, key)
    if unretire_question(question=question, by=request.user):
        messages.success(
            request, f"Question {question.position} is back, with everyone's marks and notes."
        )
    else:
        messages.info(request, f"Question {question.position} was not retired.")
    return redirect(_back(request, question_page(question)))


@require_POST
@login_required
def question_promote(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """Move a team question into the library (staff): same row, so marks and notes stay.
    One with no library topic is asked for one first."""
    question = get_object_or_404(questions_seen_by(request.user).select_related("bank"), key=key)
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can promote a question to the library.")
    if question.in_library:
        messages.info(request, f"Question {question.position} is in the library already.")
        return redirect(question_page(question))
    team_name = question.bank.name if question.bank else ""
    form = PromoteForm(request.POST)
    if form.is_valid():
        try:
            promote_question(question=question, by=request.user, topics=form.cleaned_data["topics"])
        except NeedsLibraryTopic as refused:
            form.add_error("topics", str(refused))
        except PromotionRefused as refused:
            messages.info(request, str(refused))
            return redirect(question_page(question))
        else:
            messages.success(
                request,
                f"Question {question.position} promoted from the team bank of {team_name} to "
                "the library: everyone sees it now, and its marks and notes are kept.",
            )
            return redirect(question_page(question))
    context = {
        "question": question,
        "form": form,
        "breadcrumbs": _question_crumbs(question, ("Promote", None), link_bank=False),
    }
    return TemplateResponse(request, "authoring/question_promote.html", context, status=422)


# --- Bank pages ----------------------------------------------------------------------------


@require_GET
@login_required
def team_bank(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The team bank's questions, retired ones too, for the team's instructors."""
    team = instructor_or_403(request, team_id).team
    crumbs = [*team_crumbs(team), ("Team bank", None)]
    return _bank_page(request, bank_id=team.bank_id, title=f"Team bank: {team.name}", crumbs=crumbs)


@require_GET
@login_required
def library(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The library's questions, retired ones too, for staff."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can change the library.")
    crumbs = [("Topics", reverse("progress:topic_list")), ("Library", None)]
    return _bank_page(request, bank_id=None, title="Library", crumbs=crumbs)


def _bank_page(
    request: AuthenticatedHttpRequest, *, bank_id: int | None, title: str, crumbs: list
) -> HttpResponse:
    page = Paginator(bank_questions(bank_id), BANK_PAGE_SIZE).get_page(request.GET.get("page"))
    imports = bank_imports(bank_id)[:BANK_IMPORTS]
    value = LIBRARY if bank_id is None else str(bank_id)
    context = {
        "title": title,
        "page": page,
        "imports": imports,
        "bank_value": value,
        # Where its forms come back to: this page, not whatever else the address held.
        "here": f"{request.path}?page={page.number}",
        "breadcrumbs": crumbs,
    }
    return TemplateResponse(request, "authoring/bank.html", context)


# --- Undo an import ----------------------------------------------------------------------


@require_POST
@login_required
def import_undo(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    """Take back what an import added: questions nobody rated or noted are deleted, the
    rest retired, in one transaction. Whoever may change the import's bank may; the
    importer only while they still may."""
    record = get_object_or_404(ImportRecord.objects.defer("text"), pk=import_id)
    if not can_edit_bank(request.user, record.bank_id):
        _refuse_bank(request, record.bank_id)
    mine = record.user_id == request.user.pk
    fallback = record.get_absolute_url() if mine else _bank_url(record.bank_id)
    if record.is_pending:
        messages.info(request, "This file has not been imported: there is nothing to undo.")
        return redirect(_back(request, fallback))
    outcome = undo_import(record=record, by=request.user)
    if outcome is None:
        messages.info(
            request, f"The import of “{record.file_name}” was undone already; nothing changed."
        )
    else:
        messages.success(request, f"Import of “{record.file_name}” undone: {outcome}.")
    return redirect(_back(request, fallback))
