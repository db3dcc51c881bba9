"""Data for bench/scale.py: StudyHub at 1×, 10× and 100× the demo installation.

1× is the demo installation as issue 18 defines it: the 50-question seed bank, 500
learners, about 125,000 confidence events. At scale s there are 50·s questions (the seed
bank and copies of it across the same topics, with answers, key points and related
links), 500·s learners who each rated about 40 questions about 6 times (~250 events, so
~125,000·s events) with their current marks (FSRS schedules), notes and typed-answer
checks in proportion, 10·s teams of 50 with an assignment each, one big team
(`BIG_TEAM`: 1,000 members at 100×) with its assignment, and one heavy learner with
200·s events (20,000 at 100×) over up to 50·s questions, an open study session and notes.

Built once per size into a cached database — SQLite `var/scale-{s}.sqlite3`, or
`scale_{s}` on the PostgreSQL server of DATABASE_URL — migrated with the project's
migrations and filled with raw `executemany` (SQLite) or COPY (PostgreSQL) into the real
models' tables, with the big tables' secondary indexes dropped during the load and made
again after it. The table `scale_build` records the builder's version and the migrations
the data was built with: a database built by another version is built again; one whose
migrations are all still on disk is migrated forward (a new index costs minutes, not a
rebuild). Deterministic (seeded). Not part of the test run.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: Bump when the data this module writes changes: every cached database is built again.
BUILD_VERSION = 3

LEARNERS_PER_SCALE = 500
TEAM_SIZE = 50
#: Members of the big team at each size (the issue's 1,000 at 100×).
BIG_TEAM = {1: 200, 10: 500, 100: 1000}
#: Questions a learner rated (uniform range) and how many times each (FSRS template).
RATED = (30, 50)
REVIEWS = (2, 10)
#: Share of a learner's marks with a typed-answer check behind them.
CHECKED_SHARE = 0.1
#: Notes a learner keeps (uniform range); the heavy learner has one per NOTE_EVERY marks.
NOTES = (0, 8)
NOTE_EVERY = 10
#: The heavy learner: events per scale, and reviews per question.
HEAVY_EVENTS_PER_SCALE = 200
HEAVY_REVIEWS = 4

PASSWORD_HASH = "pbkdf2_sha256$1000000$scale$not-a-usable-password-hash-for-the-bench-only="
NOTE_TEXT = (
    "**Key idea:** {topic}.\n\n- remember the trade-off between accuracy and latency\n"
    "- see question {n} for the related case\n\n`code` and [a link](https://example.com)"
)


def learner_name(n: int) -> str:
    return f"scale-learner-{n:06d}"


HEAVY = "scale-heavy-learner"
BIG_INSTRUCTOR = "scale-instructor-big"


def instructor_name(n: int) -> str:
    return f"scale-instructor-{n:05d}"


# --- Writing rows fast ------------------------------------------------------------------


class Loader:
    """Raw bulk writes on Django's connection: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.vendor = connection.vendor
        self.raw: Any = connection.connection

    def stamp(self, moment: float) -> str:
        """A datetime column's value for the epoch second `moment` (UTC)."""
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))
        return text if self.vendor == "sqlite" else text + "+00"

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        count = 0
        if self.vendor == "sqlite":
            sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
            chunk: list[Sequence[Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= 50_000:
                    self.raw.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
            self.raw.executemany(sql, chunk)
            return count + len(chunk)
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the table's indexes that back no constraint."""
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [table],
                )
            return list(cursor.fetchall())

    def reset_sequences(self, tables: Iterable[str]) -> None:
        if self.vendor != "postgresql":
            return
        for table in tables:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )


# --- FSRS histories, simulated once and reused ------------------------------------------


@dataclass(frozen=True)
class History:
    """One question's reviews by one learner: offsets (s) from the first, levels,
    ratings, and the mark they leave (schedule offsets from the last review)."""

    offsets: tuple[int, ...]
    levels: tuple[int, ...]
    ratings: tuple[int, ...]
    due_after: int
    stability: float
    difficulty: float
    state: int
    step: int | None

    @property
    def span(self) -> int:
        return self.offsets[-1]


