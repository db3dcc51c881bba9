"""teams 0005 adds opt-in team progress: an upgraded database has every existing team's
switch off and every member not sharing, and nothing else of theirs changed; going back
drops the two columns and keeps the rows."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.db import connection

search_index = importlib.import_module("questions.migrations.0003_question_search_index")

# Only teams 0004 and what it needs: the migrator applies its whole plan up to the
# target's place in it.
BEFORE = [("teams", "0004_move_imported_questions")]
AFTER = [("teams", "0005_progress_sharing")]

JOINED = datetime(2026, 1, 10, 12, tzinfo=UTC)
TEAM_FIELDS = ("pk", "name", "invite_code", "created_at", "bank_id")
MEMBERSHIP_FIELDS = ("pk", "team_id", "user_id", "role", "joined_at")


@pytest.fixture
def old_apps(migrator):
    if connection.vendor == "sqlite":
        # The migrator drops the models' tables, and the search index is none of them.
        with connection.schema_editor() as editor:
            search_index.drop_search_index(None, editor)
    return migrator.apply_initial_migration(BEFORE).apps


def fill(apps) -> None:
    User = apps.get_model("accounts", "User")
    Bank = apps.get_model("questions", "Bank")
    Team = apps.get_model("teams", "Team")
    Membership = apps.get_model("teams", "Membership")
    people = {
        name: User.objects.create(username=name, display_name=name.title())
        for name in ("iris", "lena", "marco", "otto")
    }
    for name, code, members in [
        ("Vision", "VISION22", {"iris": "instructor", "lena": "learner", "marco": "learner"}),
        ("NLP", "NLPNLP22", {"otto": "instructor", "lena": "learner"}),
        ("Empty", "EMPTY222", {}),
    ]:
        team = Team.objects.create(name=name, invite_code=code, bank=Bank.objects.create(name=name))
        for username, role in members.items():
            membership = Membership.objects.create(team=team, user=people[username], role=role)
            Membership.objects.filter(pk=membership.pk).update(joined_at=JOINED)


def rows(apps, model: str, fields: tuple[str, ...]) -> set[tuple]:
    return set(apps.get_model("teams", model).objects.values_list(*fields))


def test_existing_teams_and_members_start_with_both_off(migrator, old_apps):
    fill(old_apps)
    teams = rows(old_apps, "Team", TEAM_FIELDS)
    memberships = rows(old_apps, "Membership", MEMBERSHIP_FIELDS)
    assert (len(teams), len(memberships)) == (3, 5)

    apps = migrator.apply_tested_migration(AFTER).apps

    assert rows(apps, "Team", TEAM_FIELDS) == teams
    assert rows(apps, "Membership", MEMBERSHIP_FIELDS) == memberships
    Team = apps.get_model("teams", "Team")
    Membership = apps.get_model("teams", "Membership")
    assert set(Team.objects.values_list("members_see_progress", flat=True)) == {False}
    assert set(Membership.objects.values_list("shares_progress", flat=True)) == {False}
    # A row made after the upgrade without saying gets the defaults too.
    vision = Team.objects.get(name="Vision")
    late = apps.get_model("accounts", "User").objects.create(username="late")
    assert not Membership.objects.create(team=vision, user=late).shares_progress

    back = migrator.apply_tested_migration(BEFORE).apps
    assert rows(back, "Team", TEAM_FIELDS) == teams
    assert rows(back, "Membership", MEMBERSHIP_FIELDS) >= memberships
    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, "teams_team")
        }
    assert "members_see_progress" not in columns
