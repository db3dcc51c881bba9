"""Log-in lockout: per username and address (django-axes), and per address across usernames.

django-axes counts failures for each (username, address) pair and pauses a pair after
AXES_FAILURE_LIMIT of them. On its own that lets one address try a few passwords on
every username there is. Axes can also count per address, but with the same limit for
every count, and a successful log-in would then wipe the whole address's failures, so
an attacker could clear them by logging in to an account of their own. So the pair stays
axes' only count, and this handler adds a second, larger limit on the sum of the
address's failures over all usernames (LOGIN_ADDRESS_FAILURE_LIMIT in a cool-off).

The failures that count are those of usernames that have not since logged in from that
address (a success clears its own pair), so the typos of people who then get in do not
add up against a shared office or school address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import (
    get_client_ip_address,
    get_client_username,
    get_cool_off,
    get_failure_limit,
)
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class AxesHandler(AxesDatabaseHandler):
    """axes' database handler, also locking an address out after
    LOGIN_ADDRESS_FAILURE_LIMIT failures across all usernames (settings.AXES_HANDLER)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit and address_is_locked_out(request):
            # As many as the pair's limit: axes then locks this request like a pair's.
            return limit
        return failures


def _recent_address_attempts(request: HttpRequest) -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(
        ip_address=get_client_ip_address(request),
        attempt_time__gte=get_cool_off_threshold(request),
    )


def address_is_locked_out(request: HttpRequest) -> bool:
    failures = _recent_address_attempts(request).aggregate(n=Sum("failures_since_start"))["n"]
    return (failures or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


@dataclass(frozen=True)
class Lockout:
    """What the 429 page says: who is paused ("" for everyone at the address), after how
    many failures, and the last failure the cool-off runs from."""

    username: str
    failure_limit: int
    last_failure: datetime | None


def lockout_for(request: HttpRequest, username: str) -> Lockout:
    """Why a request from this address, for `username`, is locked out."""
    recent = _recent_address_attempts(request)
    pair = recent.filter(username=username).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    if (pair["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
        return Lockout(username, settings.AXES_FAILURE_LIMIT, pair["last"])
    # Locked as an address: free once its last counted failure is a cool-off old.
    last = recent.aggregate(last=Max("attempt_time"))["last"]
    return Lockout("", settings.LOGIN_ADDRESS_FAILURE_LIMIT, last)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a log-in during a cool-off: 429 and when to try again."""
    # Paused for this username, or for every username at this address (accounts.lockout).
    lockout = lockout_for(request, get_client_username(request, credentials) or "")
    cool_off = get_cool_off(request)
    retry_at = (lockout.last_failure or timezone.now()) + cool_off
    seconds_left = max(0, (retry_at - timezone.now()).total_seconds())
    context = {
        "username": lockout.username,
        "failure_limit": lockout.failure_limit,
        "cool_off_minutes": round(cool_off.total_seconds() / 60),
        "retry_at": retry_at,
        "minutes_left": max(1, math.ceil(seconds_left / 60)),
    }
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(math.ceil(seconds_left))
    return response
