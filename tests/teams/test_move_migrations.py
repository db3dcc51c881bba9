"""Team, Membership, TopicSet and Assignment move from accounts and progress to teams
(accounts 0004-0005, progress 0008-0009, teams 0001): an installation that upgrades keeps
every row and link, and can go back.

A database is built from nothing up to the last migrations before the move and filled
through the historical models, as a live installation would be.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
from django.db import connection, models, transaction

search_index = importlib.import_module("questions.migrations.0003_question_search_index")

BEFORE = [
    ("accounts", "0003_rate_counter"),
    ("progress", "0007_note_last_editor"),
    ("questions", "0003_question_search_index"),
    ("admin", "0003_logentry_add_action_flag_choices"),
]
AFTER = [
    ("accounts", "0005_team_state_to_teams"),
    ("progress", "0009_topic_set_state_to_teams"),
    ("teams", "0001_initial"),
]

OLD_HOME = {
    "team": "accounts",
    "membership": "accounts",
    "topicset": "progress",
    "assignment": "progress",
}
NEW_HOME = dict.fromkeys(OLD_HOME, "teams")
STAYING = [
    ("accounts", "user"),
    ("questions", "topic"),
    ("questions", "question"),
    ("questions", "answer"),
    ("progress", "confidencemark"),
    ("progress", "confidenceevent"),
    ("progress", "note"),
    ("progress", "studysession"),
]

OLD_TABLES = {
    "accounts_team": "teams_team",
    "accounts_membership": "teams_membership",
    "progress_topicset": "teams_topicset",
    "progress_topicset_topics": "teams_topicset_topics",
    "progress_topicset_questions": "teams_topicset_questions",
    "progress_assignment": "teams_assignment",
}
#: Each foreign key of the moved tables: (table, column) -> the table it points at.
OLD_FOREIGN_KEYS = {
    ("accounts_membership", "team_id"): "accounts_team",
    ("accounts_membership", "user_id"): "accounts_user",
    ("progress_topicset", "team_id"): "accounts_team",
    ("progress_topicset", "created_by_id"): "accounts_user",
    ("progress_topicset_topics", "topicset_id"): "progress_topicset",
    ("progress_topicset_topics", "topic_id"): "questions_topic",
    ("progress_topicset_questions", "topicset_id"): "progress_topicset",
    ("progress_topicset_questions", "question_id"): "questions_question",
    ("progress_assignment", "team_id"): "accounts_team",
    ("progress_assignment", "topic_set_id"): "progress_topicset",
    ("progress_assignment", "created_by_id"): "accounts_user",
}
NEW_FOREIGN_KEYS = {
    (OLD_TABLES[table], column): OLD_TABLES.get(target, target)
    for (table, column), target in OLD_FOREIGN_KEYS.items()
}


@pytest.fixture
def old_apps(migrator):
    """The historical apps of a database built up to the migrations before the move."""
    if connection.vendor == "sqlite":
        # The migrator drops the models' tables, and the search index is none of them:
        # without this, questions 0003 would find it still there.
        with connection.schema_editor() as editor:
            search_index.drop_search_index(None, editor)
    # The migrator applies the whole plan up to its target's place in it, and progress
    # 0008 comes before accounts 0003 there: start at progress 0007, go on forwards.
    migrator.apply_initial_migration(("progress", "0007_note_last_editor"))
    return migrator.apply_tested_migration(BEFORE).apps


def test_the_move_keeps_every_row_link_and_content_type(migrator, old_apps):
    disbanded_team_id = fill(old_apps)
    before = moved_rows(old_apps, OLD_HOME)
    staying = staying_rows(old_apps)
    content_types = content_type_rows(old_apps, OLD_HOME)

    apps = migrator.apply_tested_migration(AFTER).apps

    assert moved_rows(apps, NEW_HOME) == before
    assert staying_rows(apps) == staying
    for label in ("Team", "Membership", "TopicSet", "Assignment"):
        with pytest.raises(LookupError):
            apps.get_model(OLD_HOME[label.lower()], label)
    assert tables() >= set(OLD_TABLES.values())
    assert not tables() & set(OLD_TABLES)
    assert foreign_keys(NEW_FOREIGN_KEYS) == NEW_FOREIGN_KEYS
    assert_no_index_left_behind(apps, "teams")
    assert_links_followed(apps)

    # The content types keep their ids, so permissions and admin history follow them; a
    # teams one made before the move (none should exist) gives way.
    assert content_type_rows(apps, NEW_HOME) == {
        model: (pk, "teams") for model, (pk, _) in content_types.items()
    }
    ContentType = apps.get_model("contenttypes", "ContentType")
    assert ContentType.objects.filter(app_label="teams").count() == len(NEW_HOME)
    Permission = apps.get_model("auth", "Permission")
    assert set(Permission.objects.values_list("codename", "content_type__app_label")) >= {
        ("change_team", "teams"),
        ("change_membership", "teams"),
        ("change_topicset", "teams"),
        ("change_assignment", "teams"),
    }
    LogEntry = apps.get_model("admin", "LogEntry")
    assert LogEntry.objects.get().content_type_id == content_types["team"][0]

    # New rows get new ids, never one a deleted team had (the renamed tables keep their
    # sequences on PostgreSQL and their AUTOINCREMENT counters on SQLite).
    new = add_a_team(apps)
    assert new["team"] > disbanded_team_id
    for name, pk in new.items():
        assert pk > max(row["id"] for row in before[name]), name


def test_the_move_runs_backwards_and_forwards_again(migrator, old_apps):
    fill(old_apps)
    content_types = content_type_rows(old_apps, OLD_HOME)
    staying = staying_rows(old_apps)
    apps = migrator.apply_tested_migration(AFTER).apps
    add_a_team(apps)
    rows = moved_rows(apps, NEW_HOME)

    apps = migrator.apply_tested_migration(BEFORE).apps

    assert moved_rows(apps, OLD_HOME) == rows
    assert staying_rows(apps) == staying
    assert tables() >= set(OLD_TABLES)
    assert not tables() & set(OLD_TABLES.values())
    assert foreign_keys(OLD_FOREIGN_KEYS) == OLD_FOREIGN_KEYS
    assert_no_index_left_behind(apps, "accounts")
    assert content_type_rows(apps, OLD_HOME) == content_types
    assert "teams" not in set(
        apps.get_model("contenttypes", "ContentType").objects.values_list("app_label", flat=True)
    )
    Team = apps.get_model("accounts", "Team")
    assert Team.objects.create(name="Back again").pk > max(row["id"] for row in rows["team"])
    rows = moved_rows(apps, OLD_HOME)

    apps = migrator.apply_tested_migration(AFTER).apps

    assert moved_rows(apps, NEW_HOME) == rows
    assert staying_rows(apps) == staying
    assert_search_index_in_step(apps)


# --- The installation before the move ------------------------------------------------


def fill(apps) -> int:
    """Users, teams, memberships of both roles, topic sets with topics and single questions,
    assignments with and without due dates, marks, events, notes and study sessions; the
    content types, permissions and admin history of the moved models. Returns the id of a
    team deleted before the move."""
    User = apps.get_model("accounts", "User")
    Team = apps.get_model("accounts", "Team")
    Membership = apps.get_model("accounts", "Membership")
    Topic = apps.get_model("questions", "Topic")
    Question = apps.get_model("questions", "Question")
    Answer = apps.get_model("questions", "Answer")
    TopicSet = apps.get_model("progress", "TopicSet")
    Assignment = apps.get_model("progress", "Assignment")
    ConfidenceMark = apps.get_model("progress", "ConfidenceMark")
    ConfidenceEvent = apps.get_model("progress", "ConfidenceEvent")
    Note = apps.get_model("progress", "Note")
    StudySession = apps.get_model("progress", "StudySession")

    users = {
        name: User.objects.create(username=name, display_name=name.title(), password="x")
        for name in ("ada", "ben", "cy", "dee", "eve")
    }
    topics = {
        slug: Topic.objects.create(slug=slug, name=slug.title(), position=n)
        for n, slug in enumerate(("lexing", "parsing", "indexes"))
    }
    questions = []
    for n in range(1, 7):
        question = Question.objects.create(key=f"q{n}", position=n, text=f"Question {n}?")
        question.topics.set([list(topics.values())[n % 3]])
        Answer.objects.create(question=question, kind="concise", text=f"Answer {n}")
        questions.append(question)
    questions[0].related.add(questions[1])

    compilers = Team.objects.create(name="Compilers", invite_code="COMP2345")
    databases = Team.objects.create(name="Databases", invite_code="DATA2345")
    Team.objects.create(name="Nobody yet", invite_code="NOBY2345")
    disbanded = Team.objects.create(name="Disbanded", invite_code="GONE2345")
    Membership.objects.create(team=disbanded, user=users["eve"], role="learner")
    for team, user, role in [
        (compilers, "ada", "instructor"),
        (compilers, "ben", "learner"),
        (compilers, "cy", "learner"),
        (databases, "dee", "instructor"),
        (databases, "ada", "learner"),
        (databases, "cy", "learner"),
    ]:
        Membership.objects.create(team=team, user=users[user], role=role)
    disbanded_id = disbanded.pk
    disbanded.delete()

    parsing = TopicSet.objects.create(
        team=compilers, name="Parsing", description="Week 1", created_by=users["ada"]
    )
    parsing.topics.set([topics["lexing"], topics["parsing"]])
    parsing.questions.set([questions[5]])
    picked = TopicSet.objects.create(team=compilers, name="Picked", created_by=users["ada"])
    picked.questions.set([questions[0], questions[2]])
    indexes = TopicSet.objects.create(team=databases, name="Indexes", created_by=None)
    indexes.topics.set([topics["indexes"]])
    parsing_due = Assignment.objects.create(
        team=compilers, topic_set=parsing, due_date=date(2026, 12, 1), created_by=users["ada"]
    )
    Assignment.objects.create(team=compilers, topic_set=picked, due_date=None)
    Assignment.objects.create(
        team=databases, topic_set=indexes, due_date=date(2027, 1, 15), created_by=users["dee"]
    )

    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    for user, question, level in [("ben", 0, 3), ("cy", 1, 5), ("cy", 2, 1)]:
        ConfidenceMark.objects.create(
            user=users[user],
            question=questions[question],
            level=level,
            updated_at=when,
            due=when,
            stability=2.5,
            difficulty=5.1,
            last_review=when,
            fsrs_state=2,
        )
        ConfidenceEvent.objects.create(
            user=users[user], question=questions[question], level=level, rating=3, created_at=when
        )
    Note.objects.create(
        user=users["ben"],
        question=questions[0],
        text="**Lexers** first",
        html="<p><strong>Lexers</strong> first</p>",
        version=4,
        last_editor="tab-1",
        last_seq=7,
    )
    StudySession.objects.create(
        user=users["ben"],
        source="assignment",
        label=f"Assignment {parsing_due.pk}",
        question_ids=[questions[5].pk, questions[0].pk],
        position=1,
        ratings={str(questions[5].pk): 3},
    )
    StudySession.objects.create(
        user=users["cy"],
        source="topic_set",
        label="Indexes",
        question_ids=[questions[2].pk],
        position=1,
        finished_at=when,
    )

    # post_migrate does not run in a migration test, so nothing made these yet. The teams
    # one stands in for one made before the move ran, which teams 0001 drops.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model, app_label in OLD_HOME.items():
        content_type = ContentType.objects.create(app_label=app_label, model=model)
        Permission.objects.create(
            content_type=content_type, codename=f"change_{model}", name=f"Can change {model}"
        )
    ContentType.objects.create(app_label="teams", model="team")
    apps.get_model("admin", "LogEntry").objects.create(
        user=users["ada"],
        content_type=ContentType.objects.get(app_label="accounts", model="team"),
        object_id=str(compilers.pk),
        object_repr="Compilers",
        action_flag=2,
        action_time=when,
    )
    return disbanded_id


def add_a_team(apps) -> dict[str, int]:
    """A team with a member, a topic set and an assignment, made after the move; their ids."""
    Team = apps.get_model("teams", "Team")
    TopicSet = apps.get_model("teams", "TopicSet")
    team = Team.objects.create(name="After the move")
    member = team.memberships.create(
        user=apps.get_model("accounts", "User").objects.get(username="eve")
    )
    topic_set = TopicSet.objects.create(team=team, name="Fresh")
    topic_set.topics.add(apps.get_model("questions", "Topic").objects.get(slug="parsing"))
    topic_set.questions.add(apps.get_model("questions", "Question").objects.get(key="q2"))
    assignment = team.assignments.create(topic_set=topic_set)
    return {
        "team": team.pk,
        "membership": member.pk,
        "topicset": topic_set.pk,
        "topicset.topics": TopicSet.topics.through.objects.get(topicset=topic_set).pk,
        "topicset.questions": TopicSet.questions.through.objects.get(topicset=topic_set).pk,
        "assignment": assignment.pk,
    }


# --- Reading the database --------------------------------------------------------------


def rows(model) -> list[dict]:
    """Every column of every row, by id."""
    columns = [field.attname for field in model._meta.concrete_fields]
    return list(model.objects.order_by("pk").values(*columns))


def moved_rows(apps, home: dict[str, str]) -> dict[str, list[dict]]:
    found = {model: rows(apps.get_model(app_label, model)) for model, app_label in home.items()}
    TopicSet = apps.get_model(home["topicset"], "TopicSet")
    for field in ("topics", "questions"):
        found[f"topicset.{field}"] = rows(getattr(TopicSet, field).through)
    return found


def staying_rows(apps) -> dict[str, list[dict]]:
    """Every row of the tables that stay, the question's topic and related links included."""
    found = {model: rows(apps.get_model(app_label, model)) for app_label, model in STAYING}
    Question = apps.get_model("questions", "Question")
    for name in ("topics", "related"):
        found[f"question {name}"] = rows(getattr(Question, name).through)
    return found


