"""Work a request starts but does not wait for: one worker thread per process.

A password-reset request answers at once, whatever the address; looking the address up
and sending the e-mail (a full SMTP round trip) happen here, after the response, so
neither the time taken nor the work done tells whether the address has an account.

Jobs are kept in memory: a process that stops drops what it had not sent yet (it waits
a few seconds for them first). The queue is bounded; when it is full a job is dropped
and logged rather than letting memory grow.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections, transaction

logger = logging.getLogger(__name__)

Job = Callable[[], object]

_lock = threading.Lock()
_jobs: queue.Queue[Job] | None = None
_owner_pid: int | None = None


def run_after_response(job: Job) -> None:
    """Run `job` on the worker thread once the current transaction commits.

    With BACKGROUND_JOBS off (the tests' setting) it runs right away, in this thread.
    """
    if not settings.BACKGROUND_JOBS:
        job()
        return
    transaction.on_commit(lambda: _submit(job))


def wait_until_done(timeout: float = 10) -> bool:
    """Wait until every job submitted so far has run; False if `timeout` seconds passed."""
    jobs = _jobs
    if jobs is None:
        return True
    done = threading.Event()

    def wait() -> None:
        jobs.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


def _submit(job: Job) -> None:
    try:
        _queue().put_nowait(job)
    except queue.Full:
        logger.error(
            "Background queue full (%d jobs): a job was dropped", settings.BACKGROUND_QUEUE_SIZE
        )


def _queue() -> queue.Queue[Job]:
    global _jobs, _owner_pid
    with _lock:
        # A forked server worker inherits the parent's queue but not its thread.
        if _jobs is None or _owner_pid != os.getpid():
            _jobs = queue.Queue(maxsize=settings.BACKGROUND_QUEUE_SIZE)
            _owner_pid = os.getpid()
            threading.Thread(
                target=_work, args=(_jobs,), name="studyhub-background", daemon=True
            ).start()
        return _jobs


def _work(jobs: queue.Queue[Job]) -> None:
    while True:
        job = jobs.get()
        try:
            close_old_connections()
            job()
        except Exception:
            logger.exception("Background job failed")
        finally:
            # This thread's own connection: closed, so it never outlives its use (and a
            # test database can be dropped).
            connections.close_all()
            jobs.task_done()


@atexit.register
def _finish_on_exit() -> None:
    if _owner_pid == os.getpid():
        wait_until_done(timeout=5)
