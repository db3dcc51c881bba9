"""Who is asking (docs/api.md): a personal access token (`Authorization: Bearer shp_…`)
or the browser's session, whose unsafe requests need the CSRF token, as a page's do.
And how often: `PER_MINUTE` requests a minute per person, counted in the database so
every worker counts together, answered 429 with Retry-After beyond it."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth
from ninja.throttling import BaseThrottle

from accounts.models import AccessToken, RateCounter, User
from accounts.tokens import token_for

PER_MINUTE = 120
_WINDOW = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = token_for(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


#: Tokens first: a script with a token never needs a session, nor its CSRF token.
AUTH: list[Any] = [TokenAuth(), django_auth]


def token_of(request: HttpRequest) -> AccessToken | None:
    return getattr(request, "api_token", None)


def require_write(request: HttpRequest) -> None:
    """A change needs a read-and-write token (or the browser's session)."""
    token = token_of(request)
    if token is not None and not token.can_write:
        raise HttpError(403, "This token is read-only: make a read-and-write token to change data.")


class PerPerson(BaseThrottle):
    """One instance serves every request: what `wait` reports is kept per thread."""

    def __init__(self) -> None:
        self._refused = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        key = f"api:{request.user.pk}"
        if RateCounter.objects.hit(key, limit=PER_MINUTE, window=_WINDOW):
            return True
        self._refused.resets_at = RateCounter.objects.resets_at(key)
        return False

    def wait(self) -> float | None:
        resets_at = getattr(self._refused, "resets_at", None)
        if resets_at is None:
            return _WINDOW.total_seconds()
        return max(1.0, (resets_at - timezone.now()).total_seconds())
