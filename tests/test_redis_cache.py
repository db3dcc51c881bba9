"""studyhub.cache.StudyHubRedisCache, Django's cache when REDIS_URL is set (cached_db
sessions use it), against the machine's Redis (database 14; 15 beside PostgreSQL) and against a
redis-server of the test's own that is paused and killed: a miss, never an error."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
import redis
from django.conf import settings

from studyhub.cache import StudyHubRedisCache
from tests.security.own_postgres import free_port
from tests.security.own_redis import running_redis

#: A Redis database of its own for each test database: CI runs both suites at once.
REDIS_URL = "redis://127.0.0.1:6379/" + (
    "14" if "sqlite" in settings.DATABASES["default"]["ENGINE"] else "15"
)


def _redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_cache():
    if not _redis_running():
        pytest.skip("no Redis on 127.0.0.1:6379 (apt-get install redis-server)")
    cache = StudyHubRedisCache(REDIS_URL, {})
    cache.clear()
    yield cache
    cache.clear()


def test_it_is_a_working_cache(redis_cache):
    redis_cache.set("session", {"_auth_user_id": "1", "list": [1, 2]}, 30)
    assert redis_cache.get("session") == {"_auth_user_id": "1", "list": [1, 2]}
    assert redis_cache.add("session", "other", 30) is False
    redis_cache.set_many({"a": 1, "b": [2, 3]}, 30)
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2, 3]}
    redis_cache.delete("a")
    assert redis_cache.get("a", "gone") == "gone"


# --- While Redis is away: a miss, quickly, and nothing stale afterwards ------------------
# (a redis-server of the test's own, paused or killed; the shared one is never touched)


@pytest.fixture
def own_redis(tmp_path):
    with running_redis(tmp_path) as server:
        yield server


def degrading_cache(url: str, *, down_seconds: float = 0.3) -> StudyHubRedisCache:
    """A cache with the production timeouts (settings.REDIS_TIMEOUT_MS) and a short
    breaker, so a test waits little for the retry."""
    options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    return StudyHubRedisCache(url, {"OPTIONS": {**options, "down_seconds": down_seconds}})


def nothing_listening_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def count_connects(monkeypatch) -> list:
    calls = []
    connect = redis.connection.AbstractConnection.connect

    def counting(self, *args, **kwargs):
        calls.append(1)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counting)
    return calls


def test_without_redis_every_call_is_a_miss(caplog):
    cache = degrading_cache(nothing_listening_url(), down_seconds=60)

    with caplog.at_level(logging.WARNING, logger="studyhub.cache"):
        assert cache.get("a", "default") == "default"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set("a", 1, 30) is None
        assert cache.add("a", 1, 30) is True  # as DummyCache: callers go on without it
        assert cache.incr("counter", 3) == 3  # a throttle built on it fails open
        assert cache.delete("a") is False
        assert cache.set_many({"a": 1}, 30) == []
        cache.delete_many(["a"])
        assert cache.has_key("a") is False
        assert "a" not in cache
        assert cache.get_or_set("a", 7, 30) == 7
        assert cache.ping() is False

    warnings_logged = [r for r in caplog.records if r.name == "studyhub.cache"]
    assert len(warnings_logged) == 1  # one per outage, not one per call
    assert "Redis unavailable" in warnings_logged[0].getMessage()


def test_while_redis_is_down_calls_skip_it_until_the_retry(monkeypatch):
    cache = degrading_cache(nothing_listening_url(), down_seconds=0.3)
    connects = count_connects(monkeypatch)

    for _ in range(50):
        cache.get("a")
    assert len(connects) == 1  # the first call failed; the next 49 did not try

    time.sleep(0.35)
    cache.get("a")
    cache.get("a")
    assert len(connects) == 2  # one call tries again per retry period


def test_a_paused_redis_costs_one_short_timeout_not_the_pause(own_redis):
    cache = degrading_cache(own_redis.url, down_seconds=60)
    cache.set("a", 1, 30)
    own_redis.pause()
    # Without timeouts a call waits for as long as Redis is paused: resume it after 5 s
    # at the latest, so a regression fails instead of hanging.
    timer = threading.Timer(5, own_redis.resume)
    timer.start()
    try:
        started = time.monotonic()
        results = [cache.get("a", "miss") for _ in range(20)]
        elapsed = time.monotonic() - started
    finally:
        timer.cancel()
        own_redis.resume()

    assert results == ["miss"] * 20
    # 0.25 s read timeout (+ a connect on a fresh pool); a generous margin for a busy machine
    assert elapsed < 2.5


def test_writes_skipped_while_redis_was_away_leave_nothing_stale(own_redis):
    """A session deleted at log-out (or a value replaced) while Redis was paused must
    not come back from Redis's old copy when it resumes."""
    cache = degrading_cache(own_redis.url, down_seconds=0.2)
    cache.set("session", {"user": 1}, 300)
    cache.set("kept", "untouched", 300)
    own_redis.pause()
    try:
        assert cache.get("session") is None  # times out: a miss
        cache.delete("session")  # skipped: Redis still holds the old session
        cache.set("token", "new", 300)  # skipped too
    finally:
        own_redis.resume()

    time.sleep(0.25)
    assert cache.get("session") is None
    assert cache.get("token") is None  # not an old value either: it is made afresh
    assert cache.get("kept") == "untouched"  # only what was skipped is thrown away
    assert cache.ping() is True


def test_redis_killed_and_started_again_is_used_again(own_redis, caplog):
    cache = degrading_cache(own_redis.url, down_seconds=0.2)
    cache.set("a", 1, 30)
    own_redis.kill()
    with caplog.at_level(logging.INFO, logger="studyhub.cache"):
        assert cache.get("a", "miss") == "miss"
        assert cache.ping() is False
        own_redis.start()
        time.sleep(0.25)
        assert cache.ping() is True
    cache.set("b", 2, 30)
    assert cache.get("b") == 2
    messages = [r.getMessage() for r in caplog.records if r.name == "studyhub.cache"]
    assert len(messages) == 2
    assert messages[0].startswith("Redis unavailable")
    assert messages[1].startswith("Redis is back")


def test_an_outage_is_logged_without_the_redis_password(caplog):
    port = free_port()
    cache = degrading_cache(f"redis://:s3cret-pass@127.0.0.1:{port}/0", down_seconds=60)

    with caplog.at_level(logging.WARNING, logger="studyhub.cache"):
        assert cache.get("a") is None

    (record,) = [r for r in caplog.records if r.name == "studyhub.cache"]
    assert record.cache == f"redis://127.0.0.1:{port}/0"
    assert "s3cret" not in str(record.__dict__)
