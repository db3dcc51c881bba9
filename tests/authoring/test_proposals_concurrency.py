"""Instructors deciding one proposal at the same moment: exactly one decides it, and an
accepted proposal writes exactly one question.

Threads start together on a barrier, each with its own database connection: PostgreSQL
runs them at once (the conditional update makes the later ones wait for the first's
transaction, then find nothing waiting); SQLite queues them for its one write lock.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from authoring.models import Proposal, QuestionRevision
from authoring.proposals import accept_proposal, decline_proposal, propose
from authoring.services import QuestionContent
from questions.models import Question
from tests.factories import make_topic, make_user
from tests.teams.factories import INSTRUCTOR, add_member, make_team

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def run_together(work, count: int) -> tuple[list[object], list[BaseException]]:
    """Run work(i) in `count` threads released at once; return their results and errors."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work(i))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results, errors


@pytest.fixture
def setting():
    make_topic(slug="foundations")
    instructors = [make_user(display_name=f"Instructor {i}") for i in range(THREADS)]
    learner = make_user(display_name="Lee Learner")
    team = make_team("Vision group", instructor=instructors[0], learners=[learner])
    for instructor in instructors[1:]:
        add_member(team, instructor, role=INSTRUCTOR)
    proposal = propose(
        bank_id=team.bank_id, author=learner, text="Why batch norm?", answer="Stable training."
    )
    return proposal, instructors


def test_instructors_accepting_at_once_write_one_question(setting):
    proposal, instructors = setting

    def accept(i: int) -> Question | None:
        content = QuestionContent(
            text=f"Why batch norm, version {i}?", concise="Stable.", topics=("foundations",)
        )
        return accept_proposal(proposal=proposal, instructor=instructors[i], content=content)

    results, errors = run_together(accept, THREADS)
    assert errors == []
    written = [q for q in results if q is not None]
    assert len(written) == 1
    assert Question.objects.filter(text__startswith="Why batch norm").count() == 1
    assert QuestionRevision.objects.count() == 1
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert proposal.question == written[0]


def test_accepting_and_declining_at_once_decide_once(setting):
    proposal, instructors = setting

    def decide(i: int) -> bool:
        if i % 2:
            return decline_proposal(proposal=proposal, instructor=instructors[i], reason="No")
        content = QuestionContent(
            text="Why batch norm?", concise="Stable.", topics=("foundations",)
        )
        return (
            accept_proposal(proposal=proposal, instructor=instructors[i], content=content)
            is not None
        )

    results, errors = run_together(decide, THREADS)
    assert errors == []
    assert results.count(True) == 1
    proposal.refresh_from_db()
    written = Question.objects.filter(text="Why batch norm?").count()
    if proposal.status == Proposal.Status.ACCEPTED:
        assert (written, proposal.reason) == (1, "")
    else:
        assert (written, proposal.reason, proposal.question) == (0, "No", None)
