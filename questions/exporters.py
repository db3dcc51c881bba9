"""The question bank as a file: JSON or CSV that import back to the same bank.

`bank_snapshot()` reads the bank in a fixed number of queries; `render_json` and
`render_csv` turn it into text without touching the database. Neither file carries a
date or a database id, so exporting the same bank twice gives the same bytes, and
export → import into an empty database → export gives the same file again.
Positions are not written: the order of the file is the order of the bank.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from django.db.models import Prefetch

from questions.importing.csv import CSV_COLUMNS
from questions.importing.document import normalise_whitespace
from questions.models import Answer, BankIds, Question, Topic
from studyhub.downloads import escape_cell

BANK_FORMAT = "studyhub-question-bank"
BANK_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ExportedTopic:
    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class ExportedQuestion:
    key: str
    text: str
    answer: str = ""
    answer_incomplete: bool = False
    long_answer: str = ""
    long_answer_incomplete: bool = False
    topics: tuple[str, ...] = ()  # slugs, in topic order
    related: tuple[str, ...] = ()  # keys, in question order


@dataclass(frozen=True)
class BankSnapshot:
    topics: list[ExportedTopic]
    questions: list[ExportedQuestion]


def bank_snapshot(banks: BankIds = ()) -> BankSnapshot:
    """Every topic and live question of the library and `banks`, with answers, topics
    and related questions (of those banks only): five queries, however large the bank."""
    topics = list(Topic.objects.in_scope(banks).order_by("position", "name", "pk"))
    topic_rank = {topic.pk: rank for rank, topic in enumerate(topics)}
    in_scope = Question.objects.live_in(banks)
    questions = in_scope.order_by("position", "pk").prefetch_related(
        "answers",
        Prefetch("topics", queryset=Topic.objects.in_scope(banks)),
        Prefetch("related", queryset=in_scope.only("pk", "key", "position")),
    )
    exported = []
    for question in questions:
        answers = {answer.kind: answer for answer in question.answers.all()}
        concise = answers.get(Answer.Kind.CONCISE)
        long = answers.get(Answer.Kind.LONG)
        own_topics = sorted(question.topics.all(), key=lambda t: topic_rank[t.pk])
        related = sorted(question.related.all(), key=lambda q: (q.position, q.pk))
        exported.append(
            ExportedQuestion(
                key=question.key,
                text=normalise_whitespace(question.text),
                answer=_lines(concise.text) if concise else "",
                answer_incomplete=bool(concise and concise.source_incomplete),
                long_answer=_lines(long.text) if long else "",
                long_answer_incomplete=bool(long and long.source_incomplete),
                topics=tuple(t.slug for t in own_topics),
                related=tuple(q.key for q in related),
            )
        )
    return BankSnapshot(
        topics=[
            ExportedTopic(t.slug, normalise_whitespace(t.name), _lines(t.description))
            for t in topics
        ],
        questions=exported,
    )


def render_json(snapshot: BankSnapshot) -> str:
    data = {
        "format": BANK_FORMAT,
        "version": BANK_FORMAT_VERSION,
        "topics": [
            {"slug": t.slug, "name": t.name, "description": t.description} for t in snapshot.topics
        ],
        "questions": [
            {
                "key": q.key,
                "text": q.text,
                "answer": q.answer or None,
                "answer_incomplete": q.answer_incomplete,
                "long_answer": q.long_answer or None,
                "long_answer_incomplete": q.long_answer_incomplete,
                "topics": list(q.topics),
                "related": list(q.related),
            }
            for q in snapshot.questions
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _lines(text: str) -> str:
    # Text typed into a browser (the admin) may end its lines with "\r\n".
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _topic_cell(slugs: tuple[str, ...], names: dict[str, str]) -> str:
    entries = [f"{names[slug]} [{slug}]" for slug in slugs]
    # Several topics go one per line when a name holds the ';' that would split them.
    if any(";" in entry for entry in entries):
        return "\n".join(entries) + "\n"
    return "; ".join(entries)


def render_csv(snapshot: BankSnapshot) -> str:
    """One row per question; each topic written as "Name [slug]" so both survive."""
    names = {t.slug: t.name for t in snapshot.topics}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for q in snapshot.questions:
        row = [
            q.key,
            q.text,
            q.answer,
            "yes" if q.answer_incomplete else "",
            q.long_answer,
            "yes" if q.long_answer_incomplete else "",
            _topic_cell(q.topics, names),
            "; ".join(q.related),
        ]
        writer.writerow([escape_cell(cell) for cell in row])
    return out.getvalue()
