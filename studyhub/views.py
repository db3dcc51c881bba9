"""Project-wide views: error pages, the log-in cool-off page and the health check."""

from __future__ import annotations

import logging
import math
import sqlite3
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, DataError, InterfaceError, OperationalError, connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

try:
    import psycopg
except ImportError:  # PostgreSQL support is optional for SQLite-only installs
    psycopg = None

logger = logging.getLogger(__name__)

#: Errors that mean "the database cannot be reached (or is too slow) right now", as
#: Django wraps them and, should one escape the wrapping, as the drivers raise them.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
)
if psycopg is not None:
    DATABASE_UNAVAILABLE += (psycopg.OperationalError, psycopg.InterfaceError)

#: What an htmx request gets instead of a page: the message alone, which htmx puts
#: into the page's #server-error region (see responseHandling in base.html).
HTMX_ERROR_HEADERS = {"HX-Retarget": "#server-error", "HX-Reswap": "innerHTML"}


def is_database_unavailable(exception: BaseException | None) -> bool:
    return isinstance(exception, DATABASE_UNAVAILABLE)


def _is_htmx(request: HttpRequest) -> bool:
    # The header, not request.htmx: error pages may be made before any middleware ran.
    return request.headers.get("HX-Request") == "true"


def service_unavailable(
    request: HttpRequest, exception: BaseException | None = None
) -> HttpResponse:
    """503 while the database is unreachable: a page that needs no database.

    It is rendered without context processors (they would ask the database who is
    signed in); the next request finds the database again by itself, because Django
    drops a connection that failed and opens a new one.
    """
    logger.warning("Database unavailable: %s", exception, extra={"error": type(exception).__name__})
    context = {
        "retry_url": request.get_full_path() if request.method == "GET" else "/",
        "was_sent": request.method not in ("GET", "HEAD"),
    }
    if _is_htmx(request):
        body = loader.render_to_string("503.html#server-error-message", context)
        response = HttpResponse(body, status=503, headers=HTMX_ERROR_HEADERS)
    else:
        response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 for a request StudyHub will not take: too large, too many fields, out of range."""
    if isinstance(exception, RequestDataTooBig):
        limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        message = (
            f"What you sent is larger than StudyHub accepts ({limit_kb:,} KB at most; "
            f"a note holds up to {settings.NOTE_MAX_LENGTH:,} characters)."
        )
    elif isinstance(exception, TooManyFieldsSent):
        message = (
            "The form you sent has more fields than StudyHub accepts "
            f"({settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} at most)."
        )
    elif isinstance(exception, (OverflowError, DataError)):
        message = "Something in what you sent cannot be stored: a number out of range, say."
    else:
        message = "StudyHub could not understand this request."
    context = {"message": message, "htmx": _is_htmx(request)}
    if _is_htmx(request):
        body = loader.render_to_string("400.html#server-error-message", context, request)
        return HttpResponse(body, status=400, headers=HTMX_ERROR_HEADERS)
    return TemplateResponse(request, "400.html", context, status=400).render()


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return TemplateResponse(request, "404.html", status=404).render()


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it can still be looked at.
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return service_unavailable(request, exception)
    # No context processors: whatever broke must not break the error page too.
    if _is_htmx(request):
        body = loader.render_to_string("500.html#server-error-message")
        return HttpResponseServerError(body, headers=HTMX_ERROR_HEADERS)
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 with a message that htmx shows in the page's alert region (base.html)."""
    context = {"htmx": request.headers.get("HX-Request") == "true"}
    return TemplateResponse(request, "403_csrf.html", context, status=403).render()


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a log-in during a cool-off: 429 and when to try again."""
    from axes.helpers import get_client_username, get_cool_off

    from accounts.lockout import lockout_for

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


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages (and files) that name no icon: point them at ours."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer: 200 when this server can query the database, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Health check failed: %s", error)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
