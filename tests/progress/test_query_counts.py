"""A page's number of SQL queries does not grow with users, questions or topics.

Each test renders a page for a small world (1 topic of 5 questions, 1 other user, 1 team
with 1 assignment), then grows the world tenfold (10 topics, 50 questions, 20 other users,
each with marks and notes on every question, 2 teams with 10 assignments) and renders it
again: both must take the pinned count.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from progress.models import ConfidenceEvent, ConfidenceMark, Note
from progress.views import NOTES_PER_PAGE
from questions.models import Question, Topic
from studyhub.markdown import render_markdown
from teams.models import Assignment, Membership, Team, TopicSet
from tests.factories import make_bank, make_question, make_user, mark, note
from tests.pages import HTMX, coverage_figures, html_of, pressed_levels, section

# Pinned counts; every request starts with 2 (session, user), and every full page ends
# with 1 for the navigation's teams.
#: topic coverage, coverage totals, question count, recent marks, note count,
#: assignments, their topic sets' questions (2), my marks for them
DASHBOARD_QUERIES = 14
#: the count of notes (all, and on questions not retired), a page of notes with their questions
NOTE_LIST_QUERIES = 5
#: the mark with its question, coverage of its topics (read before the write), savepoint,
#: the mark's update, the event, release savepoint
MARK_CONFIDENCE_HTMX_QUERIES = 8
#: the same when the question stays covered (or uncovered): no coverage to send
MARK_SAME_COVERAGE_HTMX_QUERIES = 7
#: question + answers, topics, related; note (twice), mark, topic's keys, coverage
EDIT_NOTE_GET_QUERIES = 11
#: session, user, question, note, topics: the section only (no mark, pager or coverage)
EDIT_NOTE_GET_HTMX_QUERIES = 5

DASHBOARD = reverse("progress:dashboard")
NOTES = reverse("progress:note_list")


def give_progress(users, questions) -> None:
    """A mark, an event and a note for every user on every question.

    Marks and notes that already exist are left as they are; events are always added.
    """
    now = timezone.now()
    pairs = [(u, q) for u in users for q in questions]
    ConfidenceMark.objects.bulk_create(
        [
            ConfidenceMark(user=u, question=q, level=1 + (u.pk + q.pk) % 5, updated_at=now)
            for u, q in pairs
        ],
        ignore_conflicts=True,
    )
    ConfidenceEvent.objects.bulk_create(
        [ConfidenceEvent(user=u, question=q, level=3, created_at=now) for u, q in pairs]
    )
    texts = {(u, q): f"*{u.username}* on {q.key}" for u, q in pairs}
    Note.objects.bulk_create(
        [
            Note(user=u, question=q, text=text, html=render_markdown(text), version=1)
            for (u, q), text in texts.items()
        ],
        ignore_conflicts=True,
    )


def assign(team: Team, topic: Topic) -> None:
    topic_set = TopicSet.objects.create(team=team, name=f"Set on {topic.name}")
    topic_set.topics.add(topic)
    Assignment.objects.create(team=team, topic_set=topic_set)


class World:
    """The data behind the pages, at a small size that `grow()` makes ten times larger."""

    def __init__(self, user: User) -> None:
        self.user = user
        (self.topic,) = make_bank(topics=1, questions_per_topic=5)
        question = self.topic.questions.first()
        assert question is not None
        self.question = question
        self.others = [make_user()]
        give_progress([user, *self.others], Question.objects.all())
        mark(user, self.question, 2)
        note(user, self.question, "my **own** note")
        self.team = Team.objects.create(name="Small team")
        Membership.objects.create(team=self.team, user=user)
        Membership.objects.create(team=self.team, user=self.others[0])
        assign(self.team, self.topic)
        assert self.sizes() == (1, 5, 2, 10, 10, 1)

    def sizes(self) -> tuple[int, int, int, int, int, int]:
        return (
            Topic.objects.count(),
            Question.objects.count(),
            User.objects.count(),
            ConfidenceMark.objects.count(),
            Note.objects.count(),
            Assignment.objects.filter(team__memberships__user=self.user).count(),
        )

    def grow(self) -> None:
        new_topics = make_bank(topics=9, questions_per_topic=0)
        for index in range(45):
            make_question(topics=[self.topic, new_topics[index % 9]])
        self.question.topics.add(*new_topics)
        self.question.related.add(*Question.objects.exclude(pk=self.question.pk)[:10])
        self.others += [make_user() for _ in range(19)]
        give_progress([self.user, *self.others], Question.objects.all())
        second_team = Team.objects.create(name="Second team")
        for other in self.others[1:]:
            Membership.objects.create(team=self.team, user=other)
        Membership.objects.create(team=second_team, user=self.user)
        for index, topic in enumerate(new_topics):
            assign(self.team if index % 2 else second_team, topic)
        assert self.sizes() == (10, 50, 21, 21 * 50, 21 * 50, 10)


@pytest.fixture
def world(user) -> World:
    return World(user)


def dashboard_rows(page: str) -> tuple[int, int]:
    """How many of the dashboard's row headers link to a topic, and how many to an
    assignment."""
    links = re.findall(r'<th scope="row"><a href="([^"]+)"', page)
    topics = {
        reverse("progress:topic_detail", args=[slug])
        for slug in Topic.objects.values_list("slug", flat=True)
    }
    assignments = {
        reverse("teams:assignment_detail", args=[team_id, pk])
        for team_id, pk in Assignment.objects.values_list("team_id", "pk")
    }
    return sum(link in topics for link in links), sum(link in assignments for link in links)


def test_dashboard_query_count(logged_in_client, world, django_assert_num_queries):
    with django_assert_num_queries(DASHBOARD_QUERIES):
        small = html_of(logged_in_client.get(DASHBOARD))
    world.grow()
    with django_assert_num_queries(DASHBOARD_QUERIES):
        large = html_of(logged_in_client.get(DASHBOARD))

    overall = "overall-heading"
    assert coverage_figures(section(small, overall, attr="aria-labelledby"))[0][1] == 5
    assert coverage_figures(section(large, overall, attr="aria-labelledby"))[0][1] == 50
    assert dashboard_rows(small) == (1, 1)  # (topics, assignments)
    assert dashboard_rows(large) == (10, 10)


def test_note_list_query_count(logged_in_client, world, django_assert_num_queries):
    with django_assert_num_queries(NOTE_LIST_QUERIES):
        small = html_of(logged_in_client.get(NOTES))
    world.grow()
    with django_assert_num_queries(NOTE_LIST_QUERIES):
        large = html_of(logged_in_client.get(NOTES))

    assert small.count('<div class="prose note-body">') == 5
    assert large.count('<div class="prose note-body">') == NOTES_PER_PAGE  # a page of 50
    assert "of 50 notes" in large
    # Each shows the HTML stored when it was saved.
    assert small.count("<strong>own</strong>") == large.count("<strong>own</strong>") == 1
    assert large.count("<p><em>learner</em> on ") == NOTES_PER_PAGE - 1


def test_mark_confidence_htmx_query_count(logged_in_client, world, django_assert_num_queries):
    url = reverse("progress:mark_confidence", args=[world.question.key])
    with django_assert_num_queries(MARK_CONFIDENCE_HTMX_QUERIES):
        small = html_of(logged_in_client.post(url, {"level": "4"}, headers=HTMX))
    world.grow()
    with django_assert_num_queries(MARK_CONFIDENCE_HTMX_QUERIES):
        large = html_of(logged_in_client.post(url, {"level": "2"}, headers=HTMX))

    assert len(coverage_figures(section(small, "coverage-panel"))) == 1
    assert len(coverage_figures(section(large, "coverage-panel"))) == 10
    assert coverage_figures(section(large, "coverage-panel"))[0][1] == 50


def test_mark_keeping_coverage_query_count(logged_in_client, world, django_assert_num_queries):
    url = reverse("progress:mark_confidence", args=[world.question.key])
    logged_in_client.post(url, {"level": "3"}, headers=HTMX)
    with django_assert_num_queries(MARK_SAME_COVERAGE_HTMX_QUERIES):
        small = html_of(logged_in_client.post(url, {"level": "4"}, headers=HTMX))
    world.grow()
    with django_assert_num_queries(MARK_SAME_COVERAGE_HTMX_QUERIES):
        large = html_of(logged_in_client.post(url, {"level": "5"}, headers=HTMX))

    assert pressed_levels(small) == [4]
    assert pressed_levels(large) == [5]
    assert "coverage-panel" not in small + large


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, EDIT_NOTE_GET_QUERIES), (HTMX, EDIT_NOTE_GET_HTMX_QUERIES)],
    ids=["plain", "htmx"],
)
def test_edit_note_get_query_count(
    logged_in_client, world, django_assert_num_queries, headers, expected
):
    url = reverse("progress:edit_note", args=[world.question.key])
    with django_assert_num_queries(expected):
        small = html_of(logged_in_client.get(url, headers=headers))
    world.grow()
    with django_assert_num_queries(expected):
        large = html_of(logged_in_client.get(url, headers=headers))

    assert "my **own** note" in small
    assert "my **own** note" in large
    if not headers:
        assert "1 of 5 in" in small
        assert "1 of 50 in" in large
        assert large.count('<span class="qnum">') == 10  # related questions
