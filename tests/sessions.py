"""Test clients logged in as a few people, for walks that make hundreds of requests.

Logging in writes a session row and runs the log-in signals: done before every request of
a walk it was a third of the walk's time. Each person is logged in once per test instead
(outside the walk's rolled-back savepoints, so their session outlives them) and every
request gets a new client carrying that session's cookie."""

from __future__ import annotations

from django.conf import settings
from django.test import Client


class Sessions:
    def __init__(self) -> None:
        self._keys: dict[int, str] = {}

    def client(self, user) -> Client:
        """A new client, logged in as `user` (None: anonymous)."""
        client = Client()
        if user is not None:
            key = self._keys.get(user.pk)
            if key is None:
                login = Client()
                login.force_login(user)
                key = self._keys[user.pk] = login.cookies[settings.SESSION_COOKIE_NAME].value
            client.cookies[settings.SESSION_COOKIE_NAME] = key
        return client
