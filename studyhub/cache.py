"""Django's Redis cache, without two per-call costs that every request pays.

Every page for a signed-in person reads its session (``cached_db``) and its page-cache
tokens from Redis, so each cache call matters (docs/performance.md):

- Django's client wraps its connection pool in a new ``redis.Redis`` object on every
  call, about 80 µs here; this one keeps one per pool. ``redis.Redis`` is thread-safe
  (each command borrows a pooled connection), and Django already keeps one cache
  object per thread.
- Keys are checked for characters memcached cannot store and a warning is raised;
  Redis stores any key, and this project's keys are its own.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class StudyHubRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

    def validate_key(self, key: str) -> None:
        """Redis takes any key: no memcached warnings."""
