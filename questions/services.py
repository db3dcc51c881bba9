"""Loading the question bank: read and check every source first, then write
everything in one transaction, so a bad file leaves the database untouched."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from questions.importing import ParseError, decode_text, parse_notebook, parse_numbered
from questions.key_points import derive_key_points
from questions.models import Answer, Question, Topic

DEFAULT_TOPIC_MAP = Path(settings.BASE_DIR) / "fixtures" / "topic_map.json"
_KEY_PREFIX = re.compile(r"^[-a-zA-Z0-9_]*$")
# CharFields: their max_length is never None.
SLUG_MAX = cast(int, Topic._meta.get_field("slug").max_length)
NAME_MAX = cast(int, Topic._meta.get_field("name").max_length)


@dataclass(frozen=True)
class SeedQuestion:
    key: str
    position: int
    text: str
    concise_answer: str
    long_answer: str | None = None
    long_answer_incomplete: bool = False


@dataclass(frozen=True)
class SeedTopic:
    slug: str
    name: str
    position: int
    question_positions: tuple[int, ...]


@dataclass(frozen=True)
class SeedBank:
    questions: list[SeedQuestion]
    topics: list[SeedTopic]
    related: list[tuple[int, ...]]


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated)

    def __str__(self) -> str:
        if not self.changed:
            return "Question bank is up to date: nothing changed."
        parts = [f"{n} {kind} created" for kind, n in sorted(self.created.items()) if n]
        parts += [f"{n} {kind} updated" for kind, n in sorted(self.updated.items()) if n]
        return "Question bank loaded: " + ", ".join(parts) + "."


def read_text(path: Path) -> str:
    """The file's text, or a ParseError naming the line where it stops being UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(str(path), None, f"cannot be read ({error.strerror})") from error
    return decode_text(data, source=str(path))


def read_seed_bank(topic_map_path: Path = DEFAULT_TOPIC_MAP) -> SeedBank:
    """Parse the topic map and the two seed documents it names, and merge them."""
    topic_map = _read_topic_map(topic_map_path)
    folder = topic_map_path.parent
    numbered_path = folder / topic_map["sources"]["numbered"]
    notebook_path = folder / topic_map["sources"]["notebook"]
    numbered = parse_numbered(read_text(numbered_path), source=str(numbered_path))
    notebook = parse_notebook(read_text(notebook_path), source=str(notebook_path))

    if len(notebook.questions) != len(numbered.questions):
        raise ParseError(
            notebook.source,
            None,
            f"has {len(notebook.questions)} questions but {numbered.source} has "
            f"{len(numbered.questions)}; both must list the same questions",
        )
    concise = notebook.answers_by_number()
    long = numbered.answers_by_number()
    prefix = topic_map["key_prefix"]
    questions = []
    for ours, theirs in zip(numbered.questions, notebook.questions, strict=True):
        if ours.text != theirs.text:
            raise ParseError(
                notebook.source,
                theirs.line,
                f"question {theirs.number} differs from {numbered.source} line {ours.line}",
            )
        if ours.number not in concise:
            raise ParseError(
                notebook.source,
                theirs.line,
                f"question {ours.number} has no 'Answer {ours.number}:'",
            )
        long_answer = long.get(ours.number)
        questions.append(
            SeedQuestion(
                key=f"{prefix}{ours.number:02d}",
                position=ours.number,
                text=ours.text,
                concise_answer=concise[ours.number].text,
                long_answer=long_answer.text if long_answer else None,
                long_answer_incomplete=bool(long_answer and long_answer.source_incomplete),
            )
        )

    topics, related = _check_topic_map(topic_map, len(questions), str(topic_map_path))
    return SeedBank(questions=questions, topics=topics, related=related)


