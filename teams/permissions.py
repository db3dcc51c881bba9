"""Who may see a team: members only. Everyone else gets a 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from questions.models import Bank
from studyhub.http import id_or_none
from teams.models import Membership, Team


def membership_or_404(request: AuthenticatedHttpRequest, team_id: int) -> Membership:
    """The signed-in user's membership of the team, with the team loaded."""
    try:
        return request.user.memberships.select_related("team").get(team_id=team_id)
    except Membership.DoesNotExist:
        raise Http404("No such team.") from None


def instructor_or_403(request: AuthenticatedHttpRequest, team_id: int) -> Membership:
    """For instructor-only pages: non-members get a 404, the team's learners a 403."""
    membership = membership_or_404(request, team_id)
    if not membership.is_instructor:
        raise PermissionDenied("Only the team's instructors can do this.")
    return membership


class TeamBankAccess:
    """Who sees and changes which bank (questions.access): the settings name this class,
    because the questions app cannot know who belongs to a team.

    A member sees the bank of each team they belong to; an instructor changes it. Staff
    see every bank, so that they can moderate and promote team questions to the library.
    """

    def visible_banks(self, user: User) -> QuerySet[Any, Any]:
        if user.is_staff:
            return Bank.objects.values("pk")
        return Team.objects.filter(memberships__user=user).values("bank_id")

    def editable_banks(self, user: User) -> QuerySet[Any, Any]:
        return Team.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.INSTRUCTOR
        ).values("bank_id")

    def team_bank(self, team: str) -> Bank | None:
        teams = Team.objects.select_related("bank")
        team_id = id_or_none(team)
        found = teams.filter(pk=team_id) if team_id is not None else None
        if not found:
            found = teams.filter(name=team)
        matches = list(found[:2])
        return matches[0].bank if len(matches) == 1 else None
