"""Instructor insight: one learner in full, and the questions the team finds hard.

Placeholder for issue 16; filled in by the helper that owns this module."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from accounts.http import AuthenticatedHttpRequest


def member_detail(
    request: AuthenticatedHttpRequest, team_id: int, membership_id: int
) -> HttpResponse:
    raise Http404


def hard_questions(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    raise Http404


def hard_questions_csv(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    raise Http404
