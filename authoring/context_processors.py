"""The navigation's teams, with what waits for their instructors: here, at the top of
the apps, because the count is of proposals (authoring) and the list of teams (teams)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.expressions import Case
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from authoring.models import Proposal
from teams.models import Membership, Team, TeamQuerySet


def teams(request: HttpRequest) -> dict:
    """The signed-in user's teams for the navigation, and the proposals waiting for them
    as an instructor; queried (once, together) only if a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_teams": [], "nav_proposals": WaitingProposals(0, [])}
    nav_teams = SimpleLazyObject(lambda: list(navigation_teams(user)))
    return {
        "nav_teams": nav_teams,
        "nav_proposals": SimpleLazyObject(
            lambda: WaitingProposals.among(cast("list[Team]", nav_teams))
        ),
    }


def navigation_teams(user: User) -> TeamQuerySet:
    """Team.objects.for_member, each team annotated with `waiting_proposals`: how many
    proposals wait for review in its bank when the user instructs it (else 0). A
    subquery of the teams' one query, so the navigation adds no query to any page."""
    waiting = (
        Proposal.objects.filter(bank=OuterRef("bank_id"), status=Proposal.Status.PENDING)
        .order_by()
        .values("bank")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Team.objects.for_member(user).annotate(
        waiting_proposals=Case(
            When(
                my_role=Membership.Role.INSTRUCTOR,
                then=Coalesce(Subquery(waiting, output_field=IntegerField()), 0),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class WaitingProposals:
    """The proposals waiting for the user in the teams they instruct, for the navigation:
    their number, and the teams where they wait."""

    count: int
    teams: list[Team]

    @classmethod
    def among(cls, nav_teams: list[Team]) -> WaitingProposals:
        waiting = [team for team in nav_teams if getattr(team, "waiting_proposals", 0)]
        return cls(sum(team.waiting_proposals for team in waiting), waiting)  # type: ignore[attr-defined]