def _read_topic_map(path: Path) -> dict:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise ParseError(str(path), error.lineno, f"invalid JSON: {error.msg}") from error
    if not isinstance(data, dict):
        raise ParseError(str(path), 1, "expected a JSON object")
    for key in ("key_prefix", "sources", "topics"):
        if key not in data:
            raise ParseError(str(path), None, f"missing key '{key}'")
    sources = data["sources"]
    if not isinstance(sources, dict) or not {"numbered", "notebook"} <= sources.keys():
        raise ParseError(str(path), None, "'sources' must name 'numbered' and 'notebook' files")
    if not all(isinstance(sources[k], str) for k in ("numbered", "notebook")):
        raise ParseError(str(path), None, "'sources' must give file names as strings")
    prefix = data["key_prefix"]
    key_room = cast(int, Question._meta.get_field("key").max_length) - 4
    if not isinstance(prefix, str) or not _KEY_PREFIX.match(prefix) or len(prefix) > key_room:
        raise ParseError(
            str(path),
            None,
            f"'key_prefix' must be letters, digits, '-' or '_' (at most {key_room}), "
            f"not {prefix!r}",
        )
    if not isinstance(data["topics"], list) or not all(
        isinstance(entry, dict) for entry in data["topics"]
    ):
        raise ParseError(str(path), None, "'topics' must be a list of objects")
    if not isinstance(data.get("related", []), list):
        raise ParseError(str(path), None, "'related' must be a list of question-number lists")
    return data


def _check_topic_map(
    data: dict, question_count: int, source: str
) -> tuple[list[SeedTopic], list[tuple[int, ...]]]:
    valid = range(1, question_count + 1)
    topics: list[SeedTopic] = []
    seen_slugs: set[str] = set()
    for position, entry in enumerate(data["topics"], start=1):
        slug, name, numbers = entry.get("slug"), entry.get("name"), entry.get("questions")
        if not isinstance(slug, str) or slugify(slug) != slug or not slug:
            raise ParseError(source, None, f"topic {position}: slug {slug!r} is not a valid slug")
        if len(slug) > SLUG_MAX:
            raise ParseError(source, None, f"topic '{slug}': slug longer than {SLUG_MAX}")
        if slug in seen_slugs:
            raise ParseError(source, None, f"topic '{slug}' is listed twice")
        seen_slugs.add(slug)
        if not isinstance(name, str) or not name.strip():
            raise ParseError(source, None, f"topic '{slug}' has no name")
        if len(name.strip()) > NAME_MAX:
            raise ParseError(source, None, f"topic '{slug}': name longer than {NAME_MAX}")
        if not isinstance(numbers, list) or not numbers:
            raise ParseError(source, None, f"topic '{slug}' lists no questions")
        for number in numbers:
            if number not in valid:
                raise ParseError(
                    source, None, f"topic '{slug}' names question {number}, which does not exist"
                )
        topics.append(SeedTopic(slug, name.strip(), position, tuple(numbers)))

    in_a_topic = {n for topic in topics for n in topic.question_positions}
    missing = sorted(set(valid) - in_a_topic)
    if missing:
        raise ParseError(source, None, f"questions without a topic: {missing}")

    related = []
    for group in data.get("related", []):
        if not isinstance(group, list) or len(group) < 2 or any(n not in valid for n in group):
            raise ParseError(source, None, f"related group {group!r} must list existing questions")
        related.append(tuple(group))
    return topics, related


@transaction.atomic
def load_question_bank(bank: SeedBank) -> LoadReport:
    """Create or update topics, questions, answers and links to match `bank`.

    Rows are matched by stable keys (topic slug, question key, answer kind), so
    learners' confidence and notes, which point at questions, are never touched.
    Questions that the source no longer lists are kept.
    """
    report = LoadReport()
    topics = _sync_topics(bank.topics, report)
    questions = _sync_questions(bank.questions, report)
    _sync_answers(bank.questions, questions, report)
    refresh_key_points(questions.values())
    _sync_topic_membership(bank.topics, topics, questions, report)
    _sync_related(bank.related, questions, report)
    return report


def _sync_topics(seed_topics: list[SeedTopic], report: LoadReport) -> dict[str, Topic]:
    existing = Topic.objects.in_bulk(field_name="slug")
    for seed in seed_topics:
        topic = existing.get(seed.slug)
        if topic is None:
            existing[seed.slug] = Topic.objects.create(
                slug=seed.slug, name=seed.name, position=seed.position
            )
            report.created["topics"] += 1
        elif (topic.name, topic.position) != (seed.name, seed.position):
            topic.name, topic.position = seed.name, seed.position
            topic.save(update_fields=["name", "position"])
            report.updated["topics"] += 1
    return existing


