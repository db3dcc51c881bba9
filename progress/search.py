"""The question list's search: text, topic, my confidence, my notes and my reviews, combined.

One query whatever the filters: the learner's level and note flag come from
`progress.selectors`, "due" is an EXISTS over the learner's own mark, and the text match
runs in the database as a ranked full-text search with stemming over an index that
triggers keep in step: on PostgreSQL `questions_question_search`, a `tsvector` per
question with a GIN index (migration questions/0007), on SQLite the FTS5 table
`questions_question_fts` (migration questions/0003). Both read the same syntax ("phrase", or,
-word) and match the last word typed also as the start of a word.

The same query says why each result of the page shown matched (`matches`): its question
text and its answers with the matched words marked, by PostgreSQL's `ts_headline` or
FTS5's `highlight`, so the stemming is the search's own. `show_why` cuts the passage of
the answers around the marked words and turns both into escaped HTML with `<mark>`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, cast

from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    JSONField,
    OuterRef,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONArray, Left, Replace, RowNumber
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from progress.models import ConfidenceMark
from progress.selectors import filter_by_my_level, with_my_level_and_note_flag
from questions.access import visible_questions
from questions.models import Answer, Question, QuestionQuerySet
from studyhub.pagination import PER_PAGE

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
#: PostgreSQL's (questions/migrations/0007_postgresql_search_index.py).
PG_SEARCH_TABLE = "questions_question_search"
#: bm25 weights of its columns: a word in the question counts ten times a word in an
#: answer, so questions about it come before questions that merely mention it.
FTS_WEIGHTS = (10.0, 1.0)

#: What the database puts around a matched word in `matches`: private-use characters,
#: which no question or answer needs, so `marked_html` can tell them from the text.
MARK_START = "\ue000"
MARK_END = "\ue001"
#: Only the rows of the page shown say why they matched. Marking words costs time for
#: every row (ts_headline about 0.15 ms per 1,000 characters, more on longer text): a
#: common word in a bank of 5,000 questions would mark them all. It is the list's page
#: size (studyhub.pagination.PER_PAGE), and the whole seed bank.
WHY_ROWS = PER_PAGE
#: How much of a question's answers is read for a passage, and of its text on
#: PostgreSQL (a longer question text is shown unmarked): the seed bank's longest
#: answers (2,088 characters, with its concise answer about 2,400) fit whole; an
#: imported answer may hold 20,000. PostgreSQL marks only this much; FTS5 marks its own
#: copy of the text, which cannot be cut first, and only this much of it is sent back.
WHY_MAX_CHARS = 4_000
#: The words of a passage, and how many of them come before its first marked word
#: (fewer when a sentence starts there).
PASSAGE_WORDS = 30
PASSAGE_LEAD_WORDS = 8


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
    why_from: int | None = None,
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
            questions = _ranked_text_search(questions, text, why_from=why_from)
        else:
            questions = _fts5_search(questions, text, why_from=why_from)
    return questions


def _ranked_text_search(
    questions: QuestionQuerySet, text: str, *, why_from: int | None
) -> QuestionQuerySet:
    """PostgreSQL: web-search syntax ("quoted phrases", or, -word), stemmed, ranked; the
    last word typed also matches as the start of a word.

    Each question's document (its text weighted A, its answers B) is stored in
    `questions_question_search` with a GIN index, kept in step by triggers (migration
    questions/0007); the search joins it, so the index finds the matches and only they
    are ranked. The document is never sent back.
    """
    from django.contrib.postgres.aggregates import StringAgg
    from django.contrib.postgres.search import SearchHeadline, SearchQuery

    answers = (
        Answer.objects.filter(question=OuterRef("pk"))
        .order_by()  # Answer's default ordering would join the question table
        .values("question")
        .annotate(all_text=StringAgg("text", delimiter="\n", order_by="kind"))
        .values("all_text")
    )
    query = _websearch_with_prefix(text, SearchQuery)
    compiler = questions.query.get_compiler(connection=connection)
    query_sql, query_params = compiler.compile(query.resolve_expression(questions.query))
    question_id = f"{Question._meta.db_table}.{Question._meta.pk.column}"
    order = [F("rank").desc(), F("position").asc(), F("pk").asc()]
    ranked = questions.extra(
        tables=[PG_SEARCH_TABLE],
        where=[
            f"{PG_SEARCH_TABLE}.question_id = {question_id}",
            f"{PG_SEARCH_TABLE}.document @@ ({query_sql})",
        ],
        params=list(query_params),
    ).annotate(
        rank=RawSQL(
            f"ts_rank({PG_SEARCH_TABLE}.document, ({query_sql}))",
            list(query_params),
            output_field=FloatField(),
        )
    )
    ranked = ranked.order_by(*order)
    if why_from is None:
        return ranked

    def marked(text: F | Subquery) -> SearchHeadline:
        # Whole texts, not ts_headline's fragments: those drop HTML tags, short words
        # and the last full stop, and never say where they cut. show_why picks the passage.
        return SearchHeadline(
            _unmarked(text),
            query,
            config=SEARCH_CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_END,
            highlight_all=True,
        )

    # The row number is computed over the sorted rows the list needs anyway; the
    # headlines only for the rows it lets through.
    first = When(
        result_number__gt=why_from,
        result_number__lte=why_from + WHY_ROWS,
        then=JSONArray(marked(F("text")), marked(Subquery(answers))),
    )
    return ranked.alias(result_number=Window(RowNumber(), order_by=order)).annotate(
        matches=Case(first)
    )


def _unmarked(text: F | Subquery) -> Replace:
    """The first WHY_MAX_CHARS characters of `text`, without the characters that mark
    a match, so that every mark ts_headline returns is its own."""
    return Replace(Replace(Left(text, WHY_MAX_CHARS), Value(MARK_START)), Value(MARK_END))


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


def _fts5_search(
    questions: QuestionQuerySet, text: str, *, why_from: int | None
) -> QuestionQuerySet:
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
    if why_from is None:
        return cast(QuestionQuerySet, ranked)
    # The rows that say why (WHY_ROWS after the first why_from) are those of the same
    # search with a LIMIT and OFFSET: FTS5's functions cannot be used with a window
    # function, which would count them. SQLite
    # runs this subquery once (it refers to no outer row: inside it the two table names
    # are its own), then `highlight` only for the rows it lists.
    page = ranked.values_list("pk")[why_from : why_from + WHY_ROWS]
    first_sql, first_params = page.query.sql_with_params()
    why = RawSQL(
        f"CASE WHEN {question_id} IN ({first_sql}) THEN json_array("
        f"highlight({FTS_TABLE}, 0, %s, %s), "
        f"substr(highlight({FTS_TABLE}, 1, %s, %s), 1, {WHY_MAX_CHARS})) END",
        [*first_params, MARK_START, MARK_END, MARK_START, MARK_END],
        output_field=JSONField(),
    )
    return cast(QuestionQuerySet, ranked.annotate(matches=why))


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


def page_saying_why(user: User, search: dict, page: Page, *, now: datetime) -> list[Question]:
    """The rows of `page` (a page of `search_questions(user, **search)`), searched again
    so that each says why it matched (`show_why`): one query, marking only these rows."""
    first = max(page.start_index() - 1, 0)
    found = search_questions(user, **search, now=now, why_from=first)
    return show_why(found[first : first + page.paginator.per_page])


# --- Why a result matched ---------------------------------------------------------------


class Why(NamedTuple):
    """Why a result matched, as HTML: its question text with the matched words in
    `<mark>`, and a passage of its answers ("" when the question text shows it all)."""

    text: SafeString
    passage: SafeString


def show_why(questions: Iterable[Question]) -> list[Question]:
    """The rows of a text search, each with `why` (a `Why`) when the search said why
    it matched (`matches`: the rows of the page shown, when asked with `why_from`).

    The passage is shown when the answers mark a word the question text does not, so
    a question that matched on its own words is not followed by its answer saying the
    same again.
    """
    rows = list(questions)
    for question in rows:
        matches = getattr(question, "matches", None)
        if not matches:
            continue
        marked_text, marked_answers = (text or "" for text in matches)
        # A text PostgreSQL cut, or one holding marker characters of its own (which
        # FTS5 cannot be kept from reading as marks), is shown as written, unmarked.
        if _MARKS.search(question.text) or _MARKS.sub("", marked_text) != question.text:
            marked_text = ""
        text = marked_html(marked_text or _MARKS.sub("", question.text))
        passage = passage_html(marked_answers)
        if not _adds_words(marked_answers, to=marked_text):
            passage = mark_safe("")
        # Like an annotation: read by the template only.
        question.why = Why(text, passage)  # type: ignore[attr-defined]
    return rows


_MARKS = re.compile(f"[{MARK_START}{MARK_END}]")
_MARK_SPLIT = re.compile(f"([{MARK_START}{MARK_END}])")
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")


def _marked_words(text: str) -> set[str]:
    return {word.casefold() for word in _MARKED.findall(text) if word.strip()}


def _adds_words(marked: str, *, to: str) -> bool:
    """Whether `marked` marks a word that `to` does not, counting two forms of a word
    ("network", "networks"; "study", "studies") as one: words the search marked both
    match a word searched for, so sharing all but their last letter or so, they are
    taken to match the same one. (The stems themselves are the database's own.)"""
    known = _marked_words(to)

    def same(a: str, b: str) -> bool:
        length = max(3, min(len(a), len(b)) - 1)
        return a[:length] == b[:length]

    return any(not any(same(word, other) for other in known) for word in _marked_words(marked))


def marked_html(text: str) -> SafeString:
    """`text`, escaped, with each word the database marked (MARK_START … MARK_END) in
    `<mark>`.

    The text is escaped first and only then are the marks made tags, so nothing in the
    text can become HTML. A mark without its partner (the text itself held such a
    character) is dropped, so the `<mark>`s are always balanced and never nested.
    """
    html = []
    open_mark = False
    for part in _MARK_SPLIT.split(text):
        if part == MARK_START and not open_mark:
            html.append("<mark>")
            open_mark = True
        elif part == MARK_END and open_mark:
            html.append("</mark>")
            open_mark = False
        elif part not in (MARK_START, MARK_END):
            html.append(escape(part))
    if open_mark:
        html.append("</mark>")
    return mark_safe("".join(html).replace("<mark></mark>", ""))  # noqa: S308 — escaped above


#: Markdown syntax that would show as stray characters in a passage of plain text:
#: a heading's hashes, a quote's ">", a list item's marker at the start of a line ...
_MARKDOWN_LINE_START = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)+", re.M
)
#: ... a link's or image's brackets and address (the words stay) ...
_MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*\)")
#: ... and emphasis, code and strike-through marks: "*" and "_" only where they touch a
#: word on one side, so "3 * 3" and snake_case are kept (a mark counts as part of a word).
_IN_WORD = rf"[\w*_{MARK_START}{MARK_END}]"
_MARKDOWN_INLINE = re.compile(rf"`+|~~|(?<!\s)[*_]+(?!{_IN_WORD})|(?<!{_IN_WORD})[*_]+(?!\s)")


