"""SQLite whose writers queue in turn instead of sleeping and retrying.

SQLite lets one connection write at a time. Django opens each transaction with
`BEGIN IMMEDIATE` (settings: `transaction_mode`), so a second writer waits for the lock
in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between tries and so wakes
late, and not in turn: under a class studying at once, a 10 ms mark waited 0.5–1 s at
the 99th percentile (docs/performance.md). Here every transaction first takes an
exclusive `flock` on a lock file beside nothing else (one per database file, in the
temporary directory), which the kernel hands to the next waiter the moment it is let
go, and releases it at COMMIT or ROLLBACK. Readers never take it (WAL lets them read
while one connection writes). Each connection opens its own descriptor, so threads of
one process queue as processes do.

A statement written outside a transaction (autocommit) still meets SQLite's busy
handler; the app's writes that matter (marks, notes, sessions) run in transactions.
An in-memory database has no other process to share with and takes no lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from typing import Any

from django.db.backends.sqlite3 import base


def lock_path(database: str) -> str:
    """The lock file of a database file: the same for every process that opens it."""
    digest = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:20]
    return os.path.join(tempfile.gettempdir(), f"studyhub-sqlite-{digest}.writelock")


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held: bool = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        self._lock_fd = None
        self._lock_held = False
        if not self.is_in_memory_db():
            self._lock_fd = os.open(
                lock_path(str(self.settings_dict["NAME"])), os.O_RDWR | os.O_CREAT, 0o600
            )
        return connection

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
        if self._lock_fd is not None and not self._lock_held:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            self._lock_held = True

    def _release_write_lock(self) -> None:
        if self._lock_fd is not None and self._lock_held:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._lock_held = False
