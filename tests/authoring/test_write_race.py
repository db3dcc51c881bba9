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
    monkeypatch.setattr(services, "new_key", lambda text, bank: next(offered))
    written = write_question(
        bank=None, author=make_user(is_staff=True), content=QuestionContent("What?", "That.")
    )
    assert written.key == "imp-taken-2"
    assert Question.objects.get(key="imp-taken") == taken
    assert written.revisions.get().number == 1


def test_staff_editing_a_library_question_keep_a_teams_link_to_it():
    """A team question's link to a library question is the team's: staff editing the
    library question do not see it, and saving leaves it."""
    from authoring.services import edit_question
    from tests.teams.factories import make_team

    library = make_question(key="lib")
    team = make_team("T")
    ours = make_question(key="ours", bank=team.bank)
    ours.related.add(library)
    staff = make_user(is_staff=True)
    content = QuestionContent.of(library)
    edit_question(
        question=library,
        author=staff,
        content=QuestionContent(text="Edited?", concise=content.concise, topics=content.topics),
    )
    assert list(ours.related.all()) == [library]
