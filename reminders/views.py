"""Unsubscribing from a reminder e-mail's signed link, without logging in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User
from reminders.links import PREFERENCE, read_unsubscribe_token

WHAT = {"due": "due-date reminders", "digest": "the daily note of who has not started"}


# The signed token is what authorises this, not a session: a mail program's one-click
# unsubscribe (RFC 8058) POSTs "List-Unsubscribe=One-Click" with no cookie and no CSRF
# token, and all the POST can do is turn one kind of e-mail off for the token's owner.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner opening it changes nothing); POST turns the e-mails off."""
    found = read_unsubscribe_token(token)
    user = User.objects.filter(pk=found[0], is_active=True).first() if found else None
    if found is None or user is None:
        return TemplateResponse(request, "reminders/unsubscribe_invalid.html", status=404)
    kind = found[1]
    done = False
    if request.method == "POST":
        User.objects.filter(pk=user.pk).update(**{PREFERENCE[kind]: False})
        done = True
    context = {"what": WHAT[kind], "done": done, "token": token, "user": user}
    response = TemplateResponse(request, "reminders/unsubscribe.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response
