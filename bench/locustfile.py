"""The mixed load of issue 18, for locust (run by bench/load.py, which says how).

Every simulated person signs in once, as a browser does (the log-in page for the CSRF
token, then the form), and then works with a think time of 5–15 s between actions:

- learners (19 in 20) browse the topic list, a topic and a question (the model answer
  is in the question page, in a <details>: revealing it is no request), mark their
  confidence with the htmx post the page makes, open the note editor and autosave with
  the fields static/js/notes.js sends (version, editor id, seq), search, and study: a
  session started from the study page, cards rated with its htmx post;
- instructors (1 in 20) open their team's dashboard and download its CSV.

Requests are named by route ("/questions/[key]/") so that locust's statistics group
them. Every path comes from ROUTES, which tests/bench/test_locustfile.py resolves against
the site's URLs so that a changed route cannot silently rot the load test (the test reads
this file without importing it: importing locust monkey-patches the process with gevent).

bench/load.py passes what the file needs in the environment:

- LOAD_DATA: a JSON file of the accounts (bench/seed.py's learners, instructors and
  password), topic slugs, question keys and search words;
- LOAD_PLAN: a JSON file for the shape (StepShape below): the steps of concurrent users,
  spawn rate, settle and hold seconds, the p95 goal, where to write each step's figures,
  and the gunicorn master's pid (its CPU is measured beside locust's own).

MarkUser and WriteFloorUser (no think time) are the "saturating mark" phase: only the
mark, or only the write floor (bench/views.py) posted exactly as the mark is.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import os
import random
import re
import time
import uuid
from typing import Any

import psutil  # type: ignore[import-untyped]
from locust import LoadTestShape, constant, events, task
from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager

#: Every path the load test requests: name → (path template, Django URL name). The path
#: template's {fields} become [fields] in the request's name in the statistics.
ROUTES: dict[str, tuple[str, str]] = {
    "login": ("/accounts/login/", "accounts:login"),
    "dashboard": ("/", "progress:dashboard"),
    "topic_list": ("/topics/", "progress:topic_list"),
    "topic": ("/topics/{slug}/", "progress:topic_detail"),
    "question": ("/questions/{key}/", "progress:question_detail"),
    "search": ("/questions/", "progress:question_list"),
    "mark": ("/questions/{key}/confidence/", "progress:mark_confidence"),
    "note": ("/questions/{key}/note/", "progress:edit_note"),
    "study_home": ("/study/", "progress:study_home"),
    "study_start": ("/study/start/", "progress:study_start"),
    "study_session": ("/study/{id}/", "progress:study_session"),
    "study_rate": ("/study/{id}/rate/", "progress:study_rate"),
    "team_list": ("/teams/", "teams:team_list"),
    "team_dashboard": ("/teams/{id}/dashboard/", "teams:team_dashboard"),
    "team_csv": ("/teams/{id}/dashboard.csv", "teams:team_matrix_csv"),
    # Mounted only by bench/settings.py (bench/urls.py), as bench/run.py measures it.
    "write_floor": ("/bench/write-floor/{key}/", "bench_write_floor"),
}

#: The request names of the mark, for the report (bench/load.py reads them).
MARK_NAME = "POST /questions/[key]/confidence/"


def _name(route: str, method: str, suffix: str = "") -> str:
    path = re.sub(r"\{(\w+)\}", r"[\1]", ROUTES[route][0])
    return f"{method} {path}{suffix}"


def _load(variable: str) -> dict[str, Any]:
    path = os.environ.get(variable)
    if not path:
        return {}
    with open(path) as file:
        data: dict[str, Any] = json.load(file)
    return data


DATA = _load("LOAD_DATA")
PLAN = _load("LOAD_PLAN")

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
_TOPIC_LINK = re.compile(r'href="/topics/([\w-]+)/"')
_QUESTION_LINK = re.compile(r'href="/questions/([\w-]+)/(?:\?[^"]*)?"')
_NOTE_VERSION = re.compile(r'id="note-version" name="version" value="([^"]*)"')
_NOTE_TEXT = re.compile(r'<textarea id="note-text"[^>]*>(.*?)</textarea>', re.S)
_CARD = re.compile(r'name="card" value="([^"]*)"')
_TEAM_LINK = re.compile(r'href="/teams/(\d+)/"')

#: Accounts are handed out in turn, so that users spread over distinct accounts (a
#: process's count; bench/load.py runs one locust process).
_learners = itertools.count()
_instructors = itertools.count()
_markers = itertools.count()
#: Users signed in so far (the shape waits for every one before measuring).
signed_in = 0

NOTE_WORDS = (
    "latency",
    "trade-off",
    "quantization",
    "anchor boxes",
    "receptive field",
    "augmentation",
    "calibration",
    "see the related question",
)


class Person(FastHttpUser):
    """A signed-in browser: its session cookie, CSRF token and htmx headers."""

    abstract = True

    def wait_time(self) -> float:
        """5–15 s of thought. gunicorn closes a connection idle for 5 s (`keepalive` in
        gunicorn.conf.py), so after such a pause a browser's next request opens a new
        one. Closing ours now does the same: otherwise a request sent just as the server
        closes the connection fails (locust retries nothing; a browser sends it again)."""
        self.client.client.clientpool.close()
        return random.uniform(5, 15)

    csrf = ""
    username = ""

    def next_account(self) -> str:
        raise NotImplementedError

    def on_start(self) -> None:
        global signed_in
        self.username = self.next_account()
        with self.client.get(
            ROUTES["login"][0], name=_name("login", "GET"), catch_response=True
        ) as page:
            token = _CSRF_INPUT.search(page.text or "")
            if not token:
                page.failure("no CSRF token on the log-in page")
                return
        with self.client.post(
            ROUTES["login"][0],
            data={
                "username": self.username,
                "password": DATA["password"],
                "csrfmiddlewaretoken": token.group(1),
            },
            name=_name("login", "POST"),
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"log-in of {self.username} answered {answer.status_code}")
                return
        # The log-in rotates the CSRF token: the page it leads to carries the new one.
        self.page("dashboard")
        signed_in += 1

    def page(self, route: str, *, query: str = "", **fields: object) -> str:
        """GET a page; remember the CSRF token it carries (<body hx-headers>)."""
        path = ROUTES[route][0].format(**fields) + query
        with self.client.get(path, name=_name(route, "GET"), catch_response=True) as page:
            text = page.text or ""
            if page.status_code != 200:
                page.failure(f"{path} answered {page.status_code}")
                return ""
            token = _CSRF_HEADER.search(text)
            if token:
                self.csrf = token.group(1)
            return text

    def htmx(
        self,
        route: str,
        method: str = "POST",
        *,
        data: dict | None = None,
        query: str = "",
        name_suffix: str = "",
        expected: tuple[int, ...] = (200,),
        **fields: object,
    ) -> tuple[int, str]:
        """An htmx request, as the page's hx-post / hx-get makes it."""
        path = ROUTES[route][0].format(**fields) + query
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}
        send = self.client.post if method == "POST" else self.client.get
        extra: dict[str, Any] = {"data": data} if method == "POST" else {}
        with send(
            path,
            headers=headers,
            name=_name(route, method, name_suffix),
            catch_response=True,
            **extra,
        ) as answer:
            return self._check(answer, path, expected)

    def _check(
        self, answer: ResponseContextManager, path: str, expected: tuple[int, ...]
    ) -> tuple[int, str]:
        if answer.status_code in expected:
            answer.success()
        else:
            answer.failure(f"{path} answered {answer.status_code}")
        return answer.status_code, answer.text or ""


