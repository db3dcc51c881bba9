"""Importing a question file into the bank.

`plan_import` works out, without writing anything, what a parsed file would do to the
bank: which questions are new, which are already in it, which nearly match a question
in it, which topics it creates. `run_import` and `confirm_import` plan first, outside
any transaction, then write the plan in one short transaction that starts by checking
the bank has not changed since the plan was made; so the write always matches the bank
as it is at that moment, a problem anywhere leaves the bank as it was, and no write
lock is held while the file is compared with the bank.

The work of planning is bounded by the file's size whatever its content: the
near-duplicate search reads a fixed number of entries of its word index and compares a
fixed number of candidates per question, and the whole plan may spend at most
IMPORT_MAX_WORK work units (counted, not timed, so the outcome is the same on any
machine); a file that needs more is refused.

Import only adds: it never changes or removes a question that is already in the bank,
so learners' confidence and notes are never touched.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify
from rapidfuzz import fuzz

from questions.importers import (
    TOPIC_WITH_SLUG,
    ImportDocument,
    ImportItem,
    ParseError,
    normalise_for_match,
    normalise_whitespace,
    parse_import,
)
from questions.models import Answer, ImportRecord, Question, Topic

logger = logging.getLogger(__name__)

#: How alike (rapidfuzz `fuzz.ratio`, in percent: twice the longest common subsequence
#: of the normalised texts over their total length) a question must be to one in the
#: bank to be reported as a likely duplicate.
DUPLICATE_SIMILARITY = 85
#: Only bank questions sharing this share of a question's distinct words are compared
#: with it (rewordings that reach DUPLICATE_SIMILARITY share 70% or more).
DUPLICATE_SHARED_WORDS = 0.6
#: The hard limits on the work the search does for one question, whatever the bank
#: and the file hold: how many entries of the word index it reads, of the bank
#: questions found there how many (those sharing the most of the question's rarer
#: words) have their shared words counted, and of those how many (sharing the most
#: words) are compared character by character.
DUPLICATE_POSTINGS = 2_000
DUPLICATE_SHORTLIST = 100
DUPLICATE_CANDIDATES = 20
#: Keys of imported questions that do not bring their own: the prefix and a hash of the
#: normalised text, so importing the same question again finds the same key.
KEY_PREFIX = "imp-"
#: The most topics one import may create: each is a row on the topic list everyone sees.
NEW_TOPICS_MAX = 100
TOPIC_SLUG_MAX = Topic._meta.get_field("slug").max_length
TOPIC_NAME_MAX = Topic._meta.get_field("name").max_length

NEW = "new"
IN_BANK = "in-bank"
DUPLICATE = "duplicate"
REPEAT = "repeat"
STATUS_LABELS = {
    NEW: "New",
    IN_BANK: "Already in the bank",
    DUPLICATE: "Likely duplicate",
    REPEAT: "Repeated in this file",
}


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


class Work:
    """The work units a plan spends, against a budget (IMPORT_MAX_WORK).

    A unit is one entry of the word index read, or one bank question whose shared
    words are counted; a character-by-character comparison costs one unit per 64 × 64
    characters compared (rapidfuzz compares 64 characters a step), at least one.
    Counting units instead of seconds makes the same file pass or fail on any machine.
    """

    def __init__(self, source: str, budget: int | None = None) -> None:
        self.source = source
        self.budget = settings.IMPORT_MAX_WORK if budget is None else budget
        self.units = 0
        self.comparisons = 0  # character-by-character comparisons made

    def spend(self, units: int) -> None:
        self.units += units
        if self.units > self.budget:
            raise ParseError(
                self.source,
                None,
                "comparing this file with the question bank would take too long (its "
                f"questions resemble too many in the bank: more than {self.budget:,} work "
                "units). Split it into smaller files, or remove questions that are "
                "rewordings of one another",
            )

    def compare(self, text: str, other: str) -> None:
        self.comparisons += 1
        self.spend(1 + len(text) * len(other) // 4096)


def derived_key(text: str) -> str:
    digest = hashlib.sha256(normalise_for_match(text).encode()).hexdigest()
    return f"{KEY_PREFIX}{digest[:12]}"


def humanise_slug(slug: str) -> str:
    words = slug.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass
class PlannedTopic:
    slug: str
    name: str
    description: str = ""
    existing: Topic | None = None
    new_questions: int = 0

    @property
    def is_new(self) -> bool:
        return self.existing is None


@dataclass
class PlannedQuestion:
    item: ImportItem
    key: str
    status: str
    topics: list[PlannedTopic] = field(default_factory=list)
    match: Question | None = None  # the bank's question (in the bank, or likely duplicate)
    similarity: int = 0  # percent, for likely duplicates
    first_line: int | None = None  # for repeats: where the file first asks it

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def may_be_written(self) -> bool:
        return self.status in (NEW, DUPLICATE)


@dataclass
class ImportPlan:
    document: ImportDocument
    questions: list[PlannedQuestion]
    topics: list[PlannedTopic]
    warnings: list[str]
    problems: list[str]
    #: The bank as planned against: (questions, highest question id, topics, highest
    #: topic id); the write checks it is unchanged.
    bank_state: tuple[int, int, int, int] = (0, 0, 0, 0)
    #: Bank questions' ids by key, for the file's related keys.
    related_in_bank: dict[str, int] = field(default_factory=dict)
    work: Work | None = None

    def with_status(self, status: str) -> list[PlannedQuestion]:
        return [q for q in self.questions if q.status == status]

    @property
    def counts(self) -> Counter:
        return Counter(q.status for q in self.questions)

    @property
    def new_topics(self) -> list[PlannedTopic]:
        return [t for t in self.topics if t.is_new]

    @property
    def can_confirm(self) -> bool:
        """No problems, and importing would add something."""
        counts = self.counts
        declared = {t.slug for t in self.document.topics}
        adds_topic = any(t.is_new and t.slug in declared for t in self.topics)
        return not self.problems and bool(counts[NEW] or counts[DUPLICATE] or adds_topic)

    def summary_rows(self) -> list[tuple[str, object]]:
        document, counts = self.document, self.counts
        detected = " (detected)" if document.detected else ""
        rows = [
            ("Format", document.format_label + detected),
            ("Questions found", len(document.items)),
            ("Answers found", document.answer_count),
            ("New questions", counts[NEW]),
            ("Already in the bank", counts[IN_BANK]),
            ("Likely duplicates", counts[DUPLICATE]),
        ]
        if counts[REPEAT]:
            rows.append(("Repeated in this file", counts[REPEAT]))
        rows.append(("New topics", len(self.new_topics)))
        return rows


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


# --- Planning -------------------------------------------------------------------------


class _Topics:
    """Finds or plans the topic each topic name, slug or "Name [slug]" refers to."""

    def __init__(self, source: str) -> None:
        self.source = source
        existing = list(Topic.objects.all())
        self.state = (len(existing), max((t.pk for t in existing), default=0))
        self.by_slug = {t.slug: PlannedTopic(t.slug, t.name, t.description, t) for t in existing}
        self.by_name = {t.name.casefold(): self.by_slug[t.slug] for t in existing}
        self.used: dict[str, PlannedTopic] = {}  # slug -> topic, in the order first used
        self.new_count = 0

    def declare(self, slug: str, name: str, description: str, line: int | None) -> PlannedTopic:
        topic = self.by_slug.get(slug)
        if topic is None:
            topic = self._new(slug, name, line, description)
        return self._use(topic)

    def resolve(self, entry: str, line: int | None) -> PlannedTopic | None:
        entry = normalise_whitespace(entry)
        if not entry:
            return None
        if explicit := TOPIC_WITH_SLUG.match(entry):
            slug, name = explicit["slug"], explicit["name"]
            topic = self.by_slug.get(slug) or self._new(slug, name, line)
        elif entry in self.by_slug:
            topic = self.by_slug[entry]
        elif entry.casefold() in self.by_name:
            topic = self.by_name[entry.casefold()]
        elif slugify(entry) == entry:
            topic = self._new(entry, humanise_slug(entry), line)
        else:
            slug = slugify(entry)[:TOPIC_SLUG_MAX].strip("-_")
            if not slug:  # no Latin letters or digits at all
                slug = "topic-" + hashlib.sha256(entry.encode()).hexdigest()[:8]
            topic = self.by_slug.get(slug) or self._new(slug, entry, line)
        return self._use(topic)

    def _new(self, slug: str, name: str, line: int | None, description: str = "") -> PlannedTopic:
        if len(slug) > TOPIC_SLUG_MAX:
            raise ParseError(
                self.source, line, f"topic slug '{slug[:40]}…' is longer than {TOPIC_SLUG_MAX}"
            )
        if len(name) > TOPIC_NAME_MAX:
            raise ParseError(
                self.source,
                line,
                f"topic name “{name[:40]}…” is longer than {TOPIC_NAME_MAX} characters",
            )
        if self.new_count == NEW_TOPICS_MAX:
            raise ParseError(
                self.source,
                line,
                f"the file names more than {NEW_TOPICS_MAX} new topics (this one is "
                f"“{name[:40]}”); an import may create at most {NEW_TOPICS_MAX}: split it, "
                "or use existing topics",
            )
        self.new_count += 1
        topic = PlannedTopic(slug, name, description)
        self.by_slug[slug] = topic
        self.by_name.setdefault(name.casefold(), topic)
        return topic

    def _use(self, topic: PlannedTopic) -> PlannedTopic:
        self.used.setdefault(topic.slug, topic)
        return topic


class _Bank:
    """The questions already in the bank, for exact and near matches."""

    def __init__(self, work: Work) -> None:
        questions = list(Question.objects.only("pk", "key", "text", "position"))
        self.work = work
        self.state = (len(questions), max((q.pk for q in questions), default=0))
        self.by_key = {q.key: q for q in questions}
        self.normalised = [(normalise_for_match(q.text), q) for q in questions]
        self.by_text = dict(self.normalised)
        self.words = [frozenset(text.split()) for text, _ in self.normalised]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for index, words in enumerate(self.words):
            for word in words:
                self.postings[word].append(index)

    def _candidates(self, text: str) -> list[int]:
        """The bank questions sharing the most words with `text`, at least
        DUPLICATE_SHARED_WORDS of its distinct words; at most DUPLICATE_CANDIDATES.

        Such a question must contain one of the text's rarer words (all but the
        number needed, plus one: prefix filtering), so only those words' lists are
        read, rarest first, and of them at most DUPLICATE_POSTINGS entries: words
        common to much of the bank cannot make the search read all of it.
        """
        words = frozenset(text.split())
        needed = max(1, math.ceil(len(words) * DUPLICATE_SHARED_WORDS))
        by_rarity = sorted(words, key=lambda word: (len(self.postings.get(word, ())), word))
        found: Counter[int] = Counter()
        left = DUPLICATE_POSTINGS
        for word in by_rarity[: len(words) - needed + 1]:
            postings = self.postings.get(word, ())
            found.update(postings[:left])
            left -= min(left, len(postings))
            if not left:
                break
        self.work.spend(DUPLICATE_POSTINGS - left)
        if len(found) > DUPLICATE_SHORTLIST:
            # Those sharing the most of the rarer words; ties to the later question.
            shortlist = [i for i, _ in found.most_common(DUPLICATE_SHORTLIST)]
        else:
            shortlist = list(found)
        self.work.spend(len(shortlist))
        shared = [(len(self.words[i] & words), i) for i in shortlist]
        shared = [(n, i) for n, i in shared if n >= needed]
        return [i for _, i in heapq.nlargest(DUPLICATE_CANDIDATES, shared)]

    def likely_duplicate(self, text: str) -> tuple[Question, float] | None:
        """The bank question most like `text`, if it is at least DUPLICATE_SIMILARITY
        alike; the similarity in percent."""
        best: tuple[Question, float] | None = None
        threshold = DUPLICATE_SIMILARITY
        for index in self._candidates(text):
            other, question = self.normalised[index]
            self.work.compare(text, other)
            # 0 below the cutoff, which lets rapidfuzz stop early.
            ratio = fuzz.ratio(text, other, score_cutoff=threshold)
            if ratio and ratio >= threshold:
                best, threshold = (question, ratio), ratio
        return best


def plan_import(
    document: ImportDocument, *, topics: Sequence[str] = (), work_budget: int | None = None
) -> ImportPlan:
    """What importing `document` would do, every question joining `topics` as well as
    the topics the file names. Reads the bank; writes nothing. Raises ParseError for
    a file problem only the bank reveals, or one that needs more than `work_budget`
    work units (IMPORT_MAX_WORK) to compare with the bank."""
    source = document.source
    registry = _Topics(source)
    for declared in document.topics:
        registry.declare(declared.slug, declared.name, declared.description, declared.line)
    extra = [t for entry in topics if (t := registry.resolve(entry, None)) is not None]

    work = Work(source, work_budget)
    bank = _Bank(work)
    warnings = list(document.warnings)
    planned: list[PlannedQuestion] = []
    first_seen: dict[str, int] = {}  # normalised text -> line
    key_lines: dict[str, int] = {}
    for item in document.items:
        normalised = normalise_for_match(item.text)
        key = item.key or derived_key(item.text)
        question = PlannedQuestion(item=item, key=key, status=NEW)
        planned.append(question)
        if normalised in first_seen:
            question.status, question.first_line = REPEAT, first_seen[normalised]
            warnings.append(
                f"Line {item.line} asks the question of line {question.first_line} again; "
                "it is imported once."
            )
            continue
        first_seen[normalised] = item.line
        if key in key_lines:
            raise ParseError(
                source, item.line, f"key '{key}' is used again (first on line {key_lines[key]})"
            )
        key_lines[key] = item.line

        if key in bank.by_key:
            question.status, question.match = IN_BANK, bank.by_key[key]
            if normalise_for_match(question.match.text) != normalised and item.key:
                warnings.append(
                    f"Line {item.line}: the key '{key}' is already in the bank for a different "
                    f"question (“{question.match.text[:80]}”). Import never changes questions "
                    "already in the bank, so this one is skipped."
                )
        elif normalised in bank.by_text:
            question.status, question.match = IN_BANK, bank.by_text[normalised]
        elif found := bank.likely_duplicate(normalised):
            question.status, question.match = DUPLICATE, found[0]
            question.similarity = int(found[1])

        if question.may_be_written:
            own = [t for entry in item.topics if (t := registry.resolve(entry, item.line))]
            question.topics = list({t.slug: t for t in [*own, *extra]}.values())
            for topic in question.topics:
                topic.new_questions += 1

    warnings += _related_warnings(planned, bank)
    problems = _problems(planned, bool(document.topics) or bool(extra))
    related_keys = {key for q in planned if q.may_be_written for key in q.item.related}
    return ImportPlan(
        document,
        planned,
        list(registry.used.values()),
        warnings,
        problems,
        bank_state=(*bank.state, *registry.state),
        related_in_bank={k: bank.by_key[k].pk for k in related_keys if k in bank.by_key},
        work=work,
    )


def _related_warnings(planned: list[PlannedQuestion], bank: _Bank) -> list[str]:
    file_keys = {q.key for q in planned} | {q.item.key for q in planned if q.item.key}
    warnings = []
    for question in planned:
        if not question.may_be_written:
            continue
        for key in question.item.related:
            if key not in file_keys and key not in bank.by_key:
                warnings.append(
                    f"Line {question.item.line}: the related question '{key}' is neither in "
                    "this file nor in the bank; that link is left out."
                )
    return warnings


def _problems(planned: list[PlannedQuestion], any_topics: bool) -> list[str]:
    orphans = [q.item.line for q in planned if q.may_be_written and not q.topics]
    if not orphans:
        return []
    shown = ", ".join(str(line) for line in orphans[:10])
    more = f" and {len(orphans) - 10} more" if len(orphans) > 10 else ""
    count = f"{len(orphans)} question{'s' if len(orphans) != 1 else ''}"
    return [
        f"{count} would have no topic (line{'s' if len(orphans) != 1 else ''} {shown}{more}), "
        "and every question needs at least one to be found. Choose a topic for the whole "
        "file, or name topics in the file."
    ]


# --- Writing ----------------------------------------------------------------------------


def run_import(
    document: ImportDocument,
    *,
    topics: Sequence[str] = (),
    keep: Collection[str] = (),
    keep_all_duplicates: bool = False,
) -> ImportReport:
    """Add the file's new questions to the bank: plan, then write in one short
    transaction.

    Likely duplicates are skipped unless their key is in `keep` (or
    `keep_all_duplicates`); a kept one is linked to its match as a related question.
    Raises ImportRefused when the plan has problems (BankChanged when the bank changed
    after planning), and ParseError for a file problem that only the bank reveals (a
    topic name too long, a key used twice, too much work).
    """
    plan = plan_import(document, topics=topics)
    with transaction.atomic():
        return write_plan(plan, keep=keep, keep_all_duplicates=keep_all_duplicates)


def _bank_state() -> tuple[int, int, int, int]:
    questions = Question.objects.aggregate(n=Count("pk"), top=Max("pk"))
    topics = Topic.objects.aggregate(n=Count("pk"), top=Max("pk"))
    return (questions["n"], questions["top"] or 0, topics["n"], topics["top"] or 0)


def write_plan(
    plan: ImportPlan, *, keep: Collection[str] = (), keep_all_duplicates: bool = False
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
    if _bank_state() != plan.bank_state:
        raise BankChanged()
    report = ImportReport()
    writing = []
    for question in plan.questions:
        kept = question.status == DUPLICATE and (keep_all_duplicates or question.key in keep)
        if question.status == NEW or kept:
            writing.append(question)
        else:
            report.skipped[question.status] += 1

    created_topics = _create_topics(plan, writing, report)
    start = (Question.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    new_questions = Question.objects.bulk_create(
        Question(key=q.key, position=start + i, text=q.item.text) for i, q in enumerate(writing)
    )
    report.created["questions"] = len(new_questions)
    report.keys = [q.key for q in new_questions]
    by_key = {q.key: question for q, question in zip(writing, new_questions, strict=True)}

    answers = []
    for planned, question in zip(writing, new_questions, strict=True):
        item = planned.item
        if item.answer:
            answers.append(
                Answer(
                    question=question,
                    kind=Answer.Kind.CONCISE,
                    text=item.answer,
                    source_incomplete=item.answer_incomplete,
                )
            )
        if item.long_answer:
            answers.append(
                Answer(
                    question=question,
                    kind=Answer.Kind.LONG,
                    text=item.long_answer,
                    source_incomplete=item.long_answer_incomplete,
                )
            )
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
    position = (Topic.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    created = Topic.objects.bulk_create(
        Topic(slug=t.slug, name=t.name, description=t.description, position=position + i)
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


# --- Import records (the upload page) -----------------------------------------------------


def document_of(record: ImportRecord, *, max_questions: int | None = None) -> ImportDocument:
    """The record's file, parsed again: the preview never trusts what a browser sends."""
    return parse_import(
        record.text, source=record.file_name, format=record.format, max_questions=max_questions
    )


