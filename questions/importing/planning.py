"""Planning an import: what a parsed file would do to the bank, worked out without
writing anything.

`plan_import` sorts the file's questions into new ones, ones already in the bank,
likely duplicates of one in it and repeats within the file, and finds or plans the
topics they join. The preview page and `--dry-run` show the plan; writing.py writes it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.text import slugify

from questions.importing.document import (
    TOPIC_WITH_SLUG,
    ImportDocument,
    ImportItem,
    ParseError,
    normalise_for_match,
    normalise_whitespace,
)
from questions.importing.duplicates import BankQuestions, Work
from questions.models import Bank, Question, Topic, in_library_or

#: Keys of imported questions that do not bring their own: the prefix and a hash of the
#: normalised text, so importing the same question again finds the same key.
KEY_PREFIX = "imp-"
#: The most topics one import may create: each is a row on the topic list everyone sees.
NEW_TOPICS_MAX = 100
# CharFields: their max_length is never None.
TOPIC_SLUG_MAX = cast(int, Topic._meta.get_field("slug").max_length)
TOPIC_NAME_MAX = cast(int, Topic._meta.get_field("name").max_length)
KEY_MAX = cast(int, Question._meta.get_field("key").max_length)
#: Keys whose question page address is another page's.
RESERVED_KEYS = frozenset({"new"})

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
    #: Where the questions go: a team bank, or the library (None).
    bank: Bank | None = None

    @property
    def duplicates(self) -> list[PlannedQuestion]:
        """The likely duplicates, which are imported only when kept."""
        return [q for q in self.questions if q.status == DUPLICATE]

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


def scope_of(bank: Bank | None) -> list[int]:
    """The banks an import into `bank` sees besides the library: that bank alone."""
    return [bank.pk] if bank is not None else []


class _Topics:
    """Finds or plans the topic each topic name, slug or "Name [slug]" refers to, among
    the library's topics and those of the bank imported into."""

    def __init__(self, source: str, bank: Bank | None = None) -> None:
        self.source = source
        self.bank = bank
        existing = list(Topic.objects.in_scope(scope_of(bank)))
        self.state = (len(existing), max((t.pk for t in existing), default=0))
        self.by_slug = {t.slug: PlannedTopic(t.slug, t.name, t.description, t) for t in existing}
        self.by_name = {t.name.casefold(): self.by_slug[t.slug] for t in existing}
        self.used: dict[str, PlannedTopic] = {}  # slug -> topic, in the order first used
        self.new_count = 0

    def _find(self, slug: str) -> PlannedTopic | None:
        """The topic with this slug, or the bank's own topic made from it."""
        found = self.by_slug.get(slug)
        if found is None and self.bank is not None:
            found = self.by_slug.get(bank_name(slug, self.bank, TOPIC_SLUG_MAX))
        return found

    def declare(self, slug: str, name: str, description: str, line: int | None) -> PlannedTopic:
        topic = self._find(slug)
        if topic is None:
            topic = self._new(slug, name, line, description)
        return self._use(topic)

    def resolve(self, entry: str, line: int | None) -> PlannedTopic | None:
        entry = normalise_whitespace(entry)
        if not entry:
            return None
        if explicit := TOPIC_WITH_SLUG.match(entry):
            slug, name = explicit["slug"], explicit["name"]
            topic = self._find(slug) or self._new(slug, name, line)
        elif (found := self._find(entry)) is not None:
            topic = found
        elif entry.casefold() in self.by_name:
            topic = self.by_name[entry.casefold()]
        elif slugify(entry) == entry:
            topic = self._new(entry, humanise_slug(entry), line)
        else:
            slug = slugify(entry)[:TOPIC_SLUG_MAX].strip("-_")
            if not slug:  # no Latin letters or digits at all
                slug = "topic-" + hashlib.sha256(entry.encode()).hexdigest()[:8]
            topic = self._find(slug) or self._new(slug, entry, line)
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

    def make_room(self, bank: Bank | None) -> None:
        """Give each new topic a slug no other bank can hold: a team bank's own (see
        bank_name); in the library, whose importers are staff, who see every bank,
        another slug when a team bank holds it. The same one each time, so importing
        the file again finds the topic it made."""
        new = [t for t in self.used.values() if t.is_new]
        if bank is not None:
            renamed = {t.slug: bank_name(t.slug, bank, TOPIC_SLUG_MAX) for t in new}
        else:
            out_of_view = Topic.objects.exclude(in_library_or(scope_of(bank)))
            slugs = [t.slug for t in new]
            renamed = _free_names(slugs, out_of_view, "slug", TOPIC_SLUG_MAX, _suffix(bank))
        for topic in new:
            if topic.slug not in renamed:
                continue
            topic.slug = renamed[topic.slug]
            if (mine := self.by_slug.get(topic.slug)) is not None and mine.existing is not None:
                topic.name, topic.description = mine.existing.name, mine.existing.description
                topic.existing = mine.existing

    def _use(self, topic: PlannedTopic) -> PlannedTopic:
        self.used.setdefault(topic.slug, topic)
        return topic


