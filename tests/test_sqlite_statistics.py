"""SQLite gets its query planner's statistics after every migrate (progress.apps), so
the covering indexes are chosen on a database that was never analysed by hand."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import make_bank, make_user, mark

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statistics"),
]


def statistics() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'progress_confidencemark'")
        return dict(cursor.fetchall())


def test_migrate_leaves_statistics_of_the_marks():
    (topic,) = make_bank(topics=1, questions_per_topic=3)
    learner = make_user()
    for question in topic.questions.all():
        mark(learner, question, 4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
    assert statistics() == {}
    call_command("migrate", verbosity=0)  # nothing to apply: the signal still runs
    found = statistics()
    assert found["mark_user_coverage"].split()[0] == "3"  # rows in the index
