"""The request type of views behind ``login_required``."""

from accounts.models import User
from studyhub.http import HtmxHttpRequest


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request from a signed-in person: ``login_required`` lets no other through, so
    ``request.user`` is a User, never AnonymousUser. Like every request it has ``htmx``."""

    user: User
