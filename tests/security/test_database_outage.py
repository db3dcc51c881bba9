"""The database going away: a friendly 503 (a small fragment for htmx), never a
traceback, and the app is back by itself as soon as the database is.

First in-process, with the driver's cursor refusing (both databases); then for real:
`make serve` (gunicorn, production settings) on a PostgreSQL server this test starts,
stops and starts again, after terminating the app's connections.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from unittest import mock

import psycopg
import psycopg.errors
import pytest
from django.db import InterfaceError, OperationalError, connection, connections
from django.test import RequestFactory
from django.urls import reverse

from studyhub.views import database_failure, server_error
from tests.factories import make_bank
from tests.pages import HTMX
from tests.security.learners import CREATE_LEARNERS, Learners, check_writes, wait_for_health

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
    page = reverse("progress:question_detail", args=[question.key])
    with database_down(error):
        response = logged_in_client.get(page)

    assert response.status_code == 503
    html = response.content.decode()
    assert "<h1>StudyHub is briefly unavailable</h1>" in html
    assert FRIENDLY in html
    assert "Please try again in a minute." in html
    assert f'href="{page}"' in html  # "Try again" reloads the page
    assert "Traceback" not in html and type(error).__name__ not in html
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]

    # Back by itself: the next request after the database returns is served.
    assert logged_in_client.get(page).status_code == 200


def test_htmx_gets_a_small_fragment_for_the_error_region(logged_in_client, question):
    with database_down(OperationalError("server closed the connection unexpectedly")):
        response = logged_in_client.post(
            reverse("progress:mark_confidence", args=[question.key]), {"level": "4"}, headers=HTMX
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
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}

    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_errors_outside_views_reach_the_same_page(db, headers):
    """Middleware errors go to handler500, which tells a database outage apart."""
    request = RequestFactory().get(reverse("progress:dashboard"), headers=headers)
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert FRIENDLY in response.content.decode()


def test_other_server_errors_stay_a_plain_500(db):
    request = RequestFactory().get(reverse("progress:dashboard"), headers=HTMX)
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500
    html = response.content.decode().strip()
    assert html.startswith('<div id="server-error-message"')
    assert "StudyHub could not finish this request." in html
    assert "a bug" not in html


# --- Only an outage is reported as one --------------------------------------------------


def real_sqlite_error(sql: str, tmp_path) -> sqlite3.OperationalError:
    """The error SQLite itself raises (with its result code), not one made by hand."""
    path = tmp_path / "db.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute(sql)
    except sqlite3.OperationalError as error:
        return error
    finally:
        other.close()
        holder.close()
    raise AssertionError(f"{sql[:40]} did not fail")


TOO_COMPLEX = "SELECT " + "+".join(["1"] * 100_000)


def wrapped(error: Exception) -> OperationalError:
    """As Django raises it: its own class, the driver's error as the cause."""
    try:
        raise OperationalError(*error.args) from error
    except OperationalError as django_error:
        return django_error


