"""questions 0007: PostgreSQL's stored full-text index (a tsvector per question, GIN),
kept in step by triggers. What the search finds through it is tested on both databases
in tests/progress/test_search.py; these are the index's own guarantees."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from progress.search import PG_SEARCH_TABLE, search_questions
from questions.models import Answer, Question
from tests.factories import make_question, make_user
from tests.migrating import migrate, migrate_to_latest

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's search index (SQLite has FTS5)"
)

BEFORE = [("questions", "0006_question_key_points")]
AFTER = [("questions", "0007_postgresql_search_index")]


def documents() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT question_id, document::text FROM {PG_SEARCH_TABLE}")
        return dict(cursor.fetchall())


def expected_document(question_id: int) -> str:
    """The document as search matched it on the fly before 0007."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (setweight(to_tsvector('english', q.text), 'A')
                || setweight(to_tsvector('english', COALESCE((SELECT string_agg(a.text,
                   E'\\n' ORDER BY a.kind) FROM questions_answer a
                   WHERE a.question_id = q.id), '')), 'B'))::text
               FROM questions_question q WHERE q.id = %s""",
            [question_id],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_migrating_indexes_every_question_already_there_and_back():
    try:
        apps = migrate(BEFORE)
        Question = apps.get_model("questions", "Question")
        Answer = apps.get_model("questions", "Answer")
        made = []
        for n, answers in enumerate([("Pooling halves maps.", "Longer: strided pooling."), ()]):
            question = Question.objects.create(key=f"m-{n}", position=n + 1, text=f"Why {n}?")
            for kind, text in zip(("concise", "long"), answers, strict=False):
                Answer.objects.create(question=question, kind=kind, text=text, html="")
            made.append(question.pk)

        migrate(AFTER)
        stored = documents()
        assert sorted(stored) == sorted(made)
        for pk in made:
            assert stored[pk] == expected_document(pk)
        assert "'pool':" in stored[made[0]] and "'halv':" in stored[made[0]]

        migrate(BEFORE)  # reversible: the table and its triggers go, the questions stay
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [PG_SEARCH_TABLE])
            assert cursor.fetchone()[0] is None
        assert apps.get_model("questions", "Question").objects.count() == 2
    finally:
        migrate_to_latest()


@pytest.mark.django_db
def test_every_write_keeps_the_stored_document_as_search_read_it():
    q = make_question(text="What does pooling do?", concise="It downsamples.", long="Max or mean.")
    other = make_question(text="What is dropout?")
    assert documents()[q.pk] == expected_document(q.pk)

    Question.objects.filter(pk=q.pk).update(text="What does striding do?")
    Answer.objects.filter(question=q, kind=Answer.Kind.LONG).update(text="Skips pixels.")
    Answer.objects.filter(question=q, kind=Answer.Kind.LONG).update(question=other)
    for pk in (q.pk, other.pk):
        assert documents()[pk] == expected_document(pk)
    assert "'pool'" not in documents()[q.pk] and "'pixel':" in documents()[other.pk]

    Answer.objects.filter(question=q).delete()
    q.delete()
    # Only this test's two questions: a transactional test's flush before it leaves its
    # questions' documents behind (test_after_a_flush_old_documents_are_never_found).
    assert set(documents()) & {q.pk, other.pk} == {other.pk}


@pytest.mark.django_db
def test_a_match_can_read_the_gin_index():
    """The match the search joins on can be answered from the index alone (which plan
    the whole search takes depends on the table's size: bench/scale.py measures it)."""
    for n in range(1, 30):
        make_question(position=n, text=f"Question {n} about kernels?")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT question_id FROM {PG_SEARCH_TABLE} "
            "WHERE document @@ websearch_to_tsquery('english', 'kernels')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Bitmap Index Scan on {PG_SEARCH_TABLE}_document" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_old_documents_are_never_found():
    """A flush truncates the question table and not the index (it has no foreign key):
    a stale row matches no question, and a reused id is written over."""
    old = make_question(text="What does a flushed pooling layer do?")
    call_command("flush", interactive=False, verbosity=0)
    user = make_user()
    new = Question.objects.create(pk=old.pk, key="reused", position=1, text="What is dropout?")
    assert documents()[new.pk] == expected_document(new.pk)
    assert list(search_questions(user, text="pooling", now=timezone.now())) == []
    assert [q.pk for q in search_questions(user, text="dropout", now=timezone.now())] == [new.pk]
