"""How long the server takes to render the team dashboard for a large team.

    .venv/bin/python -m bench.team_dashboard_time                 # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.team_dashboard_time             # PostgreSQL

Makes a throw-away database (named after this process, so it never touches the
development database or a test run's), loads the seed question bank (50 questions),
adds one team with 200 learners who each have a confidence mark on every question
and two assignments, then times the team dashboard with Django's test client: one
warm-up request, then 5 timed requests. Prints the members, questions, median
milliseconds and the page's number of SQL queries. The database is dropped at the end.
`--view filtered` times it filtered to the first assignment, `--view levels` with cells
shown as confidence levels.
"""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from progress.models import ConfidenceMark  # noqa: E402
from questions.models import Question, Topic  # noqa: E402
from teams.models import (  # noqa: E402
    Assignment,
    Membership,  # noqa: E402
    TopicSet,
)
from teams.services import create_team  # noqa: E402

WARM_UP = 1


def build(members: int) -> tuple[User, int]:
    """The team, its learners with a mark on every question, and two assignments."""
    call_command("load_question_bank", verbosity=0, stdout=io.StringIO())
    questions = list(Question.objects.order_by("position"))
    instructor = User.objects.create(username="bench-instructor", display_name="Instructor")
    team = create_team(name="Benchmark cohort", creator=instructor)
    User.objects.bulk_create(
        [
            User(username=f"bench-{i:04d}", display_name=f"Learner {i:04d}", password="!")
            for i in range(members)
        ]
    )
    learners = list(User.objects.filter(username__startswith="bench-0").order_by("username"))
    Membership.objects.bulk_create(
        [Membership(team=team, user=user, role=Membership.Role.LEARNER) for user in learners]
    )
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    ConfidenceMark.objects.bulk_create(
        [
            ConfidenceMark(
                user=user,
                question=question,
                level=1 + (i * 7 + question.position) % 5,
                updated_at=start + timedelta(hours=i + question.position),
            )
            for i, user in enumerate(learners)
            for question in questions
        ],
        batch_size=2000,
    )
    week3 = TopicSet.objects.create(team=team, name="Week 3: deployment and robustness")
    week3.topics.set(Topic.objects.filter(slug__in=["deployment", "robustness"]))
    warm_up = TopicSet.objects.create(team=team, name="Detection warm-up")
    warm_up.questions.set(Question.objects.filter(position__in=[5, 23, 24]))
    for topic_set in (week3, warm_up):
        Assignment.objects.create(team=team, topic_set=topic_set, created_by=instructor)
    return instructor, team.pk


VIEWS = {"plain": "", "filtered": "?assignment={assignment}", "levels": "?cells=levels"}


def measure(members: int, runs: int, view: str = "plain") -> dict:
    instructor, team_id = build(members)
    client = Client()
    client.force_login(instructor)
    assignment = Assignment.objects.filter(team_id=team_id).first()
    url = reverse("teams:team_dashboard", args=[team_id])
    url += VIEWS[view].format(assignment=assignment.pk if assignment else "")
    timing = throwaway.timed(client, url, runs)
    return {
        "database": connection.vendor,
        "members": Membership.objects.filter(team_id=team_id, role=Membership.Role.LEARNER).count(),
        "questions": Question.objects.count(),
        "marks": ConfidenceMark.objects.count(),
        **timing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--view", choices=list(VIEWS), default="plain")
    args = parser.parse_args()

    with throwaway.throwaway_database():
        result = measure(args.members, args.runs, args.view)
    print(
        f"database={result['database']} view={args.view} members={result['members']} "
        f"questions={result['questions']} marks={result['marks']} "
        f"median_ms={result['median_ms']:.1f} (min {result['min_ms']:.1f}, "
        f"max {result['max_ms']:.1f}, {args.runs} runs after {WARM_UP} warm-up) "
        f"queries={result['queries']}"
    )


if __name__ == "__main__":
    main()
