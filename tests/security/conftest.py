"""Helpers for tests that need Django in a process of its own (production settings)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.conf import settings

#: What docs/deploy.md asks a production server to set, for one behind a TLS proxy.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "studyhub.example.com",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def clean_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without any StudyHub setting, plus `overrides`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "GUNICORN_"))
        and name not in ("DATABASE_URL", "REDIS_URL", "FORWARDED_ALLOW_IPS")
    }
    env.update(overrides)
    return env


@pytest.fixture
def run_django(tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """Run Python code or manage.py in a fresh process with the given environment.

    The database defaults to a new SQLite file, so nothing touches the developer's.
    """

    def run(*args: str, code: str | None = None, **env: str) -> subprocess.CompletedProcess:
        env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
        command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
        return subprocess.run(
            command,
            env=clean_environment(**env),
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


# --- A PostgreSQL server of our own, and `make serve` on it ------------------------


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> dict[str, str]:
    """Static files collected once with production settings, and the settings that make
    `make serve` use them as they are: collecting and compressing them costs about 30 s
    of CPU, which three servers a run would otherwise spend again each.
    (tests/security/test_serving.py checks that `make serve` collects them by default.)"""
    root = tmp_path_factory.mktemp("collected-static")
    env = clean_environment(
        **PRODUCTION_ENV,
        DJANGO_STATIC_ROOT=str(root),
        DATABASE_URL=f"sqlite:///{root / 'unused.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return {"DJANGO_STATIC_ROOT": str(root), "SERVE_COLLECTSTATIC": "0"}


@pytest.fixture
def own_postgres():
    """A fresh PostgreSQL server on a free port, removed afterwards."""
    from tests.security.own_postgres import OwnPostgres, postgres_bin_dir

    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs not installed (apt-get install postgresql)")
    server = OwnPostgres(bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


LENA_PASSWORD = "a-long-enough-passphrase-7"


@pytest.fixture
def serving(own_postgres, tmp_path, collected_static):
    """`make serve` with production settings on `own_postgres`, with the seed question
    bank and one learner, lena. Stopped afterwards."""
    from tests.security.own_postgres import Serving

    env = clean_environment(
        **{
            **PRODUCTION_ENV,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": own_postgres.url,
            **collected_static,
            "DJANGO_DB_CONNECT_TIMEOUT": "3",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "2",
        }
    )
    app = Serving(settings.BASE_DIR, env, tmp_path)
    app.password = LENA_PASSWORD
    try:
        app.start()
        app.manage("load_question_bank")
        app.manage(
            "shell",
            "-c",
            "from accounts.models import User; User.objects.create_user("
            f"'lena', password='{LENA_PASSWORD}', display_name='Lena Park')",
        )
        yield app
    finally:
        app.stop()
