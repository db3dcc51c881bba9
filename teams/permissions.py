"""Who may see a team: members only. Everyone else gets a 404, as if it did not exist."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from teams.models import Membership


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


def can_import_questions(user: User | AnonymousUser) -> bool:
    """Staff, and instructors of at least one team, may add questions to the bank. The
    questions app cannot know who teaches, so settings.QUESTIONS_CAN_IMPORT names this."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.memberships.instructors().exists()
