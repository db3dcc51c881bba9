"""Project-wide views: error pages, the log-in cool-off page and the health check."""

from __future__ import annotations

import logging
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
from django.template import loader
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from studyhub.cache import cache_status

try:
    import psycopg
except ImportError:  # PostgreSQL support is optional for SQLite-only installs
    psycopg = None  # type: ignore[assignment]  # mypy has no type for "maybe a module"

logger = logging.getLogger(__name__)

#: SQLite's result codes (the primary code, the low byte) that mean the database cannot
#: serve now rather than that the statement is wrong: busy or locked by another writer
#: past the connection's timeout, out of memory, an I/O error, full, or the file cannot
#: be opened. "Expression tree is too large", "no such table" and other SQLITE_ERRORs
#: are the query's fault; a corrupt file or a read-only one is not a brief outage.
SQLITE_UNAVAILABLE_CODES = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}
SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
#: The same, for an error made without a result code (by hand, in tests).
SQLITE_UNAVAILABLE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "unable to open database file",
    "database or disk is full",
    "out of memory",
)
#: PostgreSQL's SQLSTATEs (class or code) that mean the same: the connection failed,
#: the server is shutting down, starting or out of resources (too many connections,
#: disk full), or a system I/O error; and "busy": the statement_timeout cancelled a
#: query (a slow or waiting query under load). Everything else is the query's fault
#: (a deadlock, "statement too complex", a syntax error) and is a 500.
POSTGRES_UNAVAILABLE_SQLSTATES = ("08", "53", "58", "57P01", "57P02", "57P03", "57P05")
POSTGRES_BUSY_SQLSTATES = ("57014",)

#: What an outage can look like once Django has wrapped the driver's error.
_CONNECTION_ERRORS = (OperationalError, InterfaceError)


def _driver_error(exception: BaseException) -> BaseException | None:
    """The driver's own error behind Django's wrapper (or the exception itself)."""
    drivers = (sqlite3.Error, psycopg.Error) if psycopg is not None else (sqlite3.Error,)
    seen: BaseException | None = exception
    while seen is not None:
        if isinstance(seen, drivers):
            return seen
        seen = seen.__cause__
    return None


def database_failure(exception: BaseException | None) -> str | None:
    """ "unavailable" or "busy" when `exception` means the database cannot serve right
    now (a 503 and "try again"), None for any other error, including database errors
    that are the query's own fault (a 500, logged as an error).

    SQLite's "database is locked" counts as busy: SQLite raises it only after waiting
    its timeout (20 s) for another writer, so nothing was written, the request was not
    at fault, and the same request succeeds once the writer is done.
    """
    if exception is None:
        return None
    driver = _driver_error(exception)
    if isinstance(driver, sqlite3.Error):
        return _sqlite_failure(driver)
    if psycopg is not None and isinstance(driver, psycopg.Error):
        return _postgres_failure(driver)
    # Django's own connection errors, raised without a driver's error behind them.
    return "unavailable" if isinstance(exception, _CONNECTION_ERRORS) else None


def _sqlite_failure(driver: sqlite3.Error) -> str | None:
    if not isinstance(driver, sqlite3.OperationalError):
        return None  # InterfaceError: a value SQLite cannot bind; others: the data
    code = getattr(driver, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary not in SQLITE_UNAVAILABLE_CODES:
            return None
        return "busy" if primary in SQLITE_BUSY_CODES else "unavailable"
    message = str(driver).lower()
    if not message.startswith(SQLITE_UNAVAILABLE_MESSAGES):
        return None
    return "busy" if "locked" in message else "unavailable"


def _postgres_failure(driver: psycopg.Error) -> str | None:
    if not isinstance(driver, (psycopg.OperationalError, psycopg.InterfaceError)):
        return None
    sqlstate = driver.sqlstate
    if sqlstate is None:  # raised by the client: refused, lost, closed, timed out
        return "unavailable"
    if sqlstate.startswith(POSTGRES_BUSY_SQLSTATES):
        return "busy"
    return "unavailable" if sqlstate.startswith(POSTGRES_UNAVAILABLE_SQLSTATES) else None


#: What an htmx request gets instead of a page: the message alone, which htmx puts
#: into the page's #server-error region (see responseHandling in base.html).
HTMX_ERROR_HEADERS = {"HX-Retarget": "#server-error", "HX-Reswap": "innerHTML"}


def is_database_unavailable(exception: BaseException | None) -> bool:
    return database_failure(exception) is not None


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
    busy = database_failure(exception) == "busy"
    logger.warning(
        "Database %s: %s",
        "busy" if busy else "unavailable",
        exception,
        extra={"error": type(exception).__name__, "request_id": _request_id(request)},
    )
    context = {
        "retry_url": request.get_full_path() if request.method == "GET" else "/",
        "was_sent": request.method not in ("GET", "HEAD"),
        "busy": busy,
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


def _request_id(request: HttpRequest) -> str | None:
    return getattr(request, "request_id", None)  # studyhub.middleware.RequestLogMiddleware


def database_error(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """500 for a database error that is the request's own fault, not an outage
    ("Expression tree is too large", a deadlock): logged as an error with the request's
    id and traceback, answered with the plain 500 page."""
    logger.error(
        "Database error (not an outage): %s",
        exception,
        exc_info=exception,
        extra={"error": type(exception).__name__, "request_id": _request_id(request)},
    )
    return server_error_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it can still be looked at.
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return service_unavailable(request, exception)
    return server_error_response(request)


def server_error_response(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke must not break the error page too.
    if _is_htmx(request):
        body = loader.render_to_string("500.html#server-error-message")
        return HttpResponseServerError(body, headers=HTMX_ERROR_HEADERS)
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 with a message that htmx shows in the page's alert region (base.html)."""
    context = {"htmx": request.headers.get("HX-Request") == "true"}
    return TemplateResponse(request, "403_csrf.html", context, status=403).render()


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages (and files) that name no icon: point them at ours."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer: every service a request needs, and 503 when one is missing.

    The database is required: 503 when this server cannot query it. The cache (Redis,
    when REDIS_URL is set) is reported but optional: requests are served without it
    (studyhub/cache.py), so an outage answers 200 with "status": "degraded" and
    traffic keeps flowing. Both checks are bounded by their connect timeouts
    (DJANGO_DB_CONNECT_TIMEOUT, DJANGO_REDIS_TIMEOUT_MS), and the cache check costs
    nothing while this process already knows Redis is away.
    """
    report = {"status": "ok", "database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Health check failed: %s", error)
        report.update(status="unavailable", database="unreachable")
    cache = cache_status()
    if cache is not None:
        report["cache"] = cache
        if cache != "ok" and report["status"] == "ok":
            report["status"] = "degraded"
    return JsonResponse(report, status=503 if report["database"] != "ok" else 200)
