"""Django's Redis cache, made optional at run time: while Redis is down, it is a miss.

Nothing in StudyHub reads or writes Django's cache today: pages are rendered on every
request, sessions live in the database by default (settings.SESSION_ENGINE) and
django-axes and the password-reset limits count in the database. REDIS_URL still puts
the cache on Redis: sessions use it when DJANGO_SESSION_ENGINE is ``cached_db``
(docs/deploy.md advises the database engine), and so would data cached later; /healthz
reports it. Whatever uses it, Redis must never fail or stall a request:

- **Short timeouts, no retries.** Connecting and each command give up after
  ``socket_connect_timeout`` / ``socket_timeout`` (settings.REDIS_TIMEOUT_MS, 250 ms by
  default), and redis-py is told not to retry: a paused Redis costs a request a fraction
  of a second, not as long as the pause.
- **A miss instead of an error.** When Redis fails, ``get`` answers the default,
  ``get_many`` nothing, ``set``/``delete`` do nothing, ``add`` answers True and ``incr``
  the delta (as Django's DummyCache, a cache that stores nothing, would). Everything
  built on the cache fails open: cached_db sessions are read from the database.
- **A circuit breaker.** After a failure this process skips Redis for
  ``down_seconds`` (settings.REDIS_RETRY_SECONDS, 5 s), so while Redis is away no
  request pays the timeout; then one call tries again. One warning is logged when
  Redis goes away and one line when it is back, per process, not one per call.
- **Nothing stale once Redis is back.** A write that was skipped or failed (a session
  saved or deleted) may have left an older value in Redis, so those keys are deleted
  before anything else is read after Redis returns (all of Redis's database is flushed
  if more than ``MAX_SKIPPED_KEYS`` piled up). The Redis database must therefore be
  StudyHub's own cache.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

#: Defaults when CACHES gives none (settings.py sets them from the environment).
DEFAULT_TIMEOUT_SECONDS = 0.25
DEFAULT_DOWN_SECONDS = 5.0
#: Keys remembered per process while Redis is away; beyond that, Redis's database is
#: flushed when it returns (every entry is rebuilt from the database on demand).
MAX_SKIPPED_KEYS = 10_000


def without_password(location: str) -> str:
    """A Redis URL (or several, comma-separated) as it may be logged: no user or password."""
    servers = []
    for url in location.split(","):
        parts = urlsplit(url.strip())
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        servers.append(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
    return ",".join(servers)


class _Breaker:
    """Whether this process is skipping one Redis server, and what it did not write."""

    def __init__(self, location: str, down_seconds: float) -> None:
        self.location = without_password(location)  # for the log
        self.down_seconds = down_seconds
        self.lock = threading.Lock()
        self.down = False  # an outage is under way (a warning was logged)
        self.skip_until = 0.0
        self.skipped: set[str] = set()
        self.overflowed = False

    def allow(self) -> bool:
        """May this call go to Redis? While down, one call per period tries again."""
        if not self.down:
            return True
        with self.lock:
            now = time.monotonic()
            if now < self.skip_until:
                return False
            self.skip_until = now + self.down_seconds  # this caller probes; others skip
            return True

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.skip_until = time.monotonic() + self.down_seconds
            if self.down:
                return
            self.down = True
        logger.warning(
            "Redis unavailable (%s: %s): serving without the cache, trying again every %s s",
            type(error).__name__,
            error,
            self.down_seconds,
            extra={"cache": self.location},
        )

    def remember(self, keys: Iterable[str]) -> None:
        with self.lock:
            if self.overflowed:
                return
            self.skipped.update(keys)
            if len(self.skipped) > MAX_SKIPPED_KEYS:
                self.overflowed, self.skipped = True, set()

    def pending(self) -> tuple[bool, list[str]]:
        with self.lock:
            return self.overflowed, list(self.skipped)

    def recovered(self, flushed: bool, keys: list[str]) -> None:
        with self.lock:
            self.skipped.difference_update(keys)
            if flushed:
                self.overflowed = False
            was_down, self.down = self.down, False
        if was_down:
            logger.info("Redis is back: using the cache again", extra={"cache": self.location})


_breakers: dict[tuple[str, float], _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker(location: str, down_seconds: float) -> _Breaker:
    # Django keeps one cache object per thread; the breaker is shared by the process.
    with _breakers_lock:
        key = (location, down_seconds)
        if key not in _breakers:
            _breakers[key] = _Breaker(location, down_seconds)
        return _breakers[key]


def _degrading(
    *, miss: Callable[..., Any], writes: Callable[..., Iterable[str]] | None = None
) -> Callable:
    """Run a cache method through the breaker: `miss(*args, **kwargs)` is the answer
    while Redis is unavailable; `writes(*args, **kwargs)` names the keys it would
    have written, to be deleted once Redis is back."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: StudyHubRedisCache, *args: Any, **kwargs: Any) -> Any:
            if self._usable():
                try:
                    return method(self, *args, **kwargs)
                except self._unavailable_errors as error:
                    self._breaker.failed(error)
            if writes is not None:
                self._breaker.remember(self._made_keys(writes(*args, **kwargs), kwargs))
            return miss(*args, **kwargs)

        return wrapper

    return decorate


