"""Writing an import plan to the bank.

`run_import` (and the upload page's confirm, in records.py) plan first, outside any
transaction, then `write_plan` writes the plan in one short transaction that starts by
checking the bank has not changed since the plan was made; so the write always matches
the bank as it is at that moment, a problem anywhere leaves the bank as it was, and no
write lock is held while the file is compared with the bank.

Import only adds: it never changes or removes a question that is already in the bank,
so learners' confidence and notes are never touched.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max

from accounts.models import User
from questions.importing.document import ImportDocument
from questions.importing.planning import (
    DUPLICATE,
    IN_BANK,
    NEW,
    REPEAT,
    STATUS_LABELS,
    ImportPlan,
    PlannedQuestion,
    plan_import,
    scope_of,
)
from questions.key_points import derive_key_points
from questions.models import Answer, Bank, ImportRecord, Question, Topic, in_library_or
from studyhub.markdown import render_markdown

logger = logging.getLogger("questions.importing")


class ImportRefused(Exception):
    """The plan has problems that must be fixed before anything can be imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class BankChanged(ImportRefused):
    """The bank changed between planning an import and writing it."""

    def __init__(self) -> None:
        super().__init__(
            [
                "The question bank changed while this file was being imported (someone "
                "else added or removed questions or topics). Check what the import would "
                "do now and import it again."
            ]
        )


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": dict(self.created), "skipped": dict(self.skipped), "keys": self.keys}

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        return cls(
            Counter(data.get("created", {})),
            Counter(data.get("skipped", {})),
            list(data.get("keys", [])),
        )

    def summary_rows(self) -> list[tuple[str, int]]:
        created, skipped = self.created, self.skipped
        return [
            ("Questions added", created["questions"]),
            ("Answers added", created["answers"]),
            ("Topics created", created["topics"]),
            ("Questions added to topics", created["topic links"]),
            ("Related-question links", created["related links"]),
            ("Skipped, already in the bank", skipped[IN_BANK]),
            ("Skipped, likely duplicates", skipped[DUPLICATE]),
            ("Skipped, repeated in the file", skipped[REPEAT]),
        ]

    def __str__(self) -> str:
        kinds = {
            "questions": ("question", "questions"),
            "answers": ("answer", "answers"),
            "topics": ("new topic", "new topics"),
            "topic links": ("topic link", "topic links"),
            "related links": ("related-question link", "related-question links"),
        }
        made = [count(self.created[kind], *words) for kind, words in kinds.items()]
        text = "Imported " + (", ".join(m for m in made if m) or "nothing") + "."
        skipped = [
            f"{self.skipped[status]} {STATUS_LABELS[status].lower()}"
            for status in (IN_BANK, DUPLICATE, REPEAT)
            if self.skipped[status]
        ]
        if skipped:
            text += " Skipped: " + ", ".join(skipped) + "."
        return text


def count(n: int, singular: str, plural: str) -> str:
    """ "1 question", "3 questions"; "" for none."""
    if not n:
        return ""
    return f"{n} {singular if n == 1 else plural}"


def run_import(
    document: ImportDocument,
    *,
    topics: Sequence[str] = (),
    keep: Collection[str] = (),
    keep_all_duplicates: bool = False,
    bank: Bank | None = None,
) -> ImportReport:
    """Add the file's new questions to `bank` (the library when None): plan, then write in one short
    transaction.

    Likely duplicates are skipped unless their key is in `keep` (or
    `keep_all_duplicates`); a kept one is linked to its match as a related question.
    Raises ImportRefused when the plan has problems (BankChanged when the bank changed
    after planning), and ParseError for a file problem that only the bank reveals (a
    topic name too long, a key used twice, too much work).
    """
    plan = plan_import(document, topics=topics, bank=bank)
    with transaction.atomic():
        return write_plan(plan, keep=keep, keep_all_duplicates=keep_all_duplicates)


def _bank_state(bank: Bank | None) -> tuple[int, int, int, int]:
    """What the plan was made against: the library's and `bank`'s questions and topics."""
    scope = in_library_or(scope_of(bank))
    questions = Question.objects.filter(scope).aggregate(n=Count("pk"), top=Max("pk"))
    topics = Topic.objects.filter(scope).aggregate(n=Count("pk"), top=Max("pk"))
    return (questions["n"], questions["top"] or 0, topics["n"], topics["top"] or 0)


