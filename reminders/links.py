"""The absolute links in reminder e-mails, and the signed unsubscribe link."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured

from accounts.models import User

_SALT = "studyhub.reminders.unsubscribe"

#: Each kind of e-mail and the User field that turns it on.
PREFERENCE = {"due": "email_due_reminders", "digest": "email_team_digest"}

#: Longer than any token this makes; a longer one is refused before it is read.
TOKEN_MAX_LENGTH = 200


def absolute(path: str) -> str:
    """`path` on the site's own address (DJANGO_SITE_URL): an e-mail has no request to
    take a host from, and a host taken from one could be anybody's."""
    base = settings.SITE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured(
            "Set DJANGO_SITE_URL to StudyHub's address (https://studyhub.example.org) "
            "so e-mails can link to it."
        )
    return base + path


def unsubscribe_token(user: User, kind: str) -> str:
    """A token that turns off one kind of e-mail for one person, without logging in. It
    does not expire: an unsubscribe link in an old e-mail keeps working."""
    assert kind in PREFERENCE
    return signing.dumps([user.pk, kind], salt=_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a token this site made, else None."""
    if len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        user_id, kind = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or kind not in PREFERENCE:
        return None
    return user_id, kind
