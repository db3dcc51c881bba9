import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    # Fails when a model changes without a migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_the_checks_migrate_runs_are_quiet_on_this_database(capsys):
    """`migrate` checks the models against the database: the marks' covering indexes
    INCLUDE the id for PostgreSQL, which SQLite leaves out (and its warning is silenced)."""
    call_command("check", databases=["default"], fail_level="WARNING")


@pytest.mark.django_db
def test_the_marks_covering_indexes_carry_the_id_on_postgresql():
    """PostgreSQL's indexes do not carry the primary key: without it, counting marks from
    these indexes visits the table (team calibration at 100×: 51 against 27 ms)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's INCLUDE")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
            "'progress_confidencemark' AND indexname IN ('mark_user_coverage', 'mark_user_checked')"
        )
        found = dict(cursor.fetchall())
    assert sorted(found) == ["mark_user_checked", "mark_user_coverage"]
    assert all("INCLUDE (id)" in definition for definition in found.values()), found
