"""Who is asking: the client's address behind the proxies we were told about."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, for log-in throttling and the request log.

    Each of the ``PROXY_COUNT`` proxies in front of the app appends the address it
    was connected from to X-Forwarded-For, so the client is that many entries from
    the right. Entries further left are whatever the client chose to send, so they
    are never used: a client cannot pick an address to dodge the throttle.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
