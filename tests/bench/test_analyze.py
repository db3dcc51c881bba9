"""bench/run.py gives the planner statistics of the seeded data, as a live database has
them (PostgreSQL's autovacuum; on this machine's server it is off)."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.run import analyze
from tests.factories import make_bank, make_user, mark

pytestmark = pytest.mark.django_db


def analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
            return {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.reltuples >= 0"
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_seeded_tables_are_analysed():
    (topic,) = make_bank(topics=1, questions_per_topic=3)
    learner = make_user()
    for question in topic.questions.all():
        mark(learner, question, 4)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM sqlite_stat1")
    analyze()
    assert {"progress_confidencemark", "questions_question"} <= analysed_tables()
