from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

#: Rows of each index that SQLite's ANALYZE samples: enough for its planner to tell a
#: learner's marks from all marks, and a tenth of a second on 12 million rows.
SQLITE_ANALYSIS_LIMIT = 1000


def analyze_sqlite(using: str = "default", **_: Any) -> None:
    """Give SQLite's query planner statistics after every migrate (PostgreSQL's
    autovacuum keeps its own). Without them SQLite guesses, and at 100× the data it
    guessed past the covering indexes the coverage counts rely on: the dashboard's
    coverage query took 12.5 ms instead of 5.5, and a team's counts 200 ms instead of 10
    (bench/results/2026-12-04-coverage.md). `make run` and every upgrade migrate, so the
    statistics follow the data as it grows; sampling keeps it to a fraction of a second."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "Progress"

    def ready(self) -> None:
        # Once per migrate: post_migrate is sent for each app, this for progress only.
        post_migrate.connect(analyze_sqlite, sender=self, dispatch_uid="progress.analyze")
