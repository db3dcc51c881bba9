"""Opt-in team progress for learners.

Placeholder for issue 16; filled in by the helper that owns this module."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from accounts.http import AuthenticatedHttpRequest


def team_progress(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    raise Http404


def share_my_progress(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    raise Http404


def team_visibility(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    raise Http404