@pytest.mark.parametrize(
    ("make_error", "expected"),
    [
        (lambda tmp: real_sqlite_error("BEGIN IMMEDIATE", tmp), "busy"),  # locked past timeout
        (lambda tmp: wrapped(real_sqlite_error("BEGIN IMMEDIATE", tmp)), "busy"),
        (lambda tmp: real_sqlite_error(TOO_COMPLEX, tmp), None),  # "Expression tree is too large"
        (lambda tmp: wrapped(real_sqlite_error(TOO_COMPLEX, tmp)), None),
        (lambda tmp: real_sqlite_error("SELECT * FROM no_such_table", tmp), None),
        (lambda tmp: sqlite3.InterfaceError("Error binding parameter 1"), None),
        (lambda tmp: sqlite3.OperationalError("unable to open database file"), "unavailable"),
        (lambda tmp: psycopg.OperationalError("connection refused"), "unavailable"),
        (lambda tmp: wrapped(psycopg.errors.AdminShutdown("terminating")), "unavailable"),
        (lambda tmp: psycopg.errors.TooManyConnections("too many clients"), "unavailable"),
        (lambda tmp: psycopg.errors.QueryCanceled("statement timeout"), "busy"),
        (lambda tmp: wrapped(psycopg.errors.StatementTooComplex("stack depth")), None),
        (lambda tmp: psycopg.errors.DeadlockDetected("deadlock detected"), None),
        (lambda tmp: InterfaceError("connection already closed"), "unavailable"),
        (lambda tmp: ValueError("a bug"), None),
    ],
    ids=[
        "sqlite-locked", "django-sqlite-locked", "sqlite-too-complex", "django-sqlite-too-complex",
        "sqlite-no-such-table", "sqlite-binding", "sqlite-cannot-open", "pg-refused",
        "pg-admin-shutdown", "pg-too-many-connections", "pg-statement-timeout",
        "pg-too-complex", "pg-deadlock", "django-interface", "not-a-database-error",
    ],
)  # fmt: skip
def test_only_errors_of_reaching_the_database_count_as_an_outage(make_error, expected, tmp_path):
    assert database_failure(make_error(tmp_path)) == expected


