"""StudyHub settings: one module, driven by environment variables.

DJANGO_DEBUG          "1"/"true" turns debug on (default off).
DJANGO_SECRET_KEY     required when debug is off.
DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost names in debug).
DATABASE_URL          any dj-database-url URL (default: SQLite under var/ in WAL mode).

Production (README.md and docs/deploy.md list every variable): DJANGO_HTTPS,
DJANGO_HSTS_SECONDS, DJANGO_SECURE_PROXY_SSL_HEADER, DJANGO_PROXY_COUNT,
DJANGO_CSRF_TRUSTED_ORIGINS, DJANGO_DB_CONN_MAX_AGE, DJANGO_DB_STATEMENT_TIMEOUT_MS,
DJANGO_DB_CONNECT_TIMEOUT, DJANGO_DB_RANDOM_PAGE_COST, REDIS_URL, DJANGO_REDIS_TIMEOUT_MS,
DJANGO_REDIS_RETRY_SECONDS, DJANGO_SESSION_ENGINE,
DJANGO_STATIC_URL, DJANGO_STATIC_ROOT, DJANGO_LOG_LEVEL, DJANGO_LOG_FORMAT.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.sso_config import providers_from_env
from studyhub.env import env_bool, env_cost, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [],
)
# Origins (scheme://host) trusted for form posts when a proxy changes the host.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # intcomma in "51–100 of 6,050 questions"
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for FORM_RENDERER
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    # Single sign-on (accounts/sso.py): allauth's social accounts, OpenID Connect only.
    # Before accounts, whose admin module takes allauth's unused models off the admin.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
    "questions",
    "progress",
    "teams",
    "authoring",
    "ninja",  # the API's interactive docs: their templates and static files
    "api",
    "django_tasks",
    "django_tasks_db",  # the tasks' database backend: its queue table and db_worker
    "reminders",
]

MIDDLEWARE = [
    # First, so it times and logs every request, redirects and static files included.
    "studyhub.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "studyhub.middleware.PermissionsPolicyMiddleware",  # above WhiteNoise: static files too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "studyhub.middleware.DatabaseErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "studyhub.middleware.PrivatePagesMiddleware",
    # Needs request.user; below the header middleware, so they see its errors' responses.
    "studyhub.middleware.TimeZoneMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studyhub.urls"
WSGI_APPLICATION = "studyhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "authoring.context_processors.teams",
                "studyhub.context_processors.csp_nonce",
            ],
        },
    },
]
# Every form renders its fields with templates/forms/ (studyhub/forms.py).
FORM_RENDERER = "studyhub.forms.FormRenderer"

# --- Database -------------------------------------------------------------
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'studyhub.sqlite3'}"),
        # Persistent connections, checked before a request reuses them, so a
        # restarted database server costs no failed request.
        conn_max_age=env_int("DJANGO_DB_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _random_page_cost = env_cost("DJANGO_DB_RANDOM_PAGE_COST", default="1.1")
    if _random_page_cost:
        _random_page_cost = f" -c random_page_cost={_random_page_cost}"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # A database that is down answers within seconds (a 503), not never.
            "connect_timeout": env_int("DJANGO_DB_CONNECT_TIMEOUT", default=5),
            # A runaway query is cancelled instead of holding a worker thread.
            "options": "-c statement_timeout="
            + str(env_int("DJANGO_DB_STATEMENT_TIMEOUT_MS", default=30_000))
            + _random_page_cost,
            "application_name": "studyhub",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue in turn on a file lock instead of sleeping in SQLite's busy handler
    # (studyhub/sqlite/base.py): the mark's p99 under a class studying at once.
    DATABASES["default"]["ENGINE"] = "studyhub.sqlite"
    # Connections persist here too (each thread keeps its own): opening one costs a file
    # open, the PRAGMAs below and Django's SQL function registrations on every request.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers carry on while one request writes; IMMEDIATE takes
        # the write lock at BEGIN so concurrent writers wait instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The marks' covering indexes INCLUDE the id for PostgreSQL (progress/models.py);
    # SQLite's indexes carry the rowid anyway and Django leaves INCLUDE out there, as the
    # warning it would print on every migrate says.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# The test database. On PostgreSQL a name lets several test runs share one server. On
# SQLite it is a file, not Django's in-memory default: the live server of the browser tests
# would share one in-memory connection between its request threads, so two requests in
# flight (a save sent as a tab closes, beside the next page) would interleave their
# transactions or hit "database table is locked". With a file each thread has its own
# connection, as in production. The process id keeps parallel runs apart; Django deletes
# the file when the run ends.
test_database_name = env_str("DJANGO_TEST_DATABASE_NAME", default="")
if DATABASES["default"]["ENGINE"] == "studyhub.sqlite":
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / (test_database_name or f"test-{os.getpid()}.sqlite3"))
    }
elif test_database_name:
    DATABASES["default"]["TEST"] = {"NAME": test_database_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A topic's and a question's pages show the learner's own marks, so progress serves them:
# the bank's models get their URLs here instead of importing progress.
ABSOLUTE_URL_OVERRIDES = {
    "questions.topic": lambda topic: reverse("progress:topic_detail", args=[topic.slug]),
    "questions.question": lambda q: reverse("progress:question_detail", args=[q.key]),
}

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "progress:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Single sign-on (accounts/sso.py, docs/deploy.md) -------------------------
# DJANGO_OIDC_PROVIDERS names the providers; each reads DJANGO_OIDC_<ID>_ISSUER,
# _CLIENT_ID, _CLIENT_SECRET and _LABEL. DJANGO_PASSWORD_LOGIN=0 leaves only them.
PASSWORD_LOGIN = env_bool("DJANGO_PASSWORD_LOGIN", default=True)
try:
    SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": providers_from_env(os.environ)}}
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error
if not PASSWORD_LOGIN and not SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]:
    raise ImproperlyConfigured(
        "DJANGO_PASSWORD_LOGIN=0 needs a single sign-on provider (DJANGO_OIDC_PROVIDERS)"
    )
ACCOUNT_ADAPTER = "accounts.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.sso.SocialAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False  # leaving for the provider is a POST with a CSRF token
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # an e-mail match never logs anyone in
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks every log-in first: after AXES_FAILURE_LIMIT failures for one
# username from one address, that pair waits AXES_COOLOFF_TIME (the 429 page);
# the same username from another address, and other usernames, are not affected.
# And after LOGIN_ADDRESS_FAILURE_LIMIT failures from one address over all usernames
# (password spraying), the whole address waits (accounts/lockout.py). A username's
# failures stop counting once it logs in from there, so the typos of people who get in
# never add up against a shared office or school address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.lockout.AxesHandler"
AXES_FAILURE_LIMIT = 5
LOGIN_ADDRESS_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=10)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "studyhub.security.client_ip"
AXES_RESET_ON_SUCCESS = True
# Tries during a cool-off do not extend it, so the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Only failures are kept (for the cool-off); StudyHub keeps no log of log-ins.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False  # unlock with: python manage.py axes_reset_username NAME
# A failure's form data is kept with it: every password field is masked ("password" always
# is; these are the change-password page's, accounts.views.PasswordChangeView).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
]

# Password reset (accounts.services.request_password_reset), counted in the database
# (accounts.models.RateCounter) so every worker and server shares the count: each client
# address may ask PASSWORD_RESET_REQUESTS_PER_CLIENT times a window (then the 429 page),
# and each e-mail address gets at most PASSWORD_RESET_EMAILS_PER_ADDRESS e-mails a window
# asked from one client (so nobody can use up someone else's) and ten from all of them
# (more requests get the same "check your e-mail" page, and no e-mail).
PASSWORD_RESET_WINDOW = timedelta(hours=1)
PASSWORD_RESET_REQUESTS_PER_CLIENT = 10
PASSWORD_RESET_EMAILS_PER_ADDRESS = 3  # from one client; and over all clients:
PASSWORD_RESET_EMAILS_PER_ADDRESS_ALL_CLIENTS = 10
# The reset e-mail is looked up and sent by one worker thread per process after the
# response (accounts/background.py), at most BACKGROUND_QUEUE_SIZE waiting; off in tests.
BACKGROUND_JOBS = True
BACKGROUND_QUEUE_SIZE = 200

# Sessions live in the database, with or without Redis: "cached_db" would read a
# session ended during a Redis outage back from Redis afterwards if the process that
# skipped deleting it had been recycled meanwhile (docs/deploy.md).
SESSION_ENGINE = env_str("DJANGO_SESSION_ENGINE", default="django.contrib.sessions.backends.db")

# --- Cache ----------------------------------------------------------------
# Nothing in StudyHub uses Django's cache (pages are rendered on every request); with
# REDIS_URL it is on Redis, for cached_db sessions and data cached later, and /healthz
# reports it (studyhub/cache.py).
REDIS_URL = env_str("REDIS_URL", default="")
#: How long one Redis call may take (connecting, or one command) before it counts as a
#: miss, and how long a process then skips Redis before trying again (studyhub/cache.py).
REDIS_TIMEOUT_MS = env_int("DJANGO_REDIS_TIMEOUT_MS", default=250)
REDIS_RETRY_SECONDS = env_int("DJANGO_REDIS_RETRY_SECONDS", default=5)
CACHES = {
    "default": (
        # Django's Redis cache, a miss while Redis is down (studyhub/cache.py)
        {
            "BACKEND": "studyhub.cache.StudyHubRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_MS / 1000,
                "socket_timeout": REDIS_TIMEOUT_MS / 1000,
                "down_seconds": REDIS_RETRY_SECONDS,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", default="StudyHub <studyhub@localhost>")
# Seconds an SMTP server may take to answer before a send gives up (and is logged).
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", default=10)
# The SMTP server, for DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", default=False)  # TLS from the start, 465

# --- Reminders (reminders/) -------------------------------------------------
# The address e-mails link to: there is no request to take it from.
SITE_URL = env_str("DJANGO_SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "")
# A learner hears of an assignment this many days before it is due (and on the day).
REMINDER_DAYS_AHEAD = env_int("DJANGO_REMINDER_DAYS", default=3)

# Django's tasks framework (the django-tasks backport): queued in the database, run by
# `manage.py db_worker`. Only the daily reminders use it (reminders/tasks.py).
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------
# A CDN in front: DJANGO_STATIC_URL=https://cdn.example.com/static/ (the CSP allows it).
STATIC_URL = env_str("DJANGO_STATIC_URL", default="static/")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security -------------------------------------------------------------
# Production is served over HTTPS (by gunicorn behind a TLS proxy): redirect
# http to https, keep cookies off plain http, and tell browsers so with HSTS.
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
# The header a TLS proxy sets to say the original request was https, e.g.
# "X-Forwarded-Proto". Set it only if the proxy always overwrites that header.
if proxy_ssl_header := env_str("DJANGO_SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_ssl_header.upper().replace("-", "_"), "https")
# How many proxies in front of the app append to X-Forwarded-For (0: none; the
# connection's address is the client's). Log-in throttling and logs use it.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", default=0)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from <body hx-headers>, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features StudyHub never uses, denied to its pages and to any frame
# (studyhub.middleware.PermissionsPolicyMiddleware). Only features current Chromium
# knows: an unknown one is a console warning on every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "clipboard-read": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "gamepad": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "identity-credentials-get": [],
    "idle-detection": [],
    "interest-cohort": [],
    "local-fonts": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "otp-credentials": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "storage-access": [],
    "usb": [],
    "window-management": [],
    "xr-spatial-tracking": [],
}


def _origin(url: str) -> list[str]:
    """The scheme://host of an absolute URL (a CDN's), for the CSP; nothing for a path."""
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


