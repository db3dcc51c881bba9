"""Request types for views, so mypy knows what middleware put on the request."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """Any request a view gets: django_htmx.middleware.HtmxMiddleware sets ``htmx`` on all
    of them (the type django-htmx's documentation suggests)."""

    htmx: HtmxDetails


def local_url(request: HttpRequest, url: str) -> str:
    """`url` (a `next` a form or link carried) when it is a path on this site, else "":
    never send anyone on to another site."""
    safe = url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


def id_or_none(value: object) -> int | None:
    """`value` as a database id when it is one: ASCII digits that fit a bigint. Anything
    else (a word, "²", a number of thousands of digits) is None, never an error."""
    text = str(value)
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return None
