"""Every writer of answers derives the key points: an import, the seed bank's loader and
the demo team's own questions; reloading the bank keeps points written by hand."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from questions.importing import parse_import
from questions.importing.writing import run_import
from questions.key_points import derive_key_points
from questions.models import Question
from questions.services import read_seed_bank
from teams.demo import load_demo_data
from tests.factories import make_topic

pytestmark = pytest.mark.django_db

MARKDOWN = """\
## What does a stride do?

It moves the filter by more than one pixel. A stride of 2 halves the output.

## Why pad?

- To keep the size.
- To use the border pixels as often as the others.
"""


def test_imported_questions_have_the_key_points_of_their_answers(db):
    run_import(parse_import(MARKDOWN, source="a.md"), topics=[make_topic().slug])
    points = dict(Question.objects.values_list("text", "key_points"))
    assert points == {
        "What does a stride do?": [
            "It moves the filter by more than one pixel.",
            "A stride of 2 halves the output.",
        ],
        "Why pad?": ["To keep the size.", "To use the border pixels as often as the others."],
    }


def test_the_seed_bank_has_key_points_and_a_reload_keeps_written_ones(seed_bank):
    seeds = {seed.key: seed for seed in read_seed_bank().questions}
    for question in Question.objects.all():
        seed = seeds[question.key]
        assert question.key_points == derive_key_points(seed.concise_answer, seed.long_answer)
        assert 1 <= len(question.key_points) <= 8
    written = Question.objects.get(position=11)
    written.key_points, written.key_points_edited = ["Fewer bits per weight."], True
    written.save(update_fields=["key_points", "key_points_edited"])
    derived = Question.objects.get(position=12)
    derived.key_points = ["stale"]
    derived.save(update_fields=["key_points"])

    call_command("load_question_bank", verbosity=0)
    assert Question.objects.get(position=11).key_points == ["Fewer bits per weight."]
    assert Question.objects.get(position=12).key_points == derive_key_points(
        seeds[derived.key].concise_answer
    )


def test_the_demo_teams_questions_have_key_points(seed_bank):
    load_demo_data()
    team_questions = Question.objects.filter(bank__isnull=False)
    assert team_questions.exists()
    assert all(q.key_points for q in team_questions)
