"""The bank as a learner browses it: topics and questions, each with the learner's own
confidence and notes beside it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from progress.search import page_saying_why, search_questions, search_text_error
from progress.selectors import (
    LEVEL_FILTERS,
    filter_by_my_level,
    topic_with_my_coverage,
    topics_with_my_coverage,
    with_my_level_and_note_flag,
)
from questions.access import visible_questions, visible_topics
from questions.models import Question, Topic
from studyhub.pagination import paginate


def level_filter(value: str) -> str:
    """The confidence filter asked for; an unknown one shows all questions."""
    return value if value in dict(LEVEL_FILTERS) else ""


def level_label(level: str) -> str:
    """What a filter value shows as: "Covered (Okay or better)"."""
    return dict(LEVEL_FILTERS)[level_filter(level)]


def search_asked(params: QueryDict, topics: list[Topic]) -> dict:
    """The question list's filters from a query string (or a "Study these" form that
    carries them on); a topic not in `topics` is ignored, as is an unknown level."""
    topic = next((t for t in topics if t.slug == params.get("topic")), None)
    return {
        # PostgreSQL refuses NUL characters in a string; nobody means to search for one.
        "text": params.get("q", "").replace("\x00", "").strip(),
        "topic_slug": topic.slug if topic else "",
        "level": level_filter(params.get("level", "")),
        "has_note": params.get("note") == "1",
        "due": params.get("due") == "1",
    }


@require_GET
@login_required
def topic_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    topics = topics_with_my_coverage(request.user)
    return TemplateResponse(request, "progress/topic_list.html", {"topics": topics})


@require_GET
@vary_on_headers("HX-Request")
@login_required
def topic_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    topic = topic_with_my_coverage(user, slug)
    if topic is None:
        raise Http404("No such topic.")
    level = level_filter(request.GET.get("level", ""))
    questions = with_my_level_and_note_flag(visible_questions(user).filter(topics=topic), user)
    template = "progress/topic_detail.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#question-list"
    questions = filter_by_my_level(questions, level).order_by("position", "pk")
    context = {
        "breadcrumbs": [("Topics", reverse("progress:topic_list")), (topic.name, None)],
        "topic": topic,
        "pager": paginate(request, questions, noun="questions"),
        "level": level,
        "level_label": level_label(level),
        "level_filters": LEVEL_FILTERS,
    }
    return TemplateResponse(request, template, context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def question_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All questions, searched and filtered; htmx swaps only the results."""
    topics = list(visible_topics(request.user).only("slug", "name"))
    search = search_asked(request.GET, topics)
    # Too long a search is shown back with a message next to the field, and not run.
    text_error = search_text_error(search["text"])
    now = timezone.now()
    questions = Question.objects.none()
    if not text_error:
        questions = search_questions(request.user, **search, now=now)
    pager = paginate(request, questions, noun="questions")
    rows: Iterable[Question] = pager.rows
    if search["text"] and not text_error:
        rows = page_saying_why(request.user, search, pager.page, now=now)
    fragment = bool(request.htmx and not request.htmx.history_restore_request)
    template = "progress/question_list.html" + ("#question-results" if fragment else "")
    context = {
        "fragment": fragment,
        "pager": pager,
        "rows": rows,
        "topics": topics,
        "level_filters": LEVEL_FILTERS,
        "text_error": text_error,
        **search,
    }
    return TemplateResponse(request, template, context)
