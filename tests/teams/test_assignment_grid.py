"""The team dashboard filtered to an assignment is exact: every figure of the grid equals
the assignment's status computed the other way (teams.selectors.progress_of_learners,
assignment_statuses), for assignments of whole topics, single questions and both, over
random small worlds (hypothesis) as well as the seed bank; and the page's query count
stays flat from 5 to 60 members and from 13 to 40 topics, in every view."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from progress.models import COVERED_LEVEL
from questions.models import Question, Topic
from teams.models import Assignment, Team
from teams.selectors import progress_of_learners, team_matrix
from tests.factories import make_bank, make_question, make_topic, make_user, mark
from tests.pages import HTMX, csv_rows, html_of, squash
from tests.teams.factories import SCALE_SIZES, bulk_learners, make_assignment, make_team
from tests.teams.test_team_dashboard import grid_of

# --- Random small worlds ----------------------------------------------------------------

#: Where a question lives: the library, this team's bank, another team's bank, or retired.
PLACES = ["library", "own", "theirs"]
QUESTION_PLACES = [*PLACES, "retired"]


@dataclass(frozen=True)
class Plan:
    #: Per topic: where it lives (a topic of another team's bank is never a column).
    topics: list[str]
    #: Per question: its topics (indexes, at least one) and where it lives.
    questions: list[tuple[frozenset[int], str]]
    #: Per learner: question index -> level.
    marks: list[dict[int, int]]
    #: Whole topics of the assignment: of those the team sees, as the set's form offers.
    whole: frozenset[int]
    singles: frozenset[int]

    @property
    def seen_topics(self) -> list[int]:
        return [t for t, place in enumerate(self.topics) if place != "theirs"]

    @property
    def live(self) -> set[int]:
        """The questions the team counts: the library's and its own, none retired."""
        return {i for i, (_, place) in enumerate(self.questions) if place in ("library", "own")}


@st.composite
def plans(draw) -> Plan:
    topics = draw(st.lists(st.sampled_from(PLACES), min_size=1, max_size=4))
    questions = draw(
        st.lists(
            st.tuples(
                st.frozensets(st.integers(0, len(topics) - 1), min_size=1),
                st.sampled_from(QUESTION_PLACES),
            ),
            min_size=1,
            max_size=8,
        )
    )
    indexes = st.integers(0, len(questions) - 1)
    marks = draw(
        st.lists(st.dictionaries(indexes, st.integers(1, 5), max_size=8), min_size=1, max_size=3)
    )
    seen = [t for t, place in enumerate(topics) if place != "theirs"]
    whole = draw(st.frozensets(st.sampled_from(seen))) if seen else frozenset()
    singles = draw(st.frozensets(indexes))
    return Plan(topics, questions, marks, whole, singles)


def build(plan: Plan) -> tuple[Team, Assignment, list[Topic], list[Question]]:
    team = make_team("Random", instructor=make_user())
    other = make_team("Theirs")
    banks = {"own": team.bank, "theirs": other.bank}
    topics = [make_topic(position=i, bank=banks.get(place)) for i, place in enumerate(plan.topics)]
    questions = []
    for number, (topic_indexes, place) in enumerate(plan.questions):
        question = make_question(topics=[topics[i] for i in topic_indexes], bank=banks.get(place))
        if place == "retired":
            Question.objects.filter(pk=question.pk).update(retired_at=timezone.now())
        questions.append(question)
        assert number == len(questions) - 1
    for levels in plan.marks:
        learner = make_user()
        team.memberships.create(user=learner, role="learner")
        for index, level in levels.items():
            mark(learner, questions[index], level)
    assignment = make_assignment(
        team,
        topics=[topics[i] for i in plan.whole],
        questions=[questions[i] for i in plan.singles],
    )
    return team, assignment, topics, questions


