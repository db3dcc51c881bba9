"""Typed recall on the question page and the study card: a typed answer checked against
the question's key points (progress.recall), corrected point by point ("I did say that"),
deleted; and the remembered "Type my answer first".

A check belongs to its author: another user's check id is simply not found (404), and
only its author ever sees its text. Each form comes from a question page (it carries
`topic`) or a study card (it carries `session`): without JavaScript the answer is a
redirect back there with `?check=<id>`; with htmx, that page's region drawn again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from accounts.http import AuthenticatedHttpRequest
from progress import recall
from progress.forms import RecallForm, TypingPreferenceForm
from progress.models import RecallCheck, StudySession
from progress.recall_page import recount_my_checks
from progress.study_views import SESSION_PAGE, session_context
from progress.views import (
    QUESTION_PAGE,
    question_page_context,
    question_url,
    questions_for_page,
    with_check,
)
from questions.models import Question
from studyhub.http import id_or_none, local_url


@dataclass(frozen=True)
class Place:
    """Where a typed-recall form was sent from: a study card (`session`, whose current
    question is the one answered) or the question page (`topic`, of its pager)."""

    question: Question
    session: StudySession | None = None
    topic_slug: str | None = None

    def url(self, check: RecallCheck | None = None) -> str:
        """The page, showing `check`."""
        base = (
            self.session.get_absolute_url()
            if self.session is not None
            else question_url(self.question, self.topic_slug)
        )
        return with_check(base, check.pk if check is not None else None)


def _place(request: AuthenticatedHttpRequest, question: Question) -> Place:
    """The study card the form came from, if it still shows `question`; else the
    question page (a card moved on in another tab shows the check there)."""
    session_id = id_or_none(request.POST.get("session", ""))
    if session_id is not None:
        session = request.user.study_sessions.filter(pk=session_id).first()
        if session is not None and session.current_question_id == question.pk:
            return Place(question, session=session)
    return Place(question, topic_slug=request.POST.get("topic") or None)


def _question_for(request: AuthenticatedHttpRequest, **lookup: object) -> Question:
    """A question the learner may answer: one they see, not retired."""
    question = get_object_or_404(questions_for_page(request.user), **lookup)
    if question.is_retired:
        raise Http404("No such question.")
    return question


def _region(
    request: AuthenticatedHttpRequest,
    place: Place,
    *,
    check: RecallCheck | None = None,
    form: RecallForm | None = None,
    status: str = "",
    code: int = 200,
) -> TemplateResponse:
    """The part of the page typed recall changes: on a question page the typing form or
    the check, the answer and the rating (#recall-flow); on a study card, the card. For
    htmx only that part, else the whole page (a refused form: 422)."""
    check_id = check.pk if check is not None else None
    if place.session is not None:
        context = session_context(request, place.session, check_id=check_id, recall_form=form)
        template = SESSION_PAGE + ("#study-card-update" if request.htmx else "")
    else:
        recount_my_checks(place.question, request.user)  # this request changed it
        context = question_page_context(
            request,
            place.question,
            topic_slug=place.topic_slug,
            check_id=check_id,
            recall_form=form,
        )
        template = QUESTION_PAGE + ("#recall-update" if request.htmx else "")
    context["recall_status"] = status
    context["recall_focus"] = bool(request.htmx)  # static/js/keys.js moves focus there
    response = TemplateResponse(request, template, context, status=code)
    if request.htmx and code == 200:
        # A reload shows what is on screen now.
        replace_url(response, place.url(check))
    return response


def _answer(
    request: AuthenticatedHttpRequest, place: Place, check: RecallCheck | None, status: str
) -> HttpResponse:
    """After a change: htmx gets the region, anyone else a redirect back (PRG)."""
    if request.htmx:
        return _region(request, place, check=check, status=status)
    return redirect(place.url(check) + "#recall")


@require_POST
@login_required
@vary_on_headers("HX-Request")
def check_answer(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """Check the typed answer against the question's key points and keep it."""
    question = _question_for(request, key=key)
    place = _place(request, question)
    form = RecallForm(request.POST)
    if not form.is_valid():
        return _region(request, place, form=form, code=422)
    check = recall.record_check(
        user=request.user, question=question, text=form.cleaned_data["text"]
    )
    return _answer(request, place, check, _score_status("Checked", check))


@require_POST
@login_required
@vary_on_headers("HX-Request")
def correct_point(request: AuthenticatedHttpRequest, check_id: int, index: int) -> HttpResponse:
    """ "I did say that": point `index` of the learner's own check counts as made."""
    check = get_object_or_404(request.user.recall_checks, pk=check_id)
    if index >= len(check.points):
        raise Http404("The check has no such point.")
    question = _question_for(request, pk=check.question_id)
    recall.correct_point(check, index)
    return _answer(request, _place(request, question), check, _score_status("Corrected", check))


@require_POST
@login_required
def delete_check(request: AuthenticatedHttpRequest, check_id: int) -> HttpResponse:
    """Delete one of the learner's typed answers (and its check)."""
    check = get_object_or_404(request.user.recall_checks.select_related("question"), pk=check_id)
    recall.delete_checks(request.user, [check])
    messages.success(request, "Typed answer deleted.")
    back = local_url(request, request.POST.get("next", "")) or reverse(
        "progress:question_detail", kwargs={"key": check.question.key}
    )
    return redirect(back.split("#", 1)[0] + "#typed-answers")


@require_POST
@login_required
def delete_all_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Delete every typed answer the learner ever checked."""
    deleted = recall.delete_checks(request.user)
    if deleted:
        messages.success(request, f"Deleted {deleted} typed answer{'s' if deleted != 1 else ''}.")
    else:
        messages.info(request, "You have no typed answers to delete.")
    return redirect(local_url(request, request.POST.get("next", "")) or "accounts:profile")


@require_POST
@login_required
@vary_on_headers("HX-Request")
def typing_preference(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn "Type my answer first" on or off; back to the page it was turned on or off
    from (for htmx, its region drawn again)."""
    form = TypingPreferenceForm(request.POST)
    if not form.is_valid():
        return TemplateResponse(request, "400.html", status=400)
    on = form.cleaned_data["type_answers"]
    user = request.user
    if user.type_answers != on:
        user.type_answers = on
        user.save(update_fields=["type_answers"])
    status = "Type my answer first: on." if on else "Type my answer first: off."
    key = request.POST.get("question", "")
    if request.htmx and key:
        return _region(request, _place(request, _question_for(request, key=key)), status=status)
    messages.success(request, status)
    back = local_url(request, request.POST.get("next", "")) or reverse("accounts:profile")
    return redirect(back.split("#", 1)[0] + ("#recall" if key else ""))


def _score_status(what: str, check: RecallCheck) -> str:
    """What the status line announces after a check or a correction."""
    return (
        f"{what}: you made {check.mentioned_count} of {len(check.points)} key points, "
        f"recall {check.score}."
    )
