"""bench/scale_data.py writes the real models' tables with raw SQL: the rows must stay
what the app itself would have written as the schema changes (on both databases)."""

from __future__ import annotations

import pytest
from django.db.models import Count, Max

from accounts.models import User
from bench.scale_data import HEAVY, HEAVY_EVENTS_PER_SCALE, load, simulate_histories
from progress.models import ConfidenceEvent, ConfidenceMark, Note, RecallCheck, StudySession
from progress.search import search_questions
from questions.models import Question
from teams.models import Assignment, Membership, Team

pytestmark = pytest.mark.django_db

#: Learners per scale: two teams of 50 at scale 2, and the big team of all 100.
LEARNERS = 50


@pytest.fixture
def built():
    return load(2, learners_per_scale=LEARNERS, log=lambda _line: None)


def test_the_counts_it_reports_are_the_rows_it_wrote(built):
    counts = built["counts"]
    assert Question.objects.count() == counts["questions"] == 100
    assert User.objects.filter(username__startswith="scale-learner-").count() == 2 * LEARNERS
    assert ConfidenceEvent.objects.count() == counts["events"]
    assert ConfidenceMark.objects.count() == counts["marks"]
    assert Note.objects.count() == counts["notes"]
    assert RecallCheck.objects.count() == counts["checks"]


def test_each_mark_is_its_learners_latest_event_on_the_question(built):
    latest = {
        (row["user_id"], row["question_id"]): row["at"]
        for row in ConfidenceEvent.objects.values("user_id", "question_id").annotate(
            at=Max("created_at")
        )
    }
    marks = list(ConfidenceMark.objects.all())
    assert len(marks) == len(latest)
    for mark in marks:
        assert latest[(mark.user_id, mark.question_id)] == mark.updated_at == mark.last_review
        assert mark.due is not None and mark.due > mark.updated_at
        event = ConfidenceEvent.objects.filter(
            user_id=mark.user_id, question_id=mark.question_id
        ).first()  # newest first (Meta.ordering)
        assert event is not None and event.level == mark.level
        assert mark.recalled_half == (mark.recall is not None and mark.recall >= 50)


def test_the_pages_objects_exist(built):
    ids = built["ids"]
    heavy = User.objects.get(username=ids["heavy"])
    assert heavy.username == HEAVY
    assert heavy.confidence_events.count() == HEAVY_EVENTS_PER_SCALE * 2
    big = Team.objects.get(pk=ids["team_big"])
    assert big.memberships.learners().count() == built["counts"]["big team members"]
    assert Membership.objects.filter(team_id=ids["team_50"], role="learner").count() == 50
    assert Assignment.objects.get(pk=ids["assignment_big"]).team == big
    session = StudySession.objects.get(pk=ids["study_session"], user=heavy)
    assert session.question_ids and session.current_question_id is not None
    # Copies keep the seed's topics: every question has at least one.
    assert not Question.objects.annotate(n=Count("topics")).filter(n=0).exists()


def test_search_finds_the_questions_it_wrote(built):
    """On PostgreSQL the load runs without triggers, the search index's among them: the
    index is written afterwards, or every search of the benchmark finds nothing."""
    heavy = User.objects.get(username=built["ids"]["heavy"])
    named = set(
        Question.objects.filter(text__icontains="quantization").values_list("pk", flat=True)
    )
    assert len(named) >= 2  # a seed question and its copy

    found = {question.pk for question in search_questions(heavy, text="quantization")}

    assert named <= found


def test_histories_are_scheduled_by_fsrs():
    import random

    histories = simulate_histories(random.Random(1), per_length=3)
    assert sorted(histories) == list(range(1, 11))
    for length, group in histories.items():
        for history in group:
            assert len(history.offsets) == len(history.levels) == length
            assert history.due_after > 0 and history.stability > 0