def test_a_query_the_database_refuses_is_a_500_logged_as_an_error(
    logged_in_client, question, caplog
):
    """SQLite's "Expression tree is too large" (PostgreSQL: "stack depth limit
    exceeded") is the query's fault: the plain 500 page, an error in the log with the
    request's id, and no word of an outage."""

    def too_complex(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(TOO_COMPLEX)

    with mock.patch("progress.views.save_rating", too_complex):
        response = logged_in_client.post(
            reverse("progress:mark_confidence", args=[question.key]), {"level": "4"}, headers=HTMX
        )

    assert response.status_code == 500
    html = response.content.decode()
    assert "StudyHub could not finish this request." in html
    assert FRIENDLY not in html and "busy" not in html
    (record,) = [r for r in caplog.records if r.name == "studyhub.views"]
    assert record.levelname == "ERROR"
    assert record.getMessage().startswith("Database error (not an outage)")
    assert record.request_id == response["X-Request-ID"]
    assert record.exc_info is not None  # the traceback goes to the log, not the page
    # The database is fine: the next request is served.
    page = reverse("progress:question_detail", args=[question.key])
    assert logged_in_client.get(page).status_code == 200


def test_a_database_busy_past_its_timeout_is_a_503_that_says_so(
    logged_in_client, question, caplog, tmp_path
):
    locked = wrapped(real_sqlite_error("BEGIN IMMEDIATE", tmp_path))
    with database_down(locked):
        response = logged_in_client.post(
            reverse("progress:mark_confidence", args=[question.key]), {"level": "4"}, headers=HTMX
        )
    assert response.status_code == 503
    assert "StudyHub's database is too busy right now." in response.content.decode()
    assert any(r.getMessage().startswith("Database busy") for r in caplog.records)


# --- For real: make serve on a PostgreSQL server of our own ---------------------------
# (fixtures in tests/security/conftest.py, machinery in tests/security/own_postgres.py)

SHOW_SETTINGS = (
    "from django.db import connection; cursor = connection.cursor(); "
    "cursor.execute('SHOW statement_timeout'); timeout = cursor.fetchone()[0]; "
    "cursor.execute('SHOW random_page_cost'); print(timeout, cursor.fetchone()[0])"
)


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_make_serve_survives_its_database_going_away(own_postgres, serving):
    home, health_check = reverse("progress:dashboard"), reverse("healthz")
    mark_url = reverse("progress:mark_confidence", args=["cnn-05"])
    app = serving.client()
    app.log_in("lena", serving.password)
    assert "Hello, Lena Park" in app.get(home).text

    # Production settings reach the database connections.
    assert serving.manage("shell", "-c", SHOW_SETTINGS).splitlines()[-1] == "30s 1.1"

    # Connections persist between requests; killing them costs no request.
    app.get(reverse("progress:topic_list"))
    assert own_postgres.terminate_app_connections() >= 1
    assert app.get(home).status == 200
    assert app.get(health_check).json() == {"status": "ok", "database": "ok"}

    own_postgres.stop()
    page = app.get(home)
    assert page.status == 503
    assert FRIENDLY in page.text and "Traceback" not in page.text
    health = app.get(health_check)
    assert (health.status, health.json()["status"]) == (503, "unavailable")
    fragment = app.post(mark_url, {"level": "4"}, headers=HTMX)
    assert fragment.status == 503
    assert fragment.text.strip().startswith('<div id="server-error-message"')
    assert fragment.headers["HX-Retarget"] == "#server-error"

    own_postgres.start()
    assert app.get(health_check).status == 200
    assert "Hello, Lena Park" in app.get(home).text  # the same session, no new log-in
    marked = app.post(mark_url, {"level": "4"}, headers=HTMX)
    assert marked.status == 200
    assert own_postgres.query(
        "SELECT level FROM progress_confidencemark m JOIN accounts_user u ON u.id = m.user_id "
        "WHERE u.username = 'lena'"
    ) == [(4,)]

    # One JSON line per request in the server's log, and no traceback anywhere.
    log = serving.log()
    requests = [json.loads(line) for line in log.splitlines() if '"studyhub.request"' in line]
    seen = {(entry["path"], entry["status"]) for entry in requests}
    assert {(health_check, 200), (health_check, 503), (home, 503), (home, 200)} <= seen
    assert all(isinstance(entry["duration_ms"], float) for entry in requests)
    assert "Traceback" not in log


def test_the_outage_page_names_its_icon_so_browsers_do_not_ask_for_favicon_ico(
    logged_in_client, question
):
    """A page without <link rel=icon> makes Chromium request /favicon.ico, which
    would pass through the middleware that needs the database."""
    page = reverse("progress:question_detail", args=[question.key])
    with database_down(OperationalError("server closed the connection unexpectedly")):
        response = logged_in_client.get(page)
    assert response.status_code == 503
    assert b'rel="icon" href="/static/img/favicon.svg"' in response.content


def test_the_server_error_page_names_its_icon(db):
    request = RequestFactory().get(reverse("progress:dashboard"))
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert b'rel="icon" href="/static/img/favicon.svg"' in response.content


def test_favicon_ico_points_at_the_static_icon(client, db):
    response = client.get(reverse("favicon"))
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_concurrent_marks_and_notes_through_a_database_outage(own_postgres, serving):
    """Learners keep marking and writing notes while PostgreSQL stops and starts: 503
    only while it is away, never a 500, everything answered as saved is stored once,
    /healthz truthful throughout, and the same server carries on afterwards."""
    keys = json.loads(serving.manage("shell", "-c", CREATE_LEARNERS).splitlines()[-1])
    probe = serving.client()

    with Learners(serving, keys) as learners:
        time.sleep(1.5)
        stopping_at = time.monotonic()
        own_postgres.stop()
        health = wait_for_health(probe, lambda status, report: status == 503)
        assert health == (503, {"status": "unavailable", "database": "unreachable"})
        time.sleep(1.5)
        own_postgres.start()
        back_at = time.monotonic()
        health = wait_for_health(probe, lambda status, report: status == 200)
        assert health == (200, {"status": "ok", "database": "ok"})
        time.sleep(1.5)

    answers = learners.answers
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 503}, statuses  # never a 500, always an answer
    assert statuses[503] > 0  # the outage was seen
    # 503 only for requests that overlapped the outage (with a second's grace for a
    # connection that was already being opened when the server came back).
    late = [
        a
        for a in answers
        if a.status == 503 and not (a.ended >= stopping_at and a.started <= back_at + 1)
    ]
    assert late == []
    # After the outage every request is served again, by the same server.
    after = [a for a in answers if a.started > back_at + 1]
    assert after and all(a.status == 200 for a in after)
    refused_but_committed = check_writes(serving, answers)
    print(f"{len(answers)} answers {dict(statuses)}; {refused_but_committed} answered 503 "
          "but committed")  # fmt: skip
    log = serving.log()
    assert "Traceback" not in log
