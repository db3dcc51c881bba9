"""The question list's search: text, topic, my confidence, my notes and my reviews, combined.

One query whatever the filters: the learner's level and note flag come from
`progress.selectors`, "due" is an EXISTS over the learner's own mark, and the text match
runs in the database as a ranked full-text search with stemming: PostgreSQL's
`to_tsvector`, or on SQLite the FTS5 index `questions_question_fts` that migration
0003 creates and its triggers keep in step. Both read the same syntax ("phrase", or,
-word) and match the last word typed also as the start of a word.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.db import connection
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from progress.models import ConfidenceMark
from progress.selectors import filter_by_my_level, with_my_level_and_note_flag
from questions.access import visible_questions
from questions.models import Answer, Question, QuestionQuerySet

if TYPE_CHECKING:
    from django.contrib.postgres.search import CombinedSearchQuery
    from django.contrib.postgres.search import SearchQuery as PgSearchQuery

#: The language of the question bank, for stemming and stop words on PostgreSQL.
SEARCH_CONFIG = "english"

#: The longest search text, in characters and in words. A search is a few keywords, or
#: a whole question pasted to find it (the seed bank's longest is 126 characters and 20
#: words); anything longer is refused before it reaches the database, so the size of
#: the query the database builds, and its time, stay bounded.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 20

#: SQLite's full-text index (questions/migrations/0003_question_search_index.py).
FTS_TABLE = "questions_question_fts"
#: bm25 weights of its columns: a word in the question counts ten times a word in an
#: answer, so questions about it come before questions that merely mention it.
FTS_WEIGHTS = (10.0, 1.0)


def search_text_error(text: str) -> str:
    """Why `text` cannot be searched, in words for the learner, or "" when it can."""
    words = len(text.split())
    if len(text) > SEARCH_MAX_CHARS or words > SEARCH_MAX_WORDS:
        return (
            f"Search for at most {SEARCH_MAX_WORDS} words and {SEARCH_MAX_CHARS} characters "
            f"(this has {words} word{'s' if words != 1 else ''} and {len(text)} characters): "
            "shorten it to a few keywords."
        )
    return ""


def search_questions(
    user: User,
    *,
    text: str = "",
    topic_slug: str = "",
    level: str = "",
    has_note: bool = False,
    due: bool = False,
    now: datetime | None = None,
) -> QuestionQuerySet:
    """The questions matching every given filter, as rows of the question list.

    Each row has `my_level`, `has_note` and `is_due`; with `text` also `rank` (higher
    is better), and rows come best match first (question text weighs more than
    answers), otherwise in question order. `level` takes the topic page's filter
    values. `text` must pass `search_text_error` (ValueError otherwise).

    "Due for review" means a question the learner has rated whose review is due at `now`
    (`ConfidenceMark.objects.due_by`, so a never-scheduled mark counts as due). Questions
    never rated are not reviews: they are found with the "Not rated yet" level instead.
    """
    now = now or timezone.now()
    my_due_marks = ConfidenceMark.objects.filter(user=user, question=OuterRef("pk")).due_by(now)
    questions = with_my_level_and_note_flag(visible_questions(user), user)
    questions = filter_by_my_level(questions.annotate(is_due=Exists(my_due_marks)), level)
    questions = questions.order_by("position", "pk")
    if topic_slug:
        questions = questions.filter(topics__slug=topic_slug)
    if has_note:
        # has_note, is_due: annotations above, which django-stubs loses on QuestionQuerySet.
        questions = questions.filter(has_note=True)  # type: ignore[misc]
    if due:
        questions = questions.filter(is_due=True)  # type: ignore[misc]
    if text.strip():
        if search_text_error(text):
            raise ValueError("search text too long; check it with search_text_error() first")
        if connection.vendor == "postgresql":
            questions = _ranked_text_search(questions, text)
        else:
            questions = _fts5_search(questions, text)
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


def _websearch_with_prefix(
    text: str, SearchQuery: type[PgSearchQuery]
) -> PgSearchQuery | CombinedSearchQuery:
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


#: A learner's search text in web-search syntax: a "quoted phrase" (its closing quote
#: may be missing while typing) or a word, perhaps negated with a leading minus.
_TERM = re.compile(r'"([^"]*)"?|(-?)([^\s"]+)')
#: Letters and digits: what FTS5's unicode61 tokenizer keeps of a term.
_WORD = re.compile(r"[^\W_]+")


def _fts5_search(questions: QuestionQuerySet, text: str) -> QuestionQuerySet:
    """SQLite: the FTS5 index, read as PostgreSQL reads web-search syntax, ranked by
    bm25 with the question text above the answers.

    The index is joined (`extra`, as it has no model), so FTS5 evaluates the match once
    and bm25 reads the same cursor; a correlated subquery per question would run the
    whole match again for every row. The query text is a parameter, and every term in
    it a quoted FTS5 string, so nothing typed can become FTS5 syntax.
    """
    match, excluded = _fts5_query(text)
    if match is None and excluded is None:
        return questions.none()  # only punctuation or operators: like PostgreSQL
    if match is None:  # only "-word"s: every question without them, unranked
        return questions.exclude(
            pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [excluded])
        ).annotate(rank=Value(0.0))
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    question_id = f"{Question._meta.db_table}.{Question._meta.pk.column}"
    # django-stubs types extra() as a plain QuerySet; it returns a QuestionQuerySet like any clone.
    ranked = questions.extra(
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = {question_id}", f"{FTS_TABLE} MATCH %s"],
        params=[match],
        # bm25 is lower for better matches; negated it reads like PostgreSQL's rank.
        select={"rank": f"-bm25({FTS_TABLE}, {weights})"},
    ).order_by("-rank", "position", "pk")
    return cast(QuestionQuerySet, ranked)


def _fts5_query(text: str) -> tuple[str | None, str | None]:
    """The FTS5 expression for `text`, and the expression of its negated terms alone
    when nothing else is asked for (None where there is none).

    Words are all required; "or" between two terms takes either; "-word" excludes;
    "a phrase" must occur as written. The last word, when it is letters and digits
    only, not negated and not inside a phrase and no space follows, also matches as
    the start of a word (`"word"*`), as `_websearch_with_prefix` does on PostgreSQL.
    Each term is an FTS5 string (a phrase has no quotes inside; a word is split into
    its letters and digits); FTS5 stems it with the index's porter tokenizer, so
    "pools" finds "pooling".
    """
    groups: list[list[str]] = []  # required terms, each a list of alternatives
    excluded: list[str] = []
    either = False  # the previous word was "or"
    last_is_prefixable = False
    for match in _TERM.finditer(text):
        phrase, minus, word = match.groups()
        if phrase is None and not minus and word.lower() == "or":
            either = bool(groups)
            last_is_prefixable = False
            continue
        if phrase is not None or minus:
            terms = [phrase if phrase is not None else word]
        else:  # "near(pooling": the words, as PostgreSQL's parser splits them
            terms = _WORD.findall(word)
        literals = [f'"{term}"' for term in terms if _WORD.search(term)]
        if not literals:
            continue  # "&", "|", ":*": nothing FTS5 would index
        if minus:
            excluded.extend(literals)
            last_is_prefixable = False
        else:
            if either:
                groups[-1].append(" AND ".join(literals))
            else:
                groups.extend([literal] for literal in literals)
            last_is_prefixable = (
                phrase is None
                and not either
                and match.end() == len(text)
                and _WORD.fullmatch(word) is not None
            )
        either = False
    if not groups:
        return None, " OR ".join(excluded) or None
    if last_is_prefixable:
        groups[-1][-1] += "*"
    expression = " AND ".join(
        f"({' OR '.join(f'({alternative})' for alternative in group)})"
        if len(group) > 1
        else group[0]
        for group in groups
    )
    for literal in excluded:
        expression = f"({expression}) NOT {literal}"
    return expression, None
