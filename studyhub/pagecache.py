"""Rendered pages kept per person and thrown away by version tokens.

The heavy pages (question, topic, learner dashboard, team dashboard) are stored whole,
one entry per address, person and CSRF secret (the page's form tokens are only valid
with it). Each entry holds the *version tokens* it was rendered under:

- ``user``: what the person's own pages show: their marks, notes, study sessions,
  profile, and their teams' names, members, topic sets and assignments;
- ``progress`` of a team: what its dashboard shows of its members' progress;
- ``bank``: the question bank.

A request reads the current tokens and the entry in one round trip; the entry is
served only if its tokens are still the current ones. A write never edits an entry:
it replaces the tokens of what it touched (``bump_user``, ``bump_team``,
``bump_membership``, ``bump_bank``, called by the signal receivers of
progress/cache_signals.py and by the services that write in bulk), so the next
request renders afresh and stores the page under the new tokens.

Tokens are replaced once the write's transaction has committed (at once outside a
transaction). A request that read the tokens before that rendered under the old ones,
so whatever it stores is never served once the new tokens are in place.

A learner's own writes are frequent and touch few keys: their token and the progress
token of each of their teams. Changes to a team (its name, members, topic sets,
assignments) are rare and replace the token of every member, so a learner's pages
need only two tokens, whatever teams they are in.

A hit does not load the person from the database. The entry also holds the session's
auth hash (Django's HMAC of the password hash, which every signed-in session already
holds) from a request that loaded and verified the person; a hit needs a session for the
same person with that same hash. Sessions cannot be forged, any change to the person's
row (password, active flag, deletion) replaces their token, and entry keys are HMACs
under SECRET_KEY, so a hit is served to exactly the sessions Django would still accept.

What a stored page cannot show: anything that changes with the clock alone (a question
falling due). ``PAGE_CACHE_SECONDS`` bounds that. Pages are cached only for signed-in
GET requests that are not htmx requests, carry no flash messages and already have a
CSRF cookie; only 200 responses are stored. The CSP nonce is swapped for a fresh one
on every hit.

The cache must be shared by every process that serves requests (Redis): a per-process
cache would miss the bumps made by other workers. settings.py therefore turns page
caching on by default only when REDIS_URL is set.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

PREFIX = "page:v3"
BANK_KEY = f"{PREFIX}:bank"
#: How long a version token or team list lives unused; a missing one is simply remade.
TOKEN_SECONDS = 24 * 60 * 60
NONCE_MARK = b"\x00studyhub-csp-nonce\x00"
_STORED_HEADERS = ("Content-Type", "Content-Language", "Vary")


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def _user_key(user_id: int) -> str:
    return f"{PREFIX}:u:{user_id}"


def _teams_key(user_id: int) -> str:
    return f"{PREFIX}:ut:{user_id}"


def _progress_key(team_id: int) -> str:
    return f"{PREFIX}:tp:{team_id}"


def _new_token() -> str:
    return secrets.token_hex(8)


def _query_team_ids(user_id: int) -> list[int]:
    from accounts.models import Membership

    return sorted(Membership.objects.filter(user_id=user_id).values_list("team_id", flat=True))


def _team_ids(user_id: int) -> list[int]:
    """The person's teams, from the cache or (then kept) from the database."""
    team_ids = cache.get(_teams_key(user_id))
    if team_ids is not None:
        return team_ids
    team_ids = _query_team_ids(user_id)
    # add, never set: a membership change that lands meanwhile keeps its fresher list.
    if not cache.add(_teams_key(user_id), team_ids, TOKEN_SECONDS):
        return cache.get(_teams_key(user_id), team_ids)
    return team_ids


def _member_ids(team_id: int) -> list[int]:
    from accounts.models import Membership

    return list(Membership.objects.filter(team_id=team_id).values_list("user_id", flat=True))


# --- Bumping ---------------------------------------------------------------------------


def _after_commit(work: Callable[[], None]) -> None:
    """Run `work` once the current transaction commits (tests run it at once: their
    transaction never commits; tests/conftest.py).

    Robust: the write has committed by then, so a failure here (the database gone
    between the commit and a team lookup) is logged and must not answer it as failed.
    The cache itself never raises while Redis is down (studyhub/cache.py)."""
    if enabled():
        transaction.on_commit(work, robust=True)


def _replace(keys: Iterable[str]) -> None:
    cache.set_many({key: _new_token() for key in keys}, TOKEN_SECONDS)


def bump_user(user_id: int) -> None:
    """The person's own data changed: their pages, and their teams' dashboards."""

    def work() -> None:
        _replace([_user_key(user_id), *map(_progress_key, _team_ids(user_id))])

    _after_commit(work)


def bump_team(team_id: int) -> None:
    """The team's name, topic sets or assignments changed: every member's pages."""

    def work() -> None:
        _replace([_progress_key(team_id), *map(_user_key, _member_ids(team_id))])

    _after_commit(work)