class LearnerUser(Person):
    weight = 19

    def next_account(self) -> str:
        learners: list[str] = DATA["learners"]
        return learners[next(_learners) % len(learners)]

    # --- What a learner does ---------------------------------------------------------

    def open_question(self, key: str, topic: str = "") -> None:
        """Read the question (the answer is in the page), mark it, sometimes write a note."""
        self.page("question", key=key, query=f"?topic={topic}" if topic else "")
        self.wait()  # thinks, reveals the answer (in the page), compares
        level = random.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 3, 1])[0]
        data = {"level": str(level), "csrfmiddlewaretoken": self.csrf}
        if topic:
            data["topic"] = topic
        self.htmx("mark", data=data, key=key)
        if random.random() < 0.35:
            self.wait()
            self.write_note(key, topic)

    def write_note(self, key: str, topic: str) -> None:
        """Open the editor (hx-get), then autosave as static/js/notes.js does."""
        query = f"?topic={topic}" if topic else ""
        status, editor = self.htmx("note", "GET", query=query, name_suffix=" (editor)", key=key)
        version = _NOTE_VERSION.search(editor)
        if status != 200 or version is None:
            return
        found = _NOTE_TEXT.search(editor)
        text = html.unescape(found.group(1)) if found else ""
        editor_id, revision = uuid.uuid4().hex, html.unescape(version.group(1))
        for seq in range(1, random.randint(1, 3) + 1):
            self.wait()  # types; the editor saves 1.5 s after the last keystroke
            text += f"\n- {random.choice(NOTE_WORDS)}"
            data = {
                "csrfmiddlewaretoken": self.csrf,
                "version": revision,
                "text": text,
                "autosave": "1",
                "editor": editor_id,
                "seq": str(seq),
            }
            if topic:
                data["topic"] = topic
            # 409: the note changed elsewhere (another user on the same account): expected.
            status, answer = self.htmx(
                "note", data=data, name_suffix=" (autosave)", expected=(200, 409), key=key
            )
            saved = _NOTE_VERSION.search(answer)
            if status != 200 or saved is None:
                return
            revision = html.unescape(saved.group(1))

    @task(5)
    def browse(self) -> None:
        topics = _TOPIC_LINK.findall(self.page("topic_list")) or DATA["topics"]
        self.wait()
        slug = random.choice(topics)
        keys = _QUESTION_LINK.findall(self.page("topic", slug=slug)) or DATA["questions"]
        self.wait()
        self.open_question(random.choice(keys), slug)

    @task(2)
    def search(self) -> None:
        words = random.choice(DATA["search"])
        found = self.page("search", query="?q=" + words.replace(" ", "+"))
        keys = _QUESTION_LINK.findall(found)
        if keys:
            self.wait()
            self.open_question(random.choice(keys))

    @task(2)
    def study(self) -> None:
        self.page("study_home")
        self.wait()
        data = {
            "csrfmiddlewaretoken": self.csrf,
            "source": "topic",
            "topic": random.choice(DATA["topics"]),
        }
        path = ROUTES["study_start"][0]
        with self.client.post(
            path,
            data=data,
            name=_name("study_start", "POST"),
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            location = answer.headers.get("Location", "") if answer.headers else ""
            started = re.search(r"/study/(\d+)/", location)
            if answer.status_code != 302 or started is None:
                answer.failure(f"{path} answered {answer.status_code} to {location!r}")
                return
        session = int(started.group(1))
        card_page = self.page("study_session", id=session)
        for _ in range(random.randint(1, 3)):
            card = _CARD.search(card_page)
            if card is None:  # the session is finished
                return
            self.wait()
            level = random.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 3, 1])[0]
            data = {"csrfmiddlewaretoken": self.csrf, "card": card.group(1), "level": str(level)}
            status, card_page = self.htmx("study_rate", data=data, id=session)
            if status != 200:
                return

    @task(1)
    def dashboard(self) -> None:
        self.page("dashboard")


