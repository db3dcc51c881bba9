"""Team banks arrive (questions 0004, teams 0002-0004): every team gets a bank, and what
non-staff instructors imported before moves into the bank of the team they taught.

A database is built by the migrations before team banks and filled through the
historical models, as a live installation would be; then it is migrated and every row
is checked.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.db import connection

search_index = importlib.import_module("questions.migrations.0003_question_search_index")

BEFORE = [
    ("accounts", "0005_team_state_to_teams"),
    ("progress", "0009_topic_set_state_to_teams"),
    ("questions", "0003_question_search_index"),
    ("teams", "0001_initial"),
]
AFTER = [("teams", "0004_move_imported_questions"), ("authoring", "0001_initial")]

JAN = datetime(2026, 1, 10, 12, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 12, tzinfo=UTC)
MAR = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def old_apps(migrator):
    if connection.vendor == "sqlite":
        # The migrator drops the models' tables, and the search index is none of them.
        with connection.schema_editor() as editor:
            search_index.drop_search_index(None, editor)
    return migrator.apply_initial_migration(BEFORE).apps


def fill(apps) -> dict:
    User = apps.get_model("accounts", "User")
    Team = apps.get_model("teams", "Team")
    Membership = apps.get_model("teams", "Membership")
    Topic = apps.get_model("questions", "Topic")
    Question = apps.get_model("questions", "Question")
    Answer = apps.get_model("questions", "Answer")
    ImportRecord = apps.get_model("questions", "ImportRecord")
    Mark = apps.get_model("progress", "ConfidenceMark")
    Note = apps.get_model("progress", "Note")

    def user(name, **fields):
        return User.objects.create(username=name, display_name=name.title(), **fields)

    def member(team, who, role, joined):
        membership = Membership.objects.create(team=team, user=who, role=role)
        Membership.objects.filter(pk=membership.pk).update(joined_at=joined)

    staff = user("staff", is_staff=True)
    iris = user("iris")  # instructs one team: her imports move
    otto = user("otto")  # instructs two teams: his stay in the library
    late = user("late")  # became an instructor only after importing: stays
    lena = user("lena")  # a learner who rated and noted the moved questions
    vision = Team.objects.create(name="Vision", invite_code="VISION22")
    nlp = Team.objects.create(name="NLP", invite_code="NLPNLP22")
    member(vision, iris, "instructor", JAN)
    member(nlp, iris, "learner", JAN)  # learning elsewhere does not count
    member(vision, otto, "instructor", JAN)
    member(nlp, otto, "instructor", JAN)
    member(nlp, late, "instructor", MAR)
    member(vision, lena, "learner", JAN)

    seed = Topic.objects.create(slug="basics", name="Basics", position=1)
    imported_topic = Topic.objects.create(slug="week-3", name="Week 3", position=2)
    shared_topic = Topic.objects.create(slug="mixed", name="Mixed", position=3)
    position = iter(range(1, 100))

    def question(key, *topics):
        q = Question.objects.create(key=key, position=next(position), text=f"What is {key}?")
        Answer.objects.create(question=q, kind="concise", text=f"{key} is a thing.")
        q.topics.set(topics)
        return q

    seed_q = question("cnn-01", seed)
    iris_qs = [question("imp-a", imported_topic, seed), question("imp-b", imported_topic)]
    mixed_q = question("imp-c", shared_topic)
    otto_q = question("imp-d", shared_topic)
    late_q = question("imp-e", seed)
    staff_q = question("imp-f", seed)

    def record(who, keys, when, **fields):
        return ImportRecord.objects.create(
            user=who,
            file_name=f"{who.username}.md",
            format="auto",
            text="x",
            status="done",
            imported_at=when,
            summary={"created": {"questions": len(keys)}, "keys": keys},
            **fields,
        )

    records = {
        "iris": record(iris, ["imp-a", "imp-b", "imp-c"], FEB),
        "otto": record(otto, ["imp-d"], FEB),
        "late": record(late, ["imp-e"], FEB),
        "staff": record(staff, ["imp-f"], FEB),
        "pending": ImportRecord.objects.create(
            user=iris, file_name="next.md", format="auto", text="x"
        ),
    }
    for q in iris_qs:
        Mark.objects.create(user=lena, question=q, level=4, updated_at=FEB)
        Note.objects.create(user=lena, question=q, text="mine", html="<p>mine</p>")
    return {
        "teams": {"vision": vision.pk, "nlp": nlp.pk},
        "questions": {
            "seed": seed_q.pk,
            "iris": [q.pk for q in iris_qs],
            "mixed": mixed_q.pk,
            "otto": otto_q.pk,
            "late": late_q.pk,
            "staff": staff_q.pk,
        },
        "topics": {"seed": seed.pk, "imported": imported_topic.pk, "shared": shared_topic.pk},
        "records": {name: r.pk for name, r in records.items()},
        "rows": rows(apps),
    }


def rows(apps) -> dict:
    """Every row that must come through unchanged."""
    Question = apps.get_model("questions", "Question")
    return {
        "questions": sorted(Question.objects.values_list("pk", "key", "text", "position")),
        "answers": sorted(apps.get_model("questions", "Answer").objects.values_list("pk", "text")),
        "topic links": sorted(Question.topics.through.objects.values_list("question", "topic")),
        "marks": sorted(
            apps.get_model("progress", "ConfidenceMark").objects.values_list(
                "user", "question", "level"
            )
        ),
        "notes": sorted(
            apps.get_model("progress", "Note").objects.values_list("user", "question", "text")
        ),
        "memberships": sorted(
            apps.get_model("teams", "Membership").objects.values_list("team", "user", "role")
        ),
    }


def test_imports_move_to_the_bank_of_the_one_team_their_importer_taught(migrator, old_apps):
    made = fill(old_apps)
    apps = migrator.apply_tested_migration(AFTER).apps
    Team = apps.get_model("teams", "Team")
    Question = apps.get_model("questions", "Question")
    Topic = apps.get_model("questions", "Topic")
    ImportRecord = apps.get_model("questions", "ImportRecord")

    assert rows(apps) == made["rows"]
    banks = {
        name: Team.objects.get(pk=pk).bank for name, pk in made["teams"].items()
    }  # every team has its own bank, named after it
    assert {name: bank.name for name, bank in banks.items()} == {"vision": "Vision", "nlp": "NLP"}
    vision = banks["vision"].pk

    bank_of = dict(Question.objects.values_list("pk", "bank"))
    ids = made["questions"]
    assert [bank_of[pk] for pk in ids["iris"]] == [vision, vision]
    assert bank_of[ids["mixed"]] == vision
    # Two teams taught, instructor only after the import, staff, the seed: the library.
    for name in ("otto", "late", "staff", "seed"):
        assert bank_of[ids[name]] is None, name

    # Each imported question now belongs to its import, so the import can be undone.
    record_of = dict(Question.objects.values_list("pk", "import_record"))
    records = made["records"]
    assert [record_of[pk] for pk in ids["iris"]] == [records["iris"]] * 2
    assert record_of[ids["otto"]] == records["otto"]
    assert record_of[ids["staff"]] == records["staff"]
    assert record_of[ids["seed"]] is None
    record_bank = dict(ImportRecord.objects.values_list("pk", "bank"))
    assert record_bank == {
        records["iris"]: vision,
        records["otto"]: None,
        records["late"]: None,
        records["staff"]: None,
        records["pending"]: vision,  # iris can still confirm her upload
    }

    # A topic all of whose questions moved goes with them; one shared with library
    # questions stays in the library.
    topic_bank = dict(Topic.objects.values_list("pk", "bank"))
    assert topic_bank[made["topics"]["imported"]] == vision
    assert topic_bank[made["topics"]["seed"]] is None
    assert topic_bank[made["topics"]["shared"]] is None


def test_the_migration_says_what_it_moved(migrator, old_apps, capsys):
    fill(old_apps)
    migrator.apply_tested_migration(AFTER)
    printed = capsys.readouterr().out
    assert "Moved 3 questions of the import “iris.md” by iris to the bank of Vision." in printed
    assert "Moved the topic “Week 3” to that team's bank with its questions." in printed
    assert "otto" not in printed and "late" not in printed


def test_going_back_returns_everything_to_the_library(migrator, old_apps):
    made = fill(old_apps)
    migrator.apply_tested_migration(AFTER)
    apps = migrator.apply_tested_migration(BEFORE).apps
    assert rows(apps) == made["rows"]
    assert not any(f.name == "bank" for f in apps.get_model("teams", "Team")._meta.fields)