def _one_key(key: str, *args: Any, **kwargs: Any) -> list[str]:
    return [key]


def _dict_keys(data: dict[str, Any], *args: Any, **kwargs: Any) -> list[str]:
    return list(data)


def _list_keys(keys: Iterable[str], *args: Any, **kwargs: Any) -> list[str]:
    return list(keys)


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


def _delta(key: str, delta: int = 1, *args: Any, **kwargs: Any) -> int:
    return delta


class StudyHubRedisCache(RedisCache):
    # Set by Django's RedisCache; django-stubs leaves them out.
    _servers: list[str]
    _cache: RedisCacheClient

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": dict(params.get("OPTIONS") or {})}
        options = params["OPTIONS"]
        down_seconds = float(options.pop("down_seconds", DEFAULT_DOWN_SECONDS))
        options.setdefault("socket_connect_timeout", DEFAULT_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", DEFAULT_TIMEOUT_SECONDS)
        # A failed command is not retried: the breaker decides when to try again.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, params)
        self._breaker = _breaker(self._servers[0], down_seconds)
        self._unavailable_errors = (redis.RedisError, OSError)

    def _made_keys(self, keys: Iterable[str], kwargs: dict[str, Any]) -> list[str]:
        return [self.make_key(key, version=kwargs.get("version")) for key in keys]

    def _usable(self) -> bool:
        """True when a call may go to Redis, after deleting what a skipped write may
        have left stale there (once per recovery)."""
        if not self._breaker.allow():
            return False
        flush, keys = self._breaker.pending()
        if not (flush or keys or self._breaker.down):
            return True
        try:
            client = self._cache.get_client(write=True)
            if flush:
                client.flushdb()
            elif keys:
                for start in range(0, len(keys), 500):
                    client.delete(*keys[start : start + 500])
            else:
                client.ping()
        except self._unavailable_errors as error:
            self._breaker.failed(error)
            return False
        self._breaker.recovered(flush, keys)
        return True

    def ping(self) -> bool:
        """Can this process use Redis right now? Bounded by the timeouts, and free
        while the breaker is open."""
        if not self._usable():
            return False
        try:
            return bool(self._cache.get_client(write=True).ping())
        except self._unavailable_errors as error:
            self._breaker.failed(error)
            return False

    get = _degrading(miss=_default)(RedisCache.get)
    get_many = _degrading(miss=lambda *args, **kwargs: {})(RedisCache.get_many)
    has_key = _degrading(miss=lambda *args, **kwargs: False)(RedisCache.has_key)
    set = _degrading(miss=lambda *args, **kwargs: None, writes=_one_key)(RedisCache.set)
    add = _degrading(miss=lambda *args, **kwargs: True, writes=_one_key)(RedisCache.add)
    touch = _degrading(miss=lambda *args, **kwargs: False, writes=_one_key)(RedisCache.touch)
    incr = _degrading(miss=_delta, writes=_one_key)(RedisCache.incr)
    delete = _degrading(miss=lambda *args, **kwargs: False, writes=_one_key)(RedisCache.delete)
    set_many = _degrading(miss=lambda *args, **kwargs: [], writes=_dict_keys)(RedisCache.set_many)
    delete_many = _degrading(miss=lambda *args, **kwargs: None, writes=_list_keys)(
        RedisCache.delete_many
    )
    clear = _degrading(miss=lambda *args, **kwargs: False)(RedisCache.clear)


def cache_status() -> str | None:
    """ "ok" or "unavailable" for a shared cache (Redis), None for a per-process one."""
    cache = caches["default"]
    if not isinstance(cache, StudyHubRedisCache):
        return None
    return "ok" if cache.ping() else "unavailable"
