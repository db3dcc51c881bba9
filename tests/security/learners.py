"""Learners marking questions and writing notes against `make serve`, concurrently,
while a test takes a service away (test_redis_outage.py, test_database_outage.py)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.urls import reverse

from tests.pages import HTMX
from tests.security.own_postgres import AppClient, Serving

LEARNERS = 3
PASSWORD = "a-long-enough-passphrase-7"
CREATE_LEARNERS = f"""
import json
from accounts.models import User
from questions.models import Question
for n in range({LEARNERS}):
    User.objects.create_user(f"learner{{n}}", password="{PASSWORD}", display_name=f"Learner {{n}}")
print(json.dumps(list(Question.objects.order_by("position").values_list("key", flat=True))))
"""
COUNT_WRITES = """
import json
from progress.models import ConfidenceEvent, ConfidenceMark, Note
print(json.dumps({
    "events": list(ConfidenceEvent.objects.values_list("user__username", "question__key")),
    "marks": list(ConfidenceMark.objects.values_list("user__username", "question__key", "level")),
    "notes": list(Note.objects.values_list("user__username", "question__key", "text")),
}))
"""


@dataclass
class Answer:
    kind: str  # "page", "mark" or "note"
    user: str
    key: str
    value: str
    status: int
    started: float
    ended: float


def learner_loop(client: AppClient, n: int, keys: list[str], stop: threading.Event, answers):
    """Read a question page, mark it and write a note on it; then the next question."""
    user = f"learner{n}"
    i = 0
    while not stop.is_set():
        key = keys[i % len(keys)]
        level, text = str(i % 5 + 1), f"{user} note {i}"
        for kind, value, path, data in (
            ("page", "", reverse("progress:question_detail", args=[key]), None),
            ("mark", level, reverse("progress:mark_confidence", args=[key]), {"level": level}),
            (
                "note",
                text,
                reverse("progress:edit_note", args=[key]),
                {"text": text, "autosave": "1"},
            ),
        ):
            started = time.monotonic()
            try:
                if data is None:
                    status = client.get(path).status
                else:
                    status = client.post(path, data, headers=HTMX).status
            except OSError:
                status = 0  # no answer at all
            answers.append(Answer(kind, user, key, value, status, started, time.monotonic()))
            if status != 200:
                time.sleep(0.05)  # as a person would, rather than a tight loop of errors
        i += 1


def wait_for_health(client: AppClient, until, seconds: float = 10) -> tuple[int, dict]:
    """Poll /healthz until `until(status, report)` holds (or `seconds` pass); the last
    (status, report)."""
    deadline = time.monotonic() + seconds
    while True:
        health = client.get(reverse("healthz"))
        if until(health.status, health.json()) or time.monotonic() > deadline:
            return health.status, health.json()
        time.sleep(0.2)


class Learners:
    """LEARNERS signed-in clients, each in a thread of its own, until stopped."""

    def __init__(self, app: Serving, keys: list[str]) -> None:
        self.app = app
        self.clients = [app.client() for _ in range(LEARNERS)]
        for n, client in enumerate(self.clients):
            client.log_in(f"learner{n}", PASSWORD)
        self.stop_event = threading.Event()
        self.answers: list[Answer] = []
        self.threads = [
            threading.Thread(
                target=learner_loop, args=(client, n, keys, self.stop_event, self.answers)
            )
            for n, client in enumerate(self.clients)
        ]

    def __enter__(self) -> Learners:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)


def check_writes(app: Serving, answers: list[Answer]) -> int:
    """Every mark or note answered as saved (200) is stored exactly once: one event per
    mark, and the level or text of the last write when that was answered as saved. A
    write answered 503 ("not saved, send it again") may have committed just before the
    database went away; returns how many did."""
    stored = json.loads(app.manage("shell", "-c", COUNT_WRITES).splitlines()[-1])
    events = Counter(map(tuple, stored["events"]))
    marks = {(user, key): level for user, key, level in stored["marks"]}
    notes = {(user, key): text for user, key, text in stored["notes"]}
    attempts: dict[tuple, list[Answer]] = {}
    for answer in answers:  # each learner's answers are in the order they were sent
        if answer.kind in ("mark", "note"):
            attempts.setdefault((answer.kind, answer.user, answer.key), []).append(answer)

    committed_but_refused = 0
    for (kind, user, key), sent in attempts.items():
        saved = [a for a in sent if a.status == 200]
        refused = [a for a in sent if a.status != 200]
        if kind == "mark":
            count = events[user, key]
            assert len(saved) <= count <= len(sent), (user, key, count, sent)
            committed_but_refused += count - len(saved)
            if sent[-1].status == 200:
                assert marks[user, key] == int(sent[-1].value)
        else:
            stored_text = notes.get((user, key))
            assert stored_text in {a.value for a in sent} | ({None} if not saved else set())
            if sent[-1].status == 200:
                assert stored_text == sent[-1].value
            committed_but_refused += stored_text in {a.value for a in refused}
    marked = {(user, key) for kind, user, key in attempts if kind == "mark"}
    assert set(events) <= marked and set(notes) <= {(u, k) for _, u, k in attempts}
    return committed_but_refused
