"""One learner in full (teams/insight.py, teams/insight_views.member_detail): coverage per
topic, the confidence distribution, ratings per week in the viewer's time zone, each
assignment with what is missing, the questions rated lowest; who may open it; that no
note ever shows; and pinned query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from progress.models import ConfidenceEvent
from tests.factories import make_question, make_topic, make_user, mark, note
from tests.pages import HTMX, html_of, section, squash, table_rows
from tests.teams.factories import (
    INSTRUCTOR,
    NOTE_TEXT,
    SCALE_SIZES,
    T0,
    add_member,
    bulk_learners,
    make_assignment,
    make_team,
    membership,
)

#: Between the world's two due dates: "Week 1: alpha" is past due, "Gamma and Q4" is not.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def member_url(world, user) -> str:
    return reverse("teams:member_detail", args=[world.team.pk, membership(world.team, user).pk])


def page_of(client, world, user) -> str:
    response = client.get(member_url(world, user))
    assert response.status_code == 200
    return html_of(response)


# --- The page -----------------------------------------------------------------------


def test_the_page_is_about_the_learner(world, instructor_client):
    html = page_of(instructor_client, world, world.ada)
    assert re.search(r"<h1>Ada Lovelace</h1>", html)
    assert "<title>Ada Lovelace · Vision group · StudyHub</title>" in html
    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0)
    assert squash(crumbs) == "Teams Vision group Dashboard Ada Lovelace"
    assert f'href="{reverse("teams:team_dashboard", args=[world.team.pk])}"' in crumbs


def test_overall_coverage_and_last_activity(world, instructor_client):
    overall = section(
        page_of(instructor_client, world, world.ada), "overall-heading", attr="aria-labelledby"
    )
    # Q1–Q4 covered of the five questions; Iris's and Eve's marks do not matter.
    assert "4 of 5 · 80%" in squash(overall)
    assert '<time datetime="2026-02-02T09:00:00+00:00">2 Feb 2026, 09:00</time>' in overall

    cy = section(
        page_of(instructor_client, world, world.cy), "overall-heading", attr="aria-labelledby"
    )
    assert "0 of 5 · 0%" in squash(cy)
    assert "Never" in squash(cy)


def test_coverage_per_topic_with_the_levels_of_its_marks(world, instructor_client):
    html = page_of(instructor_client, world, world.bo)
    rows = table_rows(html, "member-topics")
    assert rows[0] == ["Topic", "Covered", "Confidence"]
    # Bo: q2=3 q3=2 q4=3. Alpha q1 q2 q3 · Beta q3 q4 · Gamma q5.
    assert [row[:2] for row in rows[1:]] == [
        ["Alpha", "1 of 3 · 33%"],
        ["Beta", "1 of 2 · 50%"],
        ["Gamma", "0 of 1 · 0%"],
    ]
    assert [row[2] for row in rows[1:]] == [
        "Not yet 0, Shaky 1, Okay 1, Confident 0, Mastered 0, not rated 1",
        "Not yet 0, Shaky 1, Okay 1, Confident 0, Mastered 0",
        "Not yet 0, Shaky 0, Okay 0, Confident 0, Mastered 0, not rated 1",
    ]
    for slug in ("alpha", "beta", "gamma"):
        assert f'href="{reverse("teams:team_topic", args=[world.team.pk, slug])}"' in html


def test_topics_without_questions_in_the_scope_are_left_out(world, instructor_client):
    theirs = make_topic(slug="theirs", name="Theirs only", position=4)
    make_question(position=6, topics=[theirs], bank=world.other_team.bank)
    make_question(position=7, topics=[theirs], retired_at=NOW)
    make_topic(slug="empty", name="Empty", position=5)
    html = page_of(instructor_client, world, world.bo)
    assert [row[0] for row in table_rows(html, "member-topics")[1:]] == ["Alpha", "Beta", "Gamma"]
    assert "0 of 0" not in squash(html)


def landmark_names(html: str) -> list[str]:
    """The accessible name of every <section> and role="region" element named by
    aria-labelledby (the text of the element it points to) or aria-label."""
    names = []
    for tag in re.findall(r"<(?:section|div)\b[^>]*>", html):
        if not tag.startswith("<section") and 'role="region"' not in tag:
            continue
        if label := re.search(r'aria-label="([^"]*)"', tag):
            names.append(label.group(1))
        elif labelled_by := re.search(r'aria-labelledby="([^"]*)"', tag):
            target = re.search(
                rf'<(\w+)\b[^>]*\bid="{re.escape(labelled_by.group(1))}"[^>]*>(.*?)</\1>',
                html,
                re.S,
            )
            assert target, f"aria-labelledby points at nothing: {tag}"
            names.append(squash(target.group(2)))
    return names


def test_no_two_regions_share_a_name(world, instructor_client):
    names = landmark_names(page_of(instructor_client, world, world.bo))
    assert "Coverage by topic" in names
    assert "Coverage and confidence by topic for Bo Chen" in names  # the scrolling table
    assert len(names) == len(set(names)), names


def test_the_confidence_distribution_counts_every_question_of_the_scope(world, instructor_client):
    rows = table_rows(page_of(instructor_client, world, world.ada), "level-table")
    # Ada: q1=5 q2=4 q3=3 q4=4, q5 not rated.
    assert rows == [
        ["Level", "Questions", "Share"],
        ["Not yet", "0", "0%"],
        ["Shaky", "0", "0%"],
        ["Okay", "1", "20%"],
        ["Confident", "2", "40%"],
        ["Mastered", "1", "20%"],
        ["Not rated", "1", "20%"],
    ]
    confidence = section(
        page_of(instructor_client, world, world.ada), "confidence-heading", attr="aria-labelledby"
    )
    assert "Okay 1, Confident 2, Mastered 1, not rated 1" in confidence


def activity(html: str) -> list[list[str]]:
    return table_rows(html, "history-table")[1:]


def test_activity_counts_ratings_per_week_for_twelve_weeks(world, instructor_client):
    # Ada's four ratings were on Monday 2 Feb; two more in the current week.
    mark(world.ada, world.q[5], 2, at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    mark(world.ada, world.q[5], 3, at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    # Too long ago for the twelve weeks: not counted.
    mark(world.ada, world.q[1], 5, at=datetime(2025, 12, 21, 8, 0, tzinfo=UTC))
    html = page_of(instructor_client, world, world.ada)
    weeks = activity(html)
    assert len(weeks) == 12
    assert weeks[0] == ["22 Dec – 28 Dec 2025", "0"]
    assert weeks[6] == ["2 Feb – 8 Feb 2026", "4"]
    assert weeks[-1] == ["9 Mar – 15 Mar 2026", "2"]
    assert sum(int(count) for _, count in weeks) == 6
    text = squash(section(html, "activity-heading", attr="aria-labelledby"))
    assert "6 ratings in the last 12 weeks." in text
    assert (
        'aria-label="Ratings per week over the last 12 weeks: 6 in all, most in the week of'
        ' 2 Feb (4)"' in html
    )
    # The chart draws a bar for each week with ratings, and its count as text.
    svg = re.search(r'<svg class="activity-chart".*?</svg>', html, re.S).group(0)
    assert svg.count('class="activity-bar"') == 2
    assert re.findall(r'class="activity-count"[^>]*>(\d+)<', svg) == ["0"] * 6 + ["4"] + [
        "0"
    ] * 4 + ["2"]
    assert "style=" not in svg


def test_weeks_are_the_viewing_instructors(world, instructor_client):
    # Sunday 8 Mar 23:30 UTC is Monday 9 Mar 00:30 in Berlin.
    mark(world.cy, world.q[1], 2, at=datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    assert activity(page_of(instructor_client, world, world.cy))[-2:] == [
        ["2 Mar – 8 Mar 2026", "1"],
        ["9 Mar – 15 Mar 2026", "0"],
    ]
    world.instructor.time_zone = "Europe/Berlin"
    world.instructor.save(update_fields=["time_zone"])
    assert activity(page_of(instructor_client, world, world.cy))[-2:] == [
        ["2 Mar – 8 Mar 2026", "0"],
        ["9 Mar – 15 Mar 2026", "1"],
    ]


def assignment_block(html: str, assignment) -> str:
    return section(html, f"assignment-{assignment.pk}-heading", attr="aria-labelledby")


def missing_items(block: str) -> list[str]:
    details = re.search(r'<details class="missing">.*?</details>', block, re.S)
    if details is None:
        return []
    return [squash(li) for li in re.findall(r"<li>(.*?)</li>", details.group(0), re.S)]


def test_each_assignment_with_its_status_and_what_is_missing(world, instructor_client):
    html = page_of(instructor_client, world, world.bo)
    week1 = assignment_block(html, world.week1)
    # Bo: q2=3 covered, q3=2 Shaky, q1 not rated; due 1 Mar, so overdue.
    assert "In progress · Overdue · 1 of 3 covered · due 1 Mar 2026" in squash(week1)
    assert missing_items(week1) == ["Q1 World question 1? Not rated", "Q3 World question 3? Shaky"]
    assert f'href="{world.q[1].get_absolute_url()}"' in week1
    assert "Missing: 2 questions" in squash(week1)
    mixed = assignment_block(html, world.mixed)
    assert "In progress · 1 of 2 covered · due 20 Mar 2026" in squash(mixed)
    assert "Overdue" not in mixed
    assert missing_items(mixed) == ["Q5 World question 5? Not rated"]

    html = page_of(instructor_client, world, world.ada)
    assert "Complete ✓ · 3 of 3 covered" in squash(assignment_block(html, world.week1))
    assert "Overdue" not in assignment_block(html, world.week1)
    assert missing_items(assignment_block(html, world.week1)) == []

    html = page_of(instructor_client, world, world.cy)
    assert "Not started · Overdue · 0 of 3 covered" in squash(assignment_block(html, world.week1))
    assert "Not started · 0 of 2 covered" in squash(assignment_block(html, world.mixed))


def test_what_is_missing_lists_every_question(world, instructor_client):
    big = make_topic(slug="big", name="Big", position=9)
    questions = [
        make_question(key=f"big-{n}", position=100 + n, text=f"Big question {n}?", topics=[big])
        for n in range(25)
    ]
    mark(world.dee, questions[0], 4)
    mark(world.dee, questions[1], 1)
    assignment = make_assignment(world.team, name="Everything big", topics=[big])
    block = assignment_block(page_of(instructor_client, world, world.dee), assignment)
    items = missing_items(block)
    assert "Missing: 24 questions" in squash(block)
    assert len(items) == 24
    assert items[:2] == ["Q101 Big question 1? Not yet", "Q102 Big question 2? Not rated"]
    assert items[-1] == "Q124 Big question 24? Not rated"
    assert "more." not in squash(block)


def test_what_is_missing_links_to_how_the_team_does_on_it(world, instructor_client):
    html = page_of(instructor_client, world, world.bo)
    week1 = assignment_block(html, world.week1)
    details = re.search(r'<details class="missing">.*?</details>', week1, re.S).group(0)
    report = reverse("teams:hard_questions", args=[world.team.pk])
    link = re.search(rf'<a href="{report}\?assignment={world.week1.pk}">(.*?)</a>', details, re.S)
    assert link, "no link to the hard questions of the assignment"
    assert squash(link.group(1)) == "See how the team does on these questions of Week 1: alpha"
    # Nothing missing, nothing to link.
    ada = assignment_block(page_of(instructor_client, world, world.ada), world.week1)
    assert report not in ada


def test_a_team_without_assignments(db):
    instructor, learner = make_user(), make_user(display_name="Lone Learner")
    team = make_team("Quiet", instructor=instructor, learners=[learner])
    client = Client()
    client.force_login(instructor)
    html = html_of(
        client.get(reverse("teams:member_detail", args=[team.pk, membership(team, learner).pk]))
    )
    assert "Nothing assigned yet." in html
    assert "No questions rated yet." in html
    assert "Nothing rated below Okay." not in html
    assert "0 ratings in the last 12 weeks." in squash(html)


def lowest(html: str) -> list[str]:
    block = section(html, "lowest-heading", attr="aria-labelledby")
    return [squash(li) for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_the_questions_rated_not_yet_or_shaky_oldest_first_among_equals(world, instructor_client):
    # Dee: q4=1, then q1 q2 (both Okay) and q5=4 on T0+2d. Q1 and Q2 drop to Shaky later,
    # Q1 first; Okay and above are not listed.
    mark(world.dee, world.q[2], 2, at=T0 + timedelta(days=6))
    mark(world.dee, world.q[1], 2, at=T0 + timedelta(days=5))
    html = page_of(instructor_client, world, world.dee)
    assert lowest(html) == [
        "Q4 World question 4? Not yet rated 3 Feb 2026",
        "Q1 World question 1? Shaky rated 6 Feb 2026",
        "Q2 World question 2? Shaky rated 7 Feb 2026",
    ]
    block = squash(section(html, "lowest-heading", attr="aria-labelledby"))
    assert block.startswith("Rated Not yet or Shaky Not yet first, then Shaky;")


def test_a_learner_with_only_good_marks_has_nothing_rated_below_okay(world, instructor_client):
    # Ada: q1=5 q2=4 q3=3 q4=4.
    html = page_of(instructor_client, world, world.ada)
    assert lowest(html) == []
    block = squash(section(html, "lowest-heading", attr="aria-labelledby"))
    assert block == "Rated Not yet or Shaky Nothing rated below Okay."


def test_at_most_ten_lowest(world, instructor_client):
    topic = make_topic()
    for n in range(12):
        mark(world.cy, make_question(topics=[topic], position=200 + n), 1 + n % 2)
    items = lowest(page_of(instructor_client, world, world.cy))
    assert len(items) == 10
    assert all("Not yet" in item for item in items[:6])


def test_retired_and_other_banks_questions_do_not_count(world, instructor_client):
    retired = make_question(position=7, topics=[world.alpha], retired_at=NOW)
    mark(world.ada, retired, 1)
    other_bank = make_question(position=8, topics=[world.alpha], bank=world.other_team.bank)
    mark(world.ada, other_bank, 1)
    own_bank = make_question(position=9, topics=[world.alpha], bank=world.team.bank)
    mark(world.ada, own_bank, 4)
    html = page_of(instructor_client, world, world.ada)
    assert "5 of 6 · 83%" in squash(section(html, "overall-heading", attr="aria-labelledby"))
    assert table_rows(html, "member-topics")[1][:2] == ["Alpha", "4 of 4 · 100%"]
    assert lowest(html) == []
    assert "Nothing rated below Okay." in html
    # This week's two ratings on the retired and the other bank's questions are not activity.
    assert activity(html)[-1][1] == "1"


# --- Notes stay private --------------------------------------------------------------------


def test_no_note_and_no_sign_of_one(world, instructor_client):
    note(world.ada, world.q[4], "SECOND-SECRET on Q4")
    for headers in ({}, HTMX):
        html = html_of(instructor_client.get(member_url(world, world.ada), headers=headers))
        assert NOTE_TEXT.split(":")[0] not in html
        assert "SECOND-SECRET" not in html
        assert "note-badge" not in html
        assert "has_note" not in html
        assert not re.search(r"\bnoted?\b|with a note|has a note", squash(html), re.I)


# --- Who may open it -------------------------------------------------------------------------


def test_only_the_teams_instructors_may_open_it(world, instructor_client):
    url = member_url(world, world.ada)
    learner = Client()
    learner.force_login(world.bo)
    assert learner.get(url).status_code == 403
    outsider = Client()
    outsider.force_login(make_user())
    assert outsider.get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


def test_an_instructor_of_another_team_gets_404(world):
    other_instructor = world.other_team.memberships.get(role=INSTRUCTOR).user
    client = Client()
    client.force_login(other_instructor)
    assert client.get(member_url(world, world.ada)).status_code == 404
    # Their own team's learner, asked for through this team: 404 too.
    eve = membership(world.other_team, world.eve).pk
    assert client.get(reverse("teams:member_detail", args=[world.team.pk, eve])).status_code == 404


@pytest.mark.parametrize("whose", ["instructor", "other-team", "missing"])
def test_only_a_learner_of_this_team_has_a_page(world, instructor_client, whose):
    membership_id = {
        "instructor": lambda: membership(world.team, world.instructor).pk,
        "other-team": lambda: membership(world.other_team, world.eve).pk,
        "missing": lambda: 999_999,
    }[whose]()
    url = reverse("teams:member_detail", args=[world.team.pk, membership_id])
    assert instructor_client.get(url).status_code == 404


def test_a_second_instructor_sees_it_and_a_post_is_refused(world, instructor_client):
    second = make_user()
    add_member(world.team, second, INSTRUCTOR)
    client = Client()
    client.force_login(second)
    assert client.get(member_url(world, world.ada)).status_code == 200
    assert instructor_client.post(member_url(world, world.ada)).status_code == 405


# --- Query counts ----------------------------------------------------------------------------

#: Session and user (2), the viewer's membership (1), the learner's (1), the question count,
#: the topics, marks by topic and level, by level, the lowest ten, events by day (6),
#: assignments, their question ids (2), the questions missing (4) and the navigation's
#: teams (1).
MEMBER_DETAIL_QUERIES = 15

SIZES = SCALE_SIZES


class Scaled:
    """A team of `members` learners over `topics` topics of two questions each, every
    learner with a mark on every question; one learner with a rating history; two
    assignments; and noise: another team and an instructor with marks."""

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
        self.learner = self.learners[0]
        ConfidenceEvent.objects.bulk_create(
            ConfidenceEvent(
                user=user, question=q, level=1 + n % 5, created_at=NOW - timedelta(days=n % 80)
            )
            for user in self.learners[:5]
            for n, q in enumerate(self.questions)
        )
        other = make_team("Other")
        bulk_learners(other, 5, questions=self.questions, level=4)
        make_assignment(self.team, topics=self.topics[:3], due_date=NOW.date())
        make_assignment(self.team, topics=self.topics[-2:], questions=self.questions[:3])

    def client(self) -> Client:
        client = Client()
        client.force_login(self.instructor)
        return client


@pytest.fixture(params=SIZES, ids=[f"{m}learners-{t}topics" for m, t in SIZES])
def scaled(request, db) -> Scaled:
    return Scaled(*request.param)


def test_member_detail_queries(scaled, django_assert_num_queries):
    url = reverse(
        "teams:member_detail", args=[scaled.team.pk, membership(scaled.team, scaled.learner).pk]
    )
    client = scaled.client()
    with django_assert_num_queries(MEMBER_DETAIL_QUERIES):
        response = client.get(url)
    html = html_of(response)
    assert len(table_rows(html, "member-topics")) == len(scaled.topics) + 1
    assert html.count('class="member-assignment"') == 2
    assert len(lowest(html)) == 10