class InstructorUser(Person):
    weight = 1
    team = 0

    def next_account(self) -> str:
        instructors: list[str] = DATA["instructors"]
        return instructors[next(_instructors) % len(instructors)]

    def on_start(self) -> None:
        super().on_start()
        teams = _TEAM_LINK.findall(self.page("team_list"))
        self.team = int(teams[0]) if teams else 0

    @task(3)
    def team_dashboard(self) -> None:
        if self.team:
            self.page("team_dashboard", id=self.team)

    @task(1)
    def team_csv(self) -> None:
        if not self.team:
            return
        path = ROUTES["team_csv"][0].format(id=self.team)
        with self.client.get(path, name=_name("team_csv", "GET"), catch_response=True) as csv:
            if csv.status_code != 200 or not (csv.text or "").strip():
                csv.failure(f"{path} answered {csv.status_code}")


class MarkUser(Person):
    """The saturating mark: only the mark, no think time, over the bank and five levels."""

    wait_time = constant(0)
    route = "mark"

    def next_account(self) -> str:
        learners: list[str] = DATA["learners"]
        return learners[next(_markers) % len(learners)]

    @task
    def mark(self) -> None:
        data = {"level": str(random.randint(1, 5)), "csrfmiddlewaretoken": self.csrf}
        self.htmx(self.route, data=data, key=random.choice(DATA["questions"]))


