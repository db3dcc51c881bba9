"""Benchmark data: 500 learners in 10 teams of 50, a 200-learner team, the seed bank,
realistic confidence histories (scheduled by FSRS, as the app does) and notes.

Bulk inserts, so it takes seconds, not minutes. Deterministic (seeded).
Used by bench/run.py; not part of the test run.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from progress.models import ConfidenceEvent, ConfidenceMark, Note
from progress.scheduling import RATING_FOR_LEVEL, SCHEDULER, card_from_mark, schedule_fields
from questions.models import Question, Topic
from studyhub.markdown import render_markdown
from teams.models import Assignment, Membership, Team, TopicSet

LEARNERS = 500
TEAMS = 10
BIG_TEAM = 200
PASSWORD = "bench-password"

NOTE_TEXT = (
    "**Key idea:** {topic}.\n\n- remember the trade-off between accuracy and latency\n"
    "- see question {n} for the related case\n\n`code` and [a link](https://example.com)"
)


def learner_name(n: int) -> str:
    return f"bench-learner-{n:04d}"


def instructor_name(n: int) -> str:
    return f"bench-instructor-{n:02d}"


@transaction.atomic
def seed(*, rng_seed: int = 7) -> dict[str, int]:
    if User.objects.filter(username=learner_name(0)).exists():
        return {"created": 0}
    rng = random.Random(rng_seed)
    now = timezone.now()
    password = make_password(PASSWORD)
    questions = list(Question.objects.order_by("position"))
    assert questions, "load the question bank first"

    learners = User.objects.bulk_create(
        User(username=learner_name(n), display_name=f"Learner {n}", password=password)
        for n in range(LEARNERS)
    )
    instructors = User.objects.bulk_create(
        User(username=instructor_name(n), display_name=f"Instructor {n}", password=password)
        for n in range(TEAMS + 1)
    )

    deployment_robustness = list(Topic.objects.filter(slug__in=["deployment", "robustness"]))
    teams = []
    for n in range(TEAMS + 1):
        big = n == TEAMS
        team = Team.objects.create(name=f"Bench team {n}" + (" (200)" if big else ""))
        members = learners[:BIG_TEAM] if big else learners[n * 50 : (n + 1) * 50]
        Membership.objects.bulk_create(
            [Membership(team=team, user=instructors[n], role=Membership.Role.INSTRUCTOR)]
            + [Membership(team=team, user=u, role=Membership.Role.LEARNER) for u in members]
        )
        topic_set = TopicSet.objects.create(team=team, name="Deployment and robustness")
        topic_set.topics.set(deployment_robustness)
        Assignment.objects.create(
            team=team, topic_set=topic_set, due_date=timezone.localdate() + timedelta(days=7)
        )
        teams.append(team)

    events, marks, notes = [], [], []
    for user in learners:
        skill = rng.random()
        studied = rng.sample(questions, rng.randint(10, len(questions)))
        for question in studied:
            card = card_from_mark(None)
            when = now - timedelta(days=rng.randint(20, 120), minutes=rng.randint(0, 900))
            level = 1
            for _ in range(rng.randint(1, 4)):
                level = max(1, min(5, round(rng.gauss(1 + skill * 4, 1))))
                rating = RATING_FOR_LEVEL[level]
                card, _log = SCHEDULER.review_card(card, rating, when)
                events.append(
                    ConfidenceEvent(
                        user=user,
                        question=question,
                        level=level,
                        rating=int(rating),
                        created_at=when,
                    )
                )
                when = min(now, when + timedelta(days=rng.randint(1, 20)))
            assert card.last_review is not None  # reviewed at least once above
            marks.append(
                ConfidenceMark(
                    user=user,
                    question=question,
                    level=level,
                    updated_at=card.last_review,
                    **schedule_fields(card),
                )
            )
        for question in rng.sample(studied, min(len(studied), rng.randint(0, 8))):
            text = NOTE_TEXT.format(topic=question.text[:60], n=question.position)
            notes.append(
                Note(user=user, question=question, version=1, text=text, html=render_markdown(text))
            )
    ConfidenceEvent.objects.bulk_create(events, batch_size=5000)
    ConfidenceMark.objects.bulk_create(marks, batch_size=5000)
    Note.objects.bulk_create(notes, batch_size=2000)
    return {
        "learners": len(learners),
        "teams": len(teams),
        "events": len(events),
        "marks": len(marks),
        "notes": len(notes),
    }
