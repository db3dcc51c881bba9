"""Single sign-on's addresses (accounts/sso.py), under /accounts/: allauth's OpenID
Connect log-in and callback, and the names allauth reverses in its flows (a cancelled
log-in, an inactive account, a sign-up it could not finish), each sent to StudyHub's own
log-in page: allauth's own account pages are not installed."""

from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.generic import RedirectView

from accounts.sso import provider_login

_login = RedirectView.as_view(pattern_name="accounts:login", query_string=True)

urlpatterns = [
    # The redirect URI to register with a provider is the callback's.
    path("oidc/<str:provider_id>/login/", provider_login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        oidc_views.callback,
        name="openid_connect_callback",
    ),
    path("sso/login/", _login, name="account_login"),
    path("sso/signup/", _login, name="account_signup"),
    path("sso/inactive/", _login, name="account_inactive"),
    path("sso/cancelled/", _login, name="socialaccount_login_cancelled"),
    path("sso/social-signup/", _login, name="socialaccount_signup"),
    path(
        "sso/connections/",
        login_required(RedirectView.as_view(pattern_name="accounts:profile")),
        name="socialaccount_connections",
    ),
]