def write_plan(
    plan: ImportPlan,
    *,
    keep: Collection[str] = (),
    keep_all_duplicates: bool = False,
    record: ImportRecord | None = None,
    author: User | None = None,
) -> ImportReport:
    """Write a plan made outside this transaction: only bulk inserts, a handful of
    queries whatever the file's size, so the write lock is held briefly.

    The plan is only as good as the bank it was made against: when a question or
    topic was added or removed since, raises BankChanged and writes nothing. (Keys and
    topic slugs are unique in the database too, so a change that slips past this
    check, on PostgreSQL between it and the commit, fails the transaction instead.)
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_plan must run inside transaction.atomic()")
    if plan.problems:
        raise ImportRefused(plan.problems)
    if _bank_state(plan.bank) != plan.bank_state:
        raise BankChanged()
    report = ImportReport()
    writing = []
    for planned in plan.questions:
        kept = planned.status == DUPLICATE and (keep_all_duplicates or planned.key in keep)
        if planned.status == NEW or kept:
            writing.append(planned)
        else:
            report.skipped[planned.status] += 1

    created_topics = _create_topics(plan, writing, report)
    # After the last question the bank's team sees: numbers shown never count others'.
    in_view = in_library_or(scope_of(plan.bank))
    start = (Question.objects.filter(in_view).aggregate(top=Max("position"))["top"] or 0) + 1
    new_questions = Question.objects.bulk_create(
        Question(
            key=q.key,
            position=start + i,
            text=q.item.text,
            bank=plan.bank,
            import_record=record,
            created_by=author or (record.user if record else None),
            key_points=derive_key_points(q.item.answer, q.item.long_answer),
        )
        for i, q in enumerate(writing)
    )
    report.created["questions"] = len(new_questions)
    report.keys = [q.key for q in new_questions]
    by_key = {q.key: question for q, question in zip(writing, new_questions, strict=True)}

    answers = [
        Answer(
            question=question,
            kind=kind,
            text=text,
            html=render_markdown(text),
            source_incomplete=incomplete,
        )
        for planned, question in zip(writing, new_questions, strict=True)
        for kind, text, incomplete in (
            (Answer.Kind.CONCISE, planned.item.answer, planned.item.answer_incomplete),
            (Answer.Kind.LONG, planned.item.long_answer, planned.item.long_answer_incomplete),
        )
        if text
    ]
    Answer.objects.bulk_create(answers)
    report.created["answers"] = len(answers)

    through = Question.topics.through
    links = [
        through(question_id=by_key[q.key].pk, topic_id=created_topics[t.slug].pk)
        for q in writing
        for t in q.topics
    ]
    through.objects.bulk_create(links)
    report.created["topic links"] = len(links)
    _link_related(plan, writing, by_key, report)
    logger.info("Question import from %s: %s", plan.document.source, report)
    return report


def _create_topics(
    plan: ImportPlan, writing: list[PlannedQuestion], report: ImportReport
) -> dict[str, Topic]:
    """Every topic the written questions join, created where new; a file's declared
    topics are created even when none of its new questions uses them."""
    wanted = {t.slug for q in writing for t in q.topics} | {t.slug for t in plan.document.topics}
    topics = {t.slug: t.existing for t in plan.topics if t.existing is not None}
    new = [t for t in plan.topics if t.is_new and t.slug in wanted]
    if not new:
        return topics
    in_view = in_library_or(scope_of(plan.bank))
    position = (Topic.objects.filter(in_view).aggregate(top=Max("position"))["top"] or 0) + 1
    created = Topic.objects.bulk_create(
        Topic(
            slug=t.slug,
            name=t.name,
            description=t.description,
            position=position + i,
            bank=plan.bank,
        )
        for i, t in enumerate(new)
    )
    if any(topic.pk is None for topic in created):  # a backend that returns no ids
        created = list(Topic.objects.filter(slug__in=[t.slug for t in new]))
    topics.update({topic.slug: topic for topic in created})
    report.created["topics"] += len(created)
    return topics


def _link_related(
    plan: ImportPlan,
    writing: list[PlannedQuestion],
    by_key: dict[str, Question],
    report: ImportReport,
) -> None:
    # A key in the file stands for the question it ends up as: the new one, or the
    # bank's question when it was already there or skipped as a duplicate.
    resolved: dict[str, int] = dict(plan.related_in_bank)
    for question in plan.questions:
        target = by_key.get(question.key) or question.match
        if target is not None:
            resolved[question.key] = target.pk
            if question.item.key:
                resolved[question.item.key] = target.pk
    pairs: set[tuple[int, int]] = set()
    for question in writing:
        own = by_key[question.key].pk
        others = [resolved[k] for k in question.item.related if k in resolved]
        if question.status == DUPLICATE and question.match is not None:
            others.append(question.match.pk)  # a kept near-duplicate is related to its match
        pairs |= {(own, other) for other in others if other != own}
    # Every pair has a question created just now, so none of these rows exists yet.
    both_ways = pairs | {(b, a) for a, b in pairs}
    through = Question.related.through
    through.objects.bulk_create(
        through(from_question_id=a, to_question_id=b) for a, b in sorted(both_ways)
    )
    # Each link is stored in both directions; count links, not rows.
    report.created["related links"] = len(both_ways) // 2