def content_type_rows(apps, home: dict[str, str]) -> dict[str, tuple[int, str]]:
    ContentType = apps.get_model("contenttypes", "ContentType")
    return {
        model: ContentType.objects.values_list("pk", "app_label").get(
            app_label=app_label, model=model
        )
        for model, app_label in home.items()
    }


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def foreign_keys(wanted: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """The table each of the `wanted` foreign key columns points at in the database."""
    found = {}
    with connection.cursor() as cursor:
        for table in {table for table, _ in wanted}:
            for constraint in connection.introspection.get_constraints(cursor, table).values():
                key = (table, constraint["columns"][0])
                if constraint["foreign_key"] and key in wanted:
                    found[key] = constraint["foreign_key"][0]
    return found


def assert_no_index_left_behind(apps, app_label: str) -> None:
    """On PostgreSQL the invite code has a second index, for LIKE, which Django finds by
    the name it would give it rather than by its column: once the code is no longer
    unique, no index may be left on it. Tried in a transaction that is rolled back."""
    if connection.vendor != "postgresql":
        return
    Team = apps.get_model(app_label, "Team")
    unique = Team._meta.get_field("invite_code")
    assert isinstance(unique, models.CharField)
    name, _, args, kwargs = unique.deconstruct()
    plain: models.CharField[str, str] = models.CharField(*args, **{**kwargs, "unique": False})
    plain.set_attributes_from_name(name)
    plain.model = Team
    with transaction.atomic():
        with connection.schema_editor() as editor:
            editor.alter_field(Team, unique, plain)
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, Team._meta.db_table)
        transaction.set_rollback(True)
    assert [c for c in constraints.values() if c["columns"] == ["invite_code"]] == []


