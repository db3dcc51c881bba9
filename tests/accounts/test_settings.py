"""studyhub/settings.py: refuses to run without a secret key; SQLite runs in WAL mode.

(Kept with the accounts tests: settings have no app of their own.)
"""

import os
import subprocess
import sys

from django.conf import settings

SETUP = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'studyhub.settings'; django.setup()"
)


def run_django(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name != "DATABASE_URL"
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_fails_with_a_clear_message():
    result = run_django(SETUP, DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    result = run_django(SETUP, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="a" * 50)
    assert result.returncode == 0, result.stderr


def test_debug_without_a_secret_key_starts_with_a_development_key():
    code = SETUP + "; from django.conf import settings; print(settings.SECRET_KEY)"
    result = run_django(code, DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert "insecure" in result.stdout


def test_a_bad_debug_value_fails_clearly():
    result = run_django(SETUP, DJANGO_DEBUG="maybe", DJANGO_SECRET_KEY="a" * 50)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


def test_a_sqlite_database_runs_in_wal_mode(tmp_path):
    # The settings' SQLite options, on a fresh file database (not the developer's).
    code = (
        SETUP + "; from django.db import connection; cursor = connection.cursor(); "
        "cursor.execute('PRAGMA journal_mode'); print(cursor.fetchone()[0])"
    )
    result = run_django(
        code, DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_sqlite_connections_persist_between_requests(tmp_path):
    """Opening a SQLite connection (file, PRAGMAs, Django's functions) on every request
    cost more than a cached page; they are kept like PostgreSQL's."""
    code = (
        SETUP + "; import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['CONN_MAX_AGE']))"
    )
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = run_django(code, DJANGO_DEBUG="1", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "60"
    result = run_django(code, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_DB_CONN_MAX_AGE="0")
    assert result.stdout.strip() == "0"
