"""What the one-off timing scripts share: Django set up for an in-process run, a
throw-away database, and a timer. Importing this module sets Django up.

The scripts are run from the checkout as `python -m bench.NAME`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyhub.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
# Plain http in-process: no redirect to https (which production settings turn on).
os.environ.setdefault("DJANGO_HTTPS", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)


@contextmanager
def throwaway_database(prefix: str = "studyhub_bench") -> Iterator[None]:
    """A fresh, migrated database for the duration, dropped afterwards: a file for
    SQLite (like a real deployment, not the in-memory test default), or a database of
    its own, `<prefix>_<process id>`, on the PostgreSQL server of DATABASE_URL."""
    test_settings = connection.settings_dict.setdefault("TEST", {})
    with tempfile.TemporaryDirectory(prefix="studyhub-bench-") as folder:
        if connection.vendor == "sqlite":
            test_settings["NAME"] = str(Path(folder) / "bench.sqlite3")
        else:
            test_settings["NAME"] = f"{prefix}_{os.getpid()}"
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        try:
            with override_settings(
                STORAGES={**settings.STORAGES, "staticfiles": plain_static}, STATIC_ROOT=None
            ):
                yield
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()


def timed(client: Client, url: str, runs: int, *, warm_up: int = 1, **headers: str) -> dict:
    """Median, min and max milliseconds of `runs` GETs after a warm-up, and the queries."""
    for _ in range(warm_up):
        assert client.get(url, headers=headers).status_code == 200
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    return {
        "median_ms": statistics.median(timings),
        "min_ms": min(timings),
        "max_ms": max(timings),
        "queries": len(queries),
    }
