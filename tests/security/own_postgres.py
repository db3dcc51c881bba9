"""A PostgreSQL server of the test's own, and `make serve` running against it.

The shared development server is never stopped: this one lives in a temporary
directory on a free port, and goes with the test.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from django.urls import reverse

POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"


def postgres_bin_dir() -> Path | None:
    found = sorted(
        Path("/").glob(POSTGRES_BINARIES.lstrip("/")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    found = [path for path in found if (path / "pg_ctl").exists() and (path / "initdb").exists()]
    return found[-1] if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnPostgres:
    """initdb, start, stop and query a throwaway server (as the postgres user when root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="studyhub-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        command = (str(self.bin_dir / command[0]), *command[1:])
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql).fetchall()

    def terminate_app_connections(self) -> int:
        """End every connection the app holds, as a failover or a restart would."""
        ((count,),) = self.query(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'studyhub'"
        )
        return count

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Response:
    status: int
    headers: Message
    text: str

    def json(self) -> dict:
        return json.loads(self.text)


@dataclass
class AppClient:
    """A browser behind a TLS proxy: plain http to the app, X-Forwarded-Proto https."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data=None, headers=None) -> Response:
        origin = f"127.0.0.1:{self.port}"
        sent = {"Host": origin, "X-Forwarded-Proto": "https", "Origin": f"https://{origin}"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies:  # Django takes its CSRF secret as the token too
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        body = None
        if data is not None:
            body = urlencode(data).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=sent)
            reply = conn.getresponse()
            text = reply.read().decode()
        finally:
            conn.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(reply.status, reply.headers, text)

    def get(self, path: str, headers=None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict, headers=None) -> Response:
        return self.request("POST", path, data=data, headers=headers)

    def log_in(self, username: str, password: str) -> None:
        login = reverse("accounts:login")
        page = self.get(login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.post(
            login,
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        assert response.status == 302, response.text


class Serving:
    """`make serve` in a process group of its own, logging to a file."""

    #: Set by the fixtures that need them: a demo learner's password, learners' keys.
    password: str
    keys: Any

    def __init__(self, base_dir: Path, env: dict[str, str], work: Path) -> None:
        self.base_dir = base_dir
        self.env = env
        self.port = free_port()
        self.log_path = work / "serve.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "w") as log:
            # -o: take the virtualenv as installed; the test runs from it.
            self.process = subprocess.Popen(
                ["make", "-o", ".venv/.installed", "serve", "HOST=127.0.0.1", f"PORT={self.port}"],
                cwd=self.base_dir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make serve exited:\n{self.log()}")
            try:
                if self.client().get(reverse("healthz")).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"make serve did not answer in time:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.base_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def client(self) -> AppClient:
        return AppClient(self.port)

    def log(self) -> str:
        return self.log_path.read_text()
