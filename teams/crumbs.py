"""Where the breadcrumbs of a team's pages start, for the teams app and those above it."""

from __future__ import annotations

from django.urls import reverse

from teams.models import Team

#: One step of a page's breadcrumbs (templates/_breadcrumbs.html): a label and its link,
#: or None for the page itself, which comes last.
Crumb = tuple[str, str | None]


def team_crumbs(team: Team) -> list[Crumb]:
    """Teams › the team."""
    return [("Teams", reverse("teams:team_list")), (team.name, team.get_absolute_url())]
