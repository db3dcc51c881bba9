"""Small factories: plain functions with sensible defaults and keyword overrides."""

from __future__ import annotations

import itertools

from accounts.models import User
from progress.services import record_confidence, save_note
from questions.key_points import derive_key_points
from questions.models import Answer, Question, Topic

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(**fields) -> User:
    n = next(_counter)
    fields.setdefault("username", f"user{n}")
    fields.setdefault("display_name", f"User {n}")
    fields.setdefault("email", f"{fields['username']}@example.com")
    return User.objects.create_user(password=fields.pop("password", PASSWORD), **fields)


def make_topic(**fields) -> Topic:
    n = next(_counter)
    fields.setdefault("slug", f"topic-{n}")
    fields.setdefault("name", f"Topic {n}")
    fields.setdefault("position", n)
    return Topic.objects.create(**fields)


def make_question(*, topics=(), concise: str | None = None, long: str | None = None, **fields):
    n = next(_counter)
    fields.setdefault("key", f"q-{n}")
    fields.setdefault("position", n)
    fields.setdefault("text", f"What is question {n} about?")
    concise = concise or f"Answer to question {n}."
    # As every writer of answers does (import, seed load, editor).
    fields.setdefault("key_points", derive_key_points(concise, long))
    question = Question.objects.create(**fields)
    if topics:
        question.topics.set(topics)
    Answer.objects.create(question=question, kind=Answer.Kind.CONCISE, text=concise)
    if long is not None:
        Answer.objects.create(question=question, kind=Answer.Kind.LONG, text=long)
    return question


def make_bank(*, topics: int = 2, questions_per_topic: int = 5) -> list[Topic]:
    """Topics, each with its own questions (every question has a concise answer)."""
    made = []
    for _ in range(topics):
        topic = make_topic()
        for _ in range(questions_per_topic):
            make_question(topics=[topic])
        made.append(topic)
    return made


def mark(user: User, question: Question, level: int, **kwargs):
    return record_confidence(user=user, question=question, level=level, **kwargs)


def note(user: User, question: Question, text: str = "My *note*"):
    return save_note(user=user, question=question, text=text)
