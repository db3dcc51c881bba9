from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp, SocialToken
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.models import User

_admin_login = admin.site.login


def _admin_login_unless_sso_only(request: HttpRequest, extra_context=None) -> HttpResponse:  # type: ignore[no-untyped-def]
    """With DJANGO_PASSWORD_LOGIN=0 the admin's own password form is off too: staff log
    in on StudyHub's log-in page and come back."""
    if not settings.PASSWORD_LOGIN:
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
    return _admin_login(request, extra_context)


admin.site.login = _admin_login_unless_sso_only  # type: ignore[method-assign]

# Single sign-on keeps its providers in settings, no provider tokens and no e-mail
# addresses of its own: only the links between people and provider accounts are data.
for _unused in (EmailAddress, SocialApp, SocialToken):
    if admin.site.is_registered(_unused):
        admin.site.unregister(_unused)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        # UserAdmin always sets fieldsets; django-stubs keeps ModelAdmin's "or None".
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Profile", {"fields": ("display_name",)}),
    )
    list_display = ("username", "display_name", "email", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email")
