"""Study session pages. A session belongs to its learner: anyone else's is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from progress.forms import ConfidenceForm, RecallForm
from progress.models import Confidence, StudySession
from progress.recall_page import study_card_recall
from progress.scheduling import rating_buttons
from progress.selectors import my_mark
from progress.study import (
    STUDY_PAGE_SOURCES,
    NothingToStudy,
    current_question,
    is_return,
    move,
    rate,
    start_calibration,
    start_chosen,
    start_notes,
    start_search,
    start_topic,
    summarise,
)
from progress.topic_views import level_filter, level_label, search_asked
from progress.views import note_context
from questions.access import visible_banks, visible_topics
from studyhub.http import local_url

SESSION_PAGE = "progress/study_session.html"


@require_GET
@login_required
def study_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    context = {
        "resume": user.study_sessions.open().first(),
        "topics": visible_topics(user).order_by("position", "name"),
        "due_count": user.confidence_marks.on_live_questions(visible_banks(user))
        .due_by(now)
        .count(),
    }
    return TemplateResponse(request, "progress/study_home.html", context)


@require_POST
@login_required
def study_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    source = request.POST.get("source", "")
    if source not in STUDY_PAGE_SOURCES:
        messages.error(request, "Choose what to study: a topic or a review.")
        return redirect("progress:study_home")
    topic = None
    if source == StudySession.Source.TOPIC:
        topic = get_object_or_404(visible_topics(request.user), slug=request.POST.get("topic", ""))
    try:
        session = start_chosen(user=request.user, source=source, topic=topic)
    except NothingToStudy as reason:
        messages.info(request, str(reason))
        return redirect("progress:study_home")
    return redirect(session)


@require_POST
@login_required
def study_these(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Study these": a session over exactly the list a page showed, worked out again
    from the same filters (a topic page's, the search's, the notes list, calibration's
    most over-confident questions). Where the list has gone empty meanwhile, back to
    that page with a message."""
    user, data = request.user, request.POST
    back = local_url(request, data.get("next", "")) or reverse("progress:study_home")
    source = data.get("from", "")
    try:
        if source == "topic":
            topic = get_object_or_404(visible_topics(user), slug=data.get("topic", ""))
            level = level_filter(data.get("level", ""))
            label = topic.name + (f": {level_label(level)}" if level else "")
            session = start_topic(user=user, topic=topic, level=level, label=label)
        elif source == "search":
            session = _search_session(request)
        elif source == "notes":
            session = start_notes(user=user)
        elif source == "calibration":
            session = start_calibration(user=user)
        else:
            return TemplateResponse(request, "400.html", status=400)
    except NothingToStudy as reason:
        messages.info(request, str(reason))
        return redirect(back)
    return redirect(session)


def _search_session(request: AuthenticatedHttpRequest) -> StudySession:
    """The question list's results for the filters the form carried, best match first."""
    topics = list(visible_topics(request.user).only("slug", "name"))
    return start_search(user=request.user, search=search_asked(request.POST, topics), topics=topics)


def session_context(
    request: AuthenticatedHttpRequest,
    session: StudySession,
    *,
    check_id: object = None,
    recall_form: RecallForm | None = None,
) -> dict:
    """What the session page shows: the current card, or the summary once finished.
    `check_id`: the typed answer's check to show on the card (`?check=`), if it is the
    learner's own on the card's question; `recall_form`: the typing form as posted."""
    if session.is_finished:
        return {"session": session, "summary": summarise(session)}
    question = current_question(session)
    if question is None:  # every question left was out of view, so the session finished
        return {"session": session, "summary": summarise(session)}
    rated_level = session.ratings.get(str(question.pk))
    note = request.user.notes.filter(question=question).first()
    mark = my_mark(question, request.user)
    recall = study_card_recall(request.user, question, mark, check_id=check_id)
    return {
        "session": session,
        "card": _card_name(session),
        "question": question,
        "number": session.position + 1,
        # From the mark loaded with the question: the preview costs no query.
        "levels": rating_buttons(mark, timezone.now(), recall=recall.fresh_score),
        **recall.context(),
        "recall_form": recall_form,
        "recall_page_url": session.get_absolute_url(),
        "rated_level": rated_level,
        "returning": Confidence(rated_level).label if rated_level and is_return(session) else "",
        # The note section (progress/_note.html): a save without JavaScript comes back here.
        "study_card": True,
        "note_return": session.get_absolute_url(),
        **note_context(request, question, note, None),
    }


@require_GET
@login_required
def study_session(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(request.user.study_sessions, pk=session_id)
    context = session_context(request, session, check_id=request.GET.get("check"))
    return TemplateResponse(request, SESSION_PAGE, context)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def study_rate(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    form = ConfidenceForm(request.POST)
    with transaction.atomic():
        # Locked (PostgreSQL), so two posts at once apply one after the other.
        session = _locked_session(request, session_id)
        if _moved_on(request, session):
            return _card_moved_on(request, session)
        if not form.is_valid() or session.is_finished:
            context = session_context(request, session)
            context["error"] = (
                form.errors["level"][0] if not form.is_valid() else "This session is finished."
            )
            template = SESSION_PAGE + ("#study-card" if request.htmx else "")
            return TemplateResponse(request, template, context, status=422)
        rate(session=session, level=form.cleaned_data["level"])
    return _next(request, session)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def study_move(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    with transaction.atomic():
        # Someone else's session is a 404 whatever was posted: looked up first.
        session = _locked_session(request, session_id)
        step = {"next": 1, "previous": -1}.get(request.POST.get("direction", ""))
        if step is None:
            return TemplateResponse(request, "400.html", status=400)
        if _moved_on(request, session):
            return _card_moved_on(request, session)
        move(session=session, step=step)
    return _next(request, session)


def _locked_session(request: AuthenticatedHttpRequest, session_id: int) -> StudySession:
    return get_object_or_404(request.user.study_sessions.select_for_update(), pk=session_id)


def _moved_on(request: AuthenticatedHttpRequest, session: StudySession) -> bool:
    """Whether the form was for another card than the session's current one: sent twice
    (a double click without JavaScript, a resend after Back) or from another tab or
    device. A rating is only ever taken for the card the learner saw."""
    card = request.POST.get("card")
    if card is None:  # a form from before cards were named: taken as it comes
        return False
    return card != _card_name(session)


def _card_name(session: StudySession) -> str:
    """The card on show: its place in the session and its question."""
    return f"{session.position}-{session.current_question_id or ''}"


def _card_moved_on(request: AuthenticatedHttpRequest, session: StudySession) -> HttpResponse:
    """409: nothing is done; the learner sees where the session is now, and why."""
    message = "That card was already answered (perhaps in another tab): here is where you are now."
    if not request.htmx:
        messages.info(request, message)
        return redirect(session)
    context = session_context(request, session)
    context["notice"] = message
    return TemplateResponse(request, SESSION_PAGE + "#study-card", context, status=409)


def _next(request: AuthenticatedHttpRequest, session: StudySession) -> HttpResponse:
    if not request.htmx:
        return redirect(session)
    return TemplateResponse(
        request, SESSION_PAGE + "#study-card", session_context(request, session)
    )
