"""The questions a team finds hard (teams/insight.py, teams/insight_views.hard_questions
and hard_questions_csv): per question, who rated it, the spread of levels, the share at
Not yet or Shaky and its change over 28 days; sorting, filtering, pages, the CSV; who may
open it; and pinned query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from progress.models import ConfidenceEvent
from questions.models import Question
from teams.insight import hard_questions
from tests.factories import make_question, make_topic, make_user, mark
from tests.pages import csv_rows, html_of, squash, table_rows
from tests.teams.factories import NOTE_TEXT, SCALE_SIZES, bulk_learners, make_assignment, make_team
from tests.teams.test_member_detail import landmark_names

#: Between the world's two due dates; 28 days earlier is 10 Feb, after all the world's marks.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
#: After the cutoff: ratings that change the "now" side only.
RECENT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def report_url(team, **params) -> str:
    return reverse("teams:hard_questions", args=[team.pk], query=params or None)


def report(client, team, **params) -> list[list[str]]:
    """The report's body rows, each as [question, rated by, levels, share, average, change]
    (on the page: question, share, change, levels, rated by, average)."""
    response = client.get(report_url(team, **params))
    assert response.status_code == 200
    rows = table_rows(html_of(response), "hard-table")[1:]
    return [[row[0], row[4], row[3], row[1], row[5], row[2]] for row in rows]


def numbers(rows: list[list[str]]) -> list[int]:
    return [int(re.match(r"Q(\d+)", row[0]).group(1)) for row in rows]


# --- The figures --------------------------------------------------------------------------


def test_each_question_with_its_learners_levels(world, instructor_client):
    rows = report(instructor_client, world.team)
    # Learners only: Iris (q3=5, q5=5) and Eve (all 5s) would change every figure.
    assert [[row[0], row[1], row[3], row[4]] for row in rows] == [
        ["Q3 World question 3?", "2 of 4", "50%", "2.5"],
        ["Q4 World question 4?", "3 of 4", "33%", "2.7"],
        ["Q1 World question 1?", "2 of 4", "0%", "4.0"],
        ["Q2 World question 2?", "3 of 4", "0%", "3.3"],
        ["Q5 World question 5?", "1 of 4", "0%", "4.0"],
    ]
    # The spread: the bar's text for screen readers, then the counts 1–5 as shown.
    assert rows[0][2] == "Not yet 0, Shaky 1, Okay 1, Confident 0, Mastered 0" + "0 · 1 · 1 · 0 · 0"
    assert rows[1][2].endswith("1 · 0 · 1 · 1 · 0")
    html = html_of(instructor_client.get(report_url(world.team)))
    assert f'href="{world.q[3].get_absolute_url()}"' in html
    assert "How the team's 4 learners rate each question now" in squash(html)


def test_the_change_compares_with_28_days_ago(world, instructor_client):
    mark(world.bo, world.q[3], 4, at=RECENT)  # Q3: Bo Shaky → Confident
    mark(world.cy, world.q[1], 1, at=RECENT)  # Q1: Cy's first rating, Not yet
    mark(world.ada, world.q[2], 2, at=RECENT)  # Q2: Ada Confident → Shaky
    mark(world.eve, world.q[4], 1, at=RECENT)  # another team's learner: nothing changes
    mark(world.instructor, world.q[4], 1, at=RECENT)  # nor does an instructor
    rows = {numbers([row])[0]: row for row in report(instructor_client, world.team)}
    # Q1 now Ada 5, Dee 3, Cy 1: 33%; then Ada and Dee only: 0%.
    assert rows[1][3:] == ["33%", "3.0", "+33 ptsup 33 points from 0% 28 days ago"]
    # Q2 now Ada 2, Bo 3, Dee 3.
    assert rows[2][3:] == ["33%", "2.7", "+33 ptsup 33 points from 0% 28 days ago"]
    assert rows[3][3:] == ["0%", "3.5", "−50 ptsdown 50 points from 50% 28 days ago"]
    assert rows[4][3:] == ["33%", "2.7", "0 ptsno change from 33% 28 days ago"]
    assert rows[5][5] == "0 ptsno change from 0% 28 days ago"


def test_then_means_each_learners_latest_rating_before_the_cutoff(world, instructor_client):
    cutoff = NOW - timedelta(days=28)
    # Dee rated Q5 Confident on 3 Feb; Shaky just before the cutoff, Okay after it.
    mark(world.dee, world.q[5], 2, at=cutoff - timedelta(minutes=1))
    mark(world.dee, world.q[5], 3, at=cutoff + timedelta(minutes=1))
    # A learner whose first rating came after the cutoff does not count then.
    mark(world.bo, world.q[5], 1, at=RECENT)
    row = next(r for r in report(instructor_client, world.team) if r[0].startswith("Q5 "))
    assert row[1] == "2 of 4"
    assert row[3:] == ["50%", "2.0", "−50 ptsdown 50 points from 100% 28 days ago"]


def test_questions_nobody_rated_come_last_with_nothing_to_compare(world, instructor_client):
    make_question(position=6, text="Nobody rated me?", topics=[world.gamma])
    fresh = make_question(position=7, text="Rated only lately?", topics=[world.gamma])
    mark(world.cy, fresh, 1, at=RECENT)
    rows = report(instructor_client, world.team)
    assert numbers(rows) == [7, 3, 4, 1, 2, 5, 6]
    assert rows[0][3:] == ["100%", "1.0", "—nothing to compare with"]
    assert rows[-1][1:] == [
        "0 of 4",
        "Not yet 0, Shaky 0, Okay 0, Confident 0, Mastered 0" + "0 · 0 · 0 · 0 · 0",
        "—nobody rated it",
        "—nobody rated it",
        "—nothing to compare with",
    ]


def test_the_scope_is_the_library_and_the_teams_bank_not_retired(world, instructor_client):
    make_question(position=6, topics=[world.alpha], retired_at=NOW)
    make_question(position=7, topics=[world.alpha], bank=world.other_team.bank)
    own = make_question(position=8, topics=[world.alpha], bank=world.team.bank)
    mark(world.ada, own, 1)
    assert numbers(report(instructor_client, world.team)) == [8, 3, 4, 1, 2, 5]


# --- Sorting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", [3, 4, 1, 2, 5]),
        ("-struggling", [3, 4, 1, 2, 5]),
        ("struggling", [1, 2, 5, 4, 3]),  # ties keep question order either way
        ("-rated", [2, 4, 1, 3, 5]),
        ("rated", [5, 1, 3, 2, 4]),
        ("-average", [1, 5, 2, 4, 3]),
        ("average", [3, 4, 2, 1, 5]),
        ("-change", [1, 2, 3, 4, 5]),
        ("number", [1, 2, 3, 4, 5]),
        ("-number", [5, 4, 3, 2, 1]),
        ("no-such-column", [3, 4, 1, 2, 5]),
    ],
)
def test_sorting_orders_the_rows(world, instructor_client, sort, order):
    assert numbers(report(instructor_client, world.team, sort=sort)) == order


def test_sorting_by_change(world, instructor_client):
    mark(world.bo, world.q[3], 4, at=RECENT)  # −50
    mark(world.cy, world.q[1], 1, at=RECENT)  # +33
    make_question(position=6, topics=[world.gamma])  # nothing to compare: last
    assert numbers(report(instructor_client, world.team, sort="-change")) == [1, 2, 4, 5, 3, 6]
    assert numbers(report(instructor_client, world.team, sort="change")) == [3, 2, 4, 5, 1, 6]
    # Only Q1 and Q2 now share 33%: Q1 comes first, being the first question.


def headers(html: str) -> list[tuple[str, str, str]]:
    """(label, sort link, aria-sort) of each column heading."""
    thead = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    found = []
    for th in re.findall(r"<th\b.*?</th>", thead, re.S):
        link = re.search(r'href="([^"]*)"', th)
        sort = re.search(r'aria-sort="(\w+)"', th)
        found.append((squash(th), link.group(1) if link else "", sort.group(1) if sort else ""))
    return found


def test_column_headings_sort_and_say_how_the_rows_are_sorted(world, instructor_client):
    html = html_of(instructor_client.get(report_url(world.team)))
    assert headers(html) == [
        ("Question", "?sort=number", ""),
        ("Not yet or Shaky", "?sort=struggling", "descending"),
        ("Change (28 days)", "?sort=-change", ""),
        ("Levels 1–5", "", ""),
        ("Rated by", "?sort=-rated", ""),
        ("Average level", "?sort=-average", ""),
    ]
    html = html_of(instructor_client.get(report_url(world.team, topic="alpha", sort="number")))
    assert headers(html)[0] == ("Question", "?topic=alpha&amp;sort=-number", "ascending")
    assert headers(html)[1][1] == "?topic=alpha&amp;sort=-struggling"
    assert '<input type="hidden" name="sort" value="number">' in html


# --- Filtering -----------------------------------------------------------------------------


def test_filter_by_topic_or_assignment(world, instructor_client):
    assert numbers(report(instructor_client, world.team, topic="alpha")) == [3, 1, 2]
    # "Gamma and Q4": the topic Gamma plus the single question Q4.
    assert numbers(report(instructor_client, world.team, assignment=world.mixed.pk)) == [4, 5]
    both = report(instructor_client, world.team, topic="beta", assignment=world.mixed.pk)
    assert numbers(both) == [4]
    html = html_of(
        instructor_client.get(report_url(world.team, topic="alpha", assignment=world.week1.pk))
    )
    assert '<option value="alpha" selected>' in html
    assert f'<option value="{world.week1.pk}" selected>' in html
    assert "Questions of Alpha in “Week 1: alpha”" in squash(html)


@pytest.mark.parametrize(
    "params",
    [{"topic": "no-such-topic"}, {"assignment": "abc"}, {"assignment": "999999"}, {"topic": ""}],
)
def test_an_unknown_filter_shows_everything(world, instructor_client, params):
    assert numbers(report(instructor_client, world.team, **params)) == [3, 4, 1, 2, 5]


def test_another_teams_topic_or_assignment_does_not_filter(world, instructor_client):
    theirs = make_assignment(world.other_team, topics=[world.gamma])
    make_topic(slug="theirs", name="Theirs", bank=world.other_team.bank)
    assert numbers(report(instructor_client, world.team, assignment=theirs.pk)) == [3, 4, 1, 2, 5]
    assert numbers(report(instructor_client, world.team, topic="theirs")) == [3, 4, 1, 2, 5]


def test_an_empty_topic(world, instructor_client):
    make_topic(slug="empty", name="Empty")
    html = html_of(instructor_client.get(report_url(world.team, topic="empty")))
    assert "No questions here." in html
    assert 'class="hard-table"' not in html


# --- Pages -----------------------------------------------------------------------------------


def test_fifty_rows_a_page_and_page_links_keep_the_filter_and_sort(world, instructor_client):
    many = make_topic(slug="many", name="Many")
    for n in range(53):
        make_question(position=100 + n, topics=[many])
    first = html_of(instructor_client.get(report_url(world.team, topic="many", sort="number")))
    assert len(table_rows(first, "hard-table")) == 1 + 50
    assert "1–50 of 53 questions" in squash(first)
    here = report_url(world.team)
    assert f'href="{here}?topic=many&amp;sort=number&amp;page=2" rel="next"' in first
    second = html_of(
        instructor_client.get(report_url(world.team, topic="many", sort="number", page=2))
    )
    assert numbers(table_rows(second, "hard-table")[1:]) == [150, 151, 152]
    assert "page 2 of 2" in squash(second)
    # The first page's link has no page number: one address per page.
    assert f'href="{here}?topic=many&amp;sort=number" rel="prev"' in second
    # A page past the end shows the last; nonsense shows the first.
    assert "page 2 of 2" in squash(
        html_of(instructor_client.get(report_url(world.team, topic="many", page=9)))
    )
    assert "page 1 of 2" in squash(
        html_of(instructor_client.get(report_url(world.team, topic="many", page="x")))
    )


# --- The CSV -------------------------------------------------------------------------------

CSV_HEADER = [
    "Question",
    "Text",
    "Rated by",
    "Not yet",
    "Shaky",
    "Okay",
    "Confident",
    "Mastered",
    "Not yet or Shaky %",
    "Average level",
    "Not yet or Shaky % 28 days ago",
    "Change (points)",
]


def test_the_csv_has_every_row_with_the_level_counts(world, instructor_client):
    mark(world.bo, world.q[3], 4, at=RECENT)
    make_question(position=6, text="=HYPERLINK(1)", topics=[world.gamma])
    response = instructor_client.get(reverse("teams:hard_questions_csv", args=[world.team.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="vision-group-hard-questions.csv"'
    )
    assert csv_rows(response) == [
        CSV_HEADER,
        ["4", "World question 4?", "3", "1", "0", "1", "1", "0", "33", "2.7", "33", "0"],
        ["1", "World question 1?", "2", "0", "0", "1", "0", "1", "0", "4.0", "0", "0"],
        ["2", "World question 2?", "3", "0", "0", "2", "1", "0", "0", "3.3", "0", "0"],
        ["3", "World question 3?", "2", "0", "0", "1", "1", "0", "0", "3.5", "50", "-50"],
        ["5", "World question 5?", "1", "0", "0", "0", "1", "0", "0", "4.0", "0", "0"],
        ["6", "'=HYPERLINK(1)", "0", "0", "0", "0", "0", "0", "", "", "", ""],
    ]


def test_the_csv_has_the_filter_and_order_on_screen(world, instructor_client):
    html = html_of(
        instructor_client.get(report_url(world.team, assignment=world.mixed.pk, sort="-rated"))
    )
    csv_url = reverse("teams:hard_questions_csv", args=[world.team.pk])
    assert f'href="{csv_url}?assignment={world.mixed.pk}&amp;sort=-rated"' in html
    response = instructor_client.get(csv_url, {"assignment": world.mixed.pk, "sort": "-rated"})
    assert [row[0] for row in csv_rows(response)[1:]] == ["4", "5"]
    response = instructor_client.get(csv_url, {"topic": "alpha", "sort": "number"})
    assert [row[0] for row in csv_rows(response)[1:]] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("params", "filename"),
    [
        ({}, "vision-group-hard-questions.csv"),
        ({"topic": "alpha"}, "vision-group-alpha-hard-questions.csv"),
        ({"assignment": "mixed"}, "vision-group-gamma-and-q4-hard-questions.csv"),
        (
            {"topic": "beta", "assignment": "week1"},
            "vision-group-beta-week-1-alpha-hard-questions.csv",
        ),
        ({"topic": "no-such-topic", "assignment": "999999"}, "vision-group-hard-questions.csv"),
    ],
)
def test_the_csv_is_named_after_its_filter(world, instructor_client, params, filename):
    if params.get("assignment") in ("mixed", "week1"):
        params = {**params, "assignment": getattr(world, params["assignment"]).pk}
    response = instructor_client.get(
        reverse("teams:hard_questions_csv", args=[world.team.pk]), params
    )
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_the_csv_has_every_row_not_one_page(world, instructor_client):
    many = make_topic(slug="many", name="Many")
    for n in range(53):
        make_question(position=100 + n, topics=[many])
    response = instructor_client.get(
        reverse("teams:hard_questions_csv", args=[world.team.pk]), {"topic": "many"}
    )
    assert len(csv_rows(response)) == 1 + 53


# --- Who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["teams:hard_questions", "teams:hard_questions_csv"])
def test_only_the_teams_instructors_may_open_it(world, name):
    url = reverse(name, args=[world.team.pk])
    learner = Client()
    learner.force_login(world.ada)
    assert learner.get(url).status_code == 403
    outsider = Client()
    outsider.force_login(world.other_team.memberships.get(role="instructor").user)
    assert outsider.get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    instructor = Client()
    instructor.force_login(world.instructor)
    assert instructor.post(url).status_code == 405


def test_no_two_regions_share_a_name(world, instructor_client):
    names = landmark_names(html_of(instructor_client.get(report_url(world.team))))
    assert "Questions" in names
    assert "Questions by how many learners rate them Not yet or Shaky" in names  # the table
    assert len(names) == len(set(names)), names


def test_no_note_shows(world, instructor_client):
    for name in ("teams:hard_questions", "teams:hard_questions_csv"):
        content = instructor_client.get(reverse(name, args=[world.team.pk])).content.decode()
        assert NOTE_TEXT.split(":")[0] not in content
        assert "note-badge" not in content


# --- Query counts ----------------------------------------------------------------------------

#: Session and user (2), the viewer's membership (1), the assignments and topics of the
#: filter (2), the question ids, the team's level counts, the learner count, the page's
#: questions and their shares then (5; the pager counts the sorted list, no query) and
#: the navigation's teams (1).
HARD_QUESTIONS_QUERIES = 11
#: With a topic (1 more: the topic) and an assignment (2 more: its questions).
HARD_QUESTIONS_FILTERED_QUERIES = 14
#: The CSV reads no topics for the filter, no navigation, and assignments only if asked
#: (the question ids, the team's level counts and the questions are three queries).
HARD_QUESTIONS_CSV_QUERIES = 8

SIZES = SCALE_SIZES


class Scaled:
    """A team of `members` learners over `topics` topics of two questions each, every
    learner with a mark on every question and events before and after the cutoff; an
    assignment; and noise: another team with its own learners and marks."""

    def __init__(self, members: int, topics: int) -> None:
        self.topics = [
            make_topic(slug=f"t{i}", name=f"Topic {i}", position=i) for i in range(topics)
        ]
        self.questions = [
            make_question(key=f"s-{i}-{j}", position=2 * i + j + 1, topics=[topic])
            for i, topic in enumerate(self.topics)
            for j in range(2)
        ]
        self.instructor = make_user()
        self.team = make_team("Scaled", instructor=self.instructor)
        self.learners = bulk_learners(self.team, members, questions=self.questions, level=2)
        ConfidenceEvent.objects.bulk_create(
            ConfidenceEvent(
                user=user,
                question=q,
                level=1 + (n + when) % 5,
                created_at=NOW - timedelta(days=10 + 30 * when),
            )
            for user in self.learners
            for n, q in enumerate(self.questions)
            for when in (0, 1)
        )
        other = make_team("Other")
        bulk_learners(other, 5, questions=self.questions, level=4)
        self.assignment = make_assignment(
            self.team, topics=self.topics[:3], questions=self.questions[-2:]
        )

    def client(self) -> Client:
        client = Client()
        client.force_login(self.instructor)
        return client


@pytest.fixture(params=SIZES, ids=[f"{m}learners-{t}topics" for m, t in SIZES])
def scaled(request, db) -> Scaled:
    return Scaled(*request.param)


def test_the_report_itself_reads_three_queries_five_with_an_assignment(
    scaled, django_assert_num_queries
):
    # The learner count, the question ids, the team's level counts; the rows' questions
    # and shares then.
    with django_assert_num_queries(3 + 2):
        report = hard_questions(scaled.team, topic=scaled.topics[1])
        assert len(report.rows) == 2
    with django_assert_num_queries(5 + 2):
        report = hard_questions(scaled.team, assignment=scaled.assignment)
        assert len(report.rows) == 3 * 2 + 2
    # A page of the rows reads two more: their questions and their shares then.
    report = hard_questions(scaled.team, assignment=scaled.assignment)
    with django_assert_num_queries(2):
        rows = report.rows_of(report.questions[:5])
    assert [row.question.pk for row in rows] == report.questions[:5]
    # Sorted by the change, every row's share then is read to sort, and no more after.
    with django_assert_num_queries(3 + 1):
        report = hard_questions(scaled.team, sort="-change")
    with django_assert_num_queries(1):
        assert len(report.rows_of(report.questions[:5])) == 5


def test_each_learners_latest_event_on_a_question_has_an_index(db):
    """The shares then look up a learner's events on one question before a moment."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, ConfidenceEvent._meta.db_table)
    index = found.get("event_user_question_time")
    assert index is not None, sorted(found)
    assert index["index"]
    assert index["columns"] == ["user_id", "question_id", "created_at"]