def simulate_histories(rng: random.Random, per_length: int = 60) -> dict[int, list[History]]:
    """Histories of 1–10 reviews, scheduled by the app's own FSRS scheduler."""
    from progress.scheduling import RATING_FOR_LEVEL, SCHEDULER, card_from_mark

    start = datetime(2026, 1, 1, tzinfo=UTC)
    histories: dict[int, list[History]] = {}
    for length in range(1, REVIEWS[1] + 1):
        for _ in range(per_length):
            skill = rng.random()
            card = card_from_mark(None)
            when = start
            offsets, levels, ratings = [], [], []
            for review in range(length):
                mean = 1 + skill * 4 + review * 0.2
                level = max(1, min(5, round(rng.gauss(mean, 1))))
                rating = RATING_FOR_LEVEL[level]
                card, _log = SCHEDULER.review_card(card, rating, when)
                offsets.append(int((when - start).total_seconds()))
                levels.append(level)
                ratings.append(int(rating))
                when += timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 900))
            assert card.last_review is not None and card.due is not None
            histories.setdefault(length, []).append(
                History(
                    offsets=tuple(offsets),
                    levels=tuple(levels),
                    ratings=tuple(ratings),
                    due_after=int((card.due - card.last_review).total_seconds()),
                    stability=float(card.stability or 0.0),
                    difficulty=float(card.difficulty or 0.0),
                    state=int(card.state),
                    step=card.step,
                )
            )
    return histories


# --- The build ----------------------------------------------------------------------------


EVENT_COLUMNS = ("user_id", "question_id", "level", "rating", "created_at")
MARK_COLUMNS = (
    "user_id",
    "question_id",
    "level",
    "updated_at",
    "due",
    "stability",
    "difficulty",
    "last_review",
    "fsrs_state",
    "fsrs_step",
    "recall",
    "recalled_half",
    "recall_at",
)
NOTE_COLUMNS = (
    "user_id",
    "question_id",
    "text",
    "html",
    "version",
    "updated_at",
    "last_editor",
    "last_seq",
)
CHECK_COLUMNS = (
    "user_id",
    "question_id",
    "text",
    "points",
    "score",
    "checked_score",
    "corrections",
    "created_at",
)


@dataclass
class Progress:
    """Every learner's rows, generated learner by learner into four streams."""

    events: list[tuple[Any, ...]]
    marks: list[tuple[Any, ...]]
    notes: list[tuple[Any, ...]]
    checks: list[tuple[Any, ...]]


