"""The navigation's teams, with what waits for their instructors: here, at the top of
the apps, because the count is of proposals (authoring) and the list of teams (teams)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import cast

from django.db import connection
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from authoring.models import Proposal
from studyhub.compiled import CompiledQuery
from teams.models import Membership, Team, TeamQuerySet


def teams(request: HttpRequest) -> dict:
    """The signed-in user's teams for the navigation, and the proposals waiting for them
    as an instructor; queried (once, together) only if a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_teams": [], "nav_proposals": WaitingProposals(0, [])}
    nav_teams = SimpleLazyObject(lambda: _NAVIGATION_TEAMS.run(None, user_id=user.pk))
    return {
        "nav_teams": nav_teams,
        "nav_proposals": SimpleLazyObject(
            lambda: WaitingProposals.among(cast("list[Team]", nav_teams))
        ),
    }


def navigation_teams(user: User) -> TeamQuerySet:
    """Team.objects.for_member, each team annotated with `waiting_proposals`: how many
    proposals wait for review in its bank when the user instructs it (else 0). A
    subquery of the teams' one query, so the navigation adds no query to any page.

    Written as SQL: built from expressions (Case, Subquery, Coalesce), the annotation
    cost every page of every learner about 0.65 ms of the ORM's time (1.0 against
    0.35 ms for the query without it), for a count only instructors see. The
    navigation runs it compiled once per process (_NAVIGATION_TEAMS): 0.38 ms a
    page before, 0.08 ms since."""
    return Team.objects.for_member(user).annotate(
        waiting_proposals=RawSQL(
            _waiting_sql(),
            [Membership.Role.INSTRUCTOR, Proposal.Status.PENDING],
            output_field=IntegerField(),
        )
    )


_NAVIGATION_TEAMS = CompiledQuery(
    lambda _shape, *, user_id: navigation_teams(User(pk=user_id)), "user_id"
)


@cache
def _waiting_sql() -> str:
    """CASE WHEN the user's role in the team is instructor THEN the pending proposals of
    the team's bank ELSE 0. The role is for_member's join of the memberships, which
    Django names after its table (the query's first join of it)."""
    q = connection.ops.quote_name
    membership, team = Membership._meta.db_table, Team._meta.db_table
    proposals = Proposal._meta.db_table
    bank = Proposal._meta.get_field("bank").column
    status = Proposal._meta.get_field("status").column
    role = Membership._meta.get_field("role").column
    team_bank = Team._meta.get_field("bank").column
    return (
        f"CASE WHEN {q(membership)}.{q(role)} = %s THEN (SELECT COUNT(*) FROM {q(proposals)}"
        f" WHERE {q(proposals)}.{q(bank)} = {q(team)}.{q(team_bank)}"
        f" AND {q(proposals)}.{q(status)} = %s) ELSE 0 END"
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
