"""Questions to take to Anki: the whole visible bank, a topic, or what is due for review,
as an .apkg (questions/anki.py), with the learner's own notes when they ask for them.
Topic sets and assignments are the teams app's (teams/views.py), through
`anki_download`."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from progress.models import Note
from questions.access import visible_banks, visible_questions, visible_topics
from questions.anki import AnkiNote, anki_package
from questions.models import Answer, Topic
from studyhub.downloads import attachment


def anki_notes(
    user: User, question_ids: Collection[int] | None, *, with_my_notes: bool
) -> list[AnkiNote]:
    """The questions the user sees (of `question_ids`, or all of them), each with its
    answers, the topics the user sees as tags and, if asked, the user's note: three or
    four queries, however many questions."""
    banks = visible_banks(user)
    questions = visible_questions(user)
    if question_ids is not None:
        questions = questions.filter(pk__in=question_ids)
    questions = questions.order_by("position", "pk").prefetch_related(
        "answers", Prefetch("topics", queryset=Topic.objects.in_scope(banks).order_by("position"))
    )
    my_notes: dict[int, str] = {}
    if with_my_notes:
        notes = Note.objects.filter(user=user).exclude(html="")
        if question_ids is not None:
            notes = notes.filter(question_id__in=question_ids)
        my_notes = dict(notes.values_list("question_id", "html"))
    found = []
    for question in questions:
        answers = {answer.kind: answer.html for answer in question.answers.all()}
        found.append(
            AnkiNote(
                key=question.key,
                question=question.text,
                answer_html=answers.get(Answer.Kind.CONCISE, ""),
                long_answer_html=answers.get(Answer.Kind.LONG, ""),
                tags=tuple(topic.slug for topic in question.topics.all()),
                my_note_html=my_notes.get(question.pk, ""),
            )
        )
    return found


def anki_download(
    request: AuthenticatedHttpRequest,
    question_ids: Collection[int] | None,
    *,
    deck_name: str,
    deck_key: str,
) -> HttpResponse:
    """The response of every Anki download: `?notes=1` adds the learner's notes."""
    notes = anki_notes(request.user, question_ids, with_my_notes=request.GET.get("notes") == "1")
    return attachment(
        f"studyhub-{deck_key}.apkg",
        content_type="application/apkg",
        content=anki_package(notes, deck_name=deck_name, deck_key=deck_key),
    )


@require_GET
@login_required
def anki_bank(request: AuthenticatedHttpRequest) -> HttpResponse:
    return anki_download(request, None, deck_name="All questions", deck_key="bank")


@require_GET
@login_required
def anki_topic(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    topic = visible_topics(request.user).filter(slug=slug).first()
    if topic is None:
        raise Http404("No such topic.")
    ids = set(visible_questions(request.user).filter(topics=topic).values_list("pk", flat=True))
    return anki_download(request, ids, deck_name=topic.name, deck_key=f"topic-{topic.slug}")


@require_GET
@login_required
def anki_due(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    ids = set(
        user.confidence_marks.on_live_questions(visible_banks(user))
        .due_by(timezone.now())
        .values_list("question_id", flat=True)
    )
    if not ids:
        messages.info(
            request, "Nothing is due for review right now, so there is nothing to download."
        )
        return redirect("progress:study_home")
    return anki_download(request, ids, deck_name="Due for review", deck_key="due")
