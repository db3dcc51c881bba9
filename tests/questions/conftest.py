"""Shared fixtures and helpers for the question-bank tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from questions.models import Answer, Question, Topic
from questions.services import DEFAULT_TOPIC_MAP

#: The real seed documents and topic map, as `make run` loads them.
FIXTURES = DEFAULT_TOPIC_MAP.parent
NUMBERED = FIXTURES / "000_667d5de41c5ea76e.txt"
NOTEBOOK = FIXTURES / "001_8b918d1e08d28dc0.txt"


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    """A copy of fixtures/ to corrupt or edit; returns the copy's topic map path."""
    folder = tmp_path / "seeds"
    shutil.copytree(FIXTURES, folder)
    return folder / DEFAULT_TOPIC_MAP.name


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
