"""Production settings: `check --deploy` is clean and every variable does what it says.

Each test starts Django in a process of its own, because settings are read from the
environment once, when Django starts.
"""

from __future__ import annotations

import json

from django.urls import reverse

from tests.security.conftest import PRODUCTION_ENV

SETUP = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'studyhub.settings'; django.setup()"
)


def settings_in(run_django, names: list[str], **env: str) -> dict:
    """The values of some settings when Django starts with production settings and `env`."""
    code = (
        SETUP + "; import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    )
    result = run_django(code=code, **{**PRODUCTION_ENV, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_nothing_with_the_documented_production_settings(run_django):
    result = run_django("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_does_complain_about_debug_settings(run_django):
    """The check above can fail: development settings are not fit for production."""
    result = run_django("check", "--deploy", "--fail-level", "WARNING", DJANGO_DEBUG="1")

    assert result.returncode != 0
    for complaint in ("security.W004", "security.W008", "security.W012", "security.W018"):
        assert complaint in result.stderr


def test_production_defaults_are_https_only(run_django):
    values = settings_in(
        run_django,
        [
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_REDIRECT_EXEMPT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "CSRF_COOKIE_HTTPONLY",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_REFERRER_POLICY",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "X_FRAME_OPTIONS",
        ],
    )

    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
    }


def test_https_settings_follow_the_environment(run_django):
    values = settings_in(
        run_django,
        ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS"],
        DJANGO_HTTPS="0",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
    }

    values = settings_in(
        run_django,
        ["SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "SECURE_HSTS_INCLUDE_SUBDOMAINS"],
        DJANGO_HSTS_SECONDS="300",
        DJANGO_HSTS_PRELOAD="0",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="0",
    )
    assert values == {
        "SECURE_HSTS_SECONDS": 300,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
    }


def test_postgresql_connections_persist_with_health_checks_and_a_statement_timeout(run_django):
    # Settings only: nothing connects, so no server is needed.
    url = "postgres://studyhub@db.internal:5432/studyhub"
    (database,) = settings_in(run_django, ["DATABASES"], DATABASE_URL=url)["DATABASES"].values()
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"] == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=30000 -c random_page_cost=1.1",
        "application_name": "studyhub",
    }

    (database,) = settings_in(
        run_django,
        ["DATABASES"],
        DATABASE_URL=url,
        DJANGO_DB_STATEMENT_TIMEOUT_MS="5000",
        DJANGO_DB_CONN_MAX_AGE="0",
        DJANGO_DB_CONNECT_TIMEOUT="2",
    )["DATABASES"].values()
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["options"] == "-c statement_timeout=5000 -c random_page_cost=1.1"
    assert database["OPTIONS"]["connect_timeout"] == 2


def test_postgresql_plans_for_data_in_memory_unless_told_otherwise(run_django):
    """A random read costs about what a sequential one does on SSD or in memory: 1.1, not
    the default 4 of spinning disks, or PostgreSQL read all 50,000 users to name a
    team's 1,000 learners (docs/deploy.md). Empty leaves the server's own setting."""
    url = "postgres://studyhub@db.internal:5432/studyhub"

    def options(**env: str) -> str:
        values = settings_in(run_django, ["DATABASES"], DATABASE_URL=url, **env)
        (database,) = values["DATABASES"].values()
        return database["OPTIONS"]["options"]

    assert options(DJANGO_DB_RANDOM_PAGE_COST="2") == (
        "-c statement_timeout=30000 -c random_page_cost=2.0"
    )
    assert options(DJANGO_DB_RANDOM_PAGE_COST="") == "-c statement_timeout=30000"
    for wrong in ("fast", "0", "-1", "nan", "1.1; DROP"):
        result = run_django(
            code=SETUP,
            **{**PRODUCTION_ENV, "DATABASE_URL": url, "DJANGO_DB_RANDOM_PAGE_COST": wrong},
        )
        assert result.returncode != 0
        assert "DJANGO_DB_RANDOM_PAGE_COST must be a number above 0" in result.stderr


def test_redis_holds_the_cache_and_sessions_when_configured(run_django):
    names = ["CACHES", "SESSION_ENGINE"]
    values = settings_in(run_django, names)
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"

    values = settings_in(
        run_django,
        names,
        REDIS_URL="redis://cache.internal:6379/0",
        DJANGO_SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
    )
    assert values["CACHES"]["default"] == {
        "BACKEND": "studyhub.cache.StudyHubRedisCache",
        "LOCATION": "redis://cache.internal:6379/0",
        # A down or frozen Redis is a miss within a quarter of a second, then skipped.
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, "down_seconds": 5},
    }
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"

    options = settings_in(
        run_django,
        ["CACHES"],
        REDIS_URL="redis://cache.internal:6379/0",
        DJANGO_REDIS_TIMEOUT_MS="100",
        DJANGO_REDIS_RETRY_SECONDS="10",
    )["CACHES"]["default"]["OPTIONS"]
    assert options == {"socket_connect_timeout": 0.1, "socket_timeout": 0.1, "down_seconds": 10}


def test_static_files_from_a_cdn_are_allowed_by_the_csp(run_django):
    values = settings_in(
        run_django,
        ["STATIC_URL", "CONTENT_SECURITY_POLICY"],
        DJANGO_STATIC_URL="https://cdn.example.net/studyhub/static/",
    )
    directives = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert values["STATIC_URL"] == "https://cdn.example.net/studyhub/static/"
    for name in ("script-src", "style-src", "img-src", "font-src"):
        assert "https://cdn.example.net" in directives[name], name
    assert directives["default-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]


# The production settings in action, through Django's test client in that process.
REQUESTS = """
import json
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from accounts.models import User

call_command("migrate", verbosity=0)
User.objects.create_user("lena", password="a-long-enough-passphrase-7")
seen = {}
# Plain storage: this process has not run collectstatic.
with override_settings(STORAGES={
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}):
    client = Client()
    plain = client.get(reverse("accounts:login"))
    seen["plain"] = [plain.status_code, plain.get("Location")]
    health = client.get(reverse("healthz"))
    seen["healthz"] = [health.status_code, health.get("Location")]
    proxied = client.get(reverse("accounts:login"), headers={"X-Forwarded-Proto": "https"})
    seen["proxied"] = [proxied.status_code, proxied.get("Strict-Transport-Security")]
    login = client.post(
        reverse("accounts:login"),
        {"username": "lena", "password": "a-long-enough-passphrase-7"},
        headers={"X-Forwarded-Proto": "https"},
    )
    seen["login"] = login.status_code
    seen["cookies"] = {
        name: {flag: bool(morsel[flag]) for flag in ("secure", "httponly")}
        | {"samesite": morsel["samesite"]}
        for name, morsel in client.cookies.items()
    }
print(json.dumps(seen))
"""


def test_production_requests_are_https_with_secure_cookies(run_django):
    env = {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": "testserver"}
    result = run_django(code=SETUP + "\n" + REQUESTS, **env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["plain"] == [301, f"https://testserver{reverse('accounts:login')}"]
    assert seen["healthz"] == [200, None]  # a load balancer's plain-http probe is answered
    assert seen["proxied"] == [200, "max-age=31536000; includeSubDomains; preload"]
    assert seen["login"] == 302
    assert seen["cookies"] == {
        "csrftoken": {"secure": True, "httponly": True, "samesite": "Lax"},
        "sessionid": {"secure": True, "httponly": True, "samesite": "Lax"},
    }
