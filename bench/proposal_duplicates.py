"""What the proposal form's duplicate check costs, at the seed bank's size and at
10,000 questions.

    .venv/bin/python -m bench.proposal_duplicates                  # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.proposal_duplicates              # PostgreSQL

Makes a throw-away database (see throwaway.py), loads the seed question bank (50
questions) and a team with one learner, and times the request htmx sends while the
learner types (`authoring:proposal_duplicates`, the #duplicates fragment) with Django's
test client: one warm-up, then `--runs` timed requests for each text. It also times the
check alone (authoring.proposals.likely_duplicates: reading the questions the learner
sees, indexing their words, comparing) and counts its work units. Then adds questions
up to 10,000 (seed questions reworded, so many share words: the finder's worst case
short of identical texts) and measures again, printing each time at 10,000 as a
multiple of the time at 50. `--read-all` measures the check without narrowing the
questions it reads (authoring.proposals.sharing_words), for comparison.

The texts: a seed question pasted whole (an exact duplicate), a seed question reworded
(a near duplicate), a question the bank does not hold, and the hostile one: the bank's
commonest words repeated up to the 1,000 characters a proposal may have.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import time
from collections import Counter
from urllib.parse import urlencode

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

import authoring.proposals as proposals  # noqa: E402
from accounts.models import User  # noqa: E402
from questions.access import visible_questions  # noqa: E402
from questions.importing.duplicates import Work  # noqa: E402
from questions.models import Question  # noqa: E402
from teams.services import create_team  # noqa: E402

LARGE = 10_000
#: Words swapped in to reword a seed question, so copies differ yet share most words.
SWAPS = ["model", "network", "layer", "image", "data", "training", "feature", "object"]


def texts() -> dict[str, str]:
    seed = list(Question.objects.order_by("position").values_list("text", flat=True))
    words = Counter(w for t in seed for w in t.lower().split())
    common = " ".join(w for w, _ in words.most_common(30))
    hostile = (common + " ") * (proposals.TEXT_MAX // len(common) + 1)
    return {
        "exact (seed Q12 pasted)": seed[11],
        "near (seed Q3 reworded)": seed[2].replace("explain", "describe").rstrip("?") + " briefly?",
        "new question": "How does mixup augmentation regularise an image classifier?",
        "hostile (common words, 1,000 chars)": hostile[: proposals.TEXT_MAX].strip(),
    }


@transaction.atomic
def grow_bank(to: int) -> float:
    """Reworded copies of the seed questions until the bank holds `to`; seconds taken."""
    seed = list(Question.objects.order_by("position").values_list("text", flat=True))
    have = Question.objects.count()
    began = time.perf_counter()
    batch = []
    for n in range(have, to):
        words = seed[n % len(seed)].split()
        i = n % len(words)
        words[i] = SWAPS[n % len(SWAPS)]
        batch.append(Question(key=f"grown-{n}", position=n + 1, text=" ".join(words)))
    Question.objects.bulk_create(batch, batch_size=1000)
    return time.perf_counter() - began


class RecordedWork(Work):
    """The finder's Work, remembering the last one made, to read its units."""

    last: Work | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        RecordedWork.last = self


def time_check(user: User, text: str, runs: int) -> tuple[float, int, int]:
    """Median ms of likely_duplicates alone (after a warm-up), its work units and how
    many likely duplicates it found."""
    original, proposals.Work = proposals.Work, RecordedWork  # type: ignore[misc]
    try:
        timings = []
        for _ in range(runs + 1):
            began = time.perf_counter()
            check = proposals.likely_duplicates(
                " ".join(text.split()), among=visible_questions(user)
            )
            timings.append((time.perf_counter() - began) * 1000)
    finally:
        proposals.Work = original  # type: ignore[misc]
    units = RecordedWork.last.units if RecordedWork.last else 0
    return statistics.median(timings[1:]), units, len(check.duplicates)


def measure(runs: int) -> list[dict]:
    call_command("load_question_bank", verbosity=0, stdout=io.StringIO())
    learner = User.objects.create(username="bench-learner", display_name="Learner")
    instructor = User.objects.create(username="bench-instructor", display_name="Instructor")
    team = create_team(name="Bench team", creator=instructor)
    team.memberships.create(user=learner, role="learner")
    client = Client()
    client.force_login(learner)
    url = reverse("authoring:proposal_duplicates", kwargs={"team_id": team.pk})
    cases = texts()
    results = []
    for size in (Question.objects.count(), LARGE):
        write = grow_bank(size) if size > Question.objects.count() else None
        for name, text in cases.items():
            write, written = None, write
            request = throwaway.timed(
                client, f"{url}?{urlencode({'text': text})}", runs, HX_Request="true"
            )
            check_ms, units, found = time_check(learner, text, runs)
            results.append(
                {
                    "questions": Question.objects.count(),
                    "text": name,
                    "write_seconds": written,
                    "check_ms": check_ms,
                    "units": units,
                    "found": found,
                    **request,
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--read-all",
        action="store_true",
        help="read every visible question, without the sharing_words narrowing",
    )
    args = parser.parse_args()
    if args.read_all:
        proposals.sharing_words = lambda normalised: Q()

    logging.getLogger("studyhub.request").setLevel(logging.WARNING)
    with throwaway.throwaway_database():
        results = measure(args.runs)
    print(
        f"database={connection.vendor} budget={proposals.DUPLICATE_WORK:,} work units, "
        f"text at most {proposals.TEXT_MAX:,} characters; median of {args.runs} runs; "
        f"{'every visible question read' if args.read_all else 'narrowed by sharing_words'}"
    )
    small = {r["text"]: r for r in results if r["questions"] < LARGE}
    for result in results:
        if result["write_seconds"] is not None:
            print(f"  (adding questions up to {LARGE:,}: {result['write_seconds']:.1f} s)")
        base = small[result["text"]]
        request_ratio = result["median_ms"] / base["median_ms"]
        check_ratio = result["check_ms"] / base["check_ms"]
        print(
            f"  questions={result['questions']:>6,} {result['text']:<38} "
            f"request={result['median_ms']:7.1f} ms (x{request_ratio:5.1f}) "
            f"check={result['check_ms']:7.1f} ms (x{check_ratio:5.1f}) "
            f"units={result['units']:>6,} found={result['found']} queries={result['queries']}"
        )


if __name__ == "__main__":
    main()
