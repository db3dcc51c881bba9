"""Password reset: limited per e-mail address and per client, and the same answer, from the
same work, whether or not the address has an account (accounts.services, accounts.background).

The clock is frozen with time-machine and moved by hand, so each window is exact.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.background import run_after_response, wait_until_done
from accounts.models import RateCounter

RESET = reverse("accounts:password_reset")
SENT = reverse("accounts:password_reset_done")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOME = "10.0.0.1"
CAFE = "10.0.0.2"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def ask(email: str, address: str = HOME):
    return Client().post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_one_client_gets_at_most_three_emails_an_hour_to_one_address(user, clock):
    # Five requests from one client: each sees "check your e-mail"...
    responses = [ask("learner@example.com") for _ in range(5)]
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, SENT)] * 5
    # ...but only three e-mails go out, and the refused ones look like any other request.
    assert [message.to for message in mail.outbox] == [["learner@example.com"]] * 3
    unknown = ask("nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (302, SENT)

    clock.shift(timedelta(minutes=59, seconds=59))
    ask("learner@example.com")
    assert len(mail.outbox) == 3
    clock.shift(timedelta(seconds=1))  # an hour after the first
    ask("learner@example.com")
    assert len(mail.outbox) == 4


def test_nobody_can_use_up_someone_elses_reset_emails(user, clock):
    for _ in range(3):
        ask("learner@example.com", CAFE)  # someone else asks for the learner's e-mails
    assert len(mail.outbox) == 3
    ask("learner@example.com", HOME)  # the learner still gets one
    assert len(mail.outbox) == 4


def test_one_address_gets_at_most_ten_emails_an_hour_from_all_clients(user, clock):
    responses = [ask("learner@example.com", f"10.1.0.{n}") for n in range(12)]
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, SENT)}
    assert len(mail.outbox) == 10


def test_the_address_limit_ignores_case_and_spaces(user, clock):
    for spelling in ("learner@example.com", "Learner@Example.com", " LEARNER@example.COM "):
        ask(spelling)
    ask("learner@EXAMPLE.com")
    assert len(mail.outbox) == 3


def test_one_client_may_ask_ten_times_an_hour_then_gets_the_429_page(user, clock):
    statuses = [ask(f"someone{n}@example.com").status_code for n in range(10)]
    assert statuses == [302] * 10

    clock.shift(timedelta(minutes=15))
    response = ask("learner@example.com")
    assert response.status_code == 429
    assert response["Retry-After"] == str(45 * 60)
    page = response.content.decode()
    assert "<h1>Too many reset requests</h1>" in page
    assert "Your network has asked for 10 password-reset e-mails in the last 60 minutes" in page
    assert "ask again in 45 minutes, after" in page and ">10:00</time>" in page
    assert mail.outbox == []

    # Another client is not affected,
    assert ask("learner@example.com", CAFE).status_code == 302
    assert len(mail.outbox) == 1
    # and this one may ask again when its hour is over.
    clock.shift(timedelta(minutes=45))
    assert ask("learner@example.com").status_code == 302
    assert len(mail.outbox) == 2


def test_a_mistyped_address_is_shown_again_and_does_not_count(db, clock):
    for _ in range(12):
        response = ask("not an address")
        assert response.status_code == 200
        assert 'value="not an address"' in response.content.decode()
    assert ask("learner@example.com").status_code == 302
    assert RateCounter.objects.get(key=f"reset-client:{HOME}").count == 1


def has_reset_link(message) -> bool:
    """Whether the e-mail holds a link to the page that sets a new password."""
    kwargs = {"uidb64": "UIDB64", "token": "TOKEN"}
    confirm = reverse("accounts:password_reset_confirm", kwargs=kwargs)
    path = re.escape(confirm).replace("UIDB64", r"[^/\s]+").replace("TOKEN", r"[^/\s]+")
    return re.search(path, message.body) is not None


def _same_shape(sql: str) -> str:
    """A query with the address's keyed hash taken out."""
    return re.sub(r"[0-9a-f]{64}", "<hash>", sql)


@pytest.mark.django_db(transaction=True)
def test_the_request_does_the_same_work_for_known_and_unknown_addresses(user, settings, clock):
    """The answer waits for nothing that depends on the address: no look-up, no e-mail.
    Those run on the worker thread afterwards, and the e-mail still arrives."""
    settings.BACKGROUND_JOBS = True
    # Hold the worker, so what the request itself did can be looked at.
    release = threading.Event()
    run_after_response(lambda: release.wait(10))

    seen = {}
    for email in ("learner@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            response = ask(email)
        assert (response.status_code, response["Location"]) == (302, SENT)
        seen[email] = (
            [_same_shape(query["sql"]) for query in queries],
            [template.name for template in response.templates],
        )
    assert seen["learner@example.com"] == seen["nobody@example.com"]
    known_queries, known_templates = seen["learner@example.com"]
    assert not any("accounts_user" in sql for sql in known_queries)
    assert not any("password_reset_email" in (name or "") for name in known_templates)
    assert mail.outbox == []

    release.set()
    assert wait_until_done(timeout=10)
    assert [message.to for message in mail.outbox] == [["learner@example.com"]]
    assert has_reset_link(mail.outbox[0])


@pytest.mark.django_db(transaction=True)
def test_the_counter_never_lets_more_than_its_limit_through_at_once(db):
    """Sixteen requests at once for three uses of one key: exactly three are let through."""
    results: list[bool] = []
    start = threading.Barrier(16)

    def hit() -> None:
        from django.db import connection as own

        try:
            start.wait()
            results.append(RateCounter.objects.hit("k", limit=3, window=timedelta(hours=1)))
        finally:
            own.close()

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 13 + [True] * 3
    assert RateCounter.objects.get(key="k").count == 3


def test_expired_counters_are_deleted(db, clock):
    for n in range(5):
        RateCounter.objects.hit(f"old-{n}", limit=3, window=timedelta(hours=1))
    clock.shift(timedelta(hours=1))
    RateCounter.objects.hit("new", limit=3, window=timedelta(hours=1))
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]