def confirm_import(
    *, record: ImportRecord, keep: Collection[str] = (), keep_all_duplicates: bool = False
) -> ImportReport | None:
    """Import a pending record's file; None when it was already imported (a second
    click, or another tab).

    The file is parsed and planned again first, outside any transaction (the browser
    is not trusted); then the claim of the record and the write share one short
    transaction, so only one of two clicks writes, and all or nothing.
    """
    plan = plan_import(document_of(record), topics=record.topics)
    if plan.problems:
        raise ImportRefused(plan.problems)
    with transaction.atomic():
        claimed = ImportRecord.objects.filter(
            pk=record.pk, status=ImportRecord.Status.PENDING
        ).update(status=ImportRecord.Status.DONE, imported_at=timezone.now())
        if not claimed:
            return None
        report = write_plan(plan, keep=keep, keep_all_duplicates=keep_all_duplicates)
        ImportRecord.objects.filter(pk=record.pk).update(summary=report.as_dict())
    record.refresh_from_db()
    return report


def store_upload(
    *, user, file_name: str, format: str, text: str, topics: list[str]
) -> tuple[ImportRecord, list[str]]:
    """Keep an uploaded file for its preview. Each user keeps at most
    IMPORT_MAX_PENDING unconfirmed uploads: the oldest beyond that are deleted, and
    their file names returned."""
    forget_stale_imports()
    record = ImportRecord.objects.create(
        user=user, file_name=file_name, format=format, text=text, topics=topics
    )
    pending = user.question_imports.filter(status=ImportRecord.Status.PENDING)
    keep = pending.order_by("-created_at", "-pk")[: settings.IMPORT_MAX_PENDING]
    older = pending.exclude(pk__in=list(keep.values_list("pk", flat=True)))
    replaced = list(older.order_by("created_at", "pk").values_list("file_name", flat=True))
    older.delete()
    return record, replaced


def forget_stale_imports(*, older_than_days: int = 2) -> int:
    """Delete previews nobody confirmed; imported records stay as the history."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = ImportRecord.objects.filter(
        status=ImportRecord.Status.PENDING, created_at__lt=cutoff
    ).delete()
    return deleted
