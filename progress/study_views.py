"""Study session pages. A session belongs to its learner: anyone else's is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from progress.forms import ConfidenceForm
from progress.models import Confidence, StudySession
from progress.scheduling import rating_buttons
from progress.selectors import my_mark
from progress.study import (
    STUDY_PAGE_SOURCES,
    NothingToStudy,
    current_question,
    is_return,
    move,
    rate,
    start_chosen,
    summarise,
)
from progress.views import note_context
from questions.access import visible_banks, visible_topics

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


def _session_context(request: AuthenticatedHttpRequest, session: StudySession) -> dict:
    if session.is_finished:
        return {"session": session, "summary": summarise(session)}
    question = current_question(session)
    if question is None:  # every question left was out of view, so the session finished
        return {"session": session, "summary": summarise(session)}
    rated_level = session.ratings.get(str(question.pk))
    note = request.user.notes.filter(question=question).first()
    return {
        "session": session,
        "question": question,
        "number": session.position + 1,
        # From the mark loaded with the question: the preview costs no query.
        "levels": rating_buttons(my_mark(question, request.user), timezone.now()),
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
    return TemplateResponse(request, SESSION_PAGE, _session_context(request, session))


@require_POST
@login_required
@vary_on_headers("HX-Request")
def study_rate(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(request.user.study_sessions, pk=session_id)
    form = ConfidenceForm(request.POST)
    if not form.is_valid() or session.is_finished:
        context = _session_context(request, session)
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
    session = get_object_or_404(request.user.study_sessions, pk=session_id)
    step = {"next": 1, "previous": -1}.get(request.POST.get("direction", ""))
    if step is None:
        return TemplateResponse(request, "400.html", status=400)
    move(session=session, step=step)
    return _next(request, session)


def _next(request: AuthenticatedHttpRequest, session: StudySession) -> HttpResponse:
    if not request.htmx:
        return redirect(session)
    return TemplateResponse(
        request, SESSION_PAGE + "#study-card", _session_context(request, session)
    )
