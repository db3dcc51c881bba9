"""How long the question search takes with the longest text it allows, at the seed
bank's size and at 100 times it.

    .venv/bin/python -m bench.search_time                         # SQLite (FTS5)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.search_time                     # PostgreSQL

Makes a throw-away database (see throwaway.py), loads the seed question bank (50
questions, about 34,000 characters of answers), and times the question list with
Django's test client, as htmx asks for it while the learner types: one warm-up, then 5
timed requests for each search text. Then copies the bank 99 times more (5,000
questions, written with bulk_create as an import does, so the SQLite triggers index
them; the time of that write is printed too) and times the same searches again.

The searches: none (the whole list, to tell rendering from searching), one common
word (most questions match, so ranking sorts them all), the seed bank's longest question
pasted whole (20 words, the most allowed), and the most allowed words joined by "or"
(every question matches at least one alternative).
"""

from __future__ import annotations

import argparse
import io
import logging
import time
from urllib.parse import urlencode

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from progress.search import SEARCH_MAX_CHARS, SEARCH_MAX_WORDS, search_text_error  # noqa: E402
from questions.models import Answer, Question  # noqa: E402

COPIES = 99


def searches() -> dict[str, str]:
    longest = max(Question.objects.values_list("text", flat=True), key=lambda t: len(t.split()))
    common = ["model", "training", "data", "layer", "network", "loss", "image", "feature",
              "learning", "weights", "gradient"]  # fmt: skip
    either = " or ".join(common[: (SEARCH_MAX_WORDS + 1) // 2])
    texts = {
        "none (the whole list)": "",
        "one word": "model",
        "longest question": longest,
        "words joined by or": either,
    }
    for name, text in texts.items():
        assert not search_text_error(text), f"{name} is not allowed: {text!r}"
    return texts


@transaction.atomic
def copy_bank(copies: int) -> float:
    """The bank `copies` times more, as an import writes it. Returns the seconds taken."""
    originals = list(Question.objects.prefetch_related("answers").order_by("position"))
    start = len(originals)
    began = time.perf_counter()
    for copy in range(1, copies + 1):
        made = Question.objects.bulk_create(
            Question(key=f"copy-{copy}-{q.key}", position=start * copy + q.position, text=q.text)
            for q in originals
        )
        Answer.objects.bulk_create(
            Answer(
                question=new,
                kind=a.kind,
                text=a.text,
                html=a.html,
                source_incomplete=a.source_incomplete,
            )
            for new, old in zip(made, originals, strict=True)
            for a in old.answers.all()
        )
    return time.perf_counter() - began


def measure(runs: int) -> list[dict]:
    call_command("load_question_bank", verbosity=0, stdout=io.StringIO())
    learner = User.objects.create(username="bench-learner", display_name="Learner")
    client = Client()
    client.force_login(learner)
    url = reverse("progress:question_list")
    texts = searches()
    results = []
    write_seconds: float | str | None
    for size, write_seconds in ((1, None), (COPIES + 1, "copy")):
        if write_seconds == "copy":
            write_seconds = copy_bank(COPIES)
        questions = Question.objects.count()
        for name, text in texts.items():
            timing = throwaway.timed(
                client, f"{url}?{urlencode({'q': text})}", runs, HX_Request="true"
            )
            results.append(
                {
                    "size": size,
                    "questions": questions,
                    "search": name,
                    "text": text,
                    "write_seconds": write_seconds,
                    **timing,
                }  # fmt: skip
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    logging.getLogger("studyhub.request").setLevel(logging.WARNING)  # one line per request
    with throwaway.throwaway_database():
        results = measure(args.runs)
    print(
        f"database={connection.vendor} limits: {SEARCH_MAX_WORDS} words, "
        f"{SEARCH_MAX_CHARS} characters"
    )
    for result in results:
        if result["write_seconds"] is not None and result["search"].startswith("none"):
            print(
                f"  copying the bank {COPIES} times (bulk_create, indexed on SQLite by the "
                f"triggers): {result['write_seconds']:.2f} s"
            )
        words = len(result["text"].split())
        print(
            f"  questions={result['questions']} search={result['search']!r} ({words} words, "
            f"{len(result['text'])} characters) queries={result['queries']} "
            f"median_ms={result['median_ms']:.1f} (min {result['min_ms']:.1f}, "
            f"max {result['max_ms']:.1f}, {args.runs} runs after 1 warm-up)"
        )


if __name__ == "__main__":
    main()
