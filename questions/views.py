from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from questions.models import Question, Topic
from questions.search import search_questions, search_text_error

#: The topic page's confidence filter: value, label.
LEVEL_FILTERS = [
    ("", "All questions"),
    ("unrated", "Not rated yet"),
    ("1", "1 · Not yet"),
    ("2", "2 · Shaky"),
    ("3", "3 · Okay"),
    ("4", "4 · Confident"),
    ("5", "5 · Mastered"),
    ("covered", "Covered (Okay or better)"),
    ("not-covered", "Not covered yet"),
]


@require_GET
@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = Topic.objects.with_coverage_for(request.user)
    return TemplateResponse(request, "questions/topic_list.html", {"topics": topics})


@require_GET
@vary_on_headers("HX-Request")
@login_required
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic.objects.with_coverage_for(request.user), slug=slug)
    level = request.GET.get("level", "")
    if level not in dict(LEVEL_FILTERS):
        level = ""
    questions = topic.questions.for_topic_page(request.user).with_level(level)
    template = "questions/topic_detail.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#question-list"
    context = {
        "topic": topic,
        "questions": questions,
        "level": level,
        "level_label": dict(LEVEL_FILTERS)[level],
        "level_filters": LEVEL_FILTERS,
    }
    return TemplateResponse(request, template, context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def question_list(request: HttpRequest) -> HttpResponse:
    """All questions, searched and filtered; htmx swaps only the results."""
    topics = list(Topic.objects.only("slug", "name"))
    params = request.GET
    topic = next((t for t in topics if t.slug == params.get("topic")), None)
    level = params.get("level", "")
    if level not in dict(LEVEL_FILTERS):
        level = ""
    search = {
        # PostgreSQL refuses NUL characters in a string; nobody means to search for one.
        "text": params.get("q", "").replace("\x00", "").strip(),
        "topic_slug": topic.slug if topic else "",
        "level": level,
        "has_note": params.get("note") == "1",
        "due": params.get("due") == "1",
    }
    # Too long a search is shown back with a message next to the field, and not run.
    text_error = search_text_error(search["text"])
    if text_error:
        questions = Question.objects.none()
    else:
        questions = search_questions(request.user, **search, now=timezone.now())
    template = "questions/question_list.html"
    fragment = bool(request.htmx and not request.htmx.history_restore_request)
    if fragment:
        template += "#question-results"
    context = {
        "fragment": fragment,
        "questions": questions,
        "topics": topics,
        "level_filters": LEVEL_FILTERS,
        "text_error": text_error,
        **search,
    }
    return TemplateResponse(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@login_required
def question_detail(request: HttpRequest, key: str) -> HttpResponse:
    from progress.views import question_page_context

    question = get_object_or_404(Question.objects.for_question_page(), key=key)
    context = question_page_context(request, question, topic_slug=request.GET.get("topic"))
    return TemplateResponse(request, "questions/question_detail.html", context)
