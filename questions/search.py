"""The question list's search: text, topic, my confidence, my notes and my reviews, combined.

One query whatever the filters: the learner's level and note flag come from
`for_topic_page`, "due" is an EXISTS over the learner's own mark, and the text match
runs in the database — PostgreSQL's full-text search with ranking, or on SQLite (which
has no full-text search without an extension) a plain case-insensitive word match.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from progress.models import ConfidenceMark
from questions.models import Answer, Question, QuestionQuerySet

#: The language of the question bank, for stemming and stop words on PostgreSQL.
SEARCH_CONFIG = "english"


def search_questions(
    user,
    *,
    text: str = "",
    topic_slug: str = "",
    level: str = "",
    has_note: bool = False,
    due: bool = False,
    now: datetime | None = None,
) -> QuestionQuerySet:
    """The questions matching every given filter, as rows of the question list.

    Each row has `my_level`, `has_note` and `is_due`; with `text` on PostgreSQL also
    `rank`, and rows come best match first (question text weighs more than answers),
    otherwise in question order. `level` takes the topic page's filter values.

    "Due for review" means a question the learner has rated whose review is due at `now`
    (`ConfidenceMark.objects.due_by`, so a never-scheduled mark counts as due). Questions
    never rated are not reviews: they are found with the "Not rated yet" level instead.
    """
    now = now or timezone.now()
    my_due_marks = ConfidenceMark.objects.filter(user=user, question=OuterRef("pk")).due_by(now)
    questions = (
        Question.objects.for_topic_page(user)
        .annotate(is_due=Exists(my_due_marks))
        .with_level(level)
        .order_by("position", "pk")
    )
    if topic_slug:
        questions = questions.filter(topics__slug=topic_slug)
    if has_note:
        questions = questions.filter(has_note=True)
    if due:
        questions = questions.filter(is_due=True)
    if text.strip():
        if connection.vendor == "postgresql":
            questions = _ranked_text_search(questions, text)
        else:
            questions = _word_match(questions, text)
    return questions


def _ranked_text_search(questions: QuestionQuerySet, text: str) -> QuestionQuerySet:
    """PostgreSQL: web-search syntax ("quoted phrases", or, -word), stemmed, ranked; the
    last word typed also matches as the start of a word.

    The answers of a question are concatenated by a correlated subquery, so the list
    stays one query and each question one row. The vector is an alias, not a column:
    it is only matched and ranked, never sent back.
    """
    from django.contrib.postgres.aggregates import StringAgg
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    answers = (
        Answer.objects.filter(question=OuterRef("pk"))
        .order_by()  # Answer's default ordering would join the question table
        .values("question")
        .annotate(all_text=StringAgg("text", delimiter="\n"))
        .values("all_text")
    )
    vector = SearchVector("text", weight="A", config=SEARCH_CONFIG) + SearchVector(
        Subquery(answers), weight="B", config=SEARCH_CONFIG
    )
    query = _websearch_with_prefix(text, SearchQuery)
    return (
        questions.alias(document=vector)
        .annotate(rank=SearchRank(vector, query))
        .filter(document=query)
        .order_by("-rank", "position", "pk")
    )


#: A last word that can be matched as a prefix: letters and digits only, not negated
#: and not inside a quoted phrase (raw tsquery syntax must never see user input).
_LAST_WORD = re.compile(r"(?:^|\s)([^\W_]+)$")


def _websearch_with_prefix(text: str, SearchQuery):
    """Web-search syntax, and the last word also as the start of a word: the list
    searches as the learner types, so "transf" should already find "transfer"."""
    whole = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    stripped = text.rstrip()
    match = _LAST_WORD.search(stripped)
    if match is None or stripped.count('"') % 2 or text != stripped:
        return whole  # a finished word, a negation or an open phrase: as typed
    prefix = SearchQuery(f"{match.group(1)}:*", search_type="raw", config=SEARCH_CONFIG)
    rest = stripped[: match.start(1)].strip()
    if rest and rest.lower() != "or" and not rest.lower().endswith(" or"):
        prefix = SearchQuery(rest, search_type="websearch", config=SEARCH_CONFIG) & prefix
    elif rest:
        return whole  # "a or tr…": left to web-search syntax
    return whole | prefix


def _word_match(questions: QuestionQuerySet, text: str) -> QuestionQuerySet:
    """SQLite: every word must occur in the question text or in one of its answers.

    Case-insensitive for ASCII letters (SQLite's LIKE); no stemming, no ranking, no
    search syntax beyond dropping the quotes around a word. EXISTS instead of a join,
    so no question is listed twice and no DISTINCT is needed.
    """
    for word in text.split():
        word = word.strip("\"'")
        if word:
            in_answers = Answer.objects.filter(question=OuterRef("pk"), text__icontains=word)
            questions = questions.filter(Q(text__icontains=word) | Exists(in_answers))
    return questions
