"""Opt-in team progress for learners: the team progress page (any member), a learner's
own choice to share (learners only) and the instructors' switch (instructors only).

Statuses: a non-member gets 404 everywhere; an instructor posting a choice to share gets
403 (instructors are never shown on the page); a learner posting the switch gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from teams.crumbs import team_crumbs
from teams.forms import ShareProgressForm, TeamVisibilityForm
from teams.permissions import instructor_or_403, membership_or_404
from teams.sharing import team_progress as progress_of_sharers


@require_GET
@login_required
def team_progress(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The team's coverage per topic, of the learners who share; empty until the
    instructors turn it on (nothing is read then)."""
    membership = membership_or_404(request, team_id)
    team = membership.team
    context = {
        "team": team,
        "membership": membership,
        "progress": progress_of_sharers(team) if team.members_see_progress else None,
        "breadcrumbs": [*team_crumbs(team), ("Team progress", None)],
    }
    return TemplateResponse(request, "teams/team_progress.html", context)


@require_POST
@login_required
def share_progress(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The caller's own choice, and only theirs: the membership comes from the session's
    user, never from the form."""
    membership = membership_or_404(request, team_id)
    if membership.is_instructor:
        raise PermissionDenied("Instructors are not shown on team progress; only learners share.")
    form = ShareProgressForm(request.POST)
    share = form.is_valid() and form.cleaned_data["share"] is True
    membership.share_progress(share)
    team = membership.team
    if not share:
        messages.success(request, f"You no longer share your progress with {team.name}.")
    elif team.members_see_progress:
        messages.success(request, f"You now share your progress with {team.name}.")
    else:
        messages.success(
            request,
            f"You now share your progress with {team.name}. Members will see it once the "
            "instructors turn team progress on.",
        )
    return redirect(team.get_absolute_url() + "#my-progress")


@require_POST
@login_required
def team_visibility(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    form = TeamVisibilityForm(request.POST)
    on = form.is_valid() and form.cleaned_data["members_see_progress"] is True
    team.show_progress_to_members(on)
    if on:
        messages.success(
            request,
            "Team progress is on: members now see the coverage of the learners who share "
            "their progress.",
        )
    else:
        messages.success(
            request,
            "Team progress is off: members no longer see it. Each learner's choice to share "
            "is kept.",
        )
    return redirect(reverse("teams:team_settings", args=[team.pk]) + "#team-progress")
