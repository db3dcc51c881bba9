import math
from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import sso
from accounts.forms import AccessTokenForm, ProfileForm, SignUpForm
from accounts.http import AuthenticatedHttpRequest
from accounts.lockout import locked_out
from accounts.services import TooManyResetRequests, request_password_reset
from accounts.tokens import TooManyTokens, create_token, revoke_token
from studyhub.http import local_url
from studyhub.security import client_ip


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("progress:dashboard")
    if not settings.PASSWORD_LOGIN:
        # Accounts come from the organisation's log-in (its first use makes one).
        messages.info(request, "Log in with your organisation's account: that makes yours.")
        return redirect_to_login(request.GET.get("next") or reverse("progress:dashboard"))
    next_url = local_url(request, request.POST.get("next") or request.GET.get("next") or "")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to StudyHub, {user.shown_name}.")
        # A plain redirect: redirect() would try a bare word like "foo" as a URL name.
        return HttpResponseRedirect(next_url or reverse("progress:dashboard"))
    status = 422 if form.is_bound else 200
    return TemplateResponse(
        request, "accounts/signup.html", {"form": form, "next": next_url}, status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "accounts/profile.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's API tokens, and a form for a new one. A new token's text is shown in
    the answer to the POST that made it, once, and never stored."""
    form = AccessTokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            days = AccessTokenForm.LIFETIMES[form.cleaned_data["lifetime"]]
            try:
                token, plain = create_token(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=timezone.now() + timedelta(days=days) if days else None,
                )
            except TooManyTokens as error:
                form.add_error(None, str(error))
            else:
                created, status = (token, plain), 201
                form = AccessTokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": request.user.access_tokens.filter(revoked_at__isnull=True),
        "now": timezone.now(),
    }
    response = TemplateResponse(request, "accounts/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a token's text
    return response


@require_http_methods(["POST"])
@login_required
def revoke_api_token(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    if revoke_token(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked: it no longer works.")
    else:
        messages.info(request, "That token was already revoked.")
    return redirect("accounts:api_tokens")


class LoginView(auth_views.LoginView):
    """The password form and a button for each single sign-on provider (accounts/sso.py).

    With DJANGO_PASSWORD_LOGIN=0 only the buttons show and a posted password is refused.
    A password log-in also links a provider account waiting for it (sso.link_pending)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return sso.allow_provider_forms(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        pending = self.request.session.get(sso.PENDING_LINK) or {}
        context.update(
            sso_buttons=sso.sso_buttons(),
            password_login=settings.PASSWORD_LOGIN,
            pending_email=pending.get("email"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PASSWORD_LOGIN:
            messages.error(request, "Log in with your organisation's account.")
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        linked = sso.link_pending(self.request, form.get_user())
        if linked:
            messages.success(
                self.request, f"Linked: from now on “{linked}” logs you in to this account."
            )
        return response


class LogoutView(auth_views.LogoutView):
    """Log out of StudyHub, and say so; after a single sign-on log-in, also that the
    provider's own session is still there (StudyHub cannot end it)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = request.session.get(sso.LOGGED_IN_WITH)
        response = super().post(request, *args, **kwargs)
        if provider:
            messages.info(
                request,
                f"You are logged out of StudyHub. You are still signed in with "
                f"“{sso.provider_label(provider)}”: log out there too on a shared computer.",
            )
        else:
            messages.info(request, "You are logged out of StudyHub.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """A wrong current password counts as a failed log-in (django-axes), so an open
    session cannot be used to guess it: after AXES_FAILURE_LIMIT of them from one
    address, this page and the log-in page both answer with the 429 page until the
    cool-off ends."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def _credentials(self) -> dict[str, str]:
        return {"username": self.request.user.get_username()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if AxesProxyHandler.is_locked(request, self._credentials()):
            return locked_out(request, credentials=self._credentials())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        # The right password: earlier wrong ones stop counting, as after a log-in.
        AxesProxyHandler.reset_attempts(
            username=self.request.user.get_username(),
            ip_address=get_client_ip_address(self.request),
        )
        return super().form_valid(form)

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            # AxesMiddleware turns this response into the 429 page on the last one.
            user_login_failed.send(
                sender=__name__, credentials=self._credentials(), request=self.request
            )
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """The same "check your e-mail" answer, as fast, for any address; the e-mail itself
    goes out after the response (accounts.services.request_password_reset). A client
    that asked too often gets the 429 page instead."""

    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.PASSWORD_LOGIN:  # no passwords to reset
            return redirect("accounts:login")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            request_password_reset(
                email=form.cleaned_data["email"],
                client=client_ip(self.request),
                domain=self.request.get_host(),
                use_https=self.request.is_secure(),
            )
        except TooManyResetRequests as limited:
            seconds_left = max(0, (limited.retry_at - timezone.now()).total_seconds())
            context = {
                "limit": settings.PASSWORD_RESET_REQUESTS_PER_CLIENT,
                "window_minutes": round(settings.PASSWORD_RESET_WINDOW.total_seconds() / 60),
                "retry_at": limited.retry_at,
                "minutes_left": max(1, math.ceil(seconds_left / 60)),
            }
            response = TemplateResponse(
                self.request, "accounts/password_reset_limited.html", context, status=429
            )
            response["Retry-After"] = str(math.ceil(seconds_left))
            return response
        return HttpResponseRedirect(self.get_success_url())
