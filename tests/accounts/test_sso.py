"""Single sign-on's own rules, without a provider (tests/browser/test_sso.py runs the
whole log-in against a real one)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from accounts.models import User
from accounts.sso import PENDING_LINK, SocialAdapter, link_pending, unique_username
from accounts.sso_config import providers_from_env
from tests.factories import make_user
from tests.security.conftest import clean_environment

ENV = {
    "DJANGO_OIDC_PROVIDERS": "acme, Uni-2",
    "DJANGO_OIDC_ACME_ISSUER": "https://sso.acme.example/realms/staff",
    "DJANGO_OIDC_ACME_CLIENT_ID": "studyhub",
    "DJANGO_OIDC_ACME_CLIENT_SECRET": "s3cret",
    "DJANGO_OIDC_ACME_LABEL": "Acme staff log-in",
    "DJANGO_OIDC_UNI_2_ISSUER": "https://login.uni.example",
    "DJANGO_OIDC_UNI_2_CLIENT_ID": "sh",
    "DJANGO_OIDC_UNI_2_CLIENT_SECRET": "other",
}


def test_providers_come_from_the_environment():
    acme, uni = providers_from_env(ENV)
    assert acme == {
        "provider_id": "acme",
        "name": "Acme staff log-in",
        "client_id": "studyhub",
        "secret": "s3cret",
        "settings": {
            "server_url": "https://sso.acme.example/realms/staff",
            "oauth_pkce_enabled": True,
            "fetch_userinfo": False,
        },
    }
    assert (uni["provider_id"], uni["name"]) == ("uni-2", "Log in with uni-2")
    assert providers_from_env({}) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DJANGO_OIDC_ACME_CLIENT_SECRET": ""}, "DJANGO_OIDC_ACME_CLIENT_SECRET"),
        ({"DJANGO_OIDC_PROVIDERS": "acme,../x"}, "is not a short id"),
    ],
)
def test_a_missing_or_bad_setting_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        providers_from_env({**ENV, **change})


def test_password_log_in_off_needs_a_provider(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=clean_environment(
            DJANGO_DEBUG="1",
            DJANGO_PASSWORD_LOGIN="0",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_PASSWORD_LOGIN=0 needs a single sign-on provider" in result.stderr


@pytest.mark.django_db
def test_usernames_are_made_unique():
    make_user(username="alice")
    assert unique_username("alice") == "alice-2"
    assert unique_username("Ali ce<script>") == "Alicescript"
    assert unique_username("") == "user"


@pytest.mark.django_db
def test_a_taken_username_costs_one_query_however_many_are_taken(django_assert_num_queries):
    make_user(username="Bo.Li")
    for n in range(2, 21):
        make_user(username=f"bo.li-{n}")
    make_user(username="bo.lix")  # only like it: not in the way
    with django_assert_num_queries(1):
        name = unique_username("bo.li")
    assert re.fullmatch(r"bo\.li-[0-9a-f]{8}", name)
    User.objects.filter(username="bo.li-7").delete()
    assert unique_username("bo.li") == "bo.li-7"


def social_login(*, email: str, verified: bool, nonce_in_token="n" * 43, nonce_sent="n" * 43):
    """A log-in as allauth hands it over after the callback, from provider "acme"."""
    provider = SocialAdapter().get_provider(request_with_session(), "acme")
    account = SocialAccount(
        provider="acme", uid="sub-1", extra_data={"id_token": {"nonce": nonce_in_token}}
    )
    login = SocialLogin(
        user=User(username="sub-1"),
        account=account,
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
        provider=provider,
    )
    login.state = {"nonce": nonce_sent, "process": "login"}
    return login


@pytest.fixture(autouse=True)
def _acme(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": providers_from_env(ENV)}}


def request_with_session():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    request._messages = type("Messages", (), {"add": lambda *a, **k: None})()  # type: ignore[attr-defined]
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("in_token", ["x" * 43, "", "ñónce-" * 8], ids=["other", "none", "utf8"])
def test_an_id_token_with_another_nonce_is_refused(in_token):
    login = social_login(
        nonce_in_token=in_token, nonce_sent="y" * 43, email="a@x.org", verified=True
    )
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAdapter().pre_social_login(request_with_session(), login)
    assert refused.value.response.status_code == 400


@pytest.mark.django_db
def test_a_verified_address_of_an_account_waits_for_its_password():
    lena = make_user(username="lena", email="Lena@Example.com")
    login = social_login(
        nonce_in_token="n" * 43, nonce_sent="n" * 43, email="lena@example.com", verified=True
    )
    request = request_with_session()
    with pytest.raises(ImmediateHttpResponse) as sent:
        SocialAdapter().pre_social_login(request, login)
    assert sent.value.response["Location"].startswith("/accounts/login/")
    assert request.session[PENDING_LINK]["email"] == "lena@example.com"

    # Somebody else logging in with a password does not get it ...
    other = make_user(username="other", email="other@example.com")
    assert link_pending(request, other) is None
    assert not SocialAccount.objects.exists()
    # ... Lena does (and only once).
    request.session[PENDING_LINK] = {"login": login.serialize(), "email": "lena@example.com"}
    assert link_pending(request, lena) is not None
    assert SocialAccount.objects.get().user == lena
    assert PENDING_LINK not in request.session


@pytest.mark.django_db
def test_an_unverified_address_is_dropped():
    make_user(username="lena", email="lena@example.com")
    login = social_login(
        nonce_in_token="n" * 43, nonce_sent="n" * 43, email="lena@example.com", verified=False
    )
    request = request_with_session()
    SocialAdapter().pre_social_login(request, login)  # no redirect: a new account follows
    assert login.email_addresses == []
    assert PENDING_LINK not in request.session


@pytest.mark.django_db
def test_with_password_log_in_off_no_password_form_takes_a_password(client, settings):
    settings.PASSWORD_LOGIN = False
    make_user(username="lena", password="a-long-enough-passphrase-7")
    page = client.get("/accounts/login/")
    assert b"Acme staff log-in" in page.content
    assert b'name="password"' not in page.content
    refused = client.post(
        "/accounts/login/", {"username": "lena", "password": "a-long-enough-passphrase-7"}
    )
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session
    # Nor the admin's own form, sign-up or a password reset.
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/accounts/login/")
    assert client.post("/admin/login/", {"username": "lena"}).status_code == 302
    assert client.get("/accounts/signup/")["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/password/reset/")["Location"] == "/accounts/login/"


@pytest.mark.django_db
def test_the_log_in_page_lets_its_forms_lead_to_the_providers(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == [
        "'self'",
        "https://login.uni.example",
        "https://sso.acme.example",
    ]
    # Other pages keep to 'self'.
    assert "form-action 'self';" in client.get("/accounts/signup/")["Content-Security-Policy"]
