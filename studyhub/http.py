"""Request types for views, so mypy knows what middleware put on the request."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """Any request a view gets: django_htmx.middleware.HtmxMiddleware sets ``htmx`` on all
    of them (the type django-htmx's documentation suggests)."""

    htmx: HtmxDetails
