"""teams.views.study_start: a study session over an assignment or a topic set."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from progress.models import StudySession
from tests.factories import make_bank, make_user
from tests.teams.factories import add_member, make_assignment, make_team, make_topic_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    return make_bank(topics=2, questions_per_topic=3)


def start(client, **data):
    return client.post(reverse("teams:study_start"), data)


def latest(user) -> StudySession:
    return user.study_sessions.latest("pk")


def test_assignment_and_topic_set_sessions_need_membership(bank, user, logged_in_client):
    instructor = make_user()
    team = make_team("Study team", instructor=instructor)
    topic_set = make_topic_set(team, topics=[bank[1]])
    assignment = make_assignment(team, topic_set)
    # Not a member yet: another team's assignment is not found.
    assert start(logged_in_client, source="assignment", assignment=assignment.pk).status_code == 404
    add_member(team, user)
    start(logged_in_client, source="assignment", assignment=assignment.pk)
    assert latest(user).question_ids == list(
        bank[1].questions.order_by("position").values_list("pk", flat=True)
    )
    # Topic sets are for the team's instructors; a learner gets a 404.
    assert start(logged_in_client, source="topic_set", topic_set=topic_set.pk).status_code == 404
    teacher = Client()
    teacher.force_login(instructor)
    assert start(teacher, source="topic_set", topic_set=topic_set.pk).status_code == 302
    assert start(logged_in_client, source="assignment", assignment="x").status_code == 404


def test_an_unknown_source_goes_back_to_the_study_page(logged_in_client):
    response = start(logged_in_client, source="topic")
    assert response.status_code == 302
    assert response["Location"] == reverse("progress:study_home")


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the first form on the page posting to `action`."""
    form = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None, f"no form posting to {action}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_an_assignment_page_and_the_topic_set_list_offer_study_these(bank, user, logged_in_client):
    instructor = make_user()
    team = make_team("Study team", instructor=instructor)
    add_member(team, user)
    topic_set = make_topic_set(team, topics=[bank[0]])
    assignment = make_assignment(team, topic_set)
    action = reverse("teams:study_start")
    page = logged_in_client.get(
        reverse("teams:assignment_detail", args=[team.pk, assignment.pk])
    ).content.decode()
    assert "Study these 3" in page
    start(logged_in_client, **hidden_fields(page, action))
    assert latest(user).question_ids == list(
        bank[0].questions.order_by("position").values_list("pk", flat=True)
    )
    teacher = Client()
    teacher.force_login(instructor)
    sets = teacher.get(reverse("teams:topic_set_list", args=[team.pk])).content.decode()
    assert "Study these 3" in sets
    assert start(teacher, **hidden_fields(sets, action)).status_code == 302
    assert latest(instructor).label == topic_set.name


def test_an_empty_topic_set_goes_back_to_the_page_it_was_started_from(user, logged_in_client):
    team = make_team("Study team", instructor=user)
    empty = make_topic_set(team, topics=[])
    back = reverse("teams:topic_set_list", args=[team.pk])
    response = start(logged_in_client, source="topic_set", topic_set=empty.pk, next=back)
    assert response["Location"] == back
    elsewhere = start(
        logged_in_client, source="topic_set", topic_set=empty.pk, next="https://evil.example/"
    )
    assert elsewhere["Location"] == reverse("progress:study_home")
