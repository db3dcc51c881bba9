"""Schemathesis against the API's own OpenAPI schema, in-process, with every check on:
no server error, every status and content type and body as the schema says, invalid
input refused, valid input accepted, authentication required where the schema says.
It runs with the rest of the suite, on SQLite and on PostgreSQL (`.ci/run`)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from accounts.tokens import create_token
from api import auth as api_auth
from api.main import api
from tests.factories import make_question, make_topic, make_user, mark, note
from tests.teams.factories import make_assignment, make_team

# Read from the API itself, not over HTTP: collecting the tests needs no database.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
schema.app = get_wsgi_application()
#: Every check schemathesis has, the ones of its CLI's `--checks all`.
EVERY_CHECK = schemathesis.checks.CHECKS.get_all()


@pytest.fixture
def keep_the_test_connection():
    """Schemathesis calls the WSGI app as a server would, and Django closes the database
    connection at the end of each request: the test's, with its transaction. Django's
    own test client stops that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, monkeypatch, settings, keep_the_test_connection) -> str:
    """An instructor who is also learning: marks, a note, a team with an assignment, so
    every operation has something to find."""
    monkeypatch.setattr(api_auth, "PER_MINUTE", 1_000_000)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis's host
    topic = make_topic(slug="deployment")
    questions = [make_question(topics=[topic], key=f"q-{n}", long="Long.") for n in range(3)]
    user = make_user(username="iris")
    team = make_team(instructor=user, learners=[make_user()])
    make_assignment(team, topics=[topic])
    mark(user, questions[0], 4)
    note(user, questions[0], "A *note*.")
    _, plain = create_token(user=user, name="schemathesis", scope="write")
    return plain


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}", "Host": "localhost"},
        checks=EVERY_CHECK,
    )
