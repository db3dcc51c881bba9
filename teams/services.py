"""Team workflows: creating, joining, leaving and managing teams; saving topic sets and
assignments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from accounts.models import User
from questions.models import Question, Topic
from teams.models import Assignment, Membership, Team, TopicSet


class TeamRuleError(Exception):
    """An action a team's rules do not allow; the message says why and what to do."""


@transaction.atomic
def create_team(*, name: str, creator: User) -> Team:
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=creator, role=Membership.Role.INSTRUCTOR)
    return team


def join_team(*, team: Team, user: User) -> tuple[Membership, bool]:
    """Join as a learner; joining a team you are already in changes nothing."""
    return Membership.objects.get_or_create(
        team=team, user=user, defaults={"role": Membership.Role.LEARNER}
    )


def promote(*, membership: Membership) -> None:
    membership.role = Membership.Role.INSTRUCTOR
    membership.save(update_fields=["role"])


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    """Take someone out of a team. Their confidence and notes are theirs and stay."""
    _check_not_last_instructor(membership, action="be removed")
    membership.delete()


@transaction.atomic
def leave_team(*, membership: Membership) -> None:
    _check_not_last_instructor(membership, action="leave")
    membership.delete()


def _check_not_last_instructor(membership: Membership, *, action: str) -> None:
    if not membership.is_instructor:
        return
    # Lock the team's instructor rows so two instructors cannot both leave at once.
    instructors = list(
        Membership.objects.select_for_update()
        .instructors()
        .filter(team_id=membership.team_id)
        .values_list("pk", flat=True)
    )
    if instructors == [membership.pk]:
        raise TeamRuleError(
            f"The last instructor cannot {action}. Make another member an instructor first, "
            "or delete the team."
        )


@transaction.atomic
def save_topic_set(
    *,
    team: Team,
    author: User,
    topic_set: TopicSet | None = None,
    name: str,
    description: str,
    topics: Iterable[Topic],
    questions: Iterable[Question],
) -> TopicSet:
    """Make a topic set for the team, or change one, with its whole topics and single
    questions. A set whose author has left gets the editor as its author."""
    topic_set = topic_set or TopicSet(team=team)
    if topic_set.created_by_id is None:
        topic_set.created_by = author
    topic_set.name, topic_set.description = name, description
    topic_set.save()
    topic_set.topics.set(topics)
    topic_set.questions.set(questions)
    return topic_set


def delete_topic_set(*, topic_set: TopicSet) -> None:
    """Deleting an assigned set would withdraw its assignments unasked, so it is refused."""
    if topic_set.assignments.exists():
        raise TeamRuleError("This topic set is assigned; withdraw its assignments first.")
    topic_set.delete()


def save_assignment(
    *,
    team: Team,
    author: User,
    assignment: Assignment | None = None,
    topic_set: TopicSet,
    due_date: date | None,
) -> Assignment:
    """Give the team a topic set to study, or change which one and by when."""
    assignment = assignment or Assignment(team=team)
    if assignment.created_by_id is None:
        assignment.created_by = author
    assignment.topic_set, assignment.due_date = topic_set, due_date
    assignment.save()
    return assignment
