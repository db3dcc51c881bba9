"""A small world for the editor's tests: two teams with their banks, the library, and
the six roles of the permission walk (tests/teams/test_permissions.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from questions.models import Question, Topic
from teams.models import Team
from tests.factories import make_question, make_topic, make_user
from tests.teams.factories import INSTRUCTOR, add_member, make_team

ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "staff")


@dataclass
class Banks:
    team: Team
    other_team: Team
    users: dict[str, User | None]
    library_topic: Topic
    team_topic: Topic
    other_topic: Topic
    library_question: Question
    team_question: Question
    other_question: Question

    @property
    def instructor(self) -> User:
        user = self.users["instructor"]
        assert user is not None
        return user

    @property
    def learner(self) -> User:
        user = self.users["learner"]
        assert user is not None
        return user

    @property
    def staff(self) -> User:
        user = self.users["staff"]
        assert user is not None
        return user

    def client(self, role: str) -> Client:
        client = Client()
        user = self.users[role]
        if user is not None:
            client.force_login(user)
        return client


def build_banks() -> Banks:
    instructor = make_user(username="iris", display_name="Iris Instructor")
    learner = make_user(username="lee", display_name="Lee Learner")
    other_instructor = make_user(username="oscar", display_name="Oscar Other")
    other_learner = make_user(username="olga", display_name="Olga Other")
    staff = User.objects.create_superuser(
        "staff", "staff@example.com", "x", display_name="Stella Staff"
    )
    team = make_team("Vision group", instructor=instructor, learners=[learner])
    other_team = make_team("Other group", instructor=other_instructor, learners=[other_learner])
    library_topic = make_topic(slug="lib-cnn", name="CNN basics")
    team_topic = make_topic(slug="team-week-1", name="Week 1", bank=team.bank)
    other_topic = make_topic(slug="other-secret", name="Other secret topic", bank=other_team.bank)
    library_question = make_question(
        key="lib-q", text="What is a convolution?", topics=[library_topic]
    )
    team_question = make_question(
        key="team-q",
        text="What is a receptive field?",
        concise="The input area a unit sees.",
        topics=[team_topic, library_topic],
        bank=team.bank,
    )
    other_question = make_question(
        key="other-q",
        text="OTHER-TEAM-SECRET question?",
        topics=[other_topic],
        bank=other_team.bank,
    )
    return Banks(
        team=team,
        other_team=other_team,
        users={
            "anonymous": None,
            "learner": learner,
            "other_learner": other_learner,
            "instructor": instructor,
            "other_instructor": other_instructor,
            "staff": staff,
        },
        library_topic=library_topic,
        team_topic=team_topic,
        other_topic=other_topic,
        library_question=library_question,
        team_question=team_question,
        other_question=other_question,
    )


@pytest.fixture
def banks(db) -> Banks:
    return build_banks()


@pytest.fixture
def instructor_client(banks) -> Client:
    return banks.client("instructor")


@pytest.fixture
def staff_client(banks) -> Client:
    return banks.client("staff")


def second_instructor(banks: Banks) -> User:
    """Another instructor of the team, for two editors at once."""
    user = make_user(username="ivan", display_name="Ivan Instructor")
    add_member(banks.team, user, INSTRUCTOR)
    return user


def question_url(question: Question) -> str:
    """The question's page (settings.ABSOLUTE_URL_OVERRIDES gives it to templates)."""
    return reverse("progress:question_detail", kwargs={"key": question.key})