def bump_membership(user_id: int, team_id: int) -> None:
    """The person joined, left or changed role in the team: their team list is re-read,
    and every member's pages (which may list the team's members) are out of date."""

    def work() -> None:
        cache.set(_teams_key(user_id), _query_team_ids(user_id), TOKEN_SECONDS)
        member_ids = {user_id, *_member_ids(team_id)}
        _replace([_progress_key(team_id), *map(_user_key, member_ids)])

    _after_commit(work)


def bump_bank() -> None:
    """Questions, answers or topics changed: every page may show them."""
    _after_commit(lambda: _replace([BANK_KEY]))


# --- Serving ---------------------------------------------------------------------------


def _entry_key(request: HttpRequest, user_id: str, csrf_secret: str) -> str:
    parts = (request.get_full_path(), user_id, csrf_secret)
    digest = salted_hmac("studyhub.pagecache", chr(0).join(parts), algorithm="sha256")
    return f"{PREFIX}:page:{digest.hexdigest()}"


def _current_tokens(found: dict, keys: list[str]) -> tuple[str, ...]:
    """The token under each key, making (and keeping) the ones that are missing."""
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            token = _new_token()
            if not cache.add(key, token, TOKEN_SECONDS):  # a bump got there first
                token = cache.get(key) or token
        tokens.append(token)
    return tuple(tokens)


def _session_person(request: HttpRequest) -> tuple[str, str] | None:
    """(user id, auth hash) of the person the session says is signed in, without
    loading them: a hit is served only under the hash a full request verified."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    user_id, auth_hash = session.get(SESSION_KEY), session.get(HASH_SESSION_KEY)
    if not user_id or not auth_hash:
        return None
    return str(user_id), auth_hash


def _cacheable_request(request: HttpRequest) -> tuple[str, str, str] | None:
    """(CSRF secret, user id, auth hash) to serve this request by, or None when it must
    not use the cache."""
    if request.method != "GET" or getattr(request, "htmx", False):
        return None
    person = _session_person(request)
    if person is None:
        return None  # not signed in: the view answers (a sign-in page, a redirect)
    csrf_secret = request.META.get("CSRF_COOKIE")
    if not csrf_secret:
        return None  # the page would carry a brand-new token: render it
    if request.COOKIES.get(CookieStorage.cookie_name) or request.session.get("_messages"):
        return None  # a flash message is waiting to be shown on this page
    return (csrf_secret, *person)


def _verified_hash(request: HttpRequest, user_id: str) -> str | None:
    """The session's auth hash, if the view loaded this very person and Django
    accepted the session (it checks the hash against the database row)."""
    user = getattr(request, "_cached_user", None)
    if user is None or not user.is_authenticated or str(user.pk) != user_id:
        return None
    return request.session.get(HASH_SESSION_KEY)


def _nonce(request: HttpRequest) -> bytes | None:
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce).encode() if nonce is not None else None


def _store(
    key: str, tokens: tuple, auth_hash: str, request: HttpRequest, response: HttpResponse
) -> None:
    if response.status_code != 200 or response.streaming or response.cookies:
        return
    storage = getattr(request, "_messages", None)
    if storage is not None and (storage.used or getattr(storage, "_queued_messages", None)):
        return
    body = response.content
    nonce = _nonce(request)
    if nonce:
        body = body.replace(nonce, NONCE_MARK)
    headers = {name: response[name] for name in _STORED_HEADERS if name in response}
    cache.set(key, (tokens, auth_hash, headers, body), settings.PAGE_CACHE_SECONDS)


def _replay(request: HttpRequest, headers: dict, body: bytes) -> HttpResponse:
    if NONCE_MARK in body:
        body = body.replace(NONCE_MARK, _nonce(request) or b"")
    response = HttpResponse(body)
    for name, value in headers.items():
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


def cached_page(view=None, *, team_progress: str = ""):
    """Serve a signed-in GET page from the cache while nothing it shows has changed.

    ``team_progress`` names the URL argument of a team whose members' progress the page
    shows (the team dashboard). Put the decorator *outside* login_required, so that a hit
    does not load the person: the checks made inside the view run on a miss, a page is
    stored only for the person the view verified, and any change of the person, their
    membership or role replaces the tokens the stored page depends on.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            cacheable = _cacheable_request(request) if enabled() else None
            if cacheable is None:
                return view(request, *args, **kwargs)
            csrf_secret, user_id, auth_hash = cacheable
            token_keys = [_user_key(user_id), BANK_KEY]
            if team_progress:
                token_keys.append(_progress_key(int(kwargs[team_progress])))
            key = _entry_key(request, user_id, csrf_secret)
            found = cache.get_many([*token_keys, key])  # one round trip
            tokens = _current_tokens(found, token_keys)
            entry = found.get(key)
            if (
                entry is not None
                and entry[0] == tokens
                and constant_time_compare(entry[1], auth_hash)
            ):
                request.page_cache_user_id = int(user_id)  # for the request log
                return _replay(request, entry[2], entry[3])
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            verified_hash = _verified_hash(request, user_id)
            if verified_hash:
                _store(key, tokens, verified_hash, request, response)
            response["X-Page-Cache"] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
