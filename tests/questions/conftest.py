"""Shared helpers for the question-bank tests (the `seed_copy` fixture is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from questions.models import Answer, Question, Topic
from questions.services import DEFAULT_TOPIC_MAP

#: The real seed documents and topic map, as `make run` loads them.
FIXTURES = DEFAULT_TOPIC_MAP.parent
NUMBERED = FIXTURES / "000_667d5de41c5ea76e.txt"
NOTEBOOK = FIXTURES / "001_8b918d1e08d28dc0.txt"


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of `old` in the file (fails loudly otherwise)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def snapshot() -> dict[str, list]:
    """Every row of the question bank, with its primary key: equal before and after
    means nothing was written."""
    return {
        "topics": list(Topic.objects.order_by("pk").values_list()),
        "questions": list(Question.objects.order_by("pk").values_list()),
        "answers": list(Answer.objects.order_by("pk").values_list()),
        "topic links": list(Question.topics.through.objects.order_by("pk").values_list()),
        "related": list(Question.related.through.objects.order_by("pk").values_list()),
    }
