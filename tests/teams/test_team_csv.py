"""CSV exports of a team: coverage by member and topic, and one assignment's status
(progress/team_views.py). Parsed with the csv module; spreadsheet formulas are
neutralised in every cell."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_bank, make_user, mark
from tests.pages import csv_rows, html_of, matrix_of
from tests.teams.factories import NOTE_TEXT, ScaledTeam, add_member, make_assignment, make_team
from tests.teams.test_team_dashboard import grid_of

FRESH_HEADER = "Fresh (covered, not yet due)"


def older_columns(rows: list[list[str]]) -> list[list[str]]:
    """The columns the coverage file had before verified counts were appended after them
    (tests/teams/test_verified_grid.py checks those)."""
    end = next(
        (i for i, name in enumerate(rows[0]) if name.endswith(" verified")),
        len(rows[0]) - 1,  # no topic column: just "Verified overall" at the end
    )
    return [row[:end] for row in rows]


COVERAGE_HEADER = ["Member", "Username", "Covered", "Questions", "Coverage %", "Last activity"]
#: Filtered to an assignment, the totals are over its questions, and the header says so.
FILTERED_HEADER = [
    "Member",
    "Username",
    "Covered (assignment)",
    "Questions (assignment)",
    "Coverage % (assignment)",
    "Status",
    "Last activity",
]
STATUS_HEADER = [
    "Member",
    "Username",
    "Status",
    "Covered",
    "Questions",
    "Coverage %",
    "Due date",
]


def coverage_csv(client, team, **params):
    return client.get(reverse("teams:team_matrix_csv", args=[team.pk]), params)


def status_csv(client, assignment):
    return client.get(
        reverse("teams:assignment_status_csv", args=[assignment.team_id, assignment.pk])
    )


# --- Values ---------------------------------------------------------------------------


def test_the_coverage_csv_has_a_row_per_learner_and_a_column_per_topic(world, instructor_client):
    response = coverage_csv(instructor_client, world.team)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="vision-group-coverage.csv"'
    assert older_columns(csv_rows(response)) == [
        [*COVERAGE_HEADER, "Alpha (of 3)", "Beta (of 2)", "Gamma (of 1)", FRESH_HEADER],
        # The world's marks are made without a review schedule, so none is fresh.
        ["Ada Lovelace", "ada", "4", "5", "80", "2026-02-02", "3", "2", "0", "0"],
        ["Bo Chen", "bo", "2", "5", "40", "2026-02-04", "1", "1", "0", "0"],
        ["Cy Diaz", "cy", "0", "5", "0", "", "0", "0", "0", "0"],
        ["Dee Evans", "dee", "3", "5", "60", "2026-02-03", "2", "0", "1", "0"],
    ]


def test_the_coverage_csv_matches_the_dashboard(world, instructor_client):
    _, rows = matrix_of(
        html_of(instructor_client.get(reverse("teams:team_dashboard", args=[world.team.pk])))
    )
    exported = older_columns(csv_rows(coverage_csv(instructor_client, world.team)))[1:]
    assert [r[0] for r in rows] == [r[0] for r in exported]
    assert [[c.split(" of ")[0] for c in r[3:]] for r in rows] == [r[6:-1] for r in exported]


@pytest.mark.parametrize(
    ("sort", "order"),
    [("-overall", ["ada", "dee", "bo", "cy"]), ("last", ["cy", "ada", "dee", "bo"])],
)
def test_the_coverage_csv_follows_the_dashboards_sort(world, instructor_client, sort, order):
    rows = csv_rows(coverage_csv(instructor_client, world.team, sort=sort))
    assert [row[1] for row in rows[1:]] == order


def test_the_coverage_csv_follows_the_dashboards_topic_filter(world, instructor_client):
    rows = older_columns(
        csv_rows(
            coverage_csv(instructor_client, world.team, assignment=world.week1.pk, sort="-alpha")
        )
    )
    assert rows[0] == [*FILTERED_HEADER, "Alpha (of 3)", FRESH_HEADER]
    assert rows[1:] == [
        ["Ada Lovelace", "ada", "3", "3", "100", "complete", "2026-02-02", "3", "0"],
        ["Dee Evans", "dee", "2", "3", "66", "in progress", "2026-02-03", "2", "0"],
        ["Bo Chen", "bo", "1", "3", "33", "in progress", "2026-02-04", "1", "0"],
        ["Cy Diaz", "cy", "0", "3", "0", "not started", "", "0", "0"],
    ]
    # Another team's assignment, or none, filters nothing: the whole bank's name and header.
    theirs = make_assignment(world.other_team, topics=[world.gamma])
    for value in (theirs.pk, "", "abc", "²"):  # "²" is a digit to str.isdigit, not to int
        response = coverage_csv(instructor_client, world.team, assignment=value)
        assert response["Content-Disposition"] == (
            'attachment; filename="vision-group-coverage.csv"'
        )
        header = older_columns(csv_rows(response))[0]
        assert header[:6] == COVERAGE_HEADER
        assert header[6:9] == ["Alpha (of 3)", "Beta (of 2)", "Gamma (of 1)"]


def test_a_filtered_csv_is_named_after_the_team_and_the_assignment(world, instructor_client):
    for assignment, slug in ((world.week1, "week-1-alpha"), (world.mixed, "gamma-and-q4")):
        for others in ("", "1"):
            response = coverage_csv(
                instructor_client, world.team, assignment=assignment.pk, others=others
            )
            assert response["Content-Disposition"] == (
                f'attachment; filename="vision-group-{slug}-coverage.csv"'
            )
            assert csv_rows(response)[0][:7] == FILTERED_HEADER
    # A set whose name slugifies to nothing is still named as an assignment.
    odd = make_assignment(world.team, name="✓✓✓", topics=[world.gamma])
    response = coverage_csv(instructor_client, world.team, assignment=odd.pk)
    assert response["Content-Disposition"] == (
        'attachment; filename="vision-group-assignment-coverage.csv"'
    )


def test_the_filtered_csv_counts_the_assignments_questions_only(world, instructor_client):
    # Gamma (Q5) plus the single question Q4, of Beta: Beta counts Q4 alone.
    rows = older_columns(
        csv_rows(coverage_csv(instructor_client, world.team, assignment=world.mixed.pk))
    )
    assert rows[0][5:] == ["Status", "Last activity", "Gamma (of 1)", "Beta (of 1)", FRESH_HEADER]
    assert [row[:6] + row[7:9] for row in rows[1:]] == [
        ["Ada Lovelace", "ada", "1", "2", "50", "in progress", "0", "1"],
        ["Bo Chen", "bo", "1", "2", "50", "in progress", "0", "1"],
        ["Cy Diaz", "cy", "0", "2", "0", "not started", "0", "0"],
        ["Dee Evans", "dee", "1", "2", "50", "in progress", "1", "0"],
    ]
    # The same statuses and counts as the assignment's own status CSV.
    status = {row[1]: row[2:5] for row in csv_rows(status_csv(instructor_client, world.mixed))[1:]}
    assert {row[1]: [row[5], row[2], row[3]] for row in rows[1:]} == status


def test_the_csv_adds_the_other_topics_when_the_dashboard_does(world, instructor_client):
    rows = older_columns(
        csv_rows(coverage_csv(instructor_client, world.team, assignment=world.mixed.pk, others="1"))
    )
    assert rows[0][7:] == [
        "Gamma (of 1)",
        "Beta (of 1)",
        "Alpha (of 3, not in the assignment)",
        FRESH_HEADER,
    ]
    assert rows[1][:4] == ["Ada Lovelace", "ada", "1", "2"]  # still over the assignment
    assert rows[1][7:10] == ["0", "1", "3"]


def test_the_csv_link_downloads_what_the_grid_shows(world, instructor_client):
    dashboard = reverse("teams:team_dashboard", args=[world.team.pk])
    for params in ({}, {"assignment": world.mixed.pk}, {"assignment": world.mixed.pk, "others": 1}):
        html = html_of(instructor_client.get(dashboard, params))
        header, rows = grid_of(html)
        link = re.search(r'href="([^"]*dashboard\.csv[^"]*)"', html).group(1)
        exported = older_columns(csv_rows(instructor_client.get(unescape(link))))
        assert [r[0] for r in rows] == [r[0] for r in exported[1:]]
        on_screen = header.index("Last activity") + 1
        in_file = exported[0].index("Last activity") + 1
        assert len(header) - on_screen == len(exported[0]) - in_file - 1  # and Fresh
        assert [[c.split(" of ")[0] for c in r[on_screen:]] for r in rows] == [
            r[in_file:-1] for r in exported[1:]
        ], params


def test_a_team_without_learners_exports_just_the_header(db):
    instructor = make_user()
    team = make_team("Nobody yet", instructor=instructor)
    make_bank(topics=1, questions_per_topic=2)
    client = Client()
    client.force_login(instructor)
    rows = csv_rows(coverage_csv(client, team))
    assert len(rows) == 1
    assert rows[0][:6] == COVERAGE_HEADER


def test_the_status_csv_lists_each_learners_status(world, instructor_client):
    response = status_csv(instructor_client, world.week1)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="week-1-alpha-status.csv"'
    assert csv_rows(response) == [
        STATUS_HEADER,
        ["Ada Lovelace", "ada", "complete", "3", "3", "100", "2026-03-01"],
        ["Dee Evans", "dee", "in progress", "2", "3", "66", "2026-03-01"],
        ["Bo Chen", "bo", "in progress", "1", "3", "33", "2026-03-01"],
        ["Cy Diaz", "cy", "not started", "0", "3", "0", "2026-03-01"],
    ]
    # Topic Gamma (Q5) plus the single question Q4.
    assert csv_rows(status_csv(instructor_client, world.mixed))[1:] == [
        ["Ada Lovelace", "ada", "in progress", "1", "2", "50", "2026-03-20"],
        ["Bo Chen", "bo", "in progress", "1", "2", "50", "2026-03-20"],
        ["Dee Evans", "dee", "in progress", "1", "2", "50", "2026-03-20"],
        ["Cy Diaz", "cy", "not started", "0", "2", "0", "2026-03-20"],
    ]


def test_an_assignment_without_due_date_exports_an_empty_due_date(world, instructor_client):
    assignment = make_assignment(world.team, name="Open-ended", topics=[world.gamma])
    rows = csv_rows(status_csv(instructor_client, assignment))
    assert {row[6] for row in rows[1:]} == {""}
    assert [row[2] for row in rows[1:]] == ["complete", "not started", "not started", "not started"]


def test_no_note_reaches_a_csv(world, instructor_client):
    exports = [
        coverage_csv(instructor_client, world.team),
        status_csv(instructor_client, world.week1),
        status_csv(instructor_client, world.mixed),
    ]
    for response in exports:
        assert response.status_code == 200
        assert NOTE_TEXT.split(":")[0] not in response.content.decode()


def test_learners_cannot_download_the_team_csv(world):
    client = Client()
    client.force_login(world.ada)
    assert coverage_csv(client, world.team).status_code == 403
    assert status_csv(client, world.week1).status_code == 403


def test_last_activity_is_the_same_local_date_in_the_csv_and_on_the_page(settings, db):
    settings.TIME_ZONE = "Europe/Berlin"
    instructor, learner = make_user(), make_user(username="late", display_name="Late Owl")
    team = make_team("Night shift", instructor=instructor, learners=[learner])
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    # 23:30 on 1 January in UTC is 00:30 on 2 January in Berlin.
    mark(learner, topic.questions.get(), 4, at=datetime(2026, 1, 1, 23, 30, tzinfo=UTC))
    client = Client()
    client.force_login(instructor)
    page = html_of(client.get(reverse("teams:team_dashboard", args=[team.pk])))
    assert matrix_of(page)[1][0][2] == "2 Jan 2026"
    assert csv_rows(coverage_csv(client, team))[1][5] == "2026-01-02"


# --- Formula injection -------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("name", FORMULAS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_display_name_that_looks_like_a_formula_is_neutralised(world, instructor_client, name):
    add_member(world.team, make_user(username="sneaky", display_name=name))
    for response in (
        coverage_csv(instructor_client, world.team),
        status_csv(instructor_client, world.week1),
    ):
        rows = {row[1]: row[0] for row in csv_rows(response)[1:]}
        assert rows["sneaky"] == "'" + name
        assert rows["ada"] == "Ada Lovelace"


@pytest.mark.parametrize("username", ["+plus", "-minus", "@at"])
def test_a_username_that_looks_like_a_formula_is_neutralised(world, instructor_client, username):
    add_member(world.team, make_user(username=username, display_name="Plain Name"))
    rows = csv_rows(coverage_csv(instructor_client, world.team))
    assert ["Plain Name", "'" + username] in [row[:2] for row in rows]


def test_text_that_merely_contains_formula_characters_is_left_alone(world, instructor_client):
    add_member(world.team, make_user(username="zoe", display_name='Zoë "=not" O\'Brien, +1'))
    rows = csv_rows(coverage_csv(instructor_client, world.team))
    assert ['Zoë "=not" O\'Brien, +1', "zoe"] in [row[:2] for row in rows]


def test_a_topic_name_that_looks_like_a_formula_is_neutralised(world, instructor_client):
    world.gamma.name = "=cmd|' /C calc'!A0"
    world.gamma.save()
    header = older_columns(csv_rows(coverage_csv(instructor_client, world.team)))[0]
    assert header[-2] == "'=cmd|' /C calc'!A0 (of 1)"


# --- Query counts -------------------------------------------------------------------------

#: Pinned query counts (session and user lookups included).
COVERAGE_CSV_QUERIES = 8
STATUS_CSV_QUERIES = 8


@pytest.mark.parametrize("members", [3, 60])
def test_csv_queries_do_not_grow_with_the_team(db, django_assert_num_queries, members):
    scaled = ScaledTeam(members, 4)
    client = scaled.client(scaled.instructor)
    with django_assert_num_queries(COVERAGE_CSV_QUERIES):
        coverage = coverage_csv(client, scaled.team)
    assert len(csv_rows(coverage)) == members + 1
    # Filtered to an assignment: the team's assignments and the assignment's questions (two
    # queries) instead of the count of the bank's questions, two more.
    with django_assert_num_queries(COVERAGE_CSV_QUERIES + 2):
        coverage = coverage_csv(client, scaled.team, assignment=scaled.assignments[0].pk)
    assert len(csv_rows(coverage)) == members + 1
    with django_assert_num_queries(STATUS_CSV_QUERIES):
        status = status_csv(client, scaled.assignments[0])
    assert {row[2] for row in csv_rows(status)[1:]} == {"complete"}
