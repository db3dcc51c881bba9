"""teams.views.study_start: a study session over an assignment or a topic set."""

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