def passage_html(text: str) -> SafeString:
    """The passage of an answer around its marked words, as one line of HTML, or ""
    when no word is marked.

    The Markdown syntax is taken out first (the index holds the answers as written),
    then the passage is the PASSAGE_WORDS words that hold the most of the different
    words marked (the first such), starting PASSAGE_LEAD_WORDS before the first of
    them or at a sentence start just before it, with "…" where the answer goes on. It
    is escaped and marked by `marked_html`.
    """
    text = _MARKDOWN_LINE_START.sub("", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _MARKDOWN_INLINE.sub("", text)
    words = text.split()
    start, end = _passage_span(words)
    if start == end:
        return mark_safe("")
    passage = " ".join(words[start:end])
    return marked_html(("… " if start else "") + passage + (" …" if end < len(words) else ""))


def _passage_span(words: list[str]) -> tuple[int, int]:
    """Where in `words` the passage starts and ends: (0, 0) when nothing is marked."""
    # Passages are tried from the first PASSAGE_WORDS marked words only (the start of a
    # word as typed may mark most words of the answers): bounded work, and a passage
    # near the start reads best anyway. The words after their passages are not read.
    terms: list[str | None] = []  # what is marked of each word, or None
    marked_at: list[int] = []
    inside = False
    for index, word in enumerate(words):
        if len(marked_at) == PASSAGE_WORDS and index >= marked_at[-1] + PASSAGE_WORDS:
            break
        if not inside and MARK_START not in word:
            terms.append(None)
            continue
        marked = []
        for part in _MARK_SPLIT.split(word):
            if part in (MARK_START, MARK_END):
                inside = part == MARK_START
            elif inside:
                marked.append(part)
        terms.append("".join(marked).casefold())
        if len(marked_at) < PASSAGE_WORDS:
            marked_at.append(index)
    if not marked_at or len(words) <= PASSAGE_WORDS:
        return (0, len(words) if marked_at else 0)
    best = (0, 0)  # different words marked, -start
    for index in marked_at:
        start = max(0, min(index - PASSAGE_LEAD_WORDS, len(words) - PASSAGE_WORDS))
        sentence = next(
            (i for i in range(index, start, -1) if words[i - 1].endswith((".", "!", "?"))), None
        )
        start = sentence if sentence is not None else start
        different = len({term for term in terms[start : start + PASSAGE_WORDS] if term})
        best = max(best, (different, -start))
    return -best[1], min(len(words), -best[1] + PASSAGE_WORDS)