def plan_import(
    document: ImportDocument,
    *,
    topics: Sequence[str] = (),
    work_budget: int | None = None,
    bank: Bank | None = None,
) -> ImportPlan:
    """What importing `document` into `bank` (the library when None) would do, every
    question joining `topics` as well as the topics the file names. Reads the bank;
    writes nothing. Raises ParseError for a file problem only the bank reveals, or one
    that needs more than `work_budget` work units (IMPORT_MAX_WORK) to compare with it.

    "The bank" here is what the importer's team sees: the library and `bank`. Another
    team's questions and topics are never matched, named or counted; where one holds a
    key or topic slug the file wants, the new one gets another (keys and slugs are
    unique across the site), so nothing in the plan tells that it exists."""
    source = document.source
    scope = scope_of(bank)
    registry = _Topics(source, bank)
    for declared in document.topics:
        registry.declare(declared.slug, declared.name, declared.description, declared.line)
    extra = [t for entry in topics if (t := registry.resolve(entry, None)) is not None]

    renamed = _keys_free_here(document, bank)
    work = Work(source, work_budget)
    in_bank = BankQuestions(work, questions=Question.objects.filter(in_library_or(scope)))
    warnings = list(document.warnings)
    planned: list[PlannedQuestion] = []
    first_seen: dict[str, int] = {}  # normalised text -> line
    key_lines: dict[str, int] = {}
    for item in document.items:
        normalised = normalise_for_match(item.text)
        key = item.key or derived_key(item.text)
        key = renamed.get(key, key)
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

        if key in in_bank.by_key:
            question.status, question.match = IN_BANK, in_bank.by_key[key]
            if normalise_for_match(question.match.text) != normalised and item.key:
                warnings.append(
                    f"Line {item.line}: the key '{key}' is already in the bank for a different "
                    f"question (“{question.match.text[:80]}”). Import never changes questions "
                    "already in the bank, so this one is skipped."
                )
        elif normalised in in_bank.by_text:
            question.status, question.match = IN_BANK, in_bank.by_text[normalised]
        elif found := in_bank.likely_duplicate(normalised):
            question.status, question.match = DUPLICATE, found[0]
            question.similarity = int(found[1])

        if question.may_be_written:
            own = [t for entry in item.topics if (t := registry.resolve(entry, item.line))]
            question.topics = list({t.slug: t for t in [*own, *extra]}.values())
            for topic in question.topics:
                topic.new_questions += 1

    registry.make_room(bank)
    warnings += _related_warnings(planned, in_bank)
    problems = _problems(planned, bool(document.topics) or bool(extra))
    related_keys = {key for q in planned if q.may_be_written for key in q.item.related}
    return ImportPlan(
        document,
        planned,
        list(registry.used.values()),
        warnings,
        problems,
        bank_state=(*in_bank.state, *registry.state),
        related_in_bank={k: in_bank.by_key[k].pk for k in related_keys if k in in_bank.by_key},
        work=work,
        bank=bank,
    )


def _suffix(bank: Bank | None) -> str:
    return f"t{bank.pk}" if bank is not None else "lib"


def bank_name(name: str, bank: Bank, max_length: int) -> str:
    """A key or topic slug of `bank`'s own: the name ending in "-t" and the bank's number.

    Keys and slugs are unique across the site, and addresses show them. Were a team's
    names the file's own, a name another bank already held would have to change, and
    the change would tell that the other bank holds it; ending every name of a team
    bank in its own mark, no two banks ever want the same one.
    """
    tail = f"-t{bank.pk}"
    if name.endswith(tail):
        return name
    return name[: max_length - len(tail)] + tail


def _keys_free_here(document: ImportDocument, bank: Bank | None) -> dict[str, str]:
    """The key each of the file's questions gets: a team bank's own (bank_name); in the
    library, another key for one a team bank holds (staff import there, who see every
    bank). The same each time the file is imported into `bank`."""
    keys = [item.key or derived_key(item.text) for item in document.items]
    if bank is not None:
        return {key: bank_name(key, bank, KEY_MAX) for key in keys}
    out_of_view = Question.objects.exclude(in_library_or(scope_of(bank)))
    renamed = _free_names(keys, out_of_view, "key", KEY_MAX, _suffix(bank))
    # /questions/new/ is the question editor, so no question can have the key "new".
    return {**renamed, **{key: f"{key}-question" for key in keys if key in RESERVED_KEYS}}


def _free_names(
    names: Sequence[str],
    taken_in: QuerySet[Any],
    field_name: str,
    max_length: int,
    suffix: str,
) -> dict[str, str]:
    """For each of `names` that a row of `taken_in` holds, a name no row there holds:
    the name with `suffix`, then with -2, -3… added. A query per round, a few rounds."""
    renamed: dict[str, str] = {}
    pending = {name: name for name in names}
    for attempt in range(1, 6):
        taken = set(
            taken_in.filter(**{f"{field_name}__in": list(pending.values())}).values_list(
                field_name, flat=True
            )
        )
        clashing = {name: value for name, value in pending.items() if value in taken}
        if not clashing:
            return renamed
        tail = f"-{suffix}" + (f"-{attempt}" if attempt > 1 else "")
        pending = {name: name[: max_length - len(tail)] + tail for name in clashing}
        renamed.update(pending)
    raise ParseError("import", None, "could not find a free key or topic slug; rename them")


def _related_warnings(planned: list[PlannedQuestion], bank: BankQuestions) -> list[str]:
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
