"""Undoing an import: what nobody used is deleted, the rest retired, in one transaction,
once; shown on the import's result page and on the bank page."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from authoring.models import QuestionRevision
from authoring.services import undo_import
from progress.models import ConfidenceEvent, ConfidenceMark, Note
from questions.importing import confirm_import, store_upload
from questions.models import ImportRecord, Question
from tests.authoring.conftest import Banks
from tests.factories import mark, note
from tests.pages import html_of, squash

FILE = """\
## What is a stride?
The step of the filter.

## What is padding?
Zeros around the input.

## What is dilation?
Gaps between the filter's taps.

## What is a pooling window?
The region one pooled value sums up.
"""


def imported(banks: Banks, text: str = FILE, *, bank="team") -> ImportRecord:
    """A file imported into the team bank (or the library) the way the pages do it."""
    target = banks.team.bank if bank == "team" else None
    topics = [banks.team_topic.slug] if bank == "team" else [banks.library_topic.slug]
    record, _ = store_upload(
        user=banks.instructor if bank == "team" else banks.staff,
        file_name="week2.md",
        format="auto",
        text=text,
        topics=topics,
        bank=target,
    )
    confirm_import(record=record)
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.DONE
    return record


def added(record: ImportRecord) -> dict[str, Question]:
    return {q.text: q for q in Question.objects.filter(import_record=record)}


def undo_url(record: ImportRecord) -> str:
    return reverse("authoring:import_undo", kwargs={"import_id": record.pk})


@pytest.fixture
def used(banks):
    """An import whose questions were rated, noted, only ever rated once, or unused."""
    record = imported(banks)
    questions = added(record)
    assert len(questions) == 4
    learner = banks.learner
    mark(learner, questions["What is a stride?"], 4)
    note(learner, questions["What is padding?"], "Zeros, mostly")
    # An event without a current mark (as a data repair might leave): still "rated".
    ConfidenceEvent.objects.create(
        user=learner, question=questions["What is dilation?"], level=2, created_at=timezone.now()
    )
    return record, questions


def test_undo_deletes_what_nobody_used_and_retires_the_rest(banks, used, instructor_client):
    record, questions = used
    response = instructor_client.post(undo_url(record), follow=True)
    page = html_of(response)
    assert (
        "Import of “week2.md” undone: 1 question nobody had rated or noted deleted; 3 "
        "questions that learners had rated or noted retired (their marks and notes are kept)."
        in page
    )
    left = Question.objects.filter(import_record=record)
    assert sorted(q.text for q in left) == [
        "What is a stride?",
        "What is dilation?",
        "What is padding?",
    ]
    assert all(q.is_retired and q.retired_by == banks.instructor for q in left)
    assert not Question.objects.filter(text="What is a pooling window?").exists()
    assert ConfidenceMark.objects.filter(question__in=left).count() == 1
    assert Note.objects.get(question__text="What is padding?").text == "Zeros, mostly"
    record.refresh_from_db()
    assert record.undone_at is not None and record.undone_by == banks.instructor
    # Each retired question's history says why.
    actions = set(
        QuestionRevision.objects.filter(question__in=left).values_list("number", "action")
    )
    assert actions == {(1, "As it was before editing"), (2, "Retired: its import was undone")}
    # Nothing else in the bank was touched.
    assert Question.objects.filter(pk=banks.team_question.pk, retired_at=None).exists()


def test_a_second_undo_changes_nothing_and_says_so(banks, used, instructor_client):
    record, _ = used
    instructor_client.post(undo_url(record))
    record.refresh_from_db()
    first_undo = record.undone_at
    retired = dict(Question.objects.filter(import_record=record).values_list("pk", "retired_at"))
    response = instructor_client.post(undo_url(record), follow=True)
    assert "The import of “week2.md” was undone already; nothing changed." in html_of(response)
    record.refresh_from_db()
    assert record.undone_at == first_undo
    assert (
        dict(Question.objects.filter(import_record=record).values_list("pk", "retired_at"))
        == retired
    )
    assert undo_import(record=record, by=banks.instructor) is None


def test_undo_is_all_or_nothing(banks, used):
    record, questions = used
    with (
        mock.patch("authoring.services._record_unchanged_many", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        undo_import(record=record, by=banks.instructor)
    assert Question.objects.filter(import_record=record).count() == 4
    assert not Question.objects.filter(import_record=record, retired_at__isnull=False).exists()
    record.refresh_from_db()
    assert record.undone_at is None


def test_a_question_promoted_since_is_no_longer_the_imports(banks, used):
    record, questions = used
    from authoring.services import promote_question

    promoted = questions["What is a pooling window?"]
    promote_question(question=promoted, by=banks.staff, topics=[banks.library_topic])
    outcome = undo_import(record=record, by=banks.instructor)
    assert outcome is not None and (outcome.deleted, outcome.retired) == (0, 3)
    promoted.refresh_from_db()
    assert promoted.bank_id is None and promoted.retired_at is None


def test_an_already_retired_question_keeps_who_retired_it(banks, used):
    record, questions = used
    from authoring.services import retire_question

    stride = questions["What is a stride?"]
    retire_question(question=stride, by=banks.staff)
    outcome = undo_import(record=record, by=banks.instructor)
    assert outcome is not None and (outcome.deleted, outcome.retired) == (1, 2)
    stride.refresh_from_db()
    assert stride.retired_by == banks.staff


def test_a_pending_import_has_nothing_to_undo(banks, instructor_client):
    record, _ = store_upload(
        user=banks.instructor,
        file_name="later.md",
        format="auto",
        text=FILE,
        topics=[banks.team_topic.slug],
        bank=banks.team.bank,
    )
    response = instructor_client.post(undo_url(record), follow=True)
    assert "This file has not been imported: there is nothing to undo." in html_of(response)
    record.refresh_from_db()
    assert record.undone_at is None and record.is_pending


def test_the_result_page_offers_the_undo_and_then_shows_it(banks, used, instructor_client):
    record, _ = used
    result = record.get_absolute_url()
    page = html_of(instructor_client.get(result))
    assert f'action="{undo_url(record)}"' in page
    assert "<h1>Import finished</h1>" in page
    response = instructor_client.post(undo_url(record))
    assert response["Location"] == result
    page = html_of(instructor_client.get(result))
    assert f'action="{undo_url(record)}"' not in page
    assert "<h1>Import undone</h1>" in page
    assert "Undone on" in squash(page) and "by Iris Instructor" in squash(page)
    assert "New questions kept as retired" in page


def test_another_instructor_of_the_team_undoes_from_the_bank_page(banks, used):
    from django.test import Client

    from tests.authoring.conftest import second_instructor

    record, _ = used
    ivan = Client()
    ivan.force_login(second_instructor(banks))
    bank_page = reverse("authoring:team_bank", kwargs={"team_id": banks.team.pk})
    page = html_of(ivan.get(bank_page))
    assert f'action="{undo_url(record)}"' in page
    response = ivan.post(undo_url(record), {"next": bank_page})
    assert response["Location"] == bank_page
    page = html_of(ivan.get(bank_page))
    assert f'action="{undo_url(record)}"' not in page
    assert "undone by Ivan Instructor" in squash(page)


def test_staff_undo_a_library_import(banks, staff_client):
    record = imported(banks, bank="library")
    assert staff_client.post(undo_url(record)).status_code == 302
    assert not Question.objects.filter(import_record=record).exists()


def queries_of_an_undo(banks: Banks, size: int, prefix: str) -> int:
    text = "".join(f"## What is {prefix} trick {n}?\nAnswer {n}.\n\n" for n in range(size))
    record = imported(banks, text)
    questions = list(Question.objects.filter(import_record=record))
    for question in questions[::2]:
        mark(banks.learner, question, 3)
    with CaptureQueriesContext(connection) as queries:
        outcome = undo_import(record=record, by=banks.instructor)
    assert outcome is not None
    assert (outcome.deleted, outcome.retired) == (size // 2, size - size // 2)
    return len(queries)


def test_undo_runs_a_fixed_number_of_queries(banks):
    """Whatever the import's size: deleting cascades one query per related table, and
    the retired questions' revisions are written in bulk."""
    small, large = queries_of_an_undo(banks, 4, "small"), queries_of_an_undo(banks, 60, "large")
    assert small == large <= 30
