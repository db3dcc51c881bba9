"""Personal access tokens for the API (docs/api.md).

A token is "shp_" and 43 characters of URL-safe randomness (32 bytes). It is shown to
its owner once, when made; the database keeps its SHA-256 and its first characters.
Its last use is written at most once a minute, so reading the API is not a write a
request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import AccessToken, User

PREFIX = "shp_"
#: How many tokens one person may hold at once, revoked ones aside.
TOKENS_MAX = 20
LAST_USE_EVERY = timedelta(minutes=1)


class TooManyTokens(Exception):
    pass


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_token(
    *, user: User, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[AccessToken, str]:
    """A new token and its text, which is never stored and cannot be shown again."""
    if user.access_tokens.filter(revoked_at__isnull=True).count() >= TOKENS_MAX:
        raise TooManyTokens(f"You have {TOKENS_MAX} tokens: revoke one you no longer use first.")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        expires_at=expires_at,
        token_hash=hash_token(plain),
        prefix=plain[: len(PREFIX) + 6],
    )
    return token, plain


def token_for(plain: str) -> AccessToken | None:
    """The usable token this text is, with its user loaded; None for any other text."""
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    token = (
        AccessToken.objects.usable()
        .select_related("user")
        .filter(token_hash=hash_token(plain), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_token(*, user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False if they have no such usable token."""
    return bool(
        user.access_tokens.filter(pk=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
