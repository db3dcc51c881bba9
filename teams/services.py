"""Team workflows: creating, joining, leaving and managing teams."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from teams.models import Membership, Team


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
        .filter(team_id=membership.team_id, role=Membership.Role.INSTRUCTOR)
        .values_list("pk", flat=True)
    )
    if instructors == [membership.pk]:
        raise TeamRuleError(
            f"The last instructor cannot {action}. Make another member an instructor first, "
            "or delete the team."
        )
