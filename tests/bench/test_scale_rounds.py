"""bench/scale.py measures every size in turn, round after round, and keeps each page's
lowest median: a spell of other work on the machine slows one round, not the figure."""

from __future__ import annotations

from typing import Any

from bench.scale import best_of, report

META: dict[str, Any] = {"counts": {"questions": 50}, "built_at": "2026-12-05 03:00 UTC", "ids": {}}


def figures(ms: float, status: int = 200) -> dict[str, Any]:
    return {
        "status": status,
        "queries": 6,
        "raw": 8_000,
        "gzip": 2_000,
        "ms": ms,
        "samples": 15,
        "slowest_sql": {"ms": ms / 4, "sql": f"SELECT {ms}"},
    }


def test_each_page_keeps_its_lowest_median_with_that_rounds_slowest_statement():
    rounds = [
        {"meta": META, "pages": {"topics": figures(12.0), "notes": figures(5.0)}},
        {"meta": META, "pages": {"topics": figures(6.0), "notes": figures(9.0)}},
    ]

    best = best_of(rounds)

    assert best["meta"] == META
    assert best["pages"]["topics"]["ms"] == 6.0
    assert best["pages"]["topics"]["slowest_sql"] == {"ms": 1.5, "sql": "SELECT 6.0"}
    assert best["pages"]["notes"]["ms"] == 5.0
    assert best["pages"]["notes"]["queries"] == 6
    assert rounds[0]["pages"]["topics"]["ms"] == 12.0  # the rounds themselves unchanged


def test_a_failure_in_any_round_is_kept():
    rounds = [
        {"meta": META, "pages": {"topics": figures(6.0)}},
        {"meta": META, "pages": {"topics": figures(9.0, status=500)}},
    ]

    assert best_of(rounds)["pages"]["topics"]["status"] == 500


def test_the_report_says_how_many_rounds_it_kept_the_lowest_of():
    ids = {"team_big": 1, "team_50": 2, "study_session": 3, "topic_set_big": 4, "assignment_big": 5}
    meta = {**META, "ids": ids}
    results = {
        scale: {"meta": meta, "pages": {"topics": figures(ms)}}
        for scale, ms in ((1, 5.0), (100, 9.0))
    }

    text, ok = report(results, None, "sqlite", [1, 100], rounds=2)

    assert "the lowest of 2 such medians" in text
    assert "| topic list | 5 ms / 6 q / 7.8 KB | 9 ms / 6 q / 7.8 KB | 1.8× | 1.0× | met |" in text
    assert ok
