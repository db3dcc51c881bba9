"""Log-in throttling (django-axes): 5 failures for a username from an address, or 20 from
an address over all usernames (accounts/lockout.py), then 10 minutes.

The clock is frozen with time-machine and moved by hand, so the cool-off is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse_lazy

from tests.factories import PASSWORD, make_user

LOGIN = reverse_lazy("accounts:login")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOME = "10.0.0.1"
CAFE = "10.0.0.2"


@pytest.fixture
def lena(db):
    return make_user(username="lena", display_name="Lena Park")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(address: str, password: str, username: str = "lena", client: Client | None = None):
    client = client or Client()
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, client


def fail(address: str, times: int, username: str = "lena") -> list[int]:
    return [log_in(address, "wrong password", username)[0].status_code for _ in range(times)]


def test_five_failures_lock_the_username_at_that_address_for_ten_minutes(lena, clock):
    # Four wrong passwords are the usual "try again" form...
    assert fail(HOME, 4) == [200, 200, 200, 200]
    # ...the fifth starts the cool-off,
    response, _ = log_in(HOME, "wrong password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>Too many log-in attempts</h1>" in page
    assert "After 5 failed attempts, logging in as <strong>lena</strong> from this address" in page
    assert "paused for 10 minutes" in page
    assert "Try again in 10 minutes, after" in page and ">09:10</time>" in page
    assert response["Retry-After"] == "600"

    # and during it even the right password is refused, with the time left.
    clock.shift(timedelta(minutes=9, seconds=59))
    response, client = log_in(HOME, PASSWORD)
    assert response.status_code == 429
    assert "Try again in 1 minute, after" in response.content.decode()
    assert SESSION_KEY not in client.session

    clock.shift(timedelta(seconds=2))
    response, client = log_in(HOME, PASSWORD)
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == lena.pk


def test_tries_during_the_cool_off_do_not_extend_it(lena, clock):
    fail(HOME, 5)
    for _ in range(3):
        clock.shift(timedelta(minutes=3))
        assert log_in(HOME, "still wrong")[0].status_code == 429
    clock.shift(timedelta(minutes=1, seconds=1))  # 10 minutes after the fifth failure

    assert log_in(HOME, PASSWORD)[0].status_code == 302


def test_failures_from_another_address_do_not_lock_the_user_out_here(lena, clock):
    assert fail(CAFE, 5)[-1] == 429

    response, client = log_in(HOME, PASSWORD)

    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == lena.pk


def test_failures_for_another_username_do_not_lock_this_one(lena, clock):
    make_user(username="marco")
    assert fail(HOME, 5, username="marco")[-1] == 429

    assert log_in(HOME, PASSWORD)[0].status_code == 302
    assert log_in(HOME, PASSWORD, username="marco")[0].status_code == 429


def test_failures_older_than_the_cool_off_are_forgotten(lena, clock):
    fail(HOME, 4)
    clock.shift(timedelta(minutes=10, seconds=1))

    assert fail(HOME, 4) == [200, 200, 200, 200]


def test_a_successful_log_in_starts_the_count_again(lena, clock):
    fail(HOME, 4)
    assert log_in(HOME, PASSWORD)[0].status_code == 302

    assert fail(HOME, 4) == [200, 200, 200, 200]


def test_behind_proxies_the_forwarded_address_is_the_clients(lena, clock, settings):
    """With one proxy, the address it appended is the client's; what the client
    itself put in X-Forwarded-For cannot dodge the count."""
    settings.PROXY_COUNT = 1
    proxy = "10.9.9.9"
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        response = Client().post(
            LOGIN,
            {"username": "lena", "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"{spoofed}, {HOME}",
        )
    assert response.status_code == 429

    # Another client behind the same proxy is not locked out.
    response = Client().post(
        LOGIN,
        {"username": "lena", "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=CAFE,
    )
    assert response.status_code == 302


def test_one_address_trying_many_usernames_is_locked_out(lena, clock):
    """Password spraying: one guess for each of 25 usernames from one address."""
    statuses = [fail(HOME, 1, username=f"user{n}")[0] for n in range(25)]
    assert statuses == [200] * 19 + [429] * 6
    page = log_in(HOME, "wrong", username="someone-new")[0].content.decode()
    assert "After 20 failed attempts, logging in from this address is paused for 10 minutes" in (
        page
    )
    assert "Try again in 10 minutes, after" in page and ">09:10</time>" in page

    # The whole address waits, even with a right password...
    assert log_in(HOME, PASSWORD)[0].status_code == 429
    # ...while another address is not affected: a typo there is an ordinary form error,
    assert log_in(CAFE, "typo")[0].status_code == 200
    # and the right password from a fresh address logs in.
    response, client = log_in("10.0.0.3", PASSWORD)
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == lena.pk

    clock.shift(timedelta(minutes=10, seconds=1))
    assert log_in(HOME, PASSWORD)[0].status_code == 302


def test_typos_of_people_who_then_log_in_do_not_add_up_at_a_shared_address(db, clock):
    """An office behind one address: twelve colleagues mistype, then get in."""
    for n in range(12):
        make_user(username=f"colleague{n}")
        assert fail(HOME, 1, username=f"colleague{n}") == [200]
        assert log_in(HOME, PASSWORD, username=f"colleague{n}")[0].status_code == 302
    # Their typos were forgotten when they got in: the limit is still 20 failures away.
    statuses = [fail(HOME, 1, username=f"user{n}")[0] for n in range(20)]
    assert statuses == [200] * 19 + [429]


def test_an_address_locked_out_cannot_guess_on_the_change_password_page(lena, clock):
    for n in range(20):
        fail(HOME, 1, username=f"user{n}")
    signed_in = Client()
    signed_in.force_login(lena)
    assert change_password(signed_in, "guess").status_code == 429
    assert change_password(signed_in, "guess", address=CAFE).status_code == 200


def test_a_missing_username_is_a_form_error_and_never_counts(db, clock):
    statuses = [log_in(HOME, "x", username="")[0].status_code for _ in range(6)]
    assert statuses == [200] * 6


# --- The current password on the change-password page counts too ----------------------

PASSWORD_PAGE = reverse_lazy("accounts:password_change")


def change_password(client: Client, old: str, address: str = HOME):
    new = "a brand new passphrase 42"
    data = {"old_password": old, "new_password1": new, "new_password2": new}
    return client.post(PASSWORD_PAGE, data, REMOTE_ADDR=address)


def test_an_open_session_cannot_guess_the_password_on_the_change_page(lena, clock):
    # Someone at an unlocked laptop tries to find out the password it is signed in with.
    borrowed = Client()
    borrowed.force_login(lena)
    assert [change_password(borrowed, "guess").status_code for _ in range(4)] == [200] * 4
    response = change_password(borrowed, "guess")
    assert response.status_code == 429
    assert "After 5 failed attempts, logging in as <strong>lena</strong>" in (
        response.content.decode()
    )
    # Locked: even the right password is refused here, and logging in is paused too...
    assert change_password(borrowed, PASSWORD).status_code == 429
    assert log_in(HOME, PASSWORD)[0].status_code == 429
    lena.refresh_from_db()
    assert lena.check_password(PASSWORD)

    # ...until the cool-off ends; then the page works as before.
    clock.shift(timedelta(minutes=10, seconds=1))
    assert change_password(borrowed, PASSWORD).status_code == 302
    lena.refresh_from_db()
    assert lena.check_password("a brand new passphrase 42")


def test_a_wrong_current_password_is_shown_as_a_form_error_first(lena, clock):
    client = Client()
    client.force_login(lena)
    response = change_password(client, "not it")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    # Other mistakes on the form are not failed log-ins.
    for _ in range(6):
        response = client.post(
            PASSWORD_PAGE,
            {"old_password": PASSWORD, "new_password1": "x", "new_password2": "y"},
            REMOTE_ADDR=HOME,
        )
        assert response.status_code == 200
    assert change_password(client, PASSWORD).status_code == 302


def test_the_right_password_clears_earlier_wrong_ones(lena, clock):
    client = Client()
    client.force_login(lena)
    assert [change_password(client, "guess").status_code for _ in range(4)] == [200] * 4
    assert change_password(client, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    # A typo at the log-in page a moment later is the first failure, not the fifth.
    assert log_in(HOME, "typo", client=Client())[0].status_code == 200


def test_no_password_typed_on_the_change_page_is_kept(lena, clock):
    client = Client()
    client.force_login(lena)
    data = {
        "old_password": "MySecretGuess1",
        "new_password1": "TheNewSecret99!",
        "new_password2": "TheNewSecret99!",
    }
    assert client.post(PASSWORD_PAGE, data, REMOTE_ADDR=HOME).status_code == 200
    (attempt,) = AccessAttempt.objects.all()
    assert "MySecretGuess1" not in attempt.post_data
    assert "TheNewSecret99!" not in attempt.post_data
    assert "old_password=********************" in attempt.post_data