@dataclass
class Expected:
    """A grid worked out from the plan alone: its columns (topic indexes), each one's
    total, each learner's covered count per column, and the questions counted."""

    columns: list[int]
    totals: list[int]
    covered: list[list[int]]
    questions: set[int]


def expected_grid(plan: Plan, *, assignment: bool = True, others: bool = False) -> Expected:
    """Unfiltered, every topic the team sees over its live questions; filtered, the
    assignment's topics over its questions, then (with `others`) the remaining topics
    over all of theirs. A topic with nothing to count is no column."""
    live = plan.live
    if assignment:
        held = {i for i in live if plan.questions[i][0] & plan.whole} | (plan.singles & live)
    else:
        held = live
    seen = plan.seen_topics

    def count(t: int, questions: set[int], levels: dict[int, int] | None = None) -> int:
        return sum(
            1
            for i in questions
            if t in plan.questions[i][0] and (levels is None or levels.get(i, 0) >= COVERED_LEVEL)
        )

    # (topic, the questions its column counts)
    if assignment:
        via_single = {t for i in plan.singles & live for t in plan.questions[i][0]}
        chosen = [t for t in seen if t in plan.whole] + [
            t for t in seen if t in via_single and t not in plan.whole
        ]
        columns = [(t, held) for t in chosen]
        if others:
            columns += [(t, live) for t in seen if t not in plan.whole | via_single]
    else:
        columns = [(t, live) for t in seen]
    columns = [(t, questions) for t, questions in columns if count(t, questions)]
    return Expected(
        [t for t, _ in columns],
        [count(t, questions) for t, questions in columns],
        [[count(t, questions, levels) for t, questions in columns] for levels in plan.marks],
        held,
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
def test_every_figure_of_the_filtered_grid_agrees_with_the_assignment(db, plan):
    with transaction.atomic():
        team, assignment, topics, questions = build(plan)
        statuses = {
            s.membership.user_id: s
            for s in progress_of_learners(team, assignment.topic_set.question_ids())
        }
        learners = list(team.memberships.learners().order_by("pk"))
        for chosen, others in ((assignment, False), (assignment, True), (None, False)):
            matrix = team_matrix(team, assignment=chosen, others=others, sort="name")
            expected = expected_grid(plan, assignment=chosen is not None, others=others)
            assert [c.topic for c in matrix.columns] == [topics[t] for t in expected.columns]
            assert [c.total for c in matrix.columns] == expected.totals
            assert all(c.total for c in matrix.columns)  # no "0/0" column
            assert matrix.question_count == len(expected.questions)
            by_user = {row.membership.user_id: row for row in matrix.rows}
            for membership, covered, marks in zip(
                learners, expected.covered, plan.marks, strict=True
            ):
                row = by_user[membership.user_id]
                assert [cell.covered for cell in row.cells] == covered
                assert [cell.total for cell in row.cells] == expected.totals
                if chosen is None:
                    assert row.covered == sum(
                        1 for i in expected.questions if marks.get(i, 0) >= COVERED_LEVEL
                    )
                else:
                    # Overall and Status, as the assignment's lists count them.
                    status = statuses[membership.user_id].progress
                    assert (row.covered, row.total, row.state) == (
                        status.covered,
                        status.total,
                        status.state,
                    )
            # The levels view counts the same marks, level by level.
            levels = team_matrix(team, assignment=chosen, others=others, levels=True)
            for row in levels.rows:
                coverage = by_user[row.membership.user_id]
                for cell, plain in zip(row.cells, coverage.cells, strict=True):
                    assert cell.levels is not None
                    assert sum(cell.levels[COVERED_LEVEL - 1 :]) == plain.covered == cell.covered
                    assert 0 <= cell.unrated <= cell.total
        transaction.set_rollback(True)


# --- The seed bank, through the pages ------------------------------------------------------


@pytest.fixture
def seed_team(seed_bank):
    """A team on the seed bank with learners at different stages and three assignments:
    whole topics, single questions, and both."""
    instructor = make_user(username="ines", display_name="Ines Instructor")
    learners = [make_user(display_name=name) for name in ("Lena", "Marco", "Priya", "Zed")]
    team = make_team("Seed team", instructor=instructor, learners=learners)
    by_number = {q.position: q for q in Question.objects.all()}
    plans = {
        "Lena": {**dict.fromkeys(range(1, 51), 4), 12: 2},
        "Marco": {10: 3, 11: 5, 27: 3, 28: 3, 46: 4, 15: 2, 5: 3, 23: 1},
        "Priya": {19: 1},
        "Zed": {},
    }
    for learner in learners:
        for number, level in plans[learner.display_name].items():
            mark(learner, by_number[number], level)
    topics = {t.slug: t for t in Topic.objects.all()}
    assignments = [
        make_assignment(
            team,
            name="Deployment and robustness",
            topics=[topics["deployment"], topics["robustness"]],
        ),
        make_assignment(
            team, name="Detection warm-up", questions=[by_number[n] for n in (5, 23, 24)]
        ),
        make_assignment(
            team,
            name="Mixed",
            topics=[topics["ocr"]],
            questions=[by_number[n] for n in (12, 19, 38)],
        ),
    ]
    client = Client()
    client.force_login(instructor)
    return team, assignments, client


def status_lists(html: str, assignment: Assignment) -> dict[str, tuple[str, str]]:
    """The assignment's lists on the dashboard: learner -> (state, "n of m")."""
    start = html.index(f'aria-labelledby="assignment-{assignment.pk}-heading"')
    block = html[start : html.index("</section>", start)]
    found = {}
    for part in re.split(r"(?=<h4>)", block)[1:]:
        state = squash(re.search(r"<h4>(.*?):", part).group(1))
        for item in re.findall(r"<li>(.*?)</li>", part, re.S):
            name, count = re.fullmatch(r"(.*) \((\d+ of \d+)\)", squash(item)).groups()
            found[name] = (state, count)
    return found


def test_the_filtered_grid_says_what_each_assignment_list_says(seed_team):
    team, assignments, client = seed_team
    url = reverse("teams:team_dashboard", args=[team.pk])
    full_page = html_of(client.get(url))
    for assignment in assignments:
        lists = status_lists(full_page, assignment)
        html = html_of(client.get(url, {"assignment": assignment.pk}))
        header, rows = grid_of(html)
        total = int(re.fullmatch(r"Assignment \(of (\d+)\)", header[1]).group(1))
        assert len(rows) == len(lists) == 4
        for row in rows:
            covered = int(row[1].split(" · ")[0])
            assert (row[2].removesuffix(" ✓"), f"{covered} of {total}") == lists[row[0]], (
                assignment,
                row,
            )


def test_single_questions_reach_their_topics_after_the_whole_ones(seed_team):
    team, (_, warm_up, mixed), client = seed_team
    url = reverse("teams:team_dashboard", args=[team.pk])
    # Questions 5, 23 and 24: 5 and 23 in detection, 24 in detection and segmentation.
    header, rows = grid_of(html_of(client.get(url, {"assignment": warm_up.pk})))
    assert header[1:] == [
        "Assignment (of 3)",
        "Status",
        "Last activity",
        "Object detection",
        "Segmentation",
    ]
    marco = without_fresh(next(row for row in rows if row[0] == "Marco"))
    assert marco[1:3] == ["1 · 33%", "In progress"]
    assert marco[4:] == ["1 of 3 covered", "0 of 1 covered"]
    # OCR (whole) first, then the topics of 12, 19 and 38 in position order.
    header, rows = grid_of(html_of(client.get(url, {"assignment": mixed.pk})))
    assert header[4:] == [
        "OCR",
        "Object detection",
        "Segmentation",
        "Training at scale, frameworks and hardware",
        "Robustness",
        "Medical imaging and multi-modal",
    ]
    lena = without_fresh(next(row for row in rows if row[0] == "Lena"))
    # Lena rated 12 Shaky: 4 of 5, in progress; training at scale counts 12 alone.
    assert lena[1:3] == ["4 · 80%", "In progress"]
    assert lena[4:] == [
        "2 of 2 covered (all)",
        "1 of 1 covered (all)",
        "1 of 1 covered (all)",
        "0 of 1 covered",
        "1 of 1 covered (all)",
        "1 of 1 covered (all)",
    ]


def without_fresh(row: list[str]) -> list[str]:
    return [re.sub(r", \d+ fresh$", "", cell) for cell in row]


# --- Query counts ----------------------------------------------------------------------------

#: Each with the session and user look-ups (2); see tests/teams/test_team_dashboard.py.
#: The grid shows a page of learners: counting them for the pager is one query more.
DASHBOARD = 17  # the assignments: the learners shown in each state are loaded last
FILTERED = 18  # the assignment's questions (2) instead of counting the bank's (1)
FRAGMENT = 10
FRAGMENT_FILTERED = 11
CSV = 8
CSV_FILTERED = 10  # and the team's assignments


@dataclass
class Scaled:
    team: Team
    assignment: Assignment
    topics: int
    members: int
    client: Client


SIZES = SCALE_SIZES


@pytest.fixture(params=SIZES, ids=[f"{m}members-{t}topics" for m, t in SIZES])
def scaled(request, db) -> Scaled:
    members, topic_count = request.param
    topics = make_bank(topics=topic_count, questions_per_topic=2)
    questions = list(Question.objects.order_by("pk"))
    instructor = make_user()
    team = make_team("Scaled grid", instructor=instructor)
    bulk_learners(team, members, questions=questions[::3], level=4)
    for i in range(3):  # more assignments: whole topics, single questions and both
        make_assignment(team, topics=topics[i : i + 2], questions=questions[-i - 1 :])
    assignment = make_assignment(team, topics=topics[: topic_count // 2], questions=questions[-5:])
    client = Client()
    client.force_login(instructor)
    return Scaled(team, assignment, topic_count, members, client)


VIEWS: dict[str, tuple[dict[str, object], int]] = {
    "plain": ({}, DASHBOARD),
    "levels": ({"cells": "levels"}, DASHBOARD),
    "filtered": ({"assignment": True}, FILTERED),
    "filtered-levels-others": (
        {"assignment": True, "cells": "levels", "others": "1", "sort": "-status"},
        FILTERED,
    ),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_dashboards_queries_stay_flat(scaled, django_assert_num_queries, view):
    params, queries = VIEWS[view]
    params = {k: (scaled.assignment.pk if v is True else v) for k, v in params.items()}
    url = reverse("teams:team_dashboard", args=[scaled.team.pk])
    with django_assert_num_queries(queries):
        response = scaled.client.get(url, params)
    header, rows = grid_of(html_of(response))
    assert len(rows) == min(scaled.members, 50)  # a page of learners
    if "assignment" not in params:
        assert len(header) == 3 + scaled.topics
    elif "others" in params:
        assert len(header) == 4 + scaled.topics
    with django_assert_num_queries(FRAGMENT_FILTERED if "assignment" in params else FRAGMENT):
        response = scaled.client.get(url, params, headers=HTMX)
    assert len(grid_of(html_of(response))[1]) == min(scaled.members, 50)


def test_the_csv_queries_stay_flat(scaled, django_assert_num_queries):
    url = reverse("teams:team_matrix_csv", args=[scaled.team.pk])
    with django_assert_num_queries(CSV):
        rows = csv_rows(scaled.client.get(url))
    assert len(rows) == scaled.members + 1
    with django_assert_num_queries(CSV_FILTERED):
        rows = csv_rows(scaled.client.get(url, {"assignment": scaled.assignment.pk, "others": "1"}))
    assert len(rows) == scaled.members + 1
    assert "Status" in rows[0]
