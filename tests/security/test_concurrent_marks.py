"""Concurrent confidence marks for one learner and question: one current row, every event.

Threads start together on a barrier, each with its own database connection. PostgreSQL
runs the writers truly at once; SQLite (whose test database is a file, so each thread has
its own connection, as in production) makes them queue for its one write lock, and must
neither fail one with "database is locked" nor lose an event.
"""

from __future__ import annotations

import string
import threading
import urllib.request
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from progress.models import ConfidenceEvent, ConfidenceMark
from progress.services import record_confidence
from tests.factories import make_bank, make_user
from tests.pages import HTMX

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def run_together(work, count: int) -> list[BaseException]:
    """Run work(i) in `count` threads released at once; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
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
    return errors


def assert_one_current_row_and_every_event(user, question, levels: list[int]) -> None:
    marks = list(ConfidenceMark.objects.filter(user=user, question=question))
    assert len(marks) == 1
    events = list(
        ConfidenceEvent.objects.filter(user=user, question=question).values_list(
            "level", "created_at"
        )
    )
    assert Counter(level for level, _ in events) == Counter(levels)
    # The current row is one of the marks made, not a mixture of two.
    assert (marks[0].level, marks[0].updated_at) in events


def test_concurrent_calls_leave_one_current_row_and_every_event():
    user = make_user()
    question = make_bank(topics=1, questions_per_topic=1)[0].questions.get()
    levels = [i % 5 + 1 for i in range(THREADS)]

    for _ in range(2):  # the first round inserts the row, the second updates it
        errors = run_together(
            lambda i: record_confidence(user=user, question=question, level=levels[i]), THREADS
        )
        assert errors == []

    assert_one_current_row_and_every_event(user, question, levels * 2)


def test_concurrent_requests_leave_one_current_row_and_every_event(live_server):
    user = make_user()
    question = make_bank(topics=1, questions_per_topic=1)[0].questions.get()
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Django accepts its CSRF secret itself as the token: the same value in cookie and header.
    csrf = get_random_string(32, string.ascii_letters + string.digits)
    levels = [i % 5 + 1 for i in range(THREADS)]
    statuses: list[int] = []

    def mark(i: int) -> None:
        request = urllib.request.Request(
            live_server.url + reverse("progress:mark_confidence", args=[question.key]),
            data=urlencode({"level": levels[i]}).encode(),
            headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                **HTMX,
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append(response.status)

    assert run_together(mark, THREADS) == []

    assert statuses == [200] * THREADS
    assert_one_current_row_and_every_event(user, question, levels)
