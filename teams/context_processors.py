from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from teams.models import Team


def teams(request: HttpRequest) -> dict:
    """The signed-in user's teams for the navigation; queried only if a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_teams": []}
    return {"nav_teams": SimpleLazyObject(lambda: list(Team.objects.for_member(user)))}