def test_hard_questions_queries(scaled, django_assert_num_queries):
    client = scaled.client()
    with django_assert_num_queries(HARD_QUESTIONS_QUERIES):
        response = client.get(report_url(scaled.team))
    rows = table_rows(html_of(response), "hard-table")[1:]
    assert len(rows) == min(2 * len(scaled.topics), 50)
    assert rows[0][4] == f"{len(scaled.learners)} of {len(scaled.learners)}"
    assert rows[0][1] == "100%"

    with django_assert_num_queries(HARD_QUESTIONS_FILTERED_QUERIES):
        response = client.get(
            report_url(scaled.team, topic="t1", assignment=scaled.assignment.pk, sort="-change")
        )
    assert len(table_rows(html_of(response), "hard-table")) == 1 + 2

    with django_assert_num_queries(HARD_QUESTIONS_CSV_QUERIES):
        response = client.get(reverse("teams:hard_questions_csv", args=[scaled.team.pk]))
    assert len(csv_rows(response)) == 1 + 2 * len(scaled.topics)


def test_a_question_deleted_after_the_count_is_left_out_of_the_rows(scaled):
    report = hard_questions(scaled.team, assignment=scaled.assignment)
    first, *rest = report.questions[:5]
    Question.objects.filter(pk=first).delete()
    rows = report.rows_of(report.questions[:5])
    assert [row.question.pk for row in rows] == rest
