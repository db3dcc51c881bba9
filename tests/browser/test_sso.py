"""Single sign-on end to end: Chromium, StudyHub's live server and a real OpenID Connect
provider (oidc-provider on Node.js, tests/oidc.py), with the redirect, the provider's
log-in and consent, the callback, PKCE, state and nonce."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse
from playwright.sync_api import Page, Request, Route, expect

from accounts.models import User
from tests.browser.conftest import PASSWORD_LABEL, open_page
from tests.factories import PASSWORD, make_user
from tests.oidc import CLIENT_ID, CLIENT_SECRET, LABEL, PROVIDER_ID, start_provider
from tests.teams.factories import make_team

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    provider = start_provider(live_server.url)
    yield provider
    provider.process.terminate()
    provider.process.wait(timeout=10)


@pytest.fixture
def sso(settings, oidc_provider, console, transactional_db):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": oidc_provider.apps()}}
    # The provider's development pages ask Google for a font; this machine is offline.
    console.allow(r"fonts\.googleapis\.com|fonts\.gstatic\.com|ERR_NAME_NOT_RESOLVED")
    console.allow(re.escape(f"({oidc_provider.issuer}/favicon.ico)"))  # it has none
    return oidc_provider


def sign_in_at_provider(page: Page, login: str) -> None:
    """The provider's development log-in (any password) and its consent page."""
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("whatever")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def log_in_through_provider(page: Page, login: str) -> None:
    """From StudyHub's log-in page, through the provider's button, as `login`."""
    open_page(page, "accounts:login")
    page.get_by_role("button", name=LABEL).click()
    sign_in_at_provider(page, login)


def authorization_requests(page: Page, issuer: str) -> list[dict[str, list[str]]]:
    seen: list[dict[str, list[str]]] = []

    def record(request: Request) -> None:
        if request.url.startswith(f"{issuer}/auth?"):
            seen.append(parse_qs(urlsplit(request.url).query))

    page.on("request", record)
    return seen


def test_a_first_log_in_makes_the_account(page: Page, sso, live_server, caplog):
    seen = authorization_requests(page, sso.issuer)
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/callback/?" in r.url else None)
    open_page(page, "accounts:login")
    page.get_by_role("button", name=LABEL).click()
    expect(page).to_have_url(re.compile(re.escape(sso.issuer)))
    sign_in_at_provider(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alice Adams")
    expect(page.get_by_role("status")).to_have_text("Welcome, Alice Adams.")

    [params] = seen
    callback = live_server.url + reverse(
        "openid_connect_callback", kwargs={"provider_id": PROVIDER_ID}
    )
    assert params["client_id"] == [CLIENT_ID]
    assert params["redirect_uri"] == [callback]
    assert params["response_type"] == ["code"]
    assert params["code_challenge_method"] == ["S256"]  # PKCE
    assert len(params["code_challenge"][0]) >= 43
    assert len(params["state"][0]) >= 16
    assert len(params["nonce"][0]) >= 32
    assert {"openid", "email", "profile"} <= set(params["scope"][0].split())

    # Nothing secret reached the log: not the one-time code, nor the client's secret.
    [callback] = callbacks
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert "GET /accounts/oidc/acme/login/callback/ 302" in caplog.text
    assert code not in caplog.text and CLIENT_SECRET not in caplog.text

    alice = User.objects.get(username="alice")
    assert (alice.display_name, alice.email) == ("Alice Adams", "alice@example.org")
    assert not alice.has_usable_password()
    assert SocialAccount.objects.get(user=alice).provider == PROVIDER_ID


def test_the_provider_insists_on_pkce(sso):
    """A log-in without a code challenge is refused by the provider itself, so the log-in
    above could only have succeeded with PKCE."""
    query = urlencode(
        {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": "http://localhost/",
        }
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{sso.issuer}/auth?{query}", timeout=10)
    assert refused.value.code == 400


def test_a_tampered_state_is_refused(page: Page, sso, console):
    """The provider's redirect back to StudyHub carries another state than the one sent:
    the consent's answer is fetched here and its redirect chain followed to the callback
    address, whose state is changed before the browser is sent there."""

    def tamper(route: Route) -> None:
        if route.request.method != "POST" or "prompt=consent" not in (
            route.request.post_data or ""
        ):
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        resume = urljoin(route.request.url, response.headers["location"])
        back = page.context.request.get(resume, max_redirects=0)
        callback = urlsplit(urljoin(resume, back.headers["location"]))
        query = parse_qs(callback.query)
        assert query["state"] and query["code"]
        query["state"] = ["not-the-state-we-sent"]
        tampered = urlunsplit(callback._replace(query=urlencode(query, doseq=True)))
        route.fulfill(status=303, headers={"Location": tampered})

    page.route(re.compile(re.escape(sso.issuer) + r"/interaction/[^/?]+$"), tamper)
    console.allow(r"status of 400")  # the refusal's page, which Chromium reports
    log_in_through_provider(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log-in failed")
    expect(page.get_by_role("alert")).to_contain_text("You are not logged in")
    assert not User.objects.filter(username="alice").exists()
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Study computer-vision")


def test_an_unverified_email_is_not_linked(page: Page, sso):
    lena = make_user(username="lena", display_name="Lena Park", email="lena@example.com")
    log_in_through_provider(page, "mallory")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Mallory Mallet")
    mallory = User.objects.get(username="mallory")
    assert mallory.email == ""  # the provider did not vouch for it
    assert not SocialAccount.objects.filter(user=lena).exists()
    assert SocialAccount.objects.get(user=mallory).uid == "mallory"


def test_an_existing_account_is_linked_only_after_its_password(page: Page, sso):
    lena = make_user(username="lena", display_name="Lena Park", email="lena@example.com")
    log_in_through_provider(page, "lena-sso")
    # Back on StudyHub, not logged in: the provider's word is not enough.
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(
        page.get_by_text("An account with the e-mail lena@example.com already exists")
    ).to_be_visible()
    assert not SocialAccount.objects.exists()
    page.get_by_label("Username").fill("lena")
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lena Park")
    expect(page.get_by_text("Linked: from now on")).to_be_visible()
    assert SocialAccount.objects.get(provider=PROVIDER_ID).user == lena

    # Log out: StudyHub says the provider's session remains ...
    page.locator("summary", has_text="Lena Park").click()  # the account menu
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are still signed in with “Log in with Acme”")).to_be_visible()
    # ... and the button alone logs her in now (the provider remembers her).
    page.get_by_role("button", name=LABEL).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lena Park")
    assert User.objects.count() == 1


def test_a_team_invite_works_through_single_sign_on(page: Page, sso):
    team = make_team("Vision group")
    open_page(page, "teams:team_join", code=team.invite_code)
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_role("button", name=LABEL).click()
    sign_in_at_provider(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vision group")
    page.get_by_role("button", name="Join team").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vision group")
    assert team.memberships.filter(user__username="alice").exists()


def test_with_password_log_in_off_only_the_button_remains(page: Page, sso, settings):
    settings.PASSWORD_LOGIN = False
    make_user(username="lena", email="lena@example.com")
    open_page(page, "accounts:login")
    expect(page.get_by_role("button", name=LABEL)).to_be_visible()
    expect(page.get_by_label("Username")).to_have_count(0)
    open_page(page, "accounts:signup")  # accounts come from the provider
    expect(page).to_have_url(re.compile(re.escape(reverse("accounts:login"))))
    page.get_by_role("button", name=LABEL).click()
    sign_in_at_provider(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alice Adams")
