"""studyhub.cache.StudyHubRedisCache against the machine's Redis (database 14), which
production uses for sessions and page-cache tokens (docs/deploy.md)."""

from __future__ import annotations

import socket
import warnings

import pytest

from studyhub.cache import StudyHubRedisCache

REDIS_URL = "redis://127.0.0.1:6379/14"


def _redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_running(), reason="no Redis on 127.0.0.1:6379 (apt-get install redis-server)"
)


@pytest.fixture
def redis_cache():
    cache = StudyHubRedisCache(REDIS_URL, {})
    cache.clear()
    yield cache
    cache.clear()


def test_it_is_a_working_cache(redis_cache):
    redis_cache.set("page", (("token",), {"Content-Type": "text/html"}, b"<p>hi</p>"), 30)
    assert redis_cache.get("page") == (("token",), {"Content-Type": "text/html"}, b"<p>hi</p>")
    assert redis_cache.add("page", "other", 30) is False
    redis_cache.set_many({"a": 1, "b": [2, 3]}, 30)
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2, 3]}
    redis_cache.delete("a")
    assert redis_cache.get("a", "gone") == "gone"


def test_one_redis_client_serves_every_call(redis_cache):
    """Django's own client builds a redis.Redis object on every call."""
    client = redis_cache._cache.get_client(write=True)
    redis_cache.set("x", 1, 30)
    redis_cache.get("x")
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client("x") is client  # one server: reads use it too


def test_keys_are_not_checked_against_memcached_rules(redis_cache):
    key = "page cache key with spaces " + "x" * 300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        redis_cache.set(key, "kept", 30)
    assert redis_cache.get(key) == "kept"
