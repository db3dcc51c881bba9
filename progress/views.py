from __future__ import annotations

from typing import Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from progress.dashboard import learner_dashboard
from progress.drafts import forget_refused_text, keep_refused_text, refused_text
from progress.forms import ConfidenceForm, NoteForm, RecallForm
from progress.models import Confidence, Note
from progress.recall_page import question_page_recall, with_my_check_count
from progress.scheduling import rating_buttons
from progress.selectors import question_topics_with_my_coverage, topic_question_keys
from progress.services import (
    MarkChanged,
    NoteConflict,
    PendingRating,
    mark_for,
    note_revision,
    rate,
    save_note_from_editor,
    save_rating,
)
from questions.access import (
    can_edit_bank,
    can_see,
    questions_seen_by,
    visible_banks,
    visible_questions,
)
from questions.models import Question, QuestionQuerySet, Topic, in_library_or
from studyhub.http import id_or_none, local_url
from studyhub.pagination import paginate

QUESTION_PAGE = "progress/question_detail.html"
#: The note section, which the question page and the study card include.
NOTE_SECTION = "progress/_note.html"
#: Notes on one page of "My notes": each shows its whole text.
NOTES_PER_PAGE = 20


@require_GET
@vary_on_headers("HX-Request")
@login_required
def question_detail(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    question = get_object_or_404(questions_for_page(request.user), key=key)
    context = question_page_context(
        request, question, topic_slug=request.GET.get("topic"), check_id=request.GET.get("check")
    )
    return TemplateResponse(request, QUESTION_PAGE, context)


def question_page_context(
    request: AuthenticatedHttpRequest,
    question: Question,
    *,
    topic_slug: str | None,
    note_form: NoteForm | None = None,
    confidence_error: str = "",
    note: Note | None | Literal[False] = False,
    check_id: object = None,
    recall_form: RecallForm | None = None,
) -> dict:
    """Everything the question page shows; also used to re-render it after a bad post.
    `check_id`: the typed answer's check to show (`?check=`), if it is the learner's own
    on this question; `recall_form`: the typing form as posted, with its errors."""
    user = request.user
    topic = _page_topic(question, topic_slug)
    if note is False:  # not looked up by the caller yet
        note = user.notes.filter(question=question).first()
    mark = user.confidence_marks.filter(question=question).first()
    recall = question_page_recall(user, question, mark, check_id=check_id)
    return {
        "question": question,
        "topic": topic,
        # Asked only by what shows them (the whole page, not its htmx fragments): for a
        # team question each costs a query, unless its bank was loaded with it.
        "can_edit": SimpleLazyObject(lambda: can_edit_bank(user, question.bank_id)),
        "bank_label": SimpleLazyObject(
            lambda: "Library" if question.bank_id is None else f"Team bank: {question.bank}"
        ),
        "mark": mark,
        "levels": rating_buttons(mark, timezone.now(), recall=recall.fresh_score),
        "confidence_error": confidence_error,
        **recall.context(),
        "recall_form": recall_form,
        # Where a typed-recall form without JavaScript comes back to (the topic is one
        # of the question's, so no query checks it).
        "recall_page_url": reverse("progress:question_detail", kwargs={"key": question.key})
        + (f"?topic={topic.slug}" if topic else ""),
        "coverage_topics": question_topics_with_my_coverage(question, user),
        "breadcrumbs": [
            ("Topics", reverse("progress:topic_list")),
            *([(topic.name, topic.get_absolute_url())] if topic else []),
            (f"Question {question.position}", None),
        ],
        "note_return": _note_return(request),
        **note_context(request, question, note, note_form),
        **_place_in_topic(user, question, topic),
    }


def _page_topic(question: Question, topic_slug: str | None) -> Topic | None:
    """The topic the page was opened from (`?topic=`), if it is one of the question's
    own, else its first."""
    topics = [
        t for t in question.topics.all() if t.bank_id is None or t.bank_id == question.bank_id
    ]
    return next((t for t in topics if t.slug == topic_slug), topics[0] if topics else None)


def note_answer_context(
    request: AuthenticatedHttpRequest,
    question: Question,
    *,
    topic_slug: str | None,
    note_form: NoteForm | None = None,
    note: Note | None | Literal[False] = False,
) -> dict:
    """What an answer to the note editor shows: the whole question page, or for htmx
    only what its note section needs (the page's ratings, coverage and pager cost more
    than the section itself: 11 against 4 ms for the editor)."""
    if not request.htmx:
        return question_page_context(
            request, question, topic_slug=topic_slug, note_form=note_form, note=note
        )
    if note is False:
        note = request.user.notes.filter(question=question).first()
    return {
        "question": question,
        "topic": _page_topic(question, topic_slug),
        "note_return": _note_return(request),
        **note_context(request, question, note, note_form),
    }


def note_context(
    request: AuthenticatedHttpRequest,
    question: Question,
    note: Note | None,
    note_form: NoteForm | None,
) -> dict:
    """The note section: the note, its editor when open, and text a save refused."""
    note_conflict = None
    refused = _refused_note_text(request, question, note)
    if refused is not None and note_form is None:
        # The learner chooses between it and the saved note before anything else.
        note_form = NoteForm(initial={"text": refused, "version": note_revision(note)})
        note_conflict = {"mine": refused, "saved": note, "kept": True}
    return {
        "note": note,
        "note_html": note.rendered if note else "",
        "note_form": note_form,
        "editing_note": note_form is not None,
        "note_conflict": note_conflict,
    }


def questions_for_page(user: User) -> QuestionQuerySet:
    """The questions whose page `user` may open (retired ones too), with what the page
    shows; of the related questions, those the user sees; and how many typed answers the
    user has checked on it."""
    questions = questions_seen_by(user).for_question_page(related=visible_questions(user))
    return with_my_check_count(questions, user)


def _place_in_topic(user: User, question: Question, topic: Topic | None) -> dict:
    """The question's number among the topic's questions the user sees, and its
    neighbours' keys, for the pager (a retired question stands alone)."""
    keys = [question.key]
    if topic is not None and not question.is_retired:
        keys = topic_question_keys(user, topic)
    index = keys.index(question.key)
    return {
        "position_in_topic": index + 1,
        "topic_size": len(keys),
        "previous_key": keys[index - 1] if index > 0 else None,
        "next_key": keys[index + 1] if index + 1 < len(keys) else None,
    }


def _refused_note_text(
    request: AuthenticatedHttpRequest, question: Question, note: Note | None
) -> str | None:
    """Note text a save refused (a stale tab's, maybe sent as it closed), kept in the
    session until the learner chooses; None when there is none, or nothing to choose."""
    refused = refused_text(request, question.key)
    if refused is not None and (refused if refused.strip() else "") == (note.text if note else ""):
        forget_refused_text(request, question.key)  # saved since
        return None
    return refused


@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return TemplateResponse(request, "progress/welcome.html")
    context = learner_dashboard(request.user)
    return TemplateResponse(request, "progress/dashboard.html", context)


@require_POST
@login_required
def mark_confidence(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    topic_slug = request.POST.get("topic")
    form = ConfidenceForm(request.POST)
    if not form.is_valid():
        return _confidence_refused(request, key, topic_slug, str(form.errors["level"][0]))
    level = form.cleaned_data["level"]
    try:
        return _rate(request, key, level, topic_slug, locked=False)
    except MarkChanged:
        # Another tab or device rated the question, or a typed answer was checked, since
        # the mark was read: rate it again, with the mark locked from its read to its write.
        with transaction.atomic():
            return _rate(request, key, level, topic_slug, locked=True)


def _rate(
    request: AuthenticatedHttpRequest,
    key: str,
    level: int,
    topic_slug: str | None,
    *,
    locked: bool,
) -> HttpResponse:
    """Rate the question, make the answer, then write the rating.

    The answer is made before the write: should it fail, nothing was written; once the
    write has committed, nothing is left that can fail, so a saved mark is never
    answered as a failure (and a retry never records it twice). Unless `locked`, the
    mark is read without a lock and written only if it is still the one read
    (MarkChanged otherwise), so SQLite's write lock is held for the write alone.
    """
    current = mark_for(request.user, key, lock=locked)
    question = current.question if current else get_object_or_404(Question, key=key)
    if question.is_retired or not can_see(request.user, question):
        raise Http404("No such question.")
    rating = rate(user=request.user, question=question, level=level, current=current)
    if request.htmx:
        answer: HttpResponse = _answered_before_commit(_confidence_update(request, rating))
    else:
        # A typed answer's check on show stays on show beside the rating.
        url = with_check(question_url(question, topic_slug), request.POST.get("check"))
        answer = redirect(url + "#confidence")
    # When `locked`, inside the caller's transaction; if not, a MarkChanged rolls back
    # this transaction alone (or its savepoint, inside a test's).
    with transaction.atomic(savepoint=not locked):
        save_rating(rating, if_unchanged=not locked)
    if not request.htmx:
        messages.success(request, f"Marked “{Confidence(level).label}”.")
    return answer


def _confidence_refused(
    request: AuthenticatedHttpRequest, key: str, topic_slug: str | None, error: str
) -> TemplateResponse:
    """422: not one of the five levels; the page, or for htmx its control, says why."""
    question = get_object_or_404(questions_for_page(request.user), key=key)
    context = question_page_context(
        request, question, topic_slug=topic_slug, confidence_error=error
    )
    template = QUESTION_PAGE + ("#confidence-update" if request.htmx else "")
    return TemplateResponse(request, template, context, status=422)


def _confidence_update(
    request: AuthenticatedHttpRequest, rating: PendingRating
) -> TemplateResponse:
    """Only what the fragments show: the control, its status line and, when this rating
    covers or uncovers the question, the coverage panel (otherwise no count in it can
    change, and the query that fills it was a quarter of a mark's time)."""
    question, current, mark = rating.mark.question, rating.current, rating.mark
    coverage_changed = (current is not None and current.is_covered) != mark.is_covered
    coverage_topics = []
    if coverage_changed:
        # Counted before the rating is written: it changes each of the question's
        # topics by one (the question is live and seen, so each one counts it).
        coverage_topics = question_topics_with_my_coverage(question, request.user)
        for topic in coverage_topics:
            topic.covered_count += 1 if mark.is_covered else -1
    context = {
        "question": question,
        "mark": mark,
        "levels": rating_buttons(mark, mark.updated_at),
        "coverage_changed": coverage_changed,
        "coverage_topics": coverage_topics,
        "oob": True,
    }
    return TemplateResponse(request, QUESTION_PAGE + "#confidence-update", context)


def _answered_before_commit(response: TemplateResponse) -> TemplateResponse:
    """`response`, rendered now, before the write commits (a mark renders it before
    its write, a note inside the write's transaction).

    Whatever the answer reads runs before the commit: should the database go away
    meanwhile, nothing was written and the 503 page's "not saved" is true; once the
    write has committed, nothing is left that can fail, so a saved mark or note is
    never answered as a failure (and a retry never records it twice).
    """
    response.render()
    return response


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def edit_note(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    # A full page shows answers and related questions too; a fragment does not.
    seen = questions_seen_by(request.user)
    questions = seen if request.htmx else questions_for_page(request.user)
    question = get_object_or_404(questions, key=key)
    topic_slug = request.GET.get("topic") or request.POST.get("topic")
    if request.method == "GET":
        return _note_editor(request, question, topic_slug)
    if request.POST.get("resolve") == "saved":
        return _keep_saved_note(request, question, topic_slug)
    form = NoteForm(request.POST)
    if request.htmx and request.POST.get("autosave") == "1":
        return _autosave_note(request, question, form)
    if not form.is_valid():
        context = note_answer_context(request, question, topic_slug=topic_slug, note_form=form)
        return TemplateResponse(request, _note_section(request), context, status=422)
    try:
        # The answer is made inside the write's transaction (_answered_before_commit).
        with transaction.atomic():
            _save_note(request, question, form)
            if request.POST.get("resolve") == "mine":
                forget_refused_text(request, question.key)
            return _note_saved(request, question, topic_slug)
    except NoteConflict as conflict:
        mine = form.cleaned_data["text"]
        return _note_conflict(request, question, topic_slug, mine=mine, saved=conflict.saved)


def _note_section(request: AuthenticatedHttpRequest) -> str:
    """The question page, or for htmx only its note section."""
    return NOTE_SECTION + "#note-section" if request.htmx else QUESTION_PAGE


def _note_editor(
    request: AuthenticatedHttpRequest, question: Question, topic_slug: str | None
) -> HttpResponse:
    """The note editor, open on the saved note."""
    note = request.user.notes.filter(question=question).first()
    form = None  # with refused text kept, the page shows the choice instead of the editor
    if _refused_note_text(request, question, note) is None:
        revision = note_revision(note)
        form = NoteForm(initial={"text": note.text if note else "", "version": revision})
    context = note_answer_context(
        request, question, topic_slug=topic_slug, note_form=form, note=note
    )
    return TemplateResponse(request, _note_section(request), context)


def _save_note(
    request: AuthenticatedHttpRequest, question: Question, form: NoteForm
) -> Note | None:
    """save_note_from_editor for the learner; NoteConflict when the note changed since
    the form's version (unless the same editor saved it: see save_note).

    Refused text is kept in the session (progress.drafts) until the learner chooses,
    so it is never lost, even when nobody sees the answer (a save sent as the tab
    closed). An earlier save of the editor arriving after its later one is no conflict:
    the note is returned unchanged, and that text is not kept either.
    """
    data = form.cleaned_data
    try:
        return save_note_from_editor(
            user=request.user,
            question=question,
            text=data["text"],
            base_revision=data["version"],
            editor=data["editor"],
            seq=data["seq"],
        )
    except NoteConflict:
        keep_refused_text(request, question.key, data["text"])
        raise


def _note_saved(
    request: AuthenticatedHttpRequest, question: Question, topic_slug: str | None
) -> HttpResponse:
    """The answer to a saved note; called inside the save's transaction."""
    if not request.htmx:
        messages.success(request, "Note saved.")
        return redirect((_note_return(request) or question_url(question, topic_slug)) + "#note")
    context = note_answer_context(request, question, topic_slug=topic_slug)
    context["saved_at"] = timezone.localtime()
    return _answered_before_commit(
        TemplateResponse(request, NOTE_SECTION + "#note-section", context)
    )


def _autosave_note(
    request: AuthenticatedHttpRequest, question: Question, form: NoteForm
) -> HttpResponse:
    """Autosave answers with the status line only, so the editor is left alone.

    static/js/notes.js sends it (after a pause in typing, and whenever the learner
    leaves the editor or the page). A saved note brings its new version along for the
    next save. A note that changed elsewhere is not touched: the answer says so, the
    editor stops autosaving, and "Save and close" then shows both versions.
    """
    if not form.is_valid():
        context: dict[str, object] = {"note_form": form}
        return TemplateResponse(request, NOTE_SECTION + "#note-status", context, status=422)
    try:
        note = _save_note(request, question, form)
    except NoteConflict:
        return TemplateResponse(request, NOTE_SECTION + "#note-autosave-conflict", status=409)
    context = {
        "saved_at": timezone.localtime(),
        "note_form": NoteForm(initial={"version": note_revision(note)}),
        "version_oob": True,
    }
    return TemplateResponse(request, NOTE_SECTION + "#note-autosaved", context)


def _note_conflict(
    request: AuthenticatedHttpRequest,
    question: Question,
    topic_slug: str | None,
    *,
    mine: str,
    saved: Note | None,
) -> HttpResponse:
    """409: the note changed since this editor opened; show both versions to choose from."""
    form = NoteForm(initial={"text": mine, "version": note_revision(saved)})
    context = note_answer_context(
        request, question, topic_slug=topic_slug, note_form=form, note=saved
    )
    context["note_conflict"] = {"mine": mine, "saved": saved}
    return TemplateResponse(request, _note_section(request), context, status=409)


def _keep_saved_note(
    request: AuthenticatedHttpRequest, question: Question, topic_slug: str | None
) -> HttpResponse:
    """The learner chose the saved version over theirs: nothing is written."""
    forget_refused_text(request, question.key)
    message = "Kept the saved version; your changes were discarded."
    if not request.htmx:
        messages.info(request, message)
        return redirect((_note_return(request) or question_url(question, topic_slug)) + "#note")
    context = note_answer_context(request, question, topic_slug=topic_slug)
    context["note_message"] = message
    return TemplateResponse(request, NOTE_SECTION + "#note-section", context)


def _note_return(request: AuthenticatedHttpRequest) -> str:
    """Where the note editor was opened from when that was not the question page (a
    study card): a save without JavaScript goes back there. Only a path on this site."""
    url = local_url(request, request.GET.get("return") or request.POST.get("return") or "")
    return url.split("#", 1)[0]  # the answer adds its own "#note"


def question_url(question: Question, topic_slug: str | None) -> str:
    url = reverse("progress:question_detail", kwargs={"key": question.key})
    if topic_slug and question.topics.filter(slug=topic_slug).exists():
        url += f"?topic={topic_slug}"
    return url


def with_check(url: str, check_id: object) -> str:
    """`url` (no fragment) showing the typed answer's check `check_id`, when it is an id."""
    pk = id_or_none(check_id) if check_id else None
    if pk is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}check={pk}"


@require_GET
@login_required
def note_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Each note shows the HTML stored when it was saved: nothing is parsed here.
    # Notes on retired questions stay, marked so; those on a team's questions go out of
    # view with the team (the personal data download still has them).
    seen = in_library_or(visible_banks(request.user), prefix="question__")
    notes = request.user.notes.filter(seen)
    # "Study these" studies the questions of these notes, of which retired ones are out:
    # both counts in one query, and one for the page's notes.
    counts = notes.aggregate(
        total=Count("pk"), study=Count("pk", filter=Q(question__retired_at__isnull=True))
    )
    ordered = notes.select_related("question").order_by("question__position", "pk")
    pager = paginate(request, ordered, noun="notes", per_page=NOTES_PER_PAGE, count=counts["total"])
    # Read here, so a page costs the same queries with notes or without.
    context = {"pager": pager, "notes": list(pager.rows), "study_count": counts["study"]}
    return TemplateResponse(request, "progress/note_list.html", context)


@require_GET
@login_required
def note_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Starting from the user's own notes makes anyone else's note simply not found.
    seen = in_library_or(visible_banks(request.user), prefix="question__")
    note = get_object_or_404(request.user.notes.filter(seen).select_related("question"), pk=pk)
    breadcrumbs = [
        ("My notes", reverse("progress:note_list")),
        (f"Question {note.question.position}", None),
    ]
    context = {"note": note, "breadcrumbs": breadcrumbs}
    return TemplateResponse(request, "progress/note_detail.html", context)
