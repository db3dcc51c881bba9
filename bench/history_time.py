"""How long the server takes to render the history page after a year of daily study.

    .venv/bin/python -m bench.history_time                        # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.history_time                    # PostgreSQL

Makes a throw-away database (named after this process, so it never touches the
development database or a test run's), loads the seed question bank (50 questions) and
gives one learner a year of daily study: 12–16 ratings every day for 365 days (about
5,000 confidence events; `--per-day 53` gives about 20,000, the scale table's 100×)
with the matching current marks. Other learners get a year each too (20 by default),
so the learner's events are a small part of the table. Then times the history page
with Django's test client, and the change log's second page as htmx asks for it: one
warm-up request, then 5 timed requests each. Prints the events, the median milliseconds
and each page's number of SQL queries. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import random
from datetime import timedelta

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from progress.models import ConfidenceEvent, ConfidenceMark  # noqa: E402
from questions.models import Question  # noqa: E402

WARM_UP = 1
DAYS = 365


def a_year_of_study(user: User, questions: list[Question], *, seed: int, per_day: int = 12) -> int:
    """`per_day` to `per_day` + 4 ratings a day (12–16 by default) for DAYS days up to
    now, more of them Okay or better as the year goes on, and the matching current
    marks. Returns the number of events."""
    rng = random.Random(seed)
    now = timezone.now()
    events, latest = [], {}
    for back in range(DAYS - 1, -1, -1):
        day = now - timedelta(days=back, hours=1)
        progress = (DAYS - 1 - back) / (DAYS - 1)
        for n in range(per_day + rng.randrange(5)):
            question = rng.choice(questions)
            covering = rng.random() < 0.3 + 0.7 * progress
            level = rng.choice([3, 4, 5] if covering else [1, 2])
            at = day + timedelta(minutes=n)
            events.append(ConfidenceEvent(user=user, question=question, level=level, created_at=at))
            latest[question.pk] = ConfidenceMark(
                user=user, question=question, level=level, updated_at=at
            )
    ConfidenceEvent.objects.bulk_create(events, batch_size=2000)
    ConfidenceMark.objects.bulk_create(latest.values())
    return len(events)


@transaction.atomic
def build(others: int, per_day: int = 12) -> tuple[User, int]:
    call_command("load_question_bank", verbosity=0, stdout=io.StringIO())
    questions = list(Question.objects.order_by("position"))
    learner = User.objects.create(username="bench-learner", display_name="Learner")
    events = a_year_of_study(learner, questions, seed=0, per_day=per_day)
    for index in range(others):
        other = User.objects.create(username=f"bench-other-{index:03d}", display_name="Other")
        a_year_of_study(other, questions, seed=index + 1)
    return learner, events


def measure(others: int, runs: int, per_day: int = 12) -> dict:
    learner, events = build(others, per_day)
    client = Client()
    client.force_login(learner)
    url = reverse("progress:history")
    return {
        "database": connection.vendor,
        "events": events,
        "all_events": ConfidenceEvent.objects.count(),
        "page": throwaway.timed(client, url, runs),
        "log": throwaway.timed(client, f"{url}?page=2", runs, HX_Request="true"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--others", type=int, default=20, help="other learners, a year each")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--per-day", type=int, default=12, help="the learner's least ratings a day (53: ~20,000)"
    )
    args = parser.parse_args()

    with throwaway.throwaway_database():
        result = measure(args.others, args.runs, args.per_day)
    for name, label in (("page", "history page"), ("log", "log page 2 (htmx)")):
        timing = result[name]
        print(
            f"database={result['database']} {label}: events={result['events']} "
            f"(of {result['all_events']} in the table) queries={timing['queries']} "
            f"median_ms={timing['median_ms']:.1f} (min {timing['min_ms']:.1f}, "
            f"max {timing['max_ms']:.1f}, {args.runs} runs after {WARM_UP} warm-up)"
        )


if __name__ == "__main__":
    main()
