"""An import costs the same number of queries whatever the bank holds (issue 18)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questions.importing import confirm_import, parse_import, run_import, store_upload
from questions.importing.planning import DUPLICATE, IN_BANK
from questions.models import Answer, Question, Topic
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def grow_bank(size: int) -> None:
    """`size` library questions with an answer and a topic each, bulk-created."""
    topic = Topic.objects.create(slug="bulk", name="Bulk", position=1)
    questions = Question.objects.bulk_create(
        Question(key=f"bulk-{n}", position=n + 1, text=f"What does layer {n} of model {n} learn?")
        for n in range(size)
    )
    Answer.objects.bulk_create(
        Answer(question=q, kind=Answer.Kind.CONCISE, text="Edges, then textures.")
        for q in questions
    )
    Question.topics.through.objects.bulk_create(
        Question.topics.through(question_id=q.pk, topic_id=topic.pk) for q in questions
    )


def csv_file(tag: str) -> str:
    """Twenty new questions, one already in the bank and one likely duplicate of it."""
    rows = [f"What is new idea {tag} {n} in detection?,An answer.,bulk" for n in range(20)]
    rows.append("What does layer 3 of model 3 learn?,Again.,bulk")
    rows.append("What does layer 3 of model 3 learn here?,Again.,bulk")
    return "question,answer,topics\n" + "\n".join(rows) + "\n"


def queries_of_an_import(size: int) -> int:
    grow_bank(size)
    with CaptureQueriesContext(connection) as queries:
        report = run_import(parse_import(csv_file(str(size)), source="f.csv"))
    assert report.created["questions"] == 20
    assert report.skipped[IN_BANK] == report.skipped[DUPLICATE] == 1
    return len(queries)


@pytest.mark.parametrize("size", [50, 500])
def test_an_import_takes_the_same_queries_for_any_bank_size(size):
    # Plan: topics, keys held out of view, the bank's questions. Write: the bank's
    # questions and topics as planned against, the last position, then bulk inserts of
    # questions, answers and topic links (and the savepoint of the test's transaction).
    assert queries_of_an_import(size) == 11


@pytest.mark.parametrize("size", [50, 500])
def test_confirming_an_upload_takes_the_same_queries_for_any_bank_size(size):
    grow_bank(size)
    user = make_user(is_staff=True)
    record, _ = store_upload(
        user=user, file_name="f.csv", format="auto", text=csv_file("c"), topics=[]
    )
    with CaptureQueriesContext(connection) as queries:
        report = confirm_import(record=record, keep={"x"})
    assert report is not None and report.created["questions"] == 20
    assert Question.objects.filter(import_record=record).count() == 20
    assert len(queries) == 14


def test_the_imported_questions_come_after_the_bank_however_large():
    grow_bank(500)
    run_import(parse_import(csv_file("p"), source="f.csv"))
    positions = list(
        Question.objects.filter(key__startswith="imp-")
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == list(range(501, 521))
