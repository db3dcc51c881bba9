"""How long a note takes to render when its text is made to be slow.

    .venv/bin/python -m bench.markdown_pathological
    .venv/bin/python -m bench.markdown_pathological --runs 5

Renders each pathological note of tests/progress/pathological_markdown.py (unmatched
brackets, emphasis and backtick runs, deep nesting, tables, entities, …), as long as
settings.NOTE_MAX_LENGTH allows and at a quarter of that, with studyhub.markdown (the
renderer that runs when a note is saved). Prints the best of a few runs in CPU
milliseconds (wall milliseconds beside it), and how much longer the full-length note
took than the quarter: about 4 for a renderer whose time grows linearly with the
text, about 16 for one that grows with its square (Python-Markdown took 40 s for
20,000 "[", issue 12).
"""

from __future__ import annotations

import argparse
import time

from bench import throwaway  # noqa: F401 — sets Django up; must come first

# isort: split
from django.conf import settings  # noqa: E402

from studyhub.markdown import render_markdown  # noqa: E402
from tests.progress.pathological_markdown import pathological_notes  # noqa: E402


def best_of(text: str, runs: int) -> tuple[float, float]:
    """(CPU ms, wall ms) of the fastest of `runs` renderings."""
    cpu = wall = float("inf")
    for _ in range(runs):
        wall_start, cpu_start = time.perf_counter(), time.thread_time()
        render_markdown(text)
        cpu = min(cpu, time.thread_time() - cpu_start)
        wall = min(wall, time.perf_counter() - wall_start)
    return cpu * 1000, wall * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="renderings of each note (best kept)")
    args = parser.parse_args()

    limit = settings.NOTE_MAX_LENGTH
    full, quarter = pathological_notes(limit), pathological_notes(limit // 4)
    print(f"{'note':34} {'chars':>6} {'CPU ms':>8} {'wall ms':>8}   x quarter")
    worst = 0.0
    for name, text in full.items():
        cpu, wall = best_of(text, args.runs)
        small, _ = best_of(quarter[name], args.runs)
        growth = f"{cpu / small:5.1f}" if small >= 1 else "    -"  # too quick to compare
        print(f"{name:34} {len(text):6} {cpu:8.1f} {wall:8.1f}   {growth}")
        worst = max(worst, cpu)
    print(f"slowest: {worst:.1f} CPU ms for a note of at most {limit:,} characters")


if __name__ == "__main__":
    main()