def _sync_questions(seeds: list[SeedQuestion], report: LoadReport) -> dict[int, Question]:
    existing = Question.objects.in_bulk(field_name="key")
    by_position = {}
    for seed in seeds:
        question = existing.get(seed.key)
        if question is None:
            question = Question.objects.create(key=seed.key, position=seed.position, text=seed.text)
            report.created["questions"] += 1
        elif (question.text, question.position) != (seed.text, seed.position):
            question.text, question.position = seed.text, seed.position
            question.save(update_fields=["text", "position"])
            report.updated["questions"] += 1
        by_position[seed.position] = question
    return by_position


def _sync_answers(
    seeds: list[SeedQuestion], questions: dict[int, Question], report: LoadReport
) -> None:
    existing = {
        (answer.question_id, answer.kind): answer
        for answer in Answer.objects.filter(question__in=questions.values())
    }
    for seed in seeds:
        question = questions[seed.position]
        wanted = [(Answer.Kind.CONCISE, seed.concise_answer, False)]
        if seed.long_answer is not None:
            wanted.append((Answer.Kind.LONG, seed.long_answer, seed.long_answer_incomplete))
        for kind, text, incomplete in wanted:
            answer = existing.get((question.pk, kind))
            if answer is None:
                Answer.objects.create(
                    question=question, kind=kind, text=text, source_incomplete=incomplete
                )
                report.created["answers"] += 1
            elif (answer.text, answer.source_incomplete) != (text, incomplete):
                answer.text, answer.source_incomplete = text, incomplete
                answer.save(update_fields=["text", "source_incomplete"])
                report.updated["answers"] += 1


def refresh_key_points(questions: Iterable[Question]) -> int:
    """Derive again, from their answers as stored now, the key points of `questions`
    whose points nobody wrote by hand; returns how many changed. Two queries."""
    by_pk = {q.pk: q for q in questions if not q.key_points_edited}
    answers: dict[int, dict[str, str]] = {}
    for question_id, kind, text in Answer.objects.filter(question__in=by_pk).values_list(
        "question_id", "kind", "text"
    ):
        answers.setdefault(question_id, {})[kind] = text
    changed = []
    for pk, question in by_pk.items():
        texts = answers.get(pk, {})
        points = derive_key_points(texts.get(Answer.Kind.CONCISE), texts.get(Answer.Kind.LONG))
        if points != question.key_points:
            question.key_points = points
            changed.append(question)
    Question.objects.bulk_update(changed, ["key_points"])
    return len(changed)


def _sync_topic_membership(
    seed_topics: list[SeedTopic],
    topics: dict[str, Topic],
    questions: dict[int, Question],
    report: LoadReport,
) -> None:
    through = Question.topics.through
    current = set(through.objects.values_list("topic_id", "question_id"))
    wanted = {
        (topics[seed.slug].pk, questions[n].pk)
        for seed in seed_topics
        for n in seed.question_positions
    }
    # Only links between a seed topic and a seed question are the seeds' to remove: a
    # question imported (or added in the admin) into a seed topic keeps its topic.
    seeded_topic_ids = {topics[seed.slug].pk for seed in seed_topics}
    seed_question_ids = {question.pk for question in questions.values()}
    stale = {
        (topic_id, question_id)
        for topic_id, question_id in current - wanted
        if topic_id in seeded_topic_ids and question_id in seed_question_ids
    }
    if stale:
        for topic_id, question_id in stale:
            through.objects.filter(topic_id=topic_id, question_id=question_id).delete()
        report.updated["topic links"] += len(stale)
    missing = wanted - current
    if missing:
        through.objects.bulk_create(
            through(topic_id=topic_id, question_id=question_id) for topic_id, question_id in missing
        )
        report.created["topic links"] += len(missing)


def _sync_related(
    groups: list[tuple[int, ...]], questions: dict[int, Question], report: LoadReport
) -> None:
    through = Question.related.through
    current = set(through.objects.values_list("from_question_id", "to_question_id"))
    wanted = set()
    for group in groups:
        ids = [questions[n].pk for n in group]
        wanted |= {(a, b) for a in ids for b in ids if a != b}
    missing = wanted - current
    if missing:
        through.objects.bulk_create(
            through(from_question_id=a, to_question_id=b) for a, b in missing
        )
        # Each link is stored in both directions; count links, not rows.
        report.created["related links"] += len(missing) // 2
