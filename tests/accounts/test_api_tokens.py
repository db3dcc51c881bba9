"""API tokens on the profile page: made with a name, a scope and an expiry, shown once,
kept only as a hash, listed with their last use, revoked by their owner alone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessToken
from accounts.tokens import TOKENS_MAX, create_token, hash_token
from tests.factories import make_user
from tests.pages import html_of

pytestmark = pytest.mark.django_db

TOKENS = reverse("accounts:api_tokens")


def test_a_new_token_is_shown_once_and_kept_as_a_hash(logged_in_client, user):
    response = logged_in_client.post(
        TOKENS, {"name": "  Team   scripts ", "scope": "write", "lifetime": "30"}
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    plain = re.search(r'value="(shp_[^"]+)"', html_of(response)).group(1)
    token = AccessToken.objects.get()
    assert (token.user, token.name, token.scope) == (user, "Team scripts", "write")
    assert token.token_hash == hash_token(plain) and token.prefix == plain[:10]
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    again = html_of(logged_in_client.get(TOKENS))
    assert plain not in again
    assert f"<code>{token.prefix}…</code>" in again
    # The API takes it.
    me = logged_in_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert me.json()["token"]["name"] == "Team scripts"


def test_a_bad_form_keeps_what_was_typed(logged_in_client):
    response = logged_in_client.post(TOKENS, {"name": "", "scope": "admin", "lifetime": "7"})
    assert response.status_code == 422
    assert not AccessToken.objects.exists()
    assert 'aria-invalid="true"' in html_of(response)


def test_revoking_stops_the_token_and_only_the_owner_can(logged_in_client, user):
    mine, plain = create_token(user=user, name="mine", scope="read")
    theirs, _ = create_token(user=make_user(), name="theirs", scope="read")
    response = logged_in_client.post(reverse("accounts:revoke_api_token", args=[theirs.pk]))
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    logged_in_client.post(reverse("accounts:revoke_api_token", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert "mine" not in html_of(logged_in_client.get(TOKENS)).split("Make a token")[0]
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    assert (
        logged_in_client.get(reverse("accounts:revoke_api_token", args=[mine.pk])).status_code
        == 405
    )


def test_one_person_holds_at_most_so_many_tokens(logged_in_client, user):
    for n in range(TOKENS_MAX):
        create_token(user=user, name=f"t{n}", scope="read")
    response = logged_in_client.post(
        TOKENS, {"name": "one more", "scope": "read", "lifetime": "never"}
    )
    assert response.status_code == 422
    assert f"You have {TOKENS_MAX} tokens" in html_of(response)
    assert user.access_tokens.count() == TOKENS_MAX


def test_the_profile_links_to_the_tokens(logged_in_client):
    assert f'href="{TOKENS}"' in html_of(logged_in_client.get(reverse("accounts:profile")))
