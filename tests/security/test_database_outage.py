"""The database going away: a friendly 503 (a small fragment for htmx), never a
traceback, and the app is back by itself as soon as the database is.

First in-process, with the driver's cursor refusing (both databases); then for real:
`make serve` (gunicorn, production settings) on a PostgreSQL server this test starts,
stops and starts again, after terminating the app's connections.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connections
from django.test import RequestFactory

from studyhub.views import server_error
from tests.factories import make_bank

HX = {"HX-Request": "true"}
FRIENDLY = "StudyHub cannot reach its database right now."


@contextmanager
def database_down(error: Exception):
    """Every query fails with `error`, as when the server has gone away."""

    def refuse(self, *args, **kwargs):
        raise error

    with mock.patch.object(type(connections["default"]), "cursor", refuse):
        yield


ERRORS = [
    OperationalError("server closed the connection unexpectedly"),
    InterfaceError("connection already closed"),
    # Should one escape Django's wrapping, the drivers' own errors mean the same.
    psycopg.OperationalError("connection refused"),
    sqlite3.OperationalError("disk I/O error"),
]


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=1)[0].questions.get()


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: f"{type(e).__module__}.{type(e).__name__}")
def test_a_page_is_a_friendly_503_while_the_database_is_down(logged_in_client, question, error):
    with database_down(error):
        response = logged_in_client.get(f"/questions/{question.key}/")

    assert response.status_code == 503
    html = response.content.decode()
    assert "<h1>StudyHub is briefly unavailable</h1>" in html
    assert FRIENDLY in html
    assert "Please try again in a minute." in html
    assert f'href="/questions/{question.key}/"' in html  # "Try again" reloads the page
    assert "Traceback" not in html and type(error).__name__ not in html
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]

    # Back by itself: the next request after the database returns is served.
    assert logged_in_client.get(f"/questions/{question.key}/").status_code == 200


def test_htmx_gets_a_small_fragment_for_the_error_region(logged_in_client, question):
    with database_down(OperationalError("server closed the connection unexpectedly")):
        response = logged_in_client.post(
            f"/questions/{question.key}/confidence/", {"level": "4"}, headers=HX
        )

    assert response.status_code == 503
    html = response.content.decode().strip()
    assert html.startswith('<div id="server-error-message"')
    assert "<html" not in html and "<body" not in html
    assert len(html) < 600
    assert FRIENDLY in html
    assert "What you just sent was not saved; send it again in a minute." in html
    assert response["HX-Retarget"] == "#server-error"
    assert response["HX-Reswap"] == "innerHTML"


def test_the_health_check_says_503_while_the_database_is_down(client, db):
    with database_down(OperationalError("could not connect to server")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_errors_outside_views_reach_the_same_page(db, headers):
    """Middleware errors go to handler500, which tells a database outage apart."""
    request = RequestFactory().get("/", headers=headers)
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert FRIENDLY in response.content.decode()


def test_other_server_errors_stay_a_plain_500(db):
    request = RequestFactory().get("/", headers=HX)
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500
    html = response.content.decode().strip()
    assert html.startswith('<div id="server-error-message"')
    assert "StudyHub could not finish this request." in html
    assert "a bug" not in html


# --- For real: make serve on a PostgreSQL server of our own ---------------------------
# (fixtures in tests/security/conftest.py, machinery in tests/security/own_postgres.py)

SHOW_STATEMENT_TIMEOUT = (
    "from django.db import connection; cursor = connection.cursor(); "
    "cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])"
)


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_make_serve_survives_its_database_going_away(own_postgres, serving):
    app = serving.client()
    app.log_in("lena", serving.password)
    assert "Hello, Lena Park" in app.get("/").text

    # Production settings reach the database connections.
    assert serving.manage("shell", "-c", SHOW_STATEMENT_TIMEOUT).splitlines()[-1] == "30s"

    # Connections persist between requests; killing them costs no request.
    app.get("/topics/")
    assert own_postgres.terminate_app_connections() >= 1
    assert app.get("/").status == 200
    assert app.get("/healthz").json() == {"status": "ok", "database": "ok"}

    own_postgres.stop()
    page = app.get("/")
    assert page.status == 503
    assert FRIENDLY in page.text and "Traceback" not in page.text
    health = app.get("/healthz")
    assert (health.status, health.json()["status"]) == (503, "unavailable")
    fragment = app.post("/questions/cnn-05/confidence/", {"level": "4"}, headers=HX)
    assert fragment.status == 503
    assert fragment.text.strip().startswith('<div id="server-error-message"')
    assert fragment.headers["HX-Retarget"] == "#server-error"

    own_postgres.start()
    assert app.get("/healthz").status == 200
    assert "Hello, Lena Park" in app.get("/").text  # the same session, no new log-in
    marked = app.post("/questions/cnn-05/confidence/", {"level": "4"}, headers=HX)
    assert marked.status == 200
    assert own_postgres.query(
        "SELECT level FROM progress_confidencemark m JOIN accounts_user u ON u.id = m.user_id "
        "WHERE u.username = 'lena'"
    ) == [(4,)]

    # One JSON line per request in the server's log, and no traceback anywhere.
    log = serving.log()
    requests = [json.loads(line) for line in log.splitlines() if '"studyhub.request"' in line]
    seen = {(entry["path"], entry["status"]) for entry in requests}
    assert {("/healthz", 200), ("/healthz", 503), ("/", 503), ("/", 200)} <= seen
    assert all(isinstance(entry["duration_ms"], float) for entry in requests)
    assert "Traceback" not in log


def test_the_outage_page_names_its_icon_so_browsers_do_not_ask_for_favicon_ico(
    logged_in_client, question
):
    """A page without <link rel=icon> makes Chromium request /favicon.ico, which
    would pass through the middleware that needs the database."""
    with database_down(OperationalError("server closed the connection unexpectedly")):
        response = logged_in_client.get(f"/questions/{question.key}/")
    assert response.status_code == 503
    assert b'rel="icon" href="/static/img/favicon.svg"' in response.content


def test_the_server_error_page_names_its_icon(db):
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert b'rel="icon" href="/static/img/favicon.svg"' in response.content


def test_favicon_ico_points_at_the_static_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