def assert_links_followed(apps) -> None:
    """The moved models' relations join as before, from both ends."""
    Team = apps.get_model("teams", "Team")
    User = apps.get_model("accounts", "User")
    compilers = Team.objects.get(name="Compilers")
    assert set(compilers.memberships.values_list("user__username", "role")) == {
        ("ada", "instructor"),
        ("ben", "learner"),
        ("cy", "learner"),
    }
    assert set(User.objects.get(username="ada").memberships.values_list("team__name", "role")) == {
        ("Compilers", "instructor"),
        ("Databases", "learner"),
    }
    parsing = compilers.topic_sets.get(name="Parsing")
    assert set(parsing.topics.values_list("slug", flat=True)) == {"lexing", "parsing"}
    assert list(parsing.questions.values_list("key", flat=True)) == ["q6"]
    assert set(apps.get_model("questions", "Question").objects.get(key="q1").topic_sets.all()) == {
        compilers.topic_sets.get(name="Picked")
    }
    assert set(
        Team.objects.filter(name__in=["Compilers", "Databases"]).values_list(
            "name",
            "assignments__topic_set__name",
            "assignments__due_date",
            "assignments__created_by__username",
        )
    ) == {
        ("Compilers", "Parsing", date(2026, 12, 1), "ada"),
        ("Compilers", "Picked", None, None),
        ("Databases", "Indexes", date(2027, 1, 15), "dee"),
    }
    assert not Team.objects.get(name="Nobody yet").memberships.exists()


def assert_search_index_in_step(apps) -> None:
    """Going back and forth leaves SQLite's search index and its triggers in place."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert {name for (name,) in cursor.fetchall()} >= set(search_index.TRIGGERS)
        apps.get_model("questions", "Question").objects.filter(key="q3").update(text="Tokenizers?")
        cursor.execute(
            f"SELECT rowid FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH 'tokenizer'"
        )
        found = [rowid for (rowid,) in cursor.fetchall()]
    assert found == [apps.get_model("questions", "Question").objects.get(key="q3").pk]
