"""Reads the editor's pages assemble: a bank's questions and imports, and the names a
revision's diff shows."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.text import Truncator

from authoring.services import QuestionContent, in_same_scope
from questions.models import ImportRecord, Question, QuestionQuerySet, Topic


def bank_questions(bank_id: int | None) -> QuestionQuerySet:
    """A bank's questions (the library's for None), retired ones too, with their topics:
    what its page lists, in bank order."""
    return (
        Question.objects.filter(bank=bank_id)
        .only("key", "text", "position", "bank", "retired_at")
        .prefetch_related(Prefetch("topics", Topic.objects.only("name", "slug", "bank")))
        .order_by("position", "pk")
    )


def bank_imports(bank_id: int | None) -> QuerySet[ImportRecord]:
    """The imports made into a bank, newest first, with who made and undid them."""
    return (
        ImportRecord.objects.filter(bank=bank_id, status=ImportRecord.Status.DONE)
        .select_related("user", "undone_by")
        .defer("text", "summary")
    )


def revision_names(
    question: Question, contents: list[QuestionContent]
) -> dict[str, dict[str, str]]:
    """The names of the topics and related questions the contents mention, for their
    diffs: two queries."""
    slugs = {s for c in contents for s in c.topics}
    keys = {k for c in contents for k in c.related}
    topics = dict(Topic.objects.filter(slug__in=slugs).values_list("slug", "name"))
    related = Question.objects.filter(in_same_scope(question), key__in=keys)
    return {
        "topic_names": topics,
        "related_names": {
            key: f"Q{position}. {Truncator(text).chars(80)}"
            for key, position, text in related.values_list("key", "position", "text")
        },
    }
