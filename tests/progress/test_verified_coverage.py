"""Verified coverage: covered, and the latest typed answer recalled at least half of the
key points; counted beside coverage on the dashboard and the topic pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from progress.models import ConfidenceMark
from progress.recall import record_check
from progress.selectors import my_question_totals, with_my_coverage
from questions.access import visible_banks, visible_topics
from questions.models import Question, Topic
from tests.factories import make_question, make_topic, make_user, mark
from tests.pages import HTMX, html_of, section
from tests.progress.test_query_counts import DASHBOARD_QUERIES, World
from tests.progress.test_topic_views import QUERIES
from tests.teams.factories import make_team

DASHBOARD = reverse("progress:dashboard")
TOPICS = reverse("progress:topic_list")


def checked(user, question, level: int, *, half: bool) -> None:
    """Rate `question` and give the mark a check that made half of the key points or not."""
    mark(user, question, level)
    ConfidenceMark.objects.filter(user=user, question=question).update(
        recall=80 if half else 20,
        recalled_half=half,
        recall_at=timezone.now() + timedelta(seconds=1),
    )


class Topics:
    """Two topics: Alpha of five questions, Beta of three (one question in both).

    Alpha: covered + half (q1, q2: verified), covered without half (q3), Shaky + half
    (q4: not covered, so not verified), not rated (q5). Beta: q2 and two more, one of
    them verified. Besides: a retired verified question of Alpha and another learner's
    verified marks on everything.
    """

    def __init__(self, user) -> None:
        self.alpha = make_topic(name="Alpha")
        self.beta = make_topic(name="Beta")
        q = [make_question(topics=[self.alpha]) for _ in range(5)]
        q[1].topics.add(self.beta)
        b = [make_question(topics=[self.beta]) for _ in range(2)]
        checked(user, q[0], 3, half=True)
        checked(user, q[1], 5, half=True)
        checked(user, q[2], 4, half=False)
        checked(user, q[3], 2, half=True)
        checked(user, b[0], 4, half=True)
        mark(user, b[1], 5)
        retired = make_question(topics=[self.alpha])
        checked(user, retired, 5, half=True)
        Question.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
        other = make_user()
        for question in Question.objects.all():
            checked(other, question, 5, half=True)


def coverage_of(user) -> list[tuple[str, int, int, int]]:
    """(name, question_count, covered_count, verified_count) of each topic the user sees."""
    # Any: django-stubs knows no annotation of with_my_coverage's QuerySet[Topic].
    counted: Any = with_my_coverage(visible_topics(user), user)
    return list(counted.values_list("name", "question_count", "covered_count", "verified_count"))


def topic_url(topic: Topic) -> str:
    return reverse("progress:topic_detail", args=[topic.slug])


@pytest.fixture
def topics(user) -> Topics:
    return Topics(user)


def test_with_my_coverage_counts_verified_beside_covered(user, topics):
    assert coverage_of(user) == [("Alpha", 5, 3, 2), ("Beta", 3, 3, 2)]


def test_question_totals_count_verified_once_however_many_topics(user, topics):
    # q2 is in both topics; 7 live questions, 3 of them verified (q1, q2, b1).
    assert my_question_totals(user, visible_banks(user)) == {
        "question_count": 7,
        "verified_count": 3,
    }


def test_a_real_check_that_makes_half_verifies_a_covered_question(user):
    topic = make_topic()
    question = make_question(
        topics=[topic], key_points=["Pooling shrinks the feature map", "Dropout fights overfitting"]
    )
    mark(user, question, 4)
    record_check(user=user, question=question, text="Pooling shrinks the feature map.")
    assert coverage_of(user) == [(topic.name, 1, 1, 1)]
    record_check(user=user, question=question, text="No idea.")
    assert coverage_of(user) == [(topic.name, 1, 1, 0)]


def test_a_team_bank_the_learner_left_is_not_counted(user):
    team = make_team(learners=[user])
    topic = make_topic(bank=team.bank)
    question = make_question(topics=[topic], bank=team.bank)
    checked(user, question, 5, half=True)
    assert my_question_totals(user, visible_banks(user))["verified_count"] == 1
    team.memberships.filter(user=user).delete()
    assert my_question_totals(user, visible_banks(user))["verified_count"] == 0
    assert not Topic.objects.filter(pk__in=visible_topics(user)).exists()


# --- Pages ------------------------------------------------------------------------


def test_the_dashboard_shows_verified_overall_and_per_topic(logged_in_client, topics):
    page = html_of(logged_in_client.get(DASHBOARD))
    overall = section(page, "overall-heading", attr="aria-labelledby")
    assert "<strong>3 verified</strong> (42% of all questions)" in overall
    assert "<summary>What is verified?</summary>" in overall
    rows = re.findall(
        r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>.*?'
        r'<td class="fresh-cell">\d+</td>\s*<td class="fresh-cell verified-cell">(\d+)</td>',
        page,
        re.S,
    )
    assert rows == [("Alpha", "2"), ("Beta", "2")]
    assert '<th scope="col">Verified</th>' in page


def test_the_topic_page_shows_verified_beside_coverage(logged_in_client, topics):
    response = logged_in_client.get(topic_url(topics.alpha))
    page = html_of(response)
    coverage = re.search(r'<p class="topic-coverage">.*?</p>', page, re.S)
    assert coverage
    assert "<strong>3 of 5</strong> · 60%" in coverage.group(0)
    assert "· <strong>2</strong> verified" in coverage.group(0)
    assert page.count("What is verified?") == 1
    # The htmx fragment of the list does not repeat it.
    fragment = html_of(logged_in_client.get(topic_url(topics.alpha), headers=HTMX))
    assert "verified" not in fragment


def test_the_topic_list_shows_verified_on_each_card(logged_in_client, topics):
    page = html_of(logged_in_client.get(TOPICS))
    cards = re.findall(
        r'<h2><a href="[^"]*">([^<]*)</a></h2>.*?<p class="verified-count"><strong>(\d+)</strong>',
        page,
        re.S,
    )
    assert cards == [("Alpha", "2"), ("Beta", "2")]
    assert page.count("What is verified?") == 1


# --- Query counts: the pins of tests/progress stay as they were ---------------------


def verify_everything(user) -> None:
    ConfidenceMark.objects.filter(user=user).update(
        level=4, recall=90, recalled_half=True, recall_at=timezone.now()
    )


def test_dashboard_pin_is_unchanged(user, logged_in_client, django_assert_num_queries):
    world = World(user)
    verify_everything(user)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        small = html_of(logged_in_client.get(DASHBOARD))
    assert "<strong>5 verified</strong>" in small
    world.grow()
    verify_everything(user)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        large = html_of(logged_in_client.get(DASHBOARD))
    assert "<strong>50 verified</strong>" in large


@pytest.mark.parametrize("name", ["topic_list", "topic_detail"])
def test_topic_page_pins_are_unchanged(user, logged_in_client, name, django_assert_num_queries):
    world = World(user)
    url = TOPICS if name == "topic_list" else topic_url(world.topic)
    verify_everything(user)
    with django_assert_num_queries(QUERIES[name]):
        small = html_of(logged_in_client.get(url))
    assert small.count("<strong>5</strong>") == 1
    world.grow()
    verify_everything(user)
    with django_assert_num_queries(QUERIES[name]):
        large = html_of(logged_in_client.get(url))
    # The first topic holds all 50 questions after growing.
    assert "<strong>50</strong> verified" in large