class WriteFloorUser(MarkUser):
    """The write floor (bench/views.py), posted exactly as MarkUser posts the mark."""

    route = "write_floor"


# --- The shape: steps of concurrent users, each measured once steady ------------------------


class _CPU:
    """CPU seconds of locust, of gunicorn (master and workers) and of the whole machine."""

    def __init__(self) -> None:
        self.server = psutil.Process(PLAN["server_pid"]) if PLAN.get("server_pid") else None
        self.wall = time.monotonic()
        self.locust = self._seconds(psutil.Process())
        self.gunicorn = self._tree(self.server)
        times = psutil.cpu_times()
        self.machine = sum(times) - times.idle - getattr(times, "iowait", 0.0)

    @staticmethod
    def _seconds(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    def _tree(self, process: psutil.Process | None) -> float:
        if process is None:
            return 0.0
        total = 0.0
        for each in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += self._seconds(each)
        return total

    def cores_since(self, start: _CPU) -> dict[str, float]:
        wall = self.wall - start.wall
        return {
            "locust": (self.locust - start.locust) / wall,
            "gunicorn": (self.gunicorn - start.gunicorn) / wall,
            "machine": (self.machine - start.machine) / wall,
        }


class StepShape(LoadTestShape):
    """Up to each step's users at the plan's spawn rate; wait until every user has signed
    in (the log-in's password hash is the costliest request, so the ramp is paced by it),
    let the load settle, reset the statistics, hold, and write the step's figures. Stops
    after the first step that misses the goal (p95 or errors) unless the plan says not to.
    """

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[int] = list(PLAN.get("steps", [1]))
        self.step = 0
        self.phase = "ramp"
        self.since = 0.0
        self.cpu: _CPU | None = None
        self.missed = False

    def tick(self) -> tuple[int, float] | None:
        if self.step >= len(self.steps) or (self.missed and PLAN.get("stop_on_miss", True)):
            return None
        users, rate = self.steps[self.step], float(PLAN.get("spawn_rate", 5))
        now = self.get_run_time()
        runner = self.runner
        assert runner is not None
        if self.phase == "ramp":
            # Every user of the step signed in; a log-in that failed waits out the timeout.
            ready = runner.user_count >= users and signed_in >= users
            if ready or now - self.since > PLAN.get("ramp_timeout", 120) + users / rate:
                self.phase, self.since = "settle", now
        elif self.phase == "settle" and now - self.since >= PLAN.get("settle", 10):
            runner.stats.reset_all()
            self.phase, self.since, self.cpu = "hold", now, _CPU()
        elif self.phase == "hold" and now - self.since >= PLAN.get("hold", 60):
            assert self.cpu is not None
            self._write(users, now - self.since, _CPU().cores_since(self.cpu))
            self.step += 1
            self.phase, self.since = "ramp", now
        return users, rate

    def _write(self, users: int, seconds: float, cores: dict[str, float]) -> None:
        assert self.runner is not None
        stats = self.runner.stats
        total = stats.total

        def figures(entry: Any) -> dict[str, Any]:
            return {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "rps": entry.num_requests / seconds,
                "p50": entry.get_response_time_percentile(0.5),
                "p95": entry.get_response_time_percentile(0.95),
                "p99": entry.get_response_time_percentile(0.99),
                "max": entry.max_response_time,
            }

        step = {
            "users": users,
            "signed_in": signed_in,
            "seconds": seconds,
            "total": figures(total),
            "routes": {name: figures(entry) for (name, _), entry in stats.entries.items()},
            "errors": [
                {"name": error.name, "error": str(error.error), "count": error.occurrences}
                for error in stats.errors.values()
            ],
            "cores": cores,
        }
        self.missed = bool(
            total.num_failures or total.get_response_time_percentile(0.95) >= PLAN.get("p95", 150)
        )
        step["met"] = not self.missed
        with open(PLAN["results"], "a") as file:
            file.write(json.dumps(step) + "\n")


@events.quitting.add_listener
def _quiet_exit(environment: Any, **_kwargs: Any) -> None:
    """Exit 0 whatever failed: bench/load.py judges the figures."""
    environment.process_exit_code = 0
