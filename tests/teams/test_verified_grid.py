"""Verified coverage on the team dashboard's grid and in its CSV (teams/selectors.py
team_matrix, teams/templatetags/team_tags.matrix_cells, teams/views._coverage_table): per
learner and topic, and per learner overall, how many covered questions are verified (the
latest typed answer made at least half of the key points), in both cell views, filtered
to an assignment or not; and the pinned query counts, unchanged with checks about."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from teams.selectors import team_matrix
from tests.pages import HTMX, csv_rows, html_of, squash
from tests.teams.factories import SCALE_SIZES, ScaledTeam, bulk_checks, checked
from tests.teams.test_assignment_grid import CSV, CSV_FILTERED, FRAGMENT, FRAGMENT_FILTERED
from tests.teams.test_team_calibration import give_checks
from tests.teams.test_team_csv import COVERAGE_CSV_QUERIES
from tests.teams.test_team_dashboard import (
    TEAM_DASHBOARD_FILTERED_QUERIES,
    TEAM_DASHBOARD_HTMX_QUERIES,
    TEAM_DASHBOARD_QUERIES,
    grid_of,
)

# With give_checks (tests/teams/test_team_calibration.py), the verified questions are:
# Ada q2 (Confident, made half) and q3 (Okay, made half); Dee q1 (Okay, made half).
# Not verified: Ada q1 (Mastered, under half), Bo q3 (made half but Shaky: not covered),
# Bo q4 (under half), Dee q4 (made half but Not yet), Dee q5 (under half); Iris's and
# Eve's checks are not the team's learners'.
# So Ada: Alpha 2 (q2 q3), Beta 1 (q3), overall 2; Dee: Alpha 1 (q1), overall 1.


@pytest.fixture
def checks(world):
    give_checks(world)
    return world


def dashboard(client, world, **params):
    response = client.get(reverse("teams:team_dashboard", args=[world.team.pk]), params)
    assert response.status_code == 200
    return html_of(response)


def coverage_csv(client, world, **params):
    return csv_rows(client.get(reverse("teams:team_matrix_csv", args=[world.team.pk]), params))


# --- The figures ------------------------------------------------------------------------


def test_the_matrix_counts_verified_per_topic_and_overall(checks):
    matrix = team_matrix(checks.team)
    verified = {
        row.user.username: (row.verified, [cell.verified for cell in row.cells])
        for row in matrix.rows
    }
    assert verified == {
        "ada": (2, [2, 1, 0]),
        "bo": (0, [0, 0, 0]),
        "cy": (0, [0, 0, 0]),
        "dee": (1, [1, 0, 0]),
    }
    # The levels view counts the same.
    levels = team_matrix(checks.team, levels=True)
    assert [[cell.verified for cell in row.cells] for row in levels.rows] == [
        [2, 1, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
    ]


def test_a_later_check_under_half_takes_verified_away(checks):
    checked(checks.ada, checks.q[3], 20, half=False)
    ada = team_matrix(checks.team).rows[0]
    assert (ada.verified, [cell.verified for cell in ada.cells]) == (1, [1, 0, 0])


def test_filtered_to_an_assignment_only_its_questions_count(checks):
    week1 = team_matrix(checks.team, assignment=checks.week1)
    assert [(row.verified, [c.verified for c in row.cells]) for row in week1.rows] == [
        (2, [2]),
        (0, [0]),
        (0, [0]),
        (1, [1]),
    ]
    # Gamma and Q4 (Beta's single question): nobody verified either; with the other
    # topics, Alpha shows Ada's two, and "overall" stays the assignment's.
    mixed = team_matrix(checks.team, assignment=checks.mixed, others=True)
    assert [c.topic.slug for c in mixed.columns] == ["gamma", "beta", "alpha"]
    ada = mixed.rows[0]
    assert (ada.verified, [c.verified for c in ada.cells]) == (0, [0, 0, 2])


# --- The grid -----------------------------------------------------------------------------


def test_cells_say_how_many_are_verified(checks, instructor_client):
    html = dashboard(instructor_client, checks)
    header, rows = grid_of(html)
    assert header == ["Member", "Overall (of 5)", "Last activity", "Alpha", "Beta", "Gamma"]
    assert rows[0] == [
        "Ada Lovelace",
        "4 · 80%, 0 fresh, 2 verified",
        "2 Feb 2026",
        "3 of 3 covered (all), 0 fresh, 2 verified",
        "2 of 2 covered (all), 0 fresh, 1 verified",
        "0 of 1 covered",
    ]
    # Nothing verified: nothing said, as before checks existed.
    assert rows[1][1:] == [
        "2 · 40%, 0 fresh",
        "4 Feb 2026",
        "1 of 3 covered, 0 fresh",
        "1 of 2 covered, 0 fresh",
        "0 of 1 covered",
    ]
    assert rows[3][1] == "3 · 60%, 0 fresh, 1 verified"
    assert rows[3][3] == "2 of 3 covered, 0 fresh, 1 verified"
    # To the eye: a small boxed "✓2" under the figures.
    _, seen = grid_of(html, seen=True)
    assert seen[0][1] == "4 · 80% 0 fresh ✓2"
    assert seen[0][3:] == ["3/3 ✓ 0 fresh ✓2", "2/2 ✓ 0 fresh ✓1", "0/1"]
    assert seen[1][3:] == ["1/3 0 fresh", "1/2 0 fresh", "0/1"]
    assert html.count('<span class="cell-verified" aria-hidden="true">') == 5 + 1  # legend


def test_the_levels_view_says_it_too(checks, instructor_client):
    html = dashboard(instructor_client, checks, cells="levels")
    _, rows = grid_of(html)
    assert rows[0][3] == (
        "3 of 3 covered (all), 2 verified: Not yet 0, Shaky 0, Okay 1, Confident 1, Mastered 1"
    )
    assert rows[0][4].startswith("2 of 2 covered (all), 1 verified: ")
    assert rows[0][5].startswith("0 of 1 covered: ")
    assert rows[3][1] == "3 · 60%, 0 fresh, 1 verified"
    _, seen = grid_of(html, seen=True)
    assert seen[0][3:] == ["3/3 ✓ ✓2", "2/2 ✓ ✓1", "0/1"]


@pytest.mark.parametrize("cells", ["coverage", "levels"])
def test_the_legend_explains_verified_once_in_both_views(world, instructor_client, cells):
    html = dashboard(instructor_client, world, cells=cells)
    legend = re.search(r'<ul class="matrix-legend".*?</ul>', html, re.S).group(0)
    items = [squash(item) for item in re.findall(r"<li>.*?</li>", legend, re.S)]
    assert len([item for item in items if "verified" in item]) == 1
    words = squash(legend)
    assert (
        "✓2 A boxed tick and a number, such as 2 : 2 of the covered questions verified, the "
        "learner's latest typed answer having made at least half of their key points (no box: "
        "none verified)" in words
    )


def test_the_filtered_grid_shows_the_assignments_verified(checks, instructor_client):
    _, rows = grid_of(dashboard(instructor_client, checks, assignment=checks.week1.pk))
    ada = next(row for row in rows if row[0] == "Ada Lovelace")
    assert ada[1] == "3 · 100%, 0 fresh, 2 verified"
    assert ada[4] == "3 of 3 covered (all), 0 fresh, 2 verified"
    params = {"assignment": checks.mixed.pk, "others": "1", "cells": "levels"}
    _, rows = grid_of(dashboard(instructor_client, checks, **params))
    ada = next(row for row in rows if row[0] == "Ada Lovelace")
    assert ada[1] == "1 · 50%, 0 fresh"  # Gamma and Q4: none verified
    assert ada[-1].startswith("3 of 3 covered (all), 2 verified: ")  # Alpha, outside


def test_the_htmx_fragment_carries_them(checks, instructor_client):
    response = instructor_client.get(
        reverse("teams:team_dashboard", args=[checks.team.pk]), headers=HTMX
    )
    html = html_of(response)
    assert html.strip().startswith('<section id="matrix"')
    _, rows = grid_of(html)
    assert rows[0][3] == "3 of 3 covered (all), 0 fresh, 2 verified"


# --- The CSV ------------------------------------------------------------------------------


def test_the_csv_appends_a_verified_column_per_topic_and_overall(checks, instructor_client):
    # Appended after the columns the file had before, which keep their places.
    rows = coverage_csv(instructor_client, checks)
    assert rows[0][6:] == [
        "Alpha (of 3)",
        "Beta (of 2)",
        "Gamma (of 1)",
        "Fresh (covered, not yet due)",
        "Alpha verified",
        "Beta verified",
        "Gamma verified",
        "Verified overall",
    ]
    assert [row[1:2] + row[6:] for row in rows[1:]] == [
        ["ada", "3", "2", "0", "0", "2", "1", "0", "2"],
        ["bo", "1", "1", "0", "0", "0", "0", "0", "0"],
        ["cy", "0", "0", "0", "0", "0", "0", "0", "0"],
        ["dee", "2", "0", "1", "0", "1", "0", "0", "1"],
    ]


def test_the_filtered_csv_counts_the_assignments_verified(checks, instructor_client):
    rows = coverage_csv(instructor_client, checks, assignment=checks.week1.pk, sort="-alpha")
    assert rows[0][5:] == [
        "Status",
        "Last activity",
        "Alpha (of 3)",
        "Fresh (covered, not yet due)",
        "Alpha verified",
        "Verified (assignment)",
    ]
    assert [[row[1], *row[7:]] for row in rows[1:]] == [
        ["ada", "3", "0", "2", "2"],
        ["dee", "2", "0", "1", "1"],
        ["bo", "1", "0", "0", "0"],
        ["cy", "0", "0", "0", "0"],
    ]
    rows = coverage_csv(instructor_client, checks, assignment=checks.mixed.pk, others="1")
    assert rows[0][7:] == [
        "Gamma (of 1)",
        "Beta (of 1)",
        "Alpha (of 3, not in the assignment)",
        "Fresh (covered, not yet due)",
        "Gamma verified",
        "Beta verified",
        "Alpha verified",
        "Verified (assignment)",
    ]
    ada = next(row for row in rows if row[1] == "ada")
    assert ada[7:] == ["0", "1", "3", "0", "0", "0", "2", "0"]


@pytest.mark.parametrize(
    "params",
    [{}, {"cells": "levels"}, {"assignment": "week1"}, {"assignment": "mixed", "others": "1"}],
    ids=["plain", "levels", "week1", "mixed-others"],
)
def test_the_csv_agrees_with_the_grid(checks, instructor_client, params):
    params = {k: getattr(checks, v).pk if k == "assignment" else v for k, v in params.items()}
    html = dashboard(instructor_client, checks, **params)
    _, rows = grid_of(html)
    link = re.search(r'href="([^"]*dashboard\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    exported = csv_rows(instructor_client.get(link))
    header = exported[0]
    columns = [i for i, name in enumerate(header) if name.endswith(" verified")]
    on_screen = len(rows[0]) - len(columns)
    for row, line in zip(rows, exported[1:], strict=True):
        said = [re.search(r"(\d+) verified", cell) for cell in row[on_screen:]]
        assert [m.group(1) if m else "0" for m in said] == [line[i] for i in columns]
        overall = re.search(r"(\d+) verified", row[1])
        assert (overall.group(1) if overall else "0") == line[-1]


# --- Query counts ---------------------------------------------------------------------------


@pytest.fixture(params=SCALE_SIZES, ids=[f"{m}members" for m, _t in SCALE_SIZES])
def scaled(request, db) -> ScaledTeam:
    members, _topics = request.param
    scaled = ScaledTeam(members, 4)
    questions = [q for topic in scaled.topics for q in topic.questions.all()]
    # Half of every learner's marks verified, the rest checked under half.
    assert bulk_checks(scaled.learners, questions[::2], recall=80, half=True) == members * 6
    bulk_checks(scaled.learners, questions[1::2], recall=20, half=False)
    return scaled


def test_verified_adds_no_query_to_the_dashboard(scaled, django_assert_num_queries):
    client = scaled.client(scaled.instructor)
    url = reverse("teams:team_dashboard", args=[scaled.team.pk])
    members = min(len(scaled.learners), 50)  # the rows of a page
    with django_assert_num_queries(TEAM_DASHBOARD_QUERIES):
        html = html_of(client.get(url))
    _, rows = grid_of(html)
    assert len(rows) == members
    assert {row[1] for row in rows} == {"12 · 100%, 0 fresh, 6 verified"}
    with django_assert_num_queries(TEAM_DASHBOARD_QUERIES):
        html = html_of(client.get(url, {"cells": "levels"}))
    assert html.count("2 verified: ") == members * 3
    assignment = scaled.assignments[-1]
    with django_assert_num_queries(TEAM_DASHBOARD_FILTERED_QUERIES):
        html = html_of(client.get(url, {"assignment": assignment.pk, "others": "1"}))
    assert len(grid_of(html)[1]) == members
    with django_assert_num_queries(TEAM_DASHBOARD_HTMX_QUERIES):
        html = html_of(client.get(url, {"sort": "-overall"}, headers=HTMX))
    assert len(grid_of(html)[1]) == members
    with django_assert_num_queries(FRAGMENT):
        client.get(url, {"cells": "levels"}, headers=HTMX)
    with django_assert_num_queries(FRAGMENT_FILTERED):
        client.get(url, {"assignment": assignment.pk}, headers=HTMX)


def test_verified_adds_no_query_to_the_csv(scaled, django_assert_num_queries):
    client = scaled.client(scaled.instructor)
    url = reverse("teams:team_matrix_csv", args=[scaled.team.pk])
    assert CSV == COVERAGE_CSV_QUERIES
    with django_assert_num_queries(COVERAGE_CSV_QUERIES):
        rows = csv_rows(client.get(url))
    assert len(rows) == len(scaled.learners) + 1
    assert {row[-1] for row in rows[1:]} == {"6"}
    with django_assert_num_queries(CSV_FILTERED):
        rows = csv_rows(client.get(url, {"assignment": scaled.assignments[0].pk, "others": "1"}))
    assert rows[0][-1] == "Verified (assignment)"
