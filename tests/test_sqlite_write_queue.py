"""studyhub/sqlite: SQLite writers queue in turn on a file lock, taken at BEGIN and let go
at COMMIT, ROLLBACK or close, so a waiting writer starts the moment the last one ends
instead of waking from SQLite's busy handler up to 100 ms late."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from studyhub.sqlite.base import lock_path

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write queue")


def in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_and_starts_when_it_commits():
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def first():
        with transaction.atomic():
            User.objects.create(username="first")
            order.append("first in")
            holding.set()
            release.wait(5)
            order.append("first out")

    def second():
        holding.wait(5)
        with transaction.atomic():
            order.append("second in")
            User.objects.create(username="second")

    threads = [in_thread(first), in_thread(second)]
    holding.wait(5)
    time.sleep(0.2)  # the second has asked for the lock by now
    assert order == ["first in"], "the second writer waits"
    assert lock_is_taken(), "on the file lock, not in SQLite's busy handler"
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first in", "first out", "second in"]
    assert set(User.objects.values_list("username", flat=True)) == {"first", "second"}
    assert not lock_is_taken()


def lock_is_taken() -> bool:
    descriptor = os.open(lock_path(str(connection.settings_dict["NAME"])), os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ending", ["rollback", "error", "close"])
def test_the_lock_is_let_go_however_the_transaction_ends(ending):
    def hold_and_end():
        try:
            with transaction.atomic():
                User.objects.create(username="held")
                if ending == "rollback":
                    transaction.set_rollback(True)
                elif ending == "error":
                    raise RuntimeError("the view failed")
                else:
                    connection.close()  # as Django does with a broken connection
        except RuntimeError:
            pass
        except Exception:  # closing inside atomic makes its exit fail: that is the point
            pass

    in_thread(hold_and_end).join(10)
    assert not lock_is_taken()
    got = []
    in_thread(lambda: got.append(User.objects.create(username="next").pk)).join(10)
    assert got, "a later writer was not kept waiting"


def test_every_process_opening_a_database_shares_one_lock_file(tmp_path):
    database = tmp_path / "a.sqlite3"
    assert lock_path(str(database)) == lock_path(str(tmp_path / "." / "a.sqlite3"))
    assert lock_path(str(database)) != lock_path(str(tmp_path / "b.sqlite3"))


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_no_longer_than_the_timeout_and_is_answered_busy():
    """As SQLite's own wait: past the database's timeout the writer fails with "database
    is locked", which the site answers as busy (503), and writes nothing; once the first
    writer is done, the next one goes through at once."""
    from studyhub.views import database_failure

    holding = threading.Event()
    release = threading.Event()
    failures: list[BaseException] = []

    def first():
        with transaction.atomic():
            User.objects.create(username="slow")
            holding.set()
            release.wait(10)

    def second():
        holding.wait(5)
        started = time.monotonic()
        try:
            with transaction.atomic():
                User.objects.create(username="late")
        except Exception as error:  # noqa: BLE001 — the test looks at it
            failures.append(error)
        assert time.monotonic() - started < 3
        with_lock_later.wait(10)
        with transaction.atomic():  # the same connection, after the first is done
            User.objects.create(username="after")

    with_lock_later = threading.Event()
    # Every thread's connection reads the same settings: a short wait for this test only.
    options = connection.settings_dict["OPTIONS"]
    connection.settings_dict["OPTIONS"] = {**options, "timeout": 0.3}
    try:
        threads = [in_thread(first), in_thread(second)]
        time.sleep(1)  # the second has timed out by now
        assert len(failures) == 1 and database_failure(failures[0]) == "busy", failures
        release.set()
        time.sleep(0.2)
        with_lock_later.set()
        for thread in threads:
            thread.join(10)
    finally:
        release.set()
        with_lock_later.set()
        connection.settings_dict["OPTIONS"] = options
    assert set(User.objects.values_list("username", flat=True)) == {"slow", "after"}
    assert not lock_is_taken()
