"""Serving: the health check, the structured request log, gunicorn's settings, make serve.

`make serve` itself runs end to end in test_database_outage.py.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse, reverse_lazy

from studyhub.jsonlog import JsonFormatter
from studyhub.security import client_ip
from tests.teams.factories import make_team


def test_healthz_answers_ok_without_a_session(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers  # nothing to keep for a load balancer
    assert client.post(reverse("healthz")).status_code == 405


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="studyhub.request")
    return lambda: [r for r in caplog.records if r.name == "studyhub.request"]


def test_every_request_is_logged_with_its_facts(logged_in_client, user, request_log):
    notes = reverse("progress:note_list")
    response = logged_in_client.get(f"{notes}?page=2", headers={"X-Request-ID": "abc-123"})

    (record,) = request_log()
    assert (record.method, record.path, record.status) == ("GET", notes, 200)
    assert record.user_id == user.pk
    assert record.client_ip == "127.0.0.1"
    assert record.htmx is False
    assert record.duration_ms >= 0
    # The proxy's request id is kept and sent back, so one request can be followed.
    assert record.request_id == "abc-123"
    assert response["X-Request-ID"] == "abc-123"


def test_a_request_without_a_sane_id_gets_a_new_one(client, db, request_log):
    response = client.get(
        reverse("accounts:login"), headers={"X-Request-ID": "bad id\nwith newline"}
    )

    (record,) = request_log()
    assert len(record.request_id) == 32 and record.request_id.isalnum()
    assert response["X-Request-ID"] == record.request_id
    assert record.user_id is None


def test_errors_are_logged_at_their_level(client, db, request_log):
    client.get("/no-such-page/")
    (record,) = request_log()
    assert (record.status, record.levelname) == (404, "WARNING")


def with_names_for_values(url_name: str, *names: str) -> str:
    """The address with each named part written as "<name>", as the log writes secrets."""
    return unquote(reverse(url_name, kwargs={name: f"<{name}>" for name in names}))


def test_secrets_in_addresses_stay_out_of_the_log(logged_in_client, user, request_log):
    team = make_team("Team", instructor=user)
    reset = "accounts:password_reset_confirm"
    logged_in_client.get(reverse("teams:team_join", args=[team.invite_code]))
    logged_in_client.get(reverse(reset, kwargs={"uidb64": "MQ", "token": "set-a-secret-token"}))

    paths = [record.path for record in request_log()]
    assert paths == [
        with_names_for_values("teams:team_join", "code"),
        with_names_for_values(reset, "uidb64", "token"),
    ]


def test_log_lines_are_json_objects_with_the_extra_fields():
    record = logging.LogRecord("studyhub.request", logging.INFO, "x", 1, "GET / 200", (), None)
    record.status = 200
    record.path = "/"
    record.request = object()  # Django's request on a record is not data

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "INFO"
    assert entry["logger"] == "studyhub.request"
    assert entry["message"] == "GET / 200"
    assert (entry["status"], entry["path"]) == (200, "/")
    assert "request" not in entry
    assert entry["time"].endswith("+00:00")


def test_exceptions_are_kept_in_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "x", 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


# --- Client addresses behind proxies -------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.9"),  # no proxy: the header is the client's own invention
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),  # what the client sent comes first, ignored
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.3", "1.1.1.1"),
        (2, "1.1.1.1", "10.0.0.9"),  # fewer entries than proxies: not trusted
        (1, "not-an-address", "10.0.0.9"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_counted_from_the_right(settings, count, forwarded, expected):
    settings.PROXY_COUNT = count
    request = RequestFactory().get(
        reverse("progress:dashboard"), REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


# --- gunicorn and make serve -------------------------------------------------------------


def load_gunicorn_conf(monkeypatch, **env: str):
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", settings.BASE_DIR / "gunicorn.conf.py"
    )
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_uses_sync_workers_sized_from_the_cores(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    conf = load_gunicorn_conf(monkeypatch)

    # One request at a time a process, so a busy process takes no new connection
    # (bench/results/2026-12-05-sync-workers.md).
    assert conf.worker_class == "sync"
    assert (conf.workers, conf.threads) == (5, 1)
    assert conf.bind == "127.0.0.1:8000"
    assert conf.accesslog is None  # Django's request log already has every request

    conf = load_gunicorn_conf(monkeypatch, GUNICORN_WORKERS="2", GUNICORN_THREADS="8")
    assert (conf.workers, conf.threads, conf.worker_class) == (2, 8, "gthread")


def test_the_master_loads_the_answer_checks_model_before_workers_fork(monkeypatch):
    from questions import semantic

    monkeypatch.setattr(semantic, "_model", None)
    monkeypatch.setattr(semantic, "_failed", False)
    load_gunicorn_conf(monkeypatch).on_starting(server=None)
    assert semantic._model is not None


def test_a_worker_hides_what_it_loaded_from_the_garbage_collector(monkeypatch):
    import gc

    try:
        load_gunicorn_conf(monkeypatch).post_worker_init(worker=None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_make_serve_collects_static_files_migrates_and_starts_gunicorn():
    result = subprocess.run(
        # --no-print-directory: under `make test` the inner make would announce itself.
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "serve", "PORT=9999"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines == [
        'if [ "1" = 1 ]; then .venv/bin/python manage.py collectstatic --noinput --verbosity 0; fi',
        'if [ "1" = 1 ]; then .venv/bin/python manage.py migrate --noinput; fi',
        "exec .venv/bin/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:9999 studyhub.wsgi",
    ]


def test_make_serve_can_skip_collecting_and_migrating():
    result = subprocess.run(
        [
            *("make", "--no-print-directory", "-n", "-o", ".venv/.installed", "serve"),
            *("SERVE_COLLECTSTATIC=0", "SERVE_MIGRATE=0"),
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert 'if [ "0" = 1 ]; then .venv/bin/python manage.py collectstatic' in result.stdout
    assert 'if [ "0" = 1 ]; then .venv/bin/python manage.py migrate' in result.stdout


# --- Headers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [reverse_lazy("accounts:login"), "/no-such-page/", reverse_lazy("healthz")],
    ids=["login", "not-found", "healthz"],
)
def test_every_response_denies_the_browser_features_studyhub_never_uses(client, db, path):
    policy = client.get(path)["Permissions-Policy"]
    features = dict(item.split("=") for item in policy.split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()"  # denied to the page and to any frame


def test_gunicorn_sends_no_server_header(monkeypatch):
    """gunicorn writes "Server: gunicorn" itself; gunicorn.conf.py leaves it out.
    (A real gunicorn is checked in test_redis_outage.py.)"""
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    try:
        load_gunicorn_conf(monkeypatch)
        request = type("Request", (), {"version": (1, 1), "should_close": lambda self: True})
        response = wsgi.Response(request(), sock=None, cfg=None)
        response.status = "200 OK"
        lines = response.default_headers()
    finally:
        wsgi.Response.default_headers = original
    assert lines[0] == "HTTP/1.1 200 OK\r\n"
    assert not any(line.lower().startswith("server:") for line in lines)