STATIC_ORIGIN = _origin(STATIC_URL)

# A strict policy: no inline scripts or styles anywhere, so stored text can
# never become code. Scripts need 'self' and the nonce {% htmx_script %} puts
# on its tags (studyhub.context_processors.csp_nonce). htmx is configured for
# it in templates/base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, *STATIC_ORIGIN, NONCE],
        "style-src": [SELF, *STATIC_ORIGIN],
        "img-src": [SELF, *STATIC_ORIGIN, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF, *STATIC_ORIGIN],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Notes are private text of a sensible size; a larger request is refused.
NOTE_MAX_LENGTH = 20_000
# Note text a save refused (changed elsewhere meanwhile) is kept in the session until
# the learner chooses (progress/drafts.py): for this many questions, the oldest dropped.
NOTE_REFUSED_KEPT = 5
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Question import (questions/importing/): the largest file and the most
# questions one import takes, so a preview stays readable and quick to check.
IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_QUESTIONS = 2000
# An Anki package (.apkg, .colpkg) holds a database and maybe media, larger than the text
# it yields: its notes are read at upload into text of at most IMPORT_MAX_BYTES.
IMPORT_ANKI_MAX_BYTES = 8 * 1024 * 1024
# The work units (counted, not timed: see questions.importing.duplicates.Work) comparing
# one file with the bank may take; a file needing more is refused. Each upload,
# preview and confirm plans once. The sizes of lines, cells, numbers and nesting a
# file may hold are fixed in questions/importing/document.py (docs/importing.md).
IMPORT_MAX_WORK = 8_000_000
# Unconfirmed uploads one user keeps (up to IMPORT_MAX_BYTES each); another upload
# replaces the oldest. Unconfirmed ones are deleted after two days anyway.
IMPORT_MAX_PENDING = 3
# Who may import: who teaches is known only to the teams app, above questions.
QUESTIONS_BANK_ACCESS = "teams.permissions.TeamBankAccess"

# One JSON object a line on stderr (studyhub.jsonlog), ready for a log shipper;
# DJANGO_LOG_FORMAT=text for people reading a terminal (the default in debug).
LOG_FORMAT = env_str("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "studyhub.jsonlog.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes reports every log-in at INFO; failures and lock-outs are warnings.
        "axes": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "studyhub.views.csrf_failure"
