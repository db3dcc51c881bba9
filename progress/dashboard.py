"""The learner dashboard's read model: a fixed handful of queries for any amount of data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from progress.selectors import my_question_totals, with_my_coverage
from questions.access import visible_banks
from questions.models import Topic, percent

WEAKEST_TOPIC_COUNT = 3
RECENT_COUNT = 6
REVIEW_DAYS = 7


def learner_dashboard(user: User, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    banks = visible_banks(user)
    topics = list(with_my_coverage(Topic.objects.in_scope(banks), user, now=now, banks=banks))
    marks = user.confidence_marks.on_live_questions(banks)
    totals = marks.coverage_totals(now=now)
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=0)
    upcoming = dict(marks.upcoming_reviews(now, end_of_today + timedelta(days=REVIEW_DAYS)))
    today = timezone.localdate(now)
    days = [today + timedelta(days=n) for n in range(REVIEW_DAYS + 1)]
    due_today = totals["due"] + upcoming.get(today, 0)
    # The question count and the verified count in one query (the marks' totals count
    # covered, rated, fresh and due).
    question_totals = my_question_totals(user, banks)
    question_count = question_totals["question_count"]
    covered = totals["covered"]
    # Weak means tried and not yet known: a topic never touched is not started, not weak.
    unfinished = [t for t in topics if t.rated_count and t.covered_count < t.question_count]
    weakest = sorted(unfinished, key=lambda t: (t.coverage_percent, t.position))[
        :WEAKEST_TOPIC_COUNT
    ]
    return {
        "topics": topics,
        "question_count": question_count,
        "covered_count": covered,
        "rated_count": totals["rated"],
        "coverage_percent": percent(covered, question_count),
        "verified_count": question_totals["verified_count"],
        "verified_percent": percent(question_totals["verified_count"], question_count),
        "weakest_topics": weakest,
        "recent_marks": list(marks.recent(RECENT_COUNT)),
        "note_count": user.notes.count(),
        "topics_covered": sum(1 for t in topics if t.question_count and t.coverage_percent == 100),
        "fresh_count": totals["fresh"],
        "fresh_percent": percent(totals["fresh"], question_count),
        "due_now": totals["due"],
        "due_today": due_today,
        "next_days": [(day, upcoming.get(day, 0)) for day in days[1:]],
        "resume": user.study_sessions.open().first(),
        # A learner who has rated nothing yet is shown where to begin: the bank's first
        # topic with questions in it.
        "start_here": (
            next((t for t in topics if t.question_count), None) if not totals["rated"] else None
        ),
    }
