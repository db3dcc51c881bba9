"""How long a crafted question import takes, and how long it blocks other writers.

    .venv/bin/python -m bench.import_crafted                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \\
        .venv/bin/python -m bench.import_crafted                  # PostgreSQL

The crafted files are those of issue 12: every question is a different ordering of the
same 63 words, so each shares all its words with every question of the bank and a
shared-word prefilter lets every one through to the character comparison. In a
throw-away database (see throwaway.py) with the seed bank, for each size (400 and
2,000 questions by default) the script imports one crafted file through the planner
(so the bank holds as many crafted questions), then puts a second crafted file of the
same size through the pages as an instructor would: upload, preview, confirm. It
prints the seconds of each step, the work units and character comparisons the plan
made, and how long the confirm's write transaction lasted.

While the confirm runs, another thread records a learner's confidence mark every
20 ms on its own connection, as the mark button does; the longest any of those writes
waited is printed too. (On SQLite a writer waits for the one write lock; the target is
that no other user's write waits more than a second.)
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from progress.services import record_confidence  # noqa: E402
from questions.importing import parse_import, plan_import, records, run_import  # noqa: E402
from questions.models import ImportRecord, Question  # noqa: E402
from teams.models import Membership, Team  # noqa: E402

#: 63 words, as in the report: all different, of ordinary length.
WORDS = [
    "what",
    "how",
    "why",
    "when",
    "which",
    "does",
    "do",
    "is",
    "are",
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "for",
    "to",
    "with",
    "by",
    "from",
    "and",
    "or",
    "convolution",
    "kernel",
    "stride",
    "padding",
    "pooling",
    "layer",
    "network",
    "neural",
    "image",
    "feature",
    "map",
    "channel",
    "filter",
    "batch",
    "normalisation",
    "dropout",
    "gradient",
    "descent",
    "learning",
    "rate",
    "loss",
    "function",
    "activation",
    "relu",
    "sigmoid",
    "softmax",
    "tensor",
    "weight",
    "bias",
    "epoch",
    "training",
    "inference",
    "model",
    "accuracy",
    "precision",
    "recall",
    "anchor",
    "region",
    "proposal",
    "residual",
    "block",
]
assert len(WORDS) == len(set(WORDS)) == 63


def crafted_csv(count: int, *, seed: int, topic: str = "crafted") -> str:
    """`count` questions, each a different shuffle of WORDS, all in one topic."""
    rng = random.Random(seed)
    rows = ["question,answer,topics"]
    for _ in range(count):
        words = WORDS[:]
        rng.shuffle(words)
        rows.append(f"{' '.join(words)}?,An answer.,{topic}")
    return "\n".join(rows) + "\n"


class Marker(threading.Thread):
    """Records a mark every `interval` seconds on its own connection until stopped;
    keeps how long each write took."""

    def __init__(self, user: User, question: Question, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.user, self.question, self.interval = user, question, interval
        self.stop = threading.Event()
        self.waits: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        level = 1
        try:
            while not self.stop.is_set():
                began = time.perf_counter()
                try:
                    record_confidence(user=self.user, question=self.question, level=level)
                except Exception as error:  # a lock timeout: what a user would see as 503
                    self.errors.append(f"{type(error).__name__}: {error}")
                self.waits.append(time.perf_counter() - began)
                level = level % 5 + 1
                time.sleep(self.interval)
        finally:
            connections.close_all()


def timed_write_plan() -> tuple[list[float], Callable[[], None]]:
    """Wrap the confirm's write_plan to note how long each call (the body of the
    write transaction, all but its claim and commit) takes."""
    original = records.write_plan
    durations: list[float] = []

    def write_plan(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            durations.append(time.perf_counter() - began)

    records.write_plan = write_plan
    return durations, lambda: setattr(records, "write_plan", original)


def measure(size: int) -> dict:
    bank_file = crafted_csv(size, seed=size)
    began = time.perf_counter()
    run_import(parse_import(bank_file, source="bank.csv"))
    seeded = time.perf_counter() - began

    instructor = User.objects.get(username="bench-instructor")
    learner = User.objects.get(username="bench-learner")
    client = Client()
    client.force_login(instructor)
    text = crafted_csv(size, seed=size + 1)

    began = time.perf_counter()
    upload = SimpleUploadedFile("crafted.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("questions:import_upload"), {"file": upload, "format": "auto"})
    upload_s = time.perf_counter() - began
    assert response.status_code == 302, response.content[:2000]
    record = ImportRecord.objects.filter(user=instructor).first()
    assert record is not None, "the upload made no import"

    began = time.perf_counter()
    response = client.get(record.get_absolute_url())
    preview_s = time.perf_counter() - began
    assert response.status_code == 200

    plan = plan_import(parse_import(text, source="crafted.csv"), topics=record.topics)
    assert plan.work is not None  # planning against the bank counts its work
    durations, restore = timed_write_plan()
    first_question = Question.objects.order_by("position").first()
    assert first_question is not None
    marker = Marker(learner, first_question)
    marker.start()
    time.sleep(0.2)  # a few marks before the confirm
    try:
        began = time.perf_counter()
        response = client.post(record.get_absolute_url())
        confirm_s = time.perf_counter() - began
    finally:
        time.sleep(0.2)
        marker.stop.set()
        marker.join()
        restore()
    assert response.status_code == 302
    record.refresh_from_db()
    assert not record.is_pending, "the confirm did not import"
    return {
        "size": size,
        "bank": Question.objects.count(),
        "seed_import_s": seeded,
        "upload_s": upload_s,
        "preview_s": preview_s,
        "confirm_s": confirm_s,
        "write_s": max(durations),
        "work_units": plan.work.units,
        "comparisons": plan.work.comparisons,
        "marks": len(marker.waits),
        "mark_max_wait_s": max(marker.waits),
        "mark_median_s": statistics.median(marker.waits),
        "mark_errors": marker.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 2000])
    args = parser.parse_args()

    with throwaway.throwaway_database():
        call_command("load_question_bank", verbosity=0)
        instructor = User.objects.create(username="bench-instructor", display_name="I")
        team = Team.objects.create(name="Bench team")
        Membership.objects.create(user=instructor, team=team, role=Membership.Role.INSTRUCTOR)
        User.objects.create(username="bench-learner", display_name="L")
        results = [measure(size) for size in args.sizes]
        vendor = connection.vendor

    for r in results:
        print(
            f"database={vendor} crafted questions={r['size']} (bank before: "
            f"{r['bank'] - r['size']}): upload {r['upload_s']:.2f}s, preview "
            f"{r['preview_s']:.2f}s, confirm {r['confirm_s']:.2f}s, of which the write "
            f"{r['write_s'] * 1000:.0f} ms; plan: {r['work_units']:,} work units "
            f"(limit {throwaway.settings.IMPORT_MAX_WORK:,}), {r['comparisons']:,} "
            f"comparisons; concurrent marks: {r['marks']}, longest "
            f"{r['mark_max_wait_s'] * 1000:.0f} ms, median {r['mark_median_s'] * 1000:.0f} ms, "
            f"errors {len(r['mark_errors'])}{' ' + r['mark_errors'][0] if r['mark_errors'] else ''}"
        )


if __name__ == "__main__":
    main()