def build(
    scale: int, *, learners_per_scale: int = LEARNERS_PER_SCALE, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Fill the (migrated, empty) database of the current Django connection for `scale`
    in one transaction (fewer learners for a test). Returns the ids scale.py requests
    pages with, and the row counts."""
    from django.core.management import call_command
    from django.db import transaction

    from questions.models import Answer, Question, Topic
    from studyhub.markdown import render_markdown

    rng = random.Random(18_000 + scale)
    started = time.monotonic()
    loader = Loader()
    now = float(int(time.time()))
    day = 86_400.0

    call_command("load_question_bank", verbosity=0)
    seed = list(Question.objects.order_by("position"))
    topics = {t.slug: t.pk for t in Topic.objects.all()}
    seed_topics: dict[int, list[int]] = {}
    for question_id, topic_id in Question.topics.through.objects.values_list(
        "question_id", "topic_id"
    ):
        seed_topics.setdefault(question_id, []).append(topic_id)
    seed_related = list(
        Question.related.through.objects.values_list("from_question_id", "to_question_id")
    )
    answers = {
        (a["question_id"], a["kind"]): a
        for a in Answer.objects.values("question_id", "kind", "text", "html", "source_incomplete")
    }

    with transaction.atomic():
        # Questions: the seed bank, then copies of it (generation g = 1 … scale-1).
        question_ids = [q.pk for q in seed]
        first = max(question_ids) + 1
        copies = []
        for generation in range(1, scale):
            for q in seed:
                copies.append((generation, q))
        id_of: dict[tuple[int, int], int] = {(0, q.pk): q.pk for q in seed}
        rows = []
        for n, (generation, q) in enumerate(copies):
            pk = first + n
            id_of[(generation, q.pk)] = pk
            rows.append(
                (
                    pk,
                    f"scale-{generation}-{q.position}",
                    generation * len(seed) + q.position,
                    f"{q.text} (variant {generation})",
                    json.dumps(q.key_points),
                    False,
                    None,
                )
            )
        loader.write(
            "questions_question",
            ("id", "key", "position", "text", "key_points", "key_points_edited", "retired_at"),
            rows,
        )
        loader.write(
            "questions_answer",
            ("question_id", "kind", "text", "html", "source_incomplete"),
            (
                (pk, kind, a["text"], a["html"], a["source_incomplete"])
                for (generation, source), pk in id_of.items()
                if generation
                for kind in ("concise", "long")
                if (a := answers.get((source, kind))) is not None
            ),
        )
        loader.write(
            "questions_question_topics",
            ("question_id", "topic_id"),
            (
                (pk, topic)
                for (generation, source), pk in id_of.items()
                if generation
                for topic in seed_topics.get(source, [])
            ),
        )
        loader.write(
            "questions_question_related",
            ("from_question_id", "to_question_id"),
            ((id_of[(g, a)], id_of[(g, b)]) for g in range(1, scale) for a, b in seed_related),
        )
        all_questions = sorted(id_of.values())
        by_question_topics = {pk: seed_topics.get(source, []) for (_g, source), pk in id_of.items()}
        text_of = {q.pk: q.text for q in seed}
        source_of = {pk: source for (_g, source), pk in id_of.items()}
        key_points = {q.pk: q.key_points for q in seed}
        log(f"  questions: {len(all_questions):,} ({time.monotonic() - started:.0f} s)")

        # People: learners, the heavy learner, instructors.
        learners = learners_per_scale * scale
        teams = learners // TEAM_SIZE
        user_rows = []
        next_user = 1
        learner_ids = list(range(next_user, next_user + learners))
        next_user += learners
        heavy_id = next_user
        instructor_ids = list(range(heavy_id + 1, heavy_id + 1 + teams))
        big_instructor_id = heavy_id + 1 + teams
        joined = loader.stamp(now - 380 * day)
        for n, pk in enumerate(learner_ids):
            user_rows.append((pk, learner_name(n), f"Learner {n}"))
        user_rows.append((heavy_id, HEAVY, "Heavy Learner"))
        for n, pk in enumerate(instructor_ids):
            user_rows.append((pk, instructor_name(n), f"Instructor {n}"))
        user_rows.append((big_instructor_id, BIG_INSTRUCTOR, "Big Team Instructor"))
        loader.write(
            "accounts_user",
            (
                "id",
                "username",
                "display_name",
                "password",
                "is_superuser",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "time_zone",
                "type_answers",
                "email_due_reminders",
                "email_team_digest",
            ),
            (
                (
                    *(pk, name, shown, PASSWORD_HASH, False, "", "", "", False, True, joined),
                    *("", False, True, True),
                )
                for pk, name, shown in user_rows
            ),
        )

        # Teams: 10·s of 50 (the heavy learner in the first), and the big team.
        big_size = BIG_TEAM.get(scale, min(1000, learners))
        team_ids = list(range(1, teams + 2))
        big_team = team_ids[-1]
        loader.write(
            "questions_bank",
            ("id", "name", "created_at"),
            ((t, f"Scale team {t}", joined) for t in team_ids),
        )
        loader.write(
            "teams_team",
            ("id", "name", "invite_code", "created_at", "bank_id", "members_see_progress"),
            (
                (
                    t,
                    f"Scale team {t}" + (f" ({big_size})" if t == big_team else ""),
                    f"SCALE{t:07d}",
                    joined,
                    t,
                    False,
                )
                for t in team_ids
            ),
        )

        def members() -> Iterator[tuple[Any, ...]]:
            for n, team in enumerate(team_ids[:-1]):
                yield (team, instructor_ids[n], "instructor", joined, False)
                for pk in learner_ids[n * TEAM_SIZE : (n + 1) * TEAM_SIZE]:
                    yield (team, pk, "learner", joined, n % 2 == 0)
            yield (team_ids[0], heavy_id, "learner", joined, True)
            yield (big_team, big_instructor_id, "instructor", joined, False)
            yield (big_team, heavy_id, "learner", joined, True)
            for pk in learner_ids[: big_size - 1]:
                yield (big_team, pk, "learner", joined, True)

        loader.write(
            "teams_membership",
            ("team_id", "user_id", "role", "joined_at", "shares_progress"),
            members(),
        )
        # Each team: a topic set of two whole topics and three single questions, assigned.
        set_topics = [topics["deployment"], topics["robustness"]]
        singles = [id_of[(0, seed[n].pk)] for n in (0, 7, 24)]
        instructor_of = dict(zip(team_ids, [*instructor_ids, big_instructor_id], strict=True))
        loader.write(
            "teams_topicset",
            ("id", "team_id", "name", "description", "created_by_id", "created_at"),
            (
                (t, t, "Deployment and robustness", "Week 3", instructor_of[t], joined)
                for t in team_ids
            ),
        )
        loader.write(
            "teams_topicset_topics",
            ("topicset_id", "topic_id"),
            ((t, topic) for t in team_ids for topic in set_topics),
        )
        loader.write(
            "teams_topicset_questions",
            ("topicset_id", "question_id"),
            ((t, q) for t in team_ids for q in singles),
        )
        due = time.strftime("%Y-%m-%d", time.gmtime(now + 7 * day))
        loader.write(
            "teams_assignment",
            ("id", "team_id", "topic_set_id", "due_date", "created_by_id", "created_at"),
            ((t, t, t, due, instructor_of[t], joined) for t in team_ids),
        )
        log(f"  people and teams: {learners + 1:,} learners ({time.monotonic() - started:.0f} s)")

        # Progress: events, marks, notes and checks, learner by learner.
        histories = simulate_histories(rng)
        note_texts = {}
        for q in seed:
            text = NOTE_TEXT.format(topic=q.text[:60], n=q.position)
            note_texts[q.pk] = (text, render_markdown(text))
        year = 365 * day

        def progress_of(
            user: int, rated: list[int], lengths: Callable[[], int], notes: int, rows: Progress
        ) -> None:
            for question in rated:
                history = rng.choice(histories[lengths()])
                begin = now - rng.uniform(history.span + day, max(history.span + 2 * day, year))
                for offset, level, rating in zip(
                    history.offsets, history.levels, history.ratings, strict=True
                ):
                    rows.events.append(
                        (user, question, level, rating, loader.stamp(begin + offset))
                    )
                last = begin + history.span
                recall: int | None = None
                recall_at = None
                if rng.random() < CHECKED_SHARE:
                    recall = rng.randint(0, 100)
                    recall_at = loader.stamp(last - 120)
                    points = [
                        {
                            "text": p,
                            "strength": round(rng.random(), 2),
                            "mentioned": rng.random() < recall / 100,
                            "corrected": False,
                        }
                        for p in key_points[source_of[question]]
                    ]
                    rows.checks.append(
                        (
                            user,
                            question,
                            f"My answer: {text_of[source_of[question]][:150]} — as I remember it.",
                            json.dumps(points),
                            recall,
                            recall,
                            0,
                            recall_at,
                        )
                    )
                updated = loader.stamp(last)
                rows.marks.append(
                    (
                        user,
                        question,
                        history.levels[-1],
                        updated,
                        loader.stamp(last + history.due_after),
                        history.stability,
                        history.difficulty,
                        updated,
                        history.state,
                        history.step,
                        recall,
                        recall is not None and recall >= 50,
                        recall_at,
                    )
                )
            for question in rng.sample(rated, min(notes, len(rated))):
                text, html = note_texts[source_of[question]]
                rows.notes.append(
                    (user, question, text, html, 1, loader.stamp(now - rng.uniform(0, year)), "", 0)
                )

        def in_time_order(rows: Progress) -> Progress:
            """A batch's rows as the app would have written them: in time order, so a
            learner's events lie scattered among everyone else's (as in a real table),
            not side by side."""
            rows.events.sort(key=lambda row: row[4])
            rows.marks.sort(key=lambda row: row[3])
            rows.notes.sort(key=lambda row: row[5])
            rows.checks.sort(key=lambda row: row[7])
            return rows

        def batches() -> Iterator[Progress]:
            rows = Progress([], [], [], [])
            pool = len(all_questions)
            for n, user in enumerate(learner_ids):
                rated = rng.sample(all_questions, min(pool, rng.randint(*RATED)))
                progress_of(user, rated, lambda: rng.randint(*REVIEWS), rng.randint(*NOTES), rows)
                if n == len(learner_ids) // 2:  # the heavy learner among the others
                    heavy_marks = min(pool, HEAVY_EVENTS_PER_SCALE * scale // HEAVY_REVIEWS)
                    progress_of(
                        heavy_id,
                        rng.sample(all_questions, heavy_marks),
                        lambda: HEAVY_REVIEWS,
                        heavy_marks // NOTE_EVERY,
                        rows,
                    )
                if len(rows.events) > 400_000:
                    yield in_time_order(rows)
                    rows = Progress([], [], [], [])
            yield in_time_order(rows)

        counts = {"events": 0, "marks": 0, "notes": 0, "checks": 0}
        tables = {
            "events": ("progress_confidenceevent", EVENT_COLUMNS),
            "marks": ("progress_confidencemark", MARK_COLUMNS),
            "notes": ("progress_note", NOTE_COLUMNS),
            "checks": ("progress_recallcheck", CHECK_COLUMNS),
        }
        dropped = {key: loader.secondary_indexes(table) for key, (table, _) in tables.items()}
        for indexes in dropped.values():
            for name, _ in indexes:
                loader.execute(f'DROP INDEX "{name}"')
        for batch in batches():
            for key, (table, columns) in tables.items():
                counts[key] += loader.write(table, columns, getattr(batch, key))
            log(
                f"  progress: {counts['events']:,} events, {counts['marks']:,} marks "
                f"({time.monotonic() - started:.0f} s)"
            )
        if loader.vendor == "postgresql":
            # Check the deferred foreign keys now: PostgreSQL makes no index on a table
            # with checks still pending.
            loader.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for key, indexes in dropped.items():
            for _, create in indexes:
                loader.execute(create)
            log(f"  indexes of {tables[key][0]} made again ({time.monotonic() - started:.0f} s)")

        # The heavy learner's open study session: the deployment topic, a few cards in.
        deployment = sorted(
            pk for pk, ts in by_question_topics.items() if topics["deployment"] in ts
        )
        loader.write(
            "progress_studysession",
            (
                "id",
                "user_id",
                "source",
                "label",
                "question_ids",
                "position",
                "ratings",
                "returns",
                "started_at",
                "updated_at",
                "finished_at",
            ),
            [
                (
                    1,
                    heavy_id,
                    "topic",
                    "Deployment and efficiency",
                    json.dumps(deployment),
                    2,
                    json.dumps({str(deployment[0]): 3, str(deployment[1]): 4}),
                    "{}",
                    loader.stamp(now - 600),
                    loader.stamp(now - 60),
                    None,
                )
            ],
        )
        loader.reset_sequences(
            [
                "questions_question",
                "accounts_user",
                "questions_bank",
                "teams_team",
                "teams_topicset",
                "teams_assignment",
                "progress_studysession",
            ]
        )
    log(f"  built in {time.monotonic() - started:.0f} s")
    return {
        "ids": {
            "heavy": HEAVY,
            "instructor_50": instructor_name(1),
            "team_50": team_ids[1],
            "instructor_big": BIG_INSTRUCTOR,
            "team_big": big_team,
            "topic_set_big": big_team,
            "assignment_big": big_team,
            "study_session": 1,
        },
        "counts": {
            "questions": len(all_questions),
            "learners": learners + 1,
            "teams": len(team_ids),
            "big team members": big_size,
            "heavy learner events": HEAVY_EVENTS_PER_SCALE * scale
            if len(all_questions) * HEAVY_REVIEWS >= HEAVY_EVENTS_PER_SCALE * scale
            else len(all_questions) * HEAVY_REVIEWS,
            **counts,
        },
    }


def load(
    scale: int, *, learners_per_scale: int = LEARNERS_PER_SCALE, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """`build`, as the cached databases are built: on PostgreSQL with no triggers during
    the load (no foreign-key check per row: the rows are consistent by construction, and
    checking 12M of them one by one takes longer than writing them), then the search
    index, which a trigger keeps (questions/0007), written once for every question."""
    loader = Loader()
    if loader.vendor != "postgresql":
        return build(scale, learners_per_scale=learners_per_scale, log=log)
    loader.execute("SET session_replication_role = replica")
    try:
        built = build(scale, learners_per_scale=learners_per_scale, log=log)
    finally:
        loader.execute("SET session_replication_role = DEFAULT")
    loader.execute("SELECT questions_question_search_write(id) FROM questions_question")
    return built


# --- The cached databases -------------------------------------------------------------


def database_url(scale: int, cache_dir: str, server_url: str = "") -> str:
    """The URL of the cached database of `scale`: `var/scale-{s}.sqlite3`, or `scale_{s}`
    on the PostgreSQL server of `server_url` (made here when missing)."""
    from urllib.parse import urlsplit, urlunsplit

    if not server_url or server_url.startswith("sqlite"):
        return f"sqlite:///{cache_dir}/scale-{scale}.sqlite3"
    import psycopg

    parts = urlsplit(server_url)
    name = f"scale_{scale}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _disk_migrations() -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def _read_meta() -> dict[str, Any] | None:
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM scale_build WHERE name = 'meta'")
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return json.loads(row[0]) if row else None


def _write_meta(meta: dict[str, Any]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS scale_build (name varchar(20), value text)")
        cursor.execute("DELETE FROM scale_build")
        cursor.execute(
            "INSERT INTO scale_build (name, value) VALUES ('meta', %s)", [json.dumps(meta)]
        )


def _empty_database() -> None:
    """Drop the database of the current connection and make it again, empty."""
    from pathlib import Path

    from django.db import connection

    settings = connection.settings_dict
    connection.close()
    if connection.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings['NAME']}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    server = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with server:
        server.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{settings["NAME"]}"')


def _unbounded() -> None:
    """No statement timeout (settings: DJANGO_DB_STATEMENT_TIMEOUT_MS) for this
    connection: making an index on 12M rows takes minutes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")


def ensure(scale: int, *, rebuild: bool = False, log: Callable[[str], None] = print) -> dict:
    """The cached database of `scale` (the current Django connection's), built if it is
    missing or was built by another BUILD_VERSION, migrated forward when migrations were
    added since; returns its meta (ids and counts)."""
    from django.core.management import call_command
    from django.db import connection

    disk = _disk_migrations()
    if connection.vendor == "postgresql":
        _unbounded()
    meta = None if rebuild else _read_meta()
    if (
        meta is not None
        and meta.get("version") == BUILD_VERSION
        and meta.get("scale") == scale
        and set(meta["migrations"]) <= set(disk)
    ):
        added = sorted(set(disk) - set(meta["migrations"]))
        if added:
            log(f"  {scale}×: migrating the cached data forward: {', '.join(added)}")
            started = time.monotonic()
            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
            meta["migrations"] = disk
            _write_meta(meta)
            log(f"  migrated in {time.monotonic() - started:.0f} s")
        return meta
    log(f"  {scale}×: building the database ({connection.vendor}) …")
    _empty_database()
    if connection.vendor == "postgresql":
        _unbounded()
    call_command("migrate", verbosity=0, interactive=False)
    loader = Loader()
    if loader.vendor == "sqlite":
        loader.execute("PRAGMA synchronous = OFF")
        loader.execute("PRAGMA cache_size = -1000000")
    built = load(scale, log=log)
    # Fresh statistics for the planners; on PostgreSQL also the visibility map, without
    # which no index-only scan is chosen (autovacuum would get there later).
    loader.execute("ANALYZE" if loader.vendor == "sqlite" else "VACUUM ANALYZE")
    if loader.vendor == "sqlite":
        loader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = {
        "version": BUILD_VERSION,
        "scale": scale,
        "migrations": disk,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **built,
    }
    _write_meta(meta)
    return meta
