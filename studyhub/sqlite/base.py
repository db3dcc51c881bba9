"""SQLite whose writers queue in turn instead of sleeping and retrying.

SQLite lets one connection write at a time. Django opens each transaction with
`BEGIN IMMEDIATE` (settings: `transaction_mode`), so a second writer waits for the lock
in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between tries and so wakes
late, and not in turn: under a class studying at once, a 10 ms mark waited 0.5–1 s at
the 99th percentile (docs/performance.md). Here every transaction first takes an
exclusive `flock` on a lock file beside the database file (`<name>-writelock`, so
every process and container that opens the file finds it), which the kernel hands to
the next waiter the moment it is let go, and releases it at COMMIT or ROLLBACK.
Readers never take it (WAL lets them read while one connection writes). Each
connection opens its own descriptor, so threads of one process queue as processes do.

The wait is bounded as SQLite's is, by the database's `timeout` option (20 s in
settings): a writer still waiting then fails with SQLite's own "database is locked",
which the site answers as busy (a 503; studyhub/views.py). The wait itself runs in a
helper thread on a duplicate of the lock file's descriptor, since `flock` cannot time
out; one that gives up leaves its helper to take the lock and hand it straight on.

A statement written outside a transaction (autocommit) still meets SQLite's busy
handler; the app's writes that matter (marks, notes, sessions) run in transactions.
An in-memory database has no other process to share with and takes no lock.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

#: How long a writer waits for the lock when the database sets no `timeout`.
DEFAULT_WAIT_SECONDS = 5.0


def lock_path(database: str) -> str:
    """The lock file of a database file: the same for every process that opens it."""
    return os.path.realpath(database) + "-writelock"


class _Waiter:
    """Waits for the lock in a thread of its own, on a duplicate descriptor (the same
    open file, so the lock it takes is the connection's), so that the connection can
    stop waiting: a waiter given up on releases the lock as soon as it gets it."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = os.dup(descriptor)
        self._state = threading.Lock()
        self._got = threading.Event()
        self._abandoned = False
        threading.Thread(target=self._wait, name="sqlite-write-lock", daemon=True).start()

    def _wait(self) -> None:
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            with self._state:
                if not self._abandoned:
                    self._got.set()
                    return
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            os.close(self._descriptor)

    def wait(self, seconds: float) -> bool:
        """Whether the lock was taken within `seconds`; if not, it never will be."""
        if self._got.wait(seconds):
            return True
        with self._state:
            self._abandoned = not self._got.is_set()
            return not self._abandoned


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held: bool = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        self._lock_fd = None
        self._lock_held = False
        if not self.is_in_memory_db():
            self._lock_fd = self._open_lock_file()
        return connection

    def _open_lock_file(self) -> int:
        return os.open(lock_path(str(self.settings_dict["NAME"])), os.O_RDWR | os.O_CREAT, 0o600)

    def _start_transaction_under_autocommit(self) -> None:
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _take_write_lock(self) -> None:
        if self._lock_fd is None or self._lock_held:
            return
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            seconds = float(self.settings_dict["OPTIONS"].get("timeout", DEFAULT_WAIT_SECONDS))
            if not _Waiter(self._lock_fd).wait(seconds):
                # The waiter may yet take the lock on the shared open file: this
                # connection goes on with a descriptor of its own.
                os.close(self._lock_fd)
                self._lock_fd = self._open_lock_file()
                raise OperationalError("database is locked") from sqlite3.OperationalError(
                    "database is locked"
                )
        self._lock_held = True

    def _release_write_lock(self) -> None:
        if self._lock_fd is not None and self._lock_held:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._lock_held = False
