from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from questions.services import DEFAULT_TOPIC_MAP
from tests.factories import PASSWORD, make_user
from tests.pages import HTMX
from tests.sessions import Sessions


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return make_user(username="learner", display_name="Lee Learner")


@pytest.fixture
def other_user(db):
    return make_user(username="someone-else", display_name="Someone Else")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def sessions(db) -> Sessions:
    """Clients logged in as users, each user logged in once per test (tests/sessions.py)."""
    return Sessions()


@pytest.fixture
def seed_bank(db):
    """The real seed question bank, loaded from fixtures/ as `make run` does."""
    call_command("load_question_bank", verbosity=0)


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    """A copy of fixtures/ (the seed bank) to corrupt or edit; returns the copy's topic
    map path."""
    folder = tmp_path / "seeds"
    shutil.copytree(DEFAULT_TOPIC_MAP.parent, folder)
    return folder / DEFAULT_TOPIC_MAP.name


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    """The header htmx sends (tests.pages.HTMX), as a copy a test may extend."""
    return dict(HTMX)


@pytest.fixture(scope="session")
def _empty_static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("staticfiles")


@pytest.fixture(autouse=True)
def _test_settings(settings, _empty_static_root):
    # Tests run with DEBUG off, where the manifest storage needs collectstatic
    # first; plain storage renders {% static %} without it. PBKDF2 costs about
    # 0.3 s per user, so tests use a fast hasher.
    settings.STATIC_ROOT = _empty_static_root
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Work meant for after the response (a reset e-mail) runs at once, in the request's
    # own transaction; tests/accounts/test_password_reset.py tries the worker thread.
    settings.BACKGROUND_JOBS = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_sessionfinish(session, exitstatus):
    """The SQLite test database's write-queue lock file (studyhub/sqlite) goes with it."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name and "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        Path(f"{name}-writelock").unlink(missing_ok=True)
