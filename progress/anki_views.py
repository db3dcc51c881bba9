"""Questions to take to Anki: the whole visible bank, a topic, or what is due for review,
as an .apkg (questions/anki.py), with the learner's own notes when they ask for them.
Topic sets and assignments are the teams app's (teams/views.py), through
`anki_download`."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Collection

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from progress.models import Note
from questions.access import visible_banks, visible_questions, visible_topics
from questions.anki import AnkiNote, write_anki_package
from questions.models import Answer, Question


def anki_notes(
    user: User, question_ids: Collection[int] | None, *, with_my_notes: bool
) -> list[AnkiNote]:
    """The questions the user sees (of `question_ids`, or all of them), each with its
    answers, the topics the user sees as tags and, if asked, the user's note: three or
    four queries, however many questions. Read as plain rows, not models: for the
    5,000 questions of a large bank, building models and prefetching took 0.6 s of
    the export's 0.9 (`bench/scale.py`, anki_bank)."""
    questions = visible_questions(user)
    if question_ids is not None:
        questions = questions.filter(pk__in=question_ids)
    rows = list(questions.order_by("position", "pk").values_list("pk", "key", "text"))
    chosen = questions.values("pk")
    answers: dict[tuple[int, str], str] = {
        (question_id, kind): html
        for question_id, kind, html in Answer.objects.filter(question__in=chosen).values_list(
            "question_id", "kind", "html"
        )
    }
    tags: dict[int, list[str]] = defaultdict(list)
    links = Question.topics.through.objects.filter(
        question__in=chosen, topic__in=visible_topics(user)
    ).order_by("topic__position", "topic__name", "topic_id")
    for question_id, slug in links.values_list("question_id", "topic__slug"):
        tags[question_id].append(slug)
    my_notes: dict[int, str] = {}
    if with_my_notes:
        notes = Note.objects.filter(user=user, question__in=chosen).exclude(html="")
        my_notes = dict(notes.values_list("question_id", "html"))
    return [
        AnkiNote(
            key=key,
            question=text,
            answer_html=answers.get((pk, Answer.Kind.CONCISE), ""),
            long_answer_html=answers.get((pk, Answer.Kind.LONG), ""),
            tags=tuple(tags[pk]),
            my_note_html=my_notes.get(pk, ""),
        )
        for pk, key, text in rows
    ]


def anki_download(
    request: AuthenticatedHttpRequest,
    question_ids: Collection[int] | None,
    *,
    deck_name: str,
    deck_key: str,
) -> HttpResponseBase:
    """The response of every Anki download: `?notes=1` adds the learner's notes. The
    package is written to a temporary file and sent from it, a chunk at a time."""
    notes = anki_notes(request.user, question_ids, with_my_notes=request.GET.get("notes") == "1")
    package = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes (so removes) it once sent
    try:
        write_anki_package(notes, package, deck_name=deck_name, deck_key=deck_key)
    except BaseException:
        package.close()
        raise
    del notes
    package.seek(0)
    return FileResponse(
        package,
        as_attachment=True,
        filename=f"studyhub-{deck_key}.apkg",
        content_type="application/apkg",
    )


@require_GET
@login_required
def anki_bank(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return anki_download(request, None, deck_name="All questions", deck_key="bank")


@require_GET
@login_required
def anki_topic(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    topic = visible_topics(request.user).filter(slug=slug).first()
    if topic is None:
        raise Http404("No such topic.")
    ids = set(visible_questions(request.user).filter(topics=topic).values_list("pk", flat=True))
    return anki_download(request, ids, deck_name=topic.name, deck_key=f"topic-{topic.slug}")


@require_GET
@login_required
def anki_due(request: AuthenticatedHttpRequest) -> HttpResponseBase:
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
