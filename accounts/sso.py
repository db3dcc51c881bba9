"""Single sign-on with an organisation's OpenID Connect provider (django-allauth).

Providers come from the environment (accounts/sso_config.py, read by settings):

    DJANGO_OIDC_PROVIDERS=acme                  the ids, comma-separated
    DJANGO_OIDC_ACME_ISSUER=https://sso.acme.example/realms/staff
    DJANGO_OIDC_ACME_CLIENT_ID=studyhub
    DJANGO_OIDC_ACME_CLIENT_SECRET=…
    DJANGO_OIDC_ACME_LABEL=Acme staff log-in     (the button; default "Log in with acme")

The log-in page shows a button for each beside the password form
(DJANGO_PASSWORD_LOGIN=0 hides that form). allauth runs the authorization-code flow
with PKCE and checks the state; `NonceCheckingProvider` adds the nonce, which allauth's
OpenID Connect provider does not send, and `SocialAdapter.pre_social_login` checks it
against the ID token.

A first log-in makes the account: its username from `preferred_username` (made unique),
its display name from `name`, and its e-mail only when the provider says it is verified.
A verified e-mail that already belongs to an account is never linked on the provider's
word alone: the person is asked to log in with that account's password once, and the
provider's account is linked then (`link_pending`).
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import User

#: The session key of a provider log-in waiting for the password of the account it matched.
PENDING_LINK = "sso_pending_link"
#: The session key naming the provider a person logged in through (for log-out).
LOGGED_IN_WITH = "sso_provider"


def sso_buttons() -> list[tuple[str, str]]:
    """(provider id, button label) of every configured provider."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return [(app["provider_id"], app["name"]) for app in apps]


def provider_origins() -> list[str]:
    """The configured providers' origins (scheme://host[:port] of each issuer)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    origins = []
    for app in apps:
        parts = urlsplit(app["settings"]["server_url"])
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def allow_provider_forms(response: HttpResponseBase) -> HttpResponseBase:
    """Let the page's forms lead to the providers: the policy's `form-action 'self'` also
    covers where a form's answer redirects, and the log-in buttons' answer is a redirect
    to the provider's authorization endpoint (on the issuer's origin)."""
    origins = provider_origins()
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


def provider_login(request: HttpRequest, provider_id: str) -> HttpResponseBase:
    """allauth's OpenID Connect log-in (a POST leaves for the provider; a GET asks
    first), answered with the providers in its form-action."""
    return allow_provider_forms(oidc_views.login(request, provider_id))


def provider_label(provider_id: str) -> str:
    return dict(sso_buttons()).get(provider_id, provider_id)


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request: HttpRequest, user: User) -> None:
        # The session names the model backend, as a password log-in's does: allauth's own
        # backend (another way to check passwords) is not installed.
        user.backend = "django.contrib.auth.backends.ModelBackend"  # type: ignore[attr-defined]
        super().login(request, user)

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any):  # type: ignore[no-untyped-def]
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            # For log-out to say the provider's session is still there.
            request.session[LOGGED_IN_WITH] = sociallogin.account.provider
        return super().post_login(request, user, **kwargs)

    def add_message(  # type: ignore[no-untyped-def]
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ) -> None:
        if message_template == "account/messages/logged_in.txt":
            # allauth's "Successfully signed in as alice." names the username.
            user = (message_context or {}).get("user")
            name = f", {user.shown_name}" if user is not None else ""
            messages.add_message(request, level, f"Welcome{name}.")
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def respond_user_inactive(self, request: HttpRequest, user: User):  # type: ignore[no-untyped-def]
        messages.error(request, "This account is turned off. Ask an administrator.")
        return HttpResponseRedirect(reverse("accounts:login"))


class NonceCheckingProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider, sending a fresh nonce with each log-in and
    keeping it in the log-in's state, for SocialAdapter to check in the ID token."""

    def redirect(self, request, process, next_url=None, data=None, **kwargs):  # type: ignore[no-untyped-def]
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        return super().redirect(
            request,
            process,
            next_url,
            data,
            auth_params={**auth_params, "nonce": nonce},
            nonce=nonce,
            **kwargs,
        )


class SocialAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request, provider, client_id=None):  # type: ignore[no-untyped-def]
        found = super().get_provider(request, provider, client_id)
        if type(found) is OpenIDConnectProvider:
            return NonceCheckingProvider(request, app=found.app)
        return found

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True  # a first log-in through the organisation makes the account

    def on_authentication_error(  # type: ignore[no-untyped-def]
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """Every failure (a refused or tampered state, a failed code exchange, a bad ID
        token, a cancelled log-in) ends on StudyHub's page, never a traceback."""
        if error == "cancelled":
            messages.info(request, "Log-in cancelled: nothing was changed.")
            raise ImmediateHttpResponse(HttpResponseRedirect(reverse("accounts:login")))
        raise ImmediateHttpResponse(
            authentication_error(request, "The sign-in could not be completed.")
        )

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount) -> str:  # type: ignore[no-untyped-def]
        return reverse("accounts:profile")

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
        expected = (sociallogin.state or {}).get("nonce")
        got = str(claims.get("nonce", "")).encode()  # bytes: any text compares, safely
        if not expected or not secrets.compare_digest(got, str(expected).encode()):
            raise ImmediateHttpResponse(
                authentication_error(request, "The sign-in could not be checked (nonce).")
            )
        # Only what the provider vouches for: an unverified address is dropped whole.
        sociallogin.email_addresses = [a for a in sociallogin.email_addresses if a.verified]
        if sociallogin.is_existing or request.user.is_authenticated:
            return
        verified = [a.email for a in sociallogin.email_addresses]
        if verified and User.objects.filter(email__iexact=verified[0]).exists():
            request.session[PENDING_LINK] = {
                "login": sociallogin.serialize(),
                "email": verified[0],
            }
            label = provider_label(sociallogin.account.provider)
            messages.info(
                request,
                f"An account with the e-mail {verified[0]} already exists. Log in with its "
                f"password once to link it to “{label}”; after that the button is enough.",
            )
            next_url = (sociallogin.state or {}).get("next") or ""
            query = f"?{urlencode({'next': next_url})}" if next_url else ""
            raise ImmediateHttpResponse(HttpResponseRedirect(reverse("accounts:login") + query))

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data):  # type: ignore[no-untyped-def]
        user = sociallogin.user
        claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
        user.username = unique_username(
            data.get("username") or claims.get("preferred_username") or claims.get("sub", "")
        )
        user.display_name = (data.get("name") or "").strip()[:80]
        verified = [a.email for a in sociallogin.email_addresses if a.verified]
        user.email = verified[0] if verified else ""
        return user


_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")


def unique_username(wanted: str) -> str:
    """A free username like `wanted` (Django's allowed characters, 150 at most): itself,
    else `wanted-2` … `wanted-20`, else a random suffix. One query, however many are
    taken."""
    base = _NOT_IN_USERNAME.sub("", wanted)[:130] or "user"
    candidates = [base, *(f"{base}-{n}" for n in range(2, 21))]
    taken = {
        name.lower()
        for name in User.objects.filter(
            username__iregex=rf"^{re.escape(base)}(-[0-9]+)?$"
        ).values_list("username", flat=True)
    }
    free = next((name for name in candidates if name.lower() not in taken), None)
    return free or f"{base}-{secrets.token_hex(4)}"


def authentication_error(request: HttpRequest, reason: str) -> TemplateResponse:
    return TemplateResponse(
        request, "socialaccount/authentication_error.html", {"reason": reason}, status=400
    )


def link_pending(request: HttpRequest, user: User) -> str | None:
    """After a password log-in: link the provider account waiting in the session, if it
    is this person's (its verified e-mail is theirs). The provider's label, if linked."""
    pending = request.session.pop(PENDING_LINK, None)
    if not pending or (user.email or "").lower() != str(pending.get("email", "")).lower():
        return None
    sociallogin = SocialLogin.deserialize(pending["login"])
    sociallogin.connect(request, user)
    request.session[LOGGED_IN_WITH] = sociallogin.account.provider  # they signed in there too
    return provider_label(sociallogin.account.provider)
