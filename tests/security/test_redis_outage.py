"""Redis going away or freezing: every signed-in request is still served, quickly, from
the database; /healthz says the cache is unavailable but keeps the server in the pool
(the app works without Redis).

Redis here holds the sessions (cached_db), the one thing that still uses Django's cache
when a deployment chooses it. First in-process, with Django's test client and a Redis
that is not there or is paused; then for real: `make serve` (gunicorn, production
settings, cached_db sessions) on a redis-server of the test's own that is paused,
killed and started again on the same port while learners mark questions and write notes.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from progress.models import ConfidenceMark, Note
from tests.factories import make_bank
from tests.pages import HTMX
from tests.security.conftest import PRODUCTION_ENV, clean_environment
from tests.security.learners import CREATE_LEARNERS, Learners, check_writes, wait_for_health
from tests.security.own_postgres import Serving, free_port
from tests.security.own_redis import running_redis

CACHED_DB = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def own_redis(tmp_path):
    with running_redis(tmp_path) as server:
        yield server


def use_redis(settings, url: str, *, down_seconds: float = 60) -> None:
    """The production cache settings (settings.py) on `url`, and cached_db sessions."""
    timeout = django_settings.REDIS_TIMEOUT_MS / 1000
    settings.CACHES = {
        "default": {
            "BACKEND": "studyhub.cache.StudyHubRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                "down_seconds": down_seconds,
            },
        }
    }
    settings.SESSION_ENGINE = CACHED_DB


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=2)[0].questions.first()


def test_a_signed_in_learner_is_served_without_redis(client, user, password, question, settings):
    """Log in, read the question page, mark, write a note, log out."""
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    url = reverse("progress:question_detail", args=[question.key])
    mark_url = reverse("progress:mark_confidence", args=[question.key])
    note_url = reverse("progress:edit_note", args=[question.key])

    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": password}
    )
    assert response.status_code == 302
    assert "Lee Learner" in client.get(url).content.decode()
    assert client.get(url).status_code == 200  # the session: a miss, never an error
    marked = client.post(mark_url, {"level": "4"}, headers=HTMX)
    assert marked.status_code == 200
    saved = client.post(note_url, {"text": "Kept", "autosave": "1"}, headers=HTMX)
    assert saved.status_code == 200
    assert ConfidenceMark.objects.get(user=user, question=question).level == 4
    assert Note.objects.get(user=user, question=question).text == "Kept"

    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302  # signed out: log in


def test_a_log_out_while_redis_is_paused_is_quick_and_stays_a_log_out(
    client, user, password, question, settings, own_redis
):
    """The session is deleted from the database; Redis's copy, which the paused Redis
    could not be told about, is deleted when it is back, so the old cookie is dead."""
    use_redis(settings, own_redis.url, down_seconds=0.2)
    client.post(reverse("accounts:login"), {"username": user.username, "password": password})
    assert client.get(reverse("accounts:profile")).status_code == 200  # the session, in Redis
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    own_redis.pause()
    resume = threading.Timer(5, own_redis.resume)  # a regression fails, never hangs
    resume.start()
    try:
        started = time.monotonic()
        assert client.post(reverse("accounts:logout")).status_code == 302
        elapsed = time.monotonic() - started
    finally:
        resume.cancel()
        own_redis.resume()
    assert elapsed < 2.5  # one 250 ms timeout, then Redis is skipped; not the pause

    time.sleep(0.3)  # the retry period: the next call finds Redis back
    client.cookies[django_settings.SESSION_COOKIE_NAME] = cookie  # a stolen copy, say
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_healthz_reports_the_cache_and_stays_up_without_it(client, db, settings, own_redis):
    use_redis(settings, own_redis.url, down_seconds=0.2)
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "database": "ok", "cache": "ok"},
    )

    own_redis.kill()
    response = client.get(reverse("healthz"))
    # Requests are served without Redis, so a load balancer must keep sending them.
    assert (response.status_code, response.json()) == (
        200,
        {"status": "degraded", "database": "ok", "cache": "unavailable"},
    )

    own_redis.start()
    time.sleep(0.3)
    response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


# --- For real: make serve on a redis-server of our own ---------------------------------


@pytest.fixture
def serving_with_redis(own_redis, tmp_path, collected_static):
    """`make serve` with production settings on SQLite and `own_redis`: cached_db
    sessions, a 1 s retry period. Learners and the seed bank loaded."""
    env = clean_environment(
        **{
            **PRODUCTION_ENV,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": own_redis.url,
            "DJANGO_SESSION_ENGINE": CACHED_DB,
            "DJANGO_REDIS_RETRY_SECONDS": "1",
            **collected_static,
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
        }
    )
    app = Serving(django_settings.BASE_DIR, env, tmp_path)
    try:
        app.start()
        app.manage("load_question_bank")
        app.keys = json.loads(app.manage("shell", "-c", CREATE_LEARNERS).splitlines()[-1])
        yield app
    finally:
        app.stop()


def cache_is(state: str):
    return lambda status, report: report.get("cache") == state


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_make_serve_keeps_serving_while_redis_pauses_and_dies(own_redis, serving_with_redis):
    app = serving_with_redis
    probe = app.client()
    assert probe.get(reverse("healthz")).json() == {"status": "ok", "database": "ok", "cache": "ok"}

    with Learners(app, app.keys) as learners:
        time.sleep(1.5)
        # Paused: connections hang instead of failing (a long fork, a stalled VM).
        own_redis.pause()
        paused_at = time.monotonic()
        try:
            time.sleep(1)
            # Requests are served without Redis: the server stays in the pool.
            health = wait_for_health(probe, cache_is("unavailable"))
            assert health == (200, {"status": "degraded", "database": "ok", "cache": "unavailable"})
            time.sleep(2)
        finally:
            resumed_at = time.monotonic()
            own_redis.resume()
        assert wait_for_health(probe, cache_is("ok"))[1]["status"] == "ok"

        # Dead: everything it held is gone; then started again on the same port.
        own_redis.kill()
        assert wait_for_health(probe, cache_is("unavailable"))[0] == 200
        time.sleep(2)
        own_redis.start()
        assert wait_for_health(probe, cache_is("ok"))[1]["status"] == "ok"  # no app restart
        time.sleep(1.5)

    answers = learners.answers
    statuses = Counter(a.status for a in answers)
    assert set(statuses) == {200}, statuses  # no 500, no 503, nothing unanswered
    # Requests went on during the pause instead of waiting for it to end.
    during_pause = [a for a in answers if paused_at + 0.5 < a.started and a.ended < resumed_at]
    slowest = max(a.ended - a.started for a in answers)
    print(f"{len(answers)} answers {dict(statuses)}; {len(during_pause)} in the pause; "
          f"slowest {slowest:.2f} s")  # fmt: skip
    assert len(during_pause) >= 10
    assert check_writes(app, answers) == 0

    # Every learner is still signed in: sessions live in the database too.
    for n, client in enumerate(learners.clients):
        assert f"Hello, Learner {n}" in client.get(reverse("progress:dashboard")).text

    page = probe.get(reverse("accounts:login"))
    assert page.headers["Permissions-Policy"].startswith("accelerometer=()")
    assert "camera=()" in page.headers["Permissions-Policy"]
    assert page.headers.get("Server") is None  # gunicorn's name is not sent
    static = probe.get("/static/css/studyhub.css")
    assert static.status == 200 and "camera=()" in static.headers["Permissions-Policy"]

    log = app.log()
    assert "Traceback" not in log
    warnings = re.findall(r'"message": "Redis unavailable', log)
    assert 1 <= len(warnings) <= 2 * 2  # once per outage and worker, not once per call
