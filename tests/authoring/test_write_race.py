"""Two people writing the same question at the same moment both get a question."""

from __future__ import annotations

import pytest

from authoring import services
from authoring.services import QuestionContent, write_question
from questions.models import Question
from tests.factories import make_question, make_user

pytestmark = pytest.mark.django_db


def test_a_key_taken_between_choosing_and_writing_gives_way_to_the_next(monkeypatch):
    taken = make_question(key="imp-taken")
    offered = iter(["imp-taken", "imp-taken-2"])  # as if another writer took the first
    monkeypatch.setattr(services, "new_key", lambda text: next(offered))
    written = write_question(
        bank=None, author=make_user(is_staff=True), content=QuestionContent("What?", "That.")
    )
    assert written.key == "imp-taken-2"
    assert Question.objects.get(key="imp-taken") == taken
    assert written.revisions.get().number == 1
