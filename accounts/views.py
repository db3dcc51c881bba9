import math

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import InviteCodeForm, ProfileForm, SignUpForm, TeamForm
from accounts.models import Team
from accounts.permissions import instructor_or_403, membership_or_404
from accounts.services import (
    TeamRuleError,
    TooManyResetRequests,
    create_team,
    join_team,
    leave_team,
    promote,
    remove_member,
    request_password_reset,
)
from studyhub.security import client_ip
from studyhub.views import locked_out


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("progress:dashboard")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
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
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "accounts/profile.html", {"form": form}, status=status)


# --- Teams ----------------------------------------------------------------


@require_GET
@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user).with_member_count()
    context = {"teams": teams, "form": TeamForm(), "code_form": InviteCodeForm()}
    return TemplateResponse(request, "accounts/team_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = create_team(name=form.cleaned_data["name"], creator=request.user)
        messages.success(request, f"Team “{team.name}” created. Share its invite link below.")
        return redirect(team)
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "accounts/team_create.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def join_with_code(request: HttpRequest) -> HttpResponse:
    form = InviteCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("teams:team_join", code=form.cleaned_data["code"])
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "accounts/join_with_code.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def team_join(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated and request.method == "POST":
        return redirect_to_login(request.get_full_path())
    team = Team.objects.filter(invite_code=code.upper()).first()
    if team is None:
        return TemplateResponse(request, "accounts/team_join_invalid.html", status=404)
    if not request.user.is_authenticated:
        # Whoever has the link may see which team it is for; then sign up or log in,
        # both of which come back here.
        context = {"team": team, "next": request.get_full_path()}
        return TemplateResponse(request, "accounts/team_join.html", context)
    if request.method == "POST":
        membership, joined = join_team(team=team, user=request.user)
        if joined:
            messages.success(request, f"You joined “{team.name}”.")
        return redirect(team)
    already = request.user.memberships.filter(team=team).exists()
    return TemplateResponse(request, "accounts/team_join.html", {"team": team, "already": already})


@require_GET
@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    from progress.teams import assignments_with_progress

    membership = membership_or_404(request, team_id)
    team = membership.team
    # "instructor" sorts before "learner": instructors first.
    members = team.memberships.select_related("user").order_by("role", "user__display_name")
    context = {
        "team": team,
        "membership": membership,
        "members": members,
        "assignments": assignments_with_progress(team, request.user),
        "invite_url": request.build_absolute_uri(
            reverse("teams:team_join", kwargs={"code": team.invite_code})
        ),
    }
    return TemplateResponse(request, "accounts/team_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def team_settings(request: HttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Team renamed.")
        return redirect(team)
    status = 422 if form.is_bound else 200
    context = {"team": team, "form": form}
    return TemplateResponse(request, "accounts/team_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    if request.method == "POST":
        name = team.name
        team.delete()
        messages.success(request, f"Team “{name}” deleted. Everyone's confidence and notes stay.")
        return redirect("teams:team_list")
    return TemplateResponse(request, "accounts/team_delete.html", {"team": team})


@require_POST
@login_required
def rotate_invite(request: HttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    team.rotate_invite()
    messages.success(request, "New invite link and code made; the old ones no longer work.")
    return redirect(team.get_absolute_url() + "#invite")


@require_POST
@login_required
def promote_member(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    member = get_object_or_404(team.memberships.select_related("user"), pk=membership_id)
    promote(membership=member)
    messages.success(request, f"{member.user.shown_name} is now an instructor.")
    return redirect(team.get_absolute_url() + "#members")


@require_POST
@login_required
def remove_member_view(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    member = get_object_or_404(team.memberships.select_related("user"), pk=membership_id)
    try:
        remove_member(membership=member)
    except TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{member.user.shown_name} was removed from the team.")
        if member.user_id == request.user.id:
            return redirect("teams:team_list")
    return redirect(team.get_absolute_url() + "#members")


@require_POST
@login_required
def leave(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = membership_or_404(request, team_id)
    try:
        leave_team(membership=membership)
    except TeamRuleError as error:
        messages.error(request, str(error))
        return redirect(membership.team)
    messages.success(request, f"You left “{membership.team.name}”.")
    return redirect("teams:team_list")


class PasswordChangeView(auth_views.PasswordChangeView):
    """A wrong current password counts as a failed log-in (django-axes), so an open
    session cannot be used to guess it: after AXES_FAILURE_LIMIT of them from one
    address, this page and the log-in page both answer with the 429 page until the
    cool-off ends."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def _credentials(self) -> dict[str, str]:
        return {"username": self.request.user.get_username()}

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if AxesProxyHandler.is_locked(request, self._credentials()):
            return locked_out(request, credentials=self._credentials())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        # The right password: earlier wrong ones stop counting, as after a log-in.
        AxesProxyHandler.update_request(self.request)  # sets axes_ip_address
        AxesProxyHandler.reset_attempts(
            username=self.request.user.get_username(), ip_address=self.request.axes_ip_address
        )
        return super().form_valid(form)

    def form_invalid(self, form) -> HttpResponse:
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

    def form_valid(self, form) -> HttpResponse:
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
