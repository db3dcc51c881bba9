#!/usr/bin/env python
"""How long a mark holds SQLite's write lock, and how long the whole mark takes (issue 18).

On SQLite one connection writes at a time: every other mark, note and session write
waits while a mark holds the lock, so under a class marking at once the lock's hold
time, not the mark's own cost, sets how many marks a second the server can take. This
script posts htmx marks in-process (django.test.Client, the benchmark's settings and
database, bench/run.py) for one learner over three questions and the five levels in
turn, so that two marks in five cover or uncover a question and send the coverage
panel, and times the write lock from the moment it is taken (studyhub/sqlite/base.py)
to its release at commit or rollback. It prints the median and 90th percentile of the
hold and of the whole request. Wall-clock figures: run it on a quiet machine, and
compare two trees turn about (`python bench/mark_lock.py --root <other tree>`).

    .venv/bin/python bench/mark_lock.py [--marks 300]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marks", type=int, default=300, help="marks timed after a warm-up")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the StudyHub tree to measure (default: this one)",
    )
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    os.environ.pop("DATABASE_URL", None)  # SQLite: the lock this measures is SQLite's

    from bench import run

    os.environ.update(run.bench_environment(run.bench_database_url()))
    run.prepare(dict(os.environ))

    import logging

    from django.test import Client

    from accounts.models import User
    from bench.seed import learner_name
    from studyhub.sqlite.base import DatabaseWrapper

    logging.getLogger("studyhub.request").disabled = True
    holds: list[float] = []
    taken_at = [0.0]
    take, release = DatabaseWrapper._take_write_lock, DatabaseWrapper._release_write_lock

    def timed_take(self: DatabaseWrapper) -> None:
        take(self)
        taken_at[0] = time.perf_counter()

    def timed_release(self: DatabaseWrapper) -> None:
        if self._lock_held:
            holds.append(time.perf_counter() - taken_at[0])
        release(self)

    DatabaseWrapper._take_write_lock = timed_take  # type: ignore[method-assign]
    DatabaseWrapper._release_write_lock = timed_release  # type: ignore[method-assign]

    client = Client(HTTP_HOST=run.HOST)
    client.force_login(User.objects.get(username=learner_name(0)))
    keys = itertools.cycle(["cnn-10", "cnn-11", "cnn-12"])
    levels = itertools.cycle(range(1, 6))

    def mark() -> None:
        path = f"/questions/{next(keys)}/confidence/"
        response = client.post(path, {"level": next(levels)}, headers={"HX-Request": "true"})
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")

    for _ in range(30):
        mark()
    holds.clear()
    requests = []
    for _ in range(args.marks):
        started = time.perf_counter()
        mark()
        requests.append(time.perf_counter() - started)

    def figures(samples: list[float]) -> str:
        samples = sorted(samples)
        median, p90 = samples[len(samples) // 2], samples[int(len(samples) * 0.9)]
        return f"median {median * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms"

    print(f"{root}: {args.marks} marks, {len(holds)} write transactions")
    print(f"  write lock held: {figures(holds)}")
    print(f"  whole request:   {figures(requests)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
