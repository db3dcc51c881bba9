"""bench/results/latest.md holds bench/run.py's table and, below it, bench/load.py's
capacity for each database: rewriting one part keeps the others."""

from bench.run import Endpoint, Result, budgets, kept_sections, with_section

TABLE = "# StudyHub benchmark\n\n| endpoint |\n"


def test_a_capacity_section_is_added_then_replaced():
    text = with_section(TABLE, "sqlite", "## Capacity: sqlite\n\n400 people.\n")
    assert text.startswith(TABLE)
    assert "<!-- load:sqlite -->\n## Capacity: sqlite\n\n400 people.\n<!-- /load:sqlite -->" in text
    text = with_section(text, "postgresql", "200 people.")
    text = with_section(text, "sqlite", "600 people.")
    assert "400 people" not in text
    assert text.index("600 people") < text.index("200 people")  # replaced where it stood
    assert text.count("<!-- load:sqlite -->") == 1


def test_a_new_table_keeps_both_capacities():
    previous = with_section(with_section("old table\n", "sqlite", "400."), "postgresql", "200.")
    text = kept_sections(previous, "new table\n")
    assert text.startswith("new table\n") and "old table" not in text
    assert "<!-- load:sqlite -->\n400.\n<!-- /load:sqlite -->" in text
    assert "<!-- load:postgresql -->\n200.\n<!-- /load:postgresql -->" in text
    assert kept_sections(text, "newer table\n") == text.replace("new table", "newer table")


def test_the_mark_is_held_to_issue_18s_budgets():
    def measured(key: str, rps: float, p99_ms: float) -> Result:
        return Result(Endpoint(key, key, "/", ""), rps=rps, p99_ms=p99_ms, queries=4)

    results = {
        "floor": measured("floor", 1_000, 5),
        "writefloor": measured("writefloor", 300, 20),
        "mark": measured("mark", 200, 150),
    }
    checks = {name: (ok, shown) for name, ok, shown in budgets(results, peak_mb=100)}
    assert checks["mark ≥ 0.8× the write floor"] == (False, "0.67×")
    assert checks["mark p99 < 100 ms"] == (False, "150 ms")
    results["mark"] = measured("mark", 250, 60)
    checks = {name: (ok, shown) for name, ok, shown in budgets(results, peak_mb=100)}
    assert checks["mark ≥ 0.8× the write floor"] == (True, "0.83×")
    assert checks["mark p99 < 100 ms"] == (True, "60 ms")


def test_reports_name_gunicorns_workers_as_configured():
    from bench.run import gunicorn_size

    assert gunicorn_size({"workers": 3, "threads": 1, "worker_class": "sync"}) == "3 sync workers"
    assert gunicorn_size({"workers": 2, "threads": 8, "worker_class": "gthread"}) == (
        "2 gthread workers × 8 threads"
    )


def test_a_postgresql_run_does_not_overwrite_the_sqlite_figures(monkeypatch):
    from bench.run import RESULTS, latest_path

    assert latest_path("") == RESULTS / "latest.md"  # no DATABASE_URL: SQLite
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    assert latest_path() == RESULTS / "latest-postgresql.md"
    monkeypatch.delenv("DATABASE_URL")
    assert latest_path() == RESULTS / "latest.md"
    assert latest_path("sqlite:////tmp/x.sqlite3") == RESULTS / "latest.md"
    assert latest_path("postgres://postgres@127.0.0.1:5432/test") == (
        RESULTS / "latest-postgresql.md"
    )
    assert latest_path("postgresql://u@h/db") == RESULTS / "latest-postgresql.md"
