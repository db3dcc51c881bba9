"""Project-wide middleware: the request log, the database-down page, private caching,
the Permissions-Policy header, each person's time zone."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from studyhub.security import client_ip
from studyhub.views import (
    bad_request,
    database_error,
    favicon,
    healthz,
    is_database_unavailable,
    service_unavailable,
)

request_logger = logging.getLogger("studyhub.request")

#: URL parameters that are secrets (a password-reset token, an invite code): the
#: request log shows the parameter's name instead of its value.
SECRET_URL_PARAMETERS = ("uidb64", "token", "code")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: The range of the largest integer column (BigAutoField ids).
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


class LoggedHttpRequest(HttpRequest):
    """A request as RequestLogMiddleware passes it on: with the id of its log line."""

    request_id: str


class RequestLogMiddleware:
    """One structured line per request: method, path, status, time taken, who, and an id.

    The id comes from the proxy's X-Request-ID when it sends a sane one, so a request
    can be followed from the proxy's log into ours; it is sent back on the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: LoggedHttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id

        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else 0
        path = logged_path(request)
        request_logger.log(
            level or logging.INFO,
            "%s %s %s",
            request.method,
            path,
            status,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
                "client_ip": client_ip(request),
                "htmx": request.headers.get("HX-Request") == "true",
            },
        )
        return response


def logged_path(request: HttpRequest) -> str:
    """The request path without its query string, secrets replaced by their names."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_PARAMETERS:
            if value := match.kwargs.get(name):
                path = path.replace(str(value), f"<{name}>")
    return path


def _user_id(request: HttpRequest) -> int | None:
    # Only a user the request already looked up: the log must not query the database.
    user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None


class DatabaseErrorsMiddleware:
    """What the database cannot do becomes a clear answer instead of a 500.

    - Unreachable (down, restarting, too slow): 503 with a friendly page. Errors raised
      outside views (in other middleware) reach the same page through ``handler500``
      (studyhub.views.server_error).
    - An id in the address beyond any integer column, or with a NUL character: 404
      before the view runs, as no such object can exist (SQLite would raise
      OverflowError, PostgreSQL DataError).
    - A value in a form or query beyond what a column holds: 400 saying so.
    - Any other database error is the request's own fault, not an outage ("Expression
      tree is too large"): the plain 500 page, logged as an error with the request id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not BIGINT_MIN <= value <= BIGINT_MAX:
                raise Http404("No such object.")
            if isinstance(value, str) and "\x00" in value:
                raise Http404("No such object.")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return database_error_response(request, exception)


def database_error_response(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """The answer to a database error (DatabaseErrorsMiddleware); None for other errors."""
    if is_database_unavailable(exception):
        return service_unavailable(request, exception)
    if isinstance(exception, (OverflowError, DataError)):
        return bad_request(request, exception)
    if isinstance(exception, DatabaseError):
        return database_error(request, exception)
    return None


class PermissionsPolicyMiddleware:
    """A Permissions-Policy header on every response (static files too: it sits above
    WhiteNoise), denying the browser features StudyHub never uses, to its own pages and
    any frame (settings.PERMISSIONS_POLICY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class PrivatePagesMiddleware:
    """Pages for a signed-in person are never stored by browsers or proxies.

    ``Cache-Control: no-store`` keeps private pages out of shared caches and off the
    disk, and makes the back button after log-out fetch the page again (and find a
    log-in page) instead of showing it from the cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_private(request):
            patch_cache_control(response, no_store=True, private=True)
        return response


def _is_private(request: HttpRequest) -> bool:
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    user = getattr(request, "_cached_user", None)
    return user is not None and user.is_authenticated


class TimeZoneMiddleware:
    """Times and dates in a signed-in person's own time zone (User.time_zone), everyone
    else in the site's (settings.TIME_ZONE).

    Activating the zone is all it takes: templates convert times to it, and
    `timezone.localdate()`/`localtime()` and the database's date truncations use it, so
    "due today", the calendar and the streak end at the person's own midnight.

    It costs no query of its own: the zone is a column of the user row, which every page
    reads anyway (and, once read, the view is given the user itself, not Django's lazy
    proxy), and a request without a session cookie is anonymous without asking.
    The views in USERLESS_VIEWS never read the user, so they are left alone: the health
    check keeps answering its JSON with a session cookie while the database is down.

    Reading the user is then often the request's first query, so a database outage may
    first show here, before the view: it gets the answer a view would get
    (DatabaseErrorsMiddleware), not handler500's. Sitting below PrivatePagesMiddleware
    and CSPMiddleware, that answer gets their headers too.
    """

    USERLESS_VIEWS = (healthz, favicon)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # The thread serves someone else next.
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if view_func in self.USERLESS_VIEWS:
            return None
        try:
            # is_authenticated looks the user up: request.user is lazy. `zone` is
            # accounts.User.zone, read by name, as this layer imports no app.
            user = request.user
            zone = getattr(user, "zone", None) if user.is_authenticated else None
        except Exception as error:  # a driver's own error may escape Django's wrapping
            response = database_error_response(request, error)
            if response is None:
                raise
            return response
        # Loaded now, the view gets the user itself rather than the lazy proxy, whose
        # every attribute read (hundreds a page, in queries and templates) takes a
        # detour: 6% of a page's time.
        request.user = getattr(request, "_cached_user", user)
        if zone is not None:
            timezone.activate(zone)
        return None
