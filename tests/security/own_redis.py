"""A Redis server of the test's own, to pause, kill and start again.

The shared development server (127.0.0.1:6379) is never touched: this one runs from
/usr/bin/redis-server on a free port, keeps nothing on disk, and goes with the test.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.security.own_postgres import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_server_installed() -> bool:
    return Path(REDIS_SERVER).exists()


class OwnRedis:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self) -> None:
        """Frozen, as under a long fork or a stalled VM: connections hang, none fail."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Gone, with everything it held (no persistence)."""
        self.process.kill()
        self.process.wait(timeout=10)

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.kill()


@contextmanager
def running_redis(work: Path) -> Iterator[OwnRedis]:
    """A running redis-server of the test's own on a free port, removed afterwards."""
    if not redis_server_installed():
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    server = OwnRedis(work)
    try:
        server.start()
        yield server
    finally:
        server.remove()
